use std::{
    ffi::{CString, c_char},
    fmt::Debug,
};

use crate::ffi::*;

use super::RawLogicalTypeId;

/// Logical Type Id
/// <https://duckdb.org/docs/api/c/types>
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogicalTypeId {
    /// Invalid
    Invalid = DUCKDB_TYPE_DUCKDB_TYPE_INVALID as RawLogicalTypeId,
    /// Boolean
    Boolean = DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN as RawLogicalTypeId,
    /// Tinyint
    Tinyint = DUCKDB_TYPE_DUCKDB_TYPE_TINYINT as RawLogicalTypeId,
    /// Smallint
    Smallint = DUCKDB_TYPE_DUCKDB_TYPE_SMALLINT as RawLogicalTypeId,
    /// Integer
    Integer = DUCKDB_TYPE_DUCKDB_TYPE_INTEGER as RawLogicalTypeId,
    /// Bigint
    Bigint = DUCKDB_TYPE_DUCKDB_TYPE_BIGINT as RawLogicalTypeId,
    /// Unsigned Tinyint
    UTinyint = DUCKDB_TYPE_DUCKDB_TYPE_UTINYINT as RawLogicalTypeId,
    /// Unsigned Smallint
    USmallint = DUCKDB_TYPE_DUCKDB_TYPE_USMALLINT as RawLogicalTypeId,
    /// Unsigned Integer
    UInteger = DUCKDB_TYPE_DUCKDB_TYPE_UINTEGER as RawLogicalTypeId,
    /// Unsigned Bigint
    UBigint = DUCKDB_TYPE_DUCKDB_TYPE_UBIGINT as RawLogicalTypeId,
    /// Float
    Float = DUCKDB_TYPE_DUCKDB_TYPE_FLOAT as RawLogicalTypeId,
    /// Double
    Double = DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE as RawLogicalTypeId,
    /// Timestamp
    Timestamp = DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP as RawLogicalTypeId,
    /// Date
    Date = DUCKDB_TYPE_DUCKDB_TYPE_DATE as RawLogicalTypeId,
    /// Time
    Time = DUCKDB_TYPE_DUCKDB_TYPE_TIME as RawLogicalTypeId,
    /// Interval
    Interval = DUCKDB_TYPE_DUCKDB_TYPE_INTERVAL as RawLogicalTypeId,
    /// Hugeint
    Hugeint = DUCKDB_TYPE_DUCKDB_TYPE_HUGEINT as RawLogicalTypeId,
    /// Varchar
    Varchar = DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR as RawLogicalTypeId,
    /// Blob
    Blob = DUCKDB_TYPE_DUCKDB_TYPE_BLOB as RawLogicalTypeId,
    /// Decimal
    Decimal = DUCKDB_TYPE_DUCKDB_TYPE_DECIMAL as RawLogicalTypeId,
    /// Timestamp S
    TimestampS = DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_S as RawLogicalTypeId,
    /// Timestamp MS
    TimestampMs = DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_MS as RawLogicalTypeId,
    /// Timestamp NS
    TimestampNs = DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_NS as RawLogicalTypeId,
    /// Enum
    Enum = DUCKDB_TYPE_DUCKDB_TYPE_ENUM as RawLogicalTypeId,
    /// List
    List = DUCKDB_TYPE_DUCKDB_TYPE_LIST as RawLogicalTypeId,
    /// Struct
    Struct = DUCKDB_TYPE_DUCKDB_TYPE_STRUCT as RawLogicalTypeId,
    /// Map
    Map = DUCKDB_TYPE_DUCKDB_TYPE_MAP as RawLogicalTypeId,
    /// Uuid
    Uuid = DUCKDB_TYPE_DUCKDB_TYPE_UUID as RawLogicalTypeId,
    /// Union
    Union = DUCKDB_TYPE_DUCKDB_TYPE_UNION as RawLogicalTypeId,
    /// Bit
    Bit = DUCKDB_TYPE_DUCKDB_TYPE_BIT as RawLogicalTypeId,
    /// Time TZ
    TimeTZ = DUCKDB_TYPE_DUCKDB_TYPE_TIME_TZ as RawLogicalTypeId,
    /// Timestamp TZ
    TimestampTZ = DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_TZ as RawLogicalTypeId,
    /// Unsigned Hugeint
    UHugeint = DUCKDB_TYPE_DUCKDB_TYPE_UHUGEINT as RawLogicalTypeId,
    /// Array
    Array = DUCKDB_TYPE_DUCKDB_TYPE_ARRAY as RawLogicalTypeId,
    /// Any
    Any = DUCKDB_TYPE_DUCKDB_TYPE_ANY as RawLogicalTypeId,
    /// Bignum
    Bignum = DUCKDB_TYPE_DUCKDB_TYPE_BIGNUM as RawLogicalTypeId,
    /// SqlNull
    SqlNull = DUCKDB_TYPE_DUCKDB_TYPE_SQLNULL as RawLogicalTypeId,
    /// String Literal
    StringLiteral = DUCKDB_TYPE_DUCKDB_TYPE_STRING_LITERAL as RawLogicalTypeId,
    /// Integer Literal
    IntegerLiteral = DUCKDB_TYPE_DUCKDB_TYPE_INTEGER_LITERAL as RawLogicalTypeId,
    /// Time NS
    TimeNs = DUCKDB_TYPE_DUCKDB_TYPE_TIME_NS as RawLogicalTypeId,
    /// Geometry
    Geometry = DUCKDB_TYPE_DUCKDB_TYPE_GEOMETRY as RawLogicalTypeId,
    /// VARIANT.
    ///
    /// This type is exposed for metadata. Decoding VARIANT result columns is
    /// not supported because DuckDB does not expose C API helpers for decoding
    /// VARIANT values.
    Variant = DUCKDB_TYPE_DUCKDB_TYPE_VARIANT as RawLogicalTypeId,
    /// DuckDB returned a type that this wrapper does not yet recognize
    Unsupported = RawLogicalTypeId::MAX,
}

impl From<u32> for LogicalTypeId {
    /// Convert from u32 to LogicalTypeId
    fn from(value: u32) -> Self {
        match value as duckdb_type {
            DUCKDB_TYPE_DUCKDB_TYPE_INVALID => Self::Invalid,
            DUCKDB_TYPE_DUCKDB_TYPE_BOOLEAN => Self::Boolean,
            DUCKDB_TYPE_DUCKDB_TYPE_TINYINT => Self::Tinyint,
            DUCKDB_TYPE_DUCKDB_TYPE_SMALLINT => Self::Smallint,
            DUCKDB_TYPE_DUCKDB_TYPE_INTEGER => Self::Integer,
            DUCKDB_TYPE_DUCKDB_TYPE_BIGINT => Self::Bigint,
            DUCKDB_TYPE_DUCKDB_TYPE_UTINYINT => Self::UTinyint,
            DUCKDB_TYPE_DUCKDB_TYPE_USMALLINT => Self::USmallint,
            DUCKDB_TYPE_DUCKDB_TYPE_UINTEGER => Self::UInteger,
            DUCKDB_TYPE_DUCKDB_TYPE_UBIGINT => Self::UBigint,
            DUCKDB_TYPE_DUCKDB_TYPE_FLOAT => Self::Float,
            DUCKDB_TYPE_DUCKDB_TYPE_DOUBLE => Self::Double,
            DUCKDB_TYPE_DUCKDB_TYPE_VARCHAR => Self::Varchar,
            DUCKDB_TYPE_DUCKDB_TYPE_BLOB => Self::Blob,
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP => Self::Timestamp,
            DUCKDB_TYPE_DUCKDB_TYPE_DATE => Self::Date,
            DUCKDB_TYPE_DUCKDB_TYPE_TIME => Self::Time,
            DUCKDB_TYPE_DUCKDB_TYPE_INTERVAL => Self::Interval,
            DUCKDB_TYPE_DUCKDB_TYPE_HUGEINT => Self::Hugeint,
            DUCKDB_TYPE_DUCKDB_TYPE_DECIMAL => Self::Decimal,
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_S => Self::TimestampS,
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_MS => Self::TimestampMs,
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_NS => Self::TimestampNs,
            DUCKDB_TYPE_DUCKDB_TYPE_ENUM => Self::Enum,
            DUCKDB_TYPE_DUCKDB_TYPE_LIST => Self::List,
            DUCKDB_TYPE_DUCKDB_TYPE_STRUCT => Self::Struct,
            DUCKDB_TYPE_DUCKDB_TYPE_MAP => Self::Map,
            DUCKDB_TYPE_DUCKDB_TYPE_UUID => Self::Uuid,
            DUCKDB_TYPE_DUCKDB_TYPE_UNION => Self::Union,
            DUCKDB_TYPE_DUCKDB_TYPE_BIT => Self::Bit,
            DUCKDB_TYPE_DUCKDB_TYPE_TIME_TZ => Self::TimeTZ,
            DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_TZ => Self::TimestampTZ,
            DUCKDB_TYPE_DUCKDB_TYPE_UHUGEINT => Self::UHugeint,
            DUCKDB_TYPE_DUCKDB_TYPE_ARRAY => Self::Array,
            DUCKDB_TYPE_DUCKDB_TYPE_ANY => Self::Any,
            DUCKDB_TYPE_DUCKDB_TYPE_BIGNUM => Self::Bignum,
            DUCKDB_TYPE_DUCKDB_TYPE_SQLNULL => Self::SqlNull,
            DUCKDB_TYPE_DUCKDB_TYPE_STRING_LITERAL => Self::StringLiteral,
            DUCKDB_TYPE_DUCKDB_TYPE_INTEGER_LITERAL => Self::IntegerLiteral,
            DUCKDB_TYPE_DUCKDB_TYPE_TIME_NS => Self::TimeNs,
            DUCKDB_TYPE_DUCKDB_TYPE_GEOMETRY => Self::Geometry,
            DUCKDB_TYPE_DUCKDB_TYPE_VARIANT => Self::Variant,
            // Unknown / forward compatible types
            _ => Self::Unsupported,
        }
    }
}

/// DuckDB Logical Type.
/// <https://duckdb.org/docs/sql/data_types/overview>
pub struct LogicalTypeHandle {
    pub(crate) ptr: duckdb_logical_type,
}

impl Debug for LogicalTypeHandle {
    /// Debug implementation for LogicalType
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> Result<(), std::fmt::Error> {
        let id = self.id();
        match id {
            LogicalTypeId::Invalid => write!(f, "Invalid"),
            LogicalTypeId::Unsupported => write!(f, "Unsupported({})", self.raw_id()),
            LogicalTypeId::Struct => {
                write!(f, "struct<")?;
                for i in 0..self.num_children() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{}: {:?}", self.child_name(i), self.child(i))?;
                }
                write!(f, ">")
            }
            _ => write!(f, "{:?}", id),
        }
    }
}

impl Drop for LogicalTypeHandle {
    /// Drop implementation for LogicalType
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            unsafe {
                duckdb_destroy_logical_type(&mut self.ptr);
            }
        }

        self.ptr = std::ptr::null_mut();
    }
}

impl From<LogicalTypeId> for LogicalTypeHandle {
    /// Create a new [LogicalTypeHandle] from [LogicalTypeId].
    ///
    /// # Panics
    ///
    /// Panics for [`LogicalTypeId::Invalid`] and
    /// [`LogicalTypeId::Unsupported`], which cannot be constructed as valid
    /// logical types.
    fn from(id: LogicalTypeId) -> Self {
        // TODO: Split DuckDB-returned type ids from constructible logical type
        // ids so `Invalid` and `Unsupported` cannot reach this infallible
        // conversion.
        assert!(
            !matches!(id, LogicalTypeId::Invalid | LogicalTypeId::Unsupported),
            "LogicalTypeId::{id:?} cannot be used to construct a logical type"
        );
        unsafe {
            Self {
                ptr: duckdb_create_logical_type(id as duckdb_type),
            }
        }
    }
}

impl LogicalTypeHandle {
    /// Create a DuckDB logical type from C API
    pub(crate) unsafe fn new(ptr: duckdb_logical_type) -> Self {
        Self { ptr }
    }

    /// Creates a map type from its child type.
    pub fn map(key: &Self, value: &Self) -> Self {
        unsafe {
            Self {
                ptr: duckdb_create_map_type(key.ptr, value.ptr),
            }
        }
    }

    /// Creates a list type from its child type.
    pub fn list(child_type: &Self) -> Self {
        unsafe {
            Self {
                ptr: duckdb_create_list_type(child_type.ptr),
            }
        }
    }

    /// Creates an array type from its child type.
    pub fn array(child_type: &Self, array_size: u64) -> Self {
        unsafe {
            Self {
                ptr: duckdb_create_array_type(child_type.ptr, array_size),
            }
        }
    }

    /// Creates a decimal type from its `width` and `scale`.
    pub fn decimal(width: u8, scale: u8) -> Self {
        unsafe {
            Self {
                ptr: duckdb_create_decimal_type(width, scale),
            }
        }
    }

    /// Retrieves the decimal width
    /// Returns 0 if the LogicalType is not a decimal
    pub fn decimal_width(&self) -> u8 {
        unsafe { duckdb_decimal_width(self.ptr) }
    }

    /// Retrieves the decimal scale
    /// Returns 0 if the LogicalType is not a decimal
    pub fn decimal_scale(&self) -> u8 {
        unsafe { duckdb_decimal_scale(self.ptr) }
    }

    /// Returns the CRS metadata for a `GEOMETRY` logical type.
    ///
    /// Returns `None` when this logical type is not `GEOMETRY` or DuckDB does
    /// not carry CRS metadata for the geometry type.
    pub fn geometry_crs(&self) -> Option<String> {
        unsafe {
            DuckDbString::from_nullable_ptr(duckdb_geometry_type_get_crs(self.ptr))
                .map(|c_str| c_str.to_string_lossy().into_owned())
        }
    }

    /// Make a `LogicalType` for `struct`
    pub fn struct_type(fields: &[(&str, Self)]) -> Self {
        let keys: Vec<CString> = fields.iter().map(|f| CString::new(f.0).unwrap()).collect();
        let values: Vec<duckdb_logical_type> = fields.iter().map(|it| it.1.ptr).collect();
        let name_ptrs = keys.iter().map(|it| it.as_ptr()).collect::<Vec<*const c_char>>();

        unsafe {
            Self {
                ptr: duckdb_create_struct_type(
                    values.as_slice().as_ptr().cast_mut(),
                    name_ptrs.as_slice().as_ptr().cast_mut(),
                    fields.len() as idx_t,
                ),
            }
        }
    }

    /// Make a `LogicalType` for `union`
    pub fn union_type(fields: &[(&str, Self)]) -> Self {
        let keys: Vec<CString> = fields.iter().map(|f| CString::new(f.0).unwrap()).collect();
        let values: Vec<duckdb_logical_type> = fields.iter().map(|it| it.1.ptr).collect();
        let name_ptrs = keys.iter().map(|it| it.as_ptr()).collect::<Vec<*const c_char>>();

        unsafe {
            Self {
                ptr: duckdb_create_union_type(
                    values.as_slice().as_ptr().cast_mut(),
                    name_ptrs.as_slice().as_ptr().cast_mut(),
                    fields.len() as idx_t,
                ),
            }
        }
    }

    /// Logical type ID
    pub fn id(&self) -> LogicalTypeId {
        self.raw_id().into()
    }

    /// Logical type ID, with forward-compatibility awareness.
    ///
    /// Returns `Ok(LogicalTypeId)` for all known ids (including `Invalid`), and
    /// `Err(raw_id)` when DuckDB returns an id this wrapper does not yet
    /// recognize.
    pub fn try_id(&self) -> Result<LogicalTypeId, u32> {
        let raw = self.raw_id();
        match LogicalTypeId::from(raw) {
            LogicalTypeId::Unsupported => Err(raw),
            id => Ok(id),
        }
    }

    /// Raw logical type id returned by DuckDB C API
    pub fn raw_id(&self) -> u32 {
        unsafe { duckdb_get_type_id(self.ptr) as RawLogicalTypeId }
    }

    /// Logical type children num
    pub fn num_children(&self) -> usize {
        match self.id() {
            LogicalTypeId::Struct => unsafe { duckdb_struct_type_child_count(self.ptr) as usize },
            LogicalTypeId::Union => unsafe { duckdb_union_type_member_count(self.ptr) as usize },
            LogicalTypeId::List => 1,
            LogicalTypeId::Array => 1,
            LogicalTypeId::Map => 2,
            _ => 0,
        }
    }

    /// Logical type child name by idx
    ///
    /// Invalid UTF-8 bytes are replaced with the Unicode replacement character.
    ///
    /// Panics if the logical type is not a struct or union, or if `idx` is out of range.
    pub fn child_name(&self, idx: usize) -> String {
        self.child_name_string(idx).to_string_lossy().into_owned()
    }

    /// Logical type child name by idx, rejecting invalid UTF-8.
    ///
    /// Panics if the logical type is not a struct or union, or if `idx` is out
    /// of range.
    pub fn try_child_name(&self, idx: usize) -> crate::Result<String> {
        Ok(self.child_name_string(idx).to_str()?.to_owned())
    }

    fn child_name_string(&self, idx: usize) -> DuckDbString {
        unsafe {
            let child_name_ptr = match self.id() {
                LogicalTypeId::Struct => duckdb_struct_type_child_name(self.ptr, idx as u64),
                LogicalTypeId::Union => duckdb_union_type_member_name(self.ptr, idx as u64),
                LogicalTypeId::Unsupported => panic!("unsupported logical type {}", self.raw_id()),
                _ => panic!("not a struct or union"),
            };
            if child_name_ptr.is_null() {
                panic!("child index {idx} out of range");
            }
            DuckDbString::from_ptr(child_name_ptr)
        }
    }

    /// Logical type child by idx.
    ///
    /// Panics if the logical type has no children, if `idx` is out of range,
    /// or if the logical type is [`LogicalTypeId::Unsupported`].
    pub fn child(&self, idx: usize) -> Self {
        let c_logical_type = unsafe {
            match (self.id(), idx) {
                (LogicalTypeId::Struct, _) => duckdb_struct_type_child_type(self.ptr, idx as u64),
                (LogicalTypeId::Union, _) => duckdb_union_type_member_type(self.ptr, idx as u64),
                (LogicalTypeId::List, 0) => duckdb_list_type_child_type(self.ptr),
                (LogicalTypeId::Array, 0) => duckdb_array_type_child_type(self.ptr),
                (LogicalTypeId::Map, 0) => duckdb_map_type_key_type(self.ptr),
                (LogicalTypeId::Map, 1) => duckdb_map_type_value_type(self.ptr),
                (LogicalTypeId::Unsupported, _) => panic!("unsupported logical type {}", self.raw_id()),
                (LogicalTypeId::List | LogicalTypeId::Array | LogicalTypeId::Map, _) => {
                    panic!("child index {idx} out of range")
                }
                _ => panic!("logical type has no children"),
            }
        };
        if c_logical_type.is_null() {
            panic!("child index {idx} out of range");
        }
        unsafe { Self::new(c_logical_type) }
    }

    pub(crate) fn contains_type_id(&self, id: LogicalTypeId) -> bool {
        if self.id() == id {
            return true;
        }

        for idx in 0..self.num_children() {
            if self.child(idx).contains_type_id(id) {
                return true;
            }
        }

        false
    }

    /// Alias of the logical type.
    pub fn get_alias(&self) -> Option<String> {
        unsafe {
            let alias_ptr = duckdb_logical_type_get_alias(self.ptr);
            DuckDbString::from_nullable_ptr(alias_ptr).map(|c_str| {
                let alias = c_str.to_str().unwrap();
                alias.to_string()
            })
        }
    }

    /// Set the alias of the logical type.
    pub fn set_alias(&mut self, alias: &str) {
        unsafe {
            let alias = CString::new(alias).unwrap();
            duckdb_logical_type_set_alias(self.ptr, alias.as_ptr());
        }
    }
}

#[cfg(test)]
mod test {
    use std::ffi::CString;

    use crate::core::{LogicalTypeHandle, LogicalTypeId, RawLogicalTypeId};
    use crate::ffi::duckdb_create_struct_type;

    #[test]
    fn test_struct() {
        let fields = &[("hello", LogicalTypeHandle::from(LogicalTypeId::Boolean))];
        let typ = LogicalTypeHandle::struct_type(fields);

        assert_eq!(typ.num_children(), 1);
        assert_eq!(typ.child_name(0), "hello");
        assert_eq!(typ.child(0).id(), LogicalTypeId::Boolean);
    }

    #[test]
    fn test_struct_child_name_handles_invalid_utf8() {
        let child = LogicalTypeHandle::from(LogicalTypeId::Integer);
        let name = CString::from_vec_with_nul(vec![b'f', 0x80, 0]).unwrap();
        let mut child_types = [child.ptr];
        let mut child_names = [name.as_ptr()];
        let ptr = unsafe { duckdb_create_struct_type(child_types.as_mut_ptr(), child_names.as_mut_ptr(), 1) };
        let typ = unsafe { LogicalTypeHandle::new(ptr) };

        assert_eq!(typ.child_name(0), "f\u{fffd}");
        assert!(typ.try_child_name(0).is_err());
    }

    #[test]
    fn test_array() {
        let child = LogicalTypeHandle::from(LogicalTypeId::Integer);
        let array = LogicalTypeHandle::array(&child, 4);

        assert_eq!(array.id(), LogicalTypeId::Array);
        assert_eq!(array.num_children(), 1);
        assert_eq!(array.child(0).id(), LogicalTypeId::Integer);
    }

    #[test]
    fn test_list_child() {
        let child = LogicalTypeHandle::from(LogicalTypeId::Integer);
        let list = LogicalTypeHandle::list(&child);

        assert_eq!(list.id(), LogicalTypeId::List);
        assert_eq!(list.num_children(), 1);
        assert_eq!(list.child(0).id(), LogicalTypeId::Integer);
    }

    #[test]
    fn test_map_children() {
        let key = LogicalTypeHandle::from(LogicalTypeId::Varchar);
        let value = LogicalTypeHandle::from(LogicalTypeId::Integer);
        let map = LogicalTypeHandle::map(&key, &value);

        assert_eq!(map.id(), LogicalTypeId::Map);
        assert_eq!(map.num_children(), 2);
        assert_eq!(map.child(0).id(), LogicalTypeId::Varchar);
        assert_eq!(map.child(1).id(), LogicalTypeId::Integer);
    }

    #[test]
    fn test_decimal() {
        let typ = LogicalTypeHandle::decimal(10, 2);

        assert_eq!(typ.id(), LogicalTypeId::Decimal);
        assert_eq!(typ.decimal_width(), 10);
        assert_eq!(typ.decimal_scale(), 2);
    }

    #[test]
    fn test_decimal_methods() {
        let typ = LogicalTypeHandle::from(LogicalTypeId::Varchar);

        assert_eq!(typ.decimal_width(), 0);
        assert_eq!(typ.decimal_scale(), 0);
    }

    #[test]
    fn test_geometry_type() {
        let typ = LogicalTypeHandle::from(LogicalTypeId::Geometry);

        assert_eq!(typ.id(), LogicalTypeId::Geometry);
        assert_eq!(
            typ.raw_id(),
            crate::ffi::DUCKDB_TYPE_DUCKDB_TYPE_GEOMETRY as RawLogicalTypeId
        );
        assert_eq!(typ.geometry_crs(), None);
        assert_eq!(format!("{typ:?}"), "Geometry");
    }

    #[test]
    fn test_geometry_crs_returns_none_for_non_geometry_type() {
        let typ = LogicalTypeHandle::from(LogicalTypeId::Varchar);

        assert_eq!(typ.geometry_crs(), None);
    }

    #[test]
    fn test_variant_type() {
        let typ = LogicalTypeHandle::from(LogicalTypeId::Variant);

        assert_eq!(typ.id(), LogicalTypeId::Variant);
        assert_eq!(
            typ.raw_id(),
            crate::ffi::DUCKDB_TYPE_DUCKDB_TYPE_VARIANT as RawLogicalTypeId
        );
        assert_eq!(typ.num_children(), 0);
        assert!(typ.contains_type_id(LogicalTypeId::Variant));
        assert_eq!(format!("{typ:?}"), "Variant");
    }

    #[test]
    fn test_nested_variant_type() {
        let typ = LogicalTypeHandle::list(&LogicalTypeHandle::from(LogicalTypeId::Variant));
        let list_of_int = LogicalTypeHandle::list(&LogicalTypeHandle::from(LogicalTypeId::Integer));

        assert_eq!(typ.id(), LogicalTypeId::List);
        assert_eq!(typ.child(0).id(), LogicalTypeId::Variant);
        assert!(typ.contains_type_id(LogicalTypeId::Variant));
        assert!(!list_of_int.contains_type_id(LogicalTypeId::Variant));
    }

    #[test]
    #[should_panic(expected = "LogicalTypeId::Unsupported cannot be used to construct a logical type")]
    fn test_unsupported_type_cannot_construct_logical_type() {
        let _ = LogicalTypeHandle::from(LogicalTypeId::Unsupported);
    }

    #[test]
    #[should_panic(expected = "LogicalTypeId::Invalid cannot be used to construct a logical type")]
    fn test_invalid_type_cannot_construct_logical_type() {
        let _ = LogicalTypeHandle::from(LogicalTypeId::Invalid);
    }

    #[test]
    fn test_union_type() {
        let fields = &[
            ("hello", LogicalTypeHandle::from(LogicalTypeId::Boolean)),
            ("world", LogicalTypeHandle::from(LogicalTypeId::Integer)),
        ];
        let typ = LogicalTypeHandle::union_type(fields);

        assert_eq!(typ.num_children(), 2);

        assert_eq!(typ.child_name(0), "hello");
        assert_eq!(typ.child(0).id(), LogicalTypeId::Boolean);

        assert_eq!(typ.child_name(1), "world");
        assert_eq!(typ.child(1).id(), LogicalTypeId::Integer);
    }

    #[test]
    fn test_invalid_type() {
        use crate::ffi::{DUCKDB_TYPE_DUCKDB_TYPE_INVALID, duckdb_create_logical_type};

        // Create an invalid logical type (what DuckDB returns in certain error cases)
        let invalid_type =
            unsafe { LogicalTypeHandle::new(duckdb_create_logical_type(DUCKDB_TYPE_DUCKDB_TYPE_INVALID)) };

        assert_eq!(invalid_type.id(), LogicalTypeId::Invalid);
        assert_eq!(invalid_type.try_id().unwrap(), LogicalTypeId::Invalid);
        assert_eq!(
            invalid_type.raw_id(),
            DUCKDB_TYPE_DUCKDB_TYPE_INVALID as RawLogicalTypeId
        );

        let debug_str = format!("{invalid_type:?}");
        assert_eq!(debug_str, "Invalid");
    }

    #[test]
    fn test_unknown_type() {
        assert_eq!(LogicalTypeId::from(999_999), LogicalTypeId::Unsupported);
    }
}

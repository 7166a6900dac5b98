//! Values between DuckDB and the console: cells of any DuckDB value (Arrow or row-wise),
//! SQL literals and quoted identifiers.

use chrono::NaiveDate;
use duckdb::types::{TimeUnit, Value};

use crate::report::Cell;

/// A SQL literal of a parameter value (for writing a report's statement out).
pub fn literal(v: &Value) -> String {
    match v {
        Value::Null => "NULL".to_owned(),
        Value::Boolean(b) => b.to_string().to_uppercase(),
        Value::BigInt(n) => n.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Double(f) => f.to_string(),
        Value::Text(s) => quote_literal(s),
        Value::Timestamp(TimeUnit::Microsecond, us) => crate::core::timestamp::from_micros(*us)
            .map_or_else(
                || format!("make_timestamp({us})"),
                |t| format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S%.6f")),
            ),
        other => quote_literal(&value_text(other)),
    }
}

/// A column name as a quoted SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A SQL string literal of `s`.
pub(super) fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A cell of any DuckDB value. Instants outside the years perx shows, and types without a
/// cell of their own (lists, structs, blobs, intervals…), become text.
pub fn cell_of(v: Value) -> Cell {
    let micros = |unit: TimeUnit, n: i64| -> Option<i64> {
        match unit {
            TimeUnit::Second => n.checked_mul(1_000_000),
            TimeUnit::Millisecond => n.checked_mul(1_000),
            TimeUnit::Microsecond => Some(n),
            TimeUnit::Nanosecond => Some(n / 1_000),
        }
    };
    match v {
        Value::Null => Cell::Null,
        Value::Boolean(b) => Cell::Bool(b),
        Value::TinyInt(n) => Cell::Int(n.into()),
        Value::SmallInt(n) => Cell::Int(n.into()),
        Value::Int(n) => Cell::Int(n.into()),
        Value::BigInt(n) => Cell::Int(n),
        Value::UTinyInt(n) => Cell::Int(n.into()),
        Value::USmallInt(n) => Cell::Int(n.into()),
        Value::UInt(n) => Cell::Int(n.into()),
        Value::UBigInt(n) => i64::try_from(n).map_or_else(|_| Cell::Text(n.to_string()), Cell::Int),
        Value::HugeInt(n) => i64::try_from(n).map_or_else(|_| Cell::Text(n.to_string()), Cell::Int),
        Value::Float(f) => Cell::Float(f.into()),
        Value::Double(f) => Cell::Float(f),
        Value::Decimal(d) => Cell::Text(d.to_string()),
        Value::Text(s) => Cell::Text(s),
        Value::Enum(s) => Cell::Text(s),
        Value::Date32(days) => NaiveDate::from_num_days_from_ce_opt(days.saturating_add(719_163))
            .filter(|d| crate::core::timestamp::date_in_range(*d))
            .map_or_else(|| Cell::Text(format!("date {days}")), Cell::Date),
        Value::Timestamp(unit, n) => micros(unit, n)
            .and_then(crate::core::timestamp::from_micros)
            .map_or_else(
                || Cell::Text(format!("timestamp {n} ({unit:?})")),
                Cell::Timestamp,
            ),
        other => Cell::Text(value_text(&other)),
    }
}

/// Cell `i` of an Arrow column of a query's result.
pub fn arrow_cell(col: &dyn duckdb::arrow::array::Array, i: usize) -> Cell {
    use duckdb::arrow::array::*;
    use duckdb::arrow::datatypes::{DataType, TimeUnit as T};
    if col.is_null(i) {
        return Cell::Null;
    }
    let any = col.as_any();
    macro_rules! int {
        ($t:ty) => {
            any.downcast_ref::<$t>().map(|a| {
                i64::try_from(a.value(i))
                    .map_or_else(|_| Cell::Text(a.value(i).to_string()), Cell::Int)
            })
        };
    }
    let micros = |unit: &T, n: i64| -> Option<i64> {
        match unit {
            T::Second => n.checked_mul(1_000_000),
            T::Millisecond => n.checked_mul(1_000),
            T::Microsecond => Some(n),
            T::Nanosecond => Some(n / 1_000),
        }
    };
    let cell = match col.data_type() {
        DataType::Boolean => any
            .downcast_ref::<BooleanArray>()
            .map(|a| Cell::Bool(a.value(i))),
        DataType::Int8 => int!(Int8Array),
        DataType::Int16 => int!(Int16Array),
        DataType::Int32 => int!(Int32Array),
        DataType::Int64 => int!(Int64Array),
        DataType::UInt8 => int!(UInt8Array),
        DataType::UInt16 => int!(UInt16Array),
        DataType::UInt32 => int!(UInt32Array),
        DataType::UInt64 => int!(UInt64Array),
        DataType::Float32 => any
            .downcast_ref::<Float32Array>()
            .map(|a| Cell::Float(a.value(i).into())),
        DataType::Float64 => any
            .downcast_ref::<Float64Array>()
            .map(|a| Cell::Float(a.value(i))),
        DataType::Utf8 => any
            .downcast_ref::<StringArray>()
            .map(|a| Cell::Text(a.value(i).to_owned())),
        DataType::LargeUtf8 => any
            .downcast_ref::<LargeStringArray>()
            .map(|a| Cell::Text(a.value(i).to_owned())),
        DataType::Utf8View => any
            .downcast_ref::<StringViewArray>()
            .map(|a| Cell::Text(a.value(i).to_owned())),
        DataType::Date32 => any.downcast_ref::<Date32Array>().and_then(|a| {
            NaiveDate::from_num_days_from_ce_opt(a.value(i).saturating_add(719_163))
                .filter(|d| crate::core::timestamp::date_in_range(*d))
                .map(Cell::Date)
        }),
        DataType::Timestamp(unit, None) => {
            let raw = match unit {
                T::Second => any
                    .downcast_ref::<TimestampSecondArray>()
                    .map(|a| a.value(i)),
                T::Millisecond => any
                    .downcast_ref::<TimestampMillisecondArray>()
                    .map(|a| a.value(i)),
                T::Microsecond => any
                    .downcast_ref::<TimestampMicrosecondArray>()
                    .map(|a| a.value(i)),
                T::Nanosecond => any
                    .downcast_ref::<TimestampNanosecondArray>()
                    .map(|a| a.value(i)),
            };
            raw.and_then(|n| micros(unit, n))
                .and_then(crate::core::timestamp::from_micros)
                .map(Cell::Timestamp)
        }
        _ => None,
    };
    cell.unwrap_or_else(|| {
        // Everything else (decimals, lists, structs, blobs, intervals, instants out of
        // range) as Arrow writes it.
        let options = duckdb::arrow::util::display::FormatOptions::default();
        duckdb::arrow::util::display::ArrayFormatter::try_new(col, &options).map_or_else(
            |_| Cell::Text("?".to_owned()),
            |f| Cell::Text(f.value(i).to_string()),
        )
    })
}

/// Text for the values without a cell of their own.
fn value_text(v: &Value) -> String {
    match v {
        Value::Blob(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
        Value::List(items) | Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(value_text).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Text(s) | Value::Enum(s) => s.clone(),
        Value::Null => "NULL".to_owned(),
        other => {
            let c = cell_of(other.clone());
            match c {
                Cell::Text(s) => s,
                c => crate::report::output::cell_text(&c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_strings_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(literal(&Value::Null), "NULL");
        assert_eq!(literal(&Value::Text("o'k".into())), "'o''k'");
        assert_eq!(
            literal(&Value::Timestamp(TimeUnit::Microsecond, 0)),
            "TIMESTAMP '1970-01-01 00:00:00.000000'"
        );
    }
}

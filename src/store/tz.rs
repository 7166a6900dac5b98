//! `perx_local(ts, tz)`: a DuckDB scalar function that turns a UTC `TIMESTAMP` into the wall
//! clock of an IANA time zone, computed with chrono-tz (DST included). DuckDB's own
//! `AT TIME ZONE` needs the ICU extension, which cannot be installed offline.

use std::error::Error;
use std::sync::Arc;

use chrono::DateTime;
use chrono_tz::Tz;
use duckdb::Connection;
use duckdb::arrow::array::{Array, AsArray, RecordBatch, TimestampMicrosecondArray};
use duckdb::arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use duckdb::vscalar::{ArrowFunctionSignature, VArrowScalar};

/// The SQL name of the function.
pub const LOCAL_FN: &str = "perx_local";

struct LocalTime;

impl VArrowScalar for LocalTime {
    type State = ();

    fn invoke(_: &(), input: RecordBatch) -> Result<Arc<dyn Array>, Box<dyn Error>> {
        let ts = input
            .column(0)
            .as_primitive_opt::<TimestampMicrosecondType>()
            .ok_or("perx_local: first argument must be a TIMESTAMP")?;
        let zones = input
            .column(1)
            .as_string_opt::<i32>()
            .ok_or("perx_local: second argument must be a time-zone name")?;
        // Reports pass one zone for the whole query: parse each distinct name once.
        let mut last: Option<(&str, Tz)> = None;
        let mut out = Vec::with_capacity(ts.len());
        for i in 0..ts.len() {
            if ts.is_null(i) || zones.is_null(i) {
                out.push(None);
                continue;
            }
            let name = zones.value(i);
            let tz = match last {
                Some((n, tz)) if n == name => tz,
                _ => {
                    let tz: Tz = name
                        .parse()
                        .map_err(|_| format!("perx_local: unknown time zone {name:?}"))?;
                    last = Some((name, tz));
                    tz
                }
            };
            let utc = DateTime::from_timestamp_micros(ts.value(i))
                .ok_or("perx_local: timestamp out of range")?;
            let local = crate::core::timerange::to_local(utc, tz)
                .ok_or("perx_local: timestamp out of range for a local time")?;
            out.push(Some(local.and_utc().timestamp_micros()));
        }
        Ok(Arc::new(TimestampMicrosecondArray::from(out)))
    }

    fn signatures() -> Vec<ArrowFunctionSignature> {
        vec![ArrowFunctionSignature::exact(
            vec![
                DataType::Timestamp(TimeUnit::Microsecond, None),
                DataType::Utf8,
            ],
            DataType::Timestamp(TimeUnit::Microsecond, None),
        )]
    }
}

/// Registers [`LOCAL_FN`] on a connection.
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    conn.register_scalar_function::<LocalTime>(LOCAL_FN)
}

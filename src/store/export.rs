//! Reading tables out for other engines (the BigQuery sync): their columns, their rows as
//! newline-delimited JSON, what identifies their loaded data, and what was last synced.

use std::io::Write;

use chrono::DateTime;
use duckdb::types::{TimeUnit, ValueRef};
use serde_json::{Value, json};

use super::{SqlContext, Store, StoreError, query_all};

/// The CSV tables that can be exported by name (the only identifiers put into the SQL).
pub const EXPORTABLE: [&str; 4] = [
    "campaign",
    "reward_campaign",
    "reward_transaction",
    "campaign_reward_mapping",
];

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Name.
    pub name: String,
    /// DuckDB type (`BIGINT`, `VARCHAR`, `TIMESTAMP`, …).
    pub duck_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
}

/// The exportable table called `name`, as a `'static` name, or an error.
fn exportable(name: &str) -> Result<&'static str, StoreError> {
    EXPORTABLE
        .iter()
        .find(|t| **t == name)
        .copied()
        .ok_or_else(|| StoreError::Invalid(format!("{name} is not an exportable table")))
}

impl Store {
    /// The columns of `table`, in order.
    pub fn table_columns(&self, table: &str) -> Result<Vec<Column>, StoreError> {
        query_all(
            self.conn(),
            include_str!("../../sql/export/table_columns.sql"),
            [table],
            "reading a table's columns",
            |r| {
                Ok(Column {
                    name: r.get(0)?,
                    duck_type: r.get(1)?,
                    nullable: r.get(2)?,
                })
            },
        )
    }

    /// Writes every row of `table` (one of [`EXPORTABLE`]) as one JSON object per line;
    /// timestamps as RFC 3339 UTC with microseconds. Returns the rows written.
    pub fn write_ndjson(&self, table: &str, out: &mut dyn Write) -> Result<u64, StoreError> {
        let table = exportable(table)?;
        let columns = self.table_columns(table)?;
        let sql = include_str!("../../sql/export/table_rows.sql").replace("{table}", table);
        let mut stmt = self.conn().prepare(&sql).ctx("preparing an export")?;
        let mut rows = stmt.query([]).ctx("reading rows to export")?;
        let mut n = 0u64;
        let io = |e: std::io::Error| StoreError::Invalid(format!("writing {table} as JSON: {e}"));
        while let Some(r) = rows.next().ctx("reading rows to export")? {
            let mut obj = serde_json::Map::new();
            for (i, c) in columns.iter().enumerate() {
                let v = r.get_ref(i).ctx("reading a cell to export")?;
                obj.insert(c.name.clone(), json_value(v));
            }
            serde_json::to_writer(&mut *out, &Value::Object(obj))
                .map_err(|e| io(std::io::Error::other(e)))?;
            out.write_all(b"\n").map_err(io)?;
            n += 1;
        }
        Ok(n)
    }

    /// What identifies the data loaded into `table` (its manifest rows); empty when it was
    /// never loaded from a file.
    pub fn table_fingerprint(&self, table: &str) -> Result<String, StoreError> {
        self.conn()
            .query_row(
                include_str!("../../sql/export/table_fingerprint.sql"),
                [table],
                |r| r.get(0),
            )
            .ctx("reading a table's manifest")
    }

    /// The fingerprint last synced to `destination` (`project.dataset`) for `table`.
    pub fn synced_fingerprint(
        &self,
        destination: &str,
        table: &str,
    ) -> Result<Option<String>, StoreError> {
        self.ensure_sync_state()?;
        let found: Vec<String> = query_all(
            self.conn(),
            include_str!("../../sql/export/sync_state_get.sql"),
            [destination, table],
            "reading the sync state",
            |r| r.get::<_, String>(0),
        )?;
        Ok(found.into_iter().next())
    }

    /// Forgets what was synced to `destination` for the tables named like `pattern` (SQL
    /// LIKE): the log's batches, when the log is replaced.
    pub fn forget_syncs_like(&self, destination: &str, pattern: &str) -> Result<(), StoreError> {
        self.ensure_sync_state()?;
        self.conn()
            .execute(
                include_str!("../../sql/export/sync_state_forget_like.sql"),
                [destination, pattern],
            )
            .ctx("updating the sync state")?;
        Ok(())
    }

    /// The rows `perx load` put in the log (none when the log came only from ingests).
    pub fn loaded_log_rows(&self) -> Result<Option<u64>, StoreError> {
        let rows: Vec<i64> = query_all(
            self.conn(),
            include_str!("../../sql/export/loaded_log_rows.sql"),
            [],
            "reading the manifest",
            |r| r.get(0),
        )?;
        Ok(rows.first().map(|&n| n.max(0) as u64))
    }

    /// The ingest batches' archive files and their rows, in the order ingested.
    pub fn ingest_archive(&self) -> Result<Vec<(String, u64)>, StoreError> {
        query_all(
            self.conn(),
            include_str!("../../sql/ingest/ranges.sql"),
            [],
            "reading the ingest batches",
            |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(2)?.max(0) as u64)),
        )
    }

    /// Creates `bq_sync_state` when this database has never been synced.
    fn ensure_sync_state(&self) -> Result<(), StoreError> {
        self.conn()
            .execute_batch(include_str!("../../sql/export/sync_state_create.sql"))
            .ctx("creating the sync state")?;
        Ok(())
    }

    /// Every table synced to `destination` (`project.dataset`), by table name.
    pub fn sync_state(&self, destination: &str) -> Result<Vec<Synced>, StoreError> {
        self.ensure_sync_state()?;
        query_all(
            self.conn(),
            include_str!("../../sql/export/sync_state_all.sql"),
            [destination],
            "reading the sync state",
            |r| {
                Ok(Synced {
                    table: r.get(0)?,
                    fingerprint: r.get(1)?,
                    rows: r.get(2)?,
                    synced_at: r.get(3)?,
                })
            },
        )
    }

    /// Records that `table` was synced to `destination` with `fingerprint` and `rows`.
    pub fn record_sync(
        &self,
        destination: &str,
        table: &str,
        fingerprint: &str,
        rows: u64,
    ) -> Result<(), StoreError> {
        self.ensure_sync_state()?;
        self.conn()
            .execute(
                include_str!("../../sql/export/sync_state_forget.sql"),
                [destination, table],
            )
            .ctx("updating the sync state")?;
        self.conn()
            .execute(
                include_str!("../../sql/export/sync_state_insert.sql"),
                duckdb::params![destination, table, fingerprint, rows as i64],
            )
            .ctx("updating the sync state")?;
        Ok(())
    }
}

/// One table as last synced to a destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synced {
    /// The table.
    pub table: String,
    /// The fingerprint of the local data sent.
    pub fingerprint: String,
    /// Rows sent.
    pub rows: i64,
    /// When (UTC, as DuckDB writes it).
    pub synced_at: String,
}

/// A DuckDB value as JSON (what BigQuery's JSON loader reads).
fn json_value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Boolean(b) => json!(b),
        ValueRef::TinyInt(i) => json!(i),
        ValueRef::SmallInt(i) => json!(i),
        ValueRef::Int(i) => json!(i),
        ValueRef::BigInt(i) => json!(i),
        ValueRef::UTinyInt(i) => json!(i),
        ValueRef::USmallInt(i) => json!(i),
        ValueRef::UInt(i) => json!(i),
        ValueRef::UBigInt(i) => json!(i),
        ValueRef::Float(f) => json!(f),
        ValueRef::Double(f) => json!(f),
        ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
        ValueRef::Timestamp(unit, t) => {
            let micros = match unit {
                TimeUnit::Second => t.saturating_mul(1_000_000),
                TimeUnit::Millisecond => t.saturating_mul(1_000),
                TimeUnit::Microsecond => t,
                TimeUnit::Nanosecond => t / 1_000,
            };
            match DateTime::from_timestamp_micros(micros) {
                Some(d) => json!(d.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
                None => Value::Null,
            }
        }
        other => json!(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DbPath;

    #[test]
    fn rows_become_json_lines_with_utc_timestamps() {
        let s = Store::open(&DbPath::Memory).unwrap();
        s.conn()
            .execute_batch(
                "INSERT INTO campaign VALUES (2, 7, 'Seven', 'active', TIMESTAMP '2019-08-26 16:00:05.25'),
                                             (3, 8, 'Eight', NULL, NULL);",
            )
            .unwrap();
        let mut out = Vec::new();
        assert_eq!(s.write_ndjson("campaign", &mut out).unwrap(), 2);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let first: Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(
            first,
            json!({"line_no": 2, "id": 7, "name": "Seven", "status": "active",
                   "updated_at": "2019-08-26T16:00:05.250000Z"})
        );
        assert!(lines[1].contains(r#""status":null"#));
        let cols = s.table_columns("campaign").unwrap();
        assert_eq!(cols[4].duck_type, "TIMESTAMP");
        assert!(
            s.write_ndjson("load_reject; DROP TABLE x", &mut Vec::new())
                .is_err()
        );
    }

    #[test]
    fn sync_state_round_trips() {
        let s = Store::open(&DbPath::Memory).unwrap();
        assert_eq!(s.synced_fingerprint("p.d", "campaign").unwrap(), None);
        s.record_sync("p.d", "campaign", "abc", 4).unwrap();
        s.record_sync("p.d", "campaign", "def", 5).unwrap();
        assert_eq!(
            s.synced_fingerprint("p.d", "campaign").unwrap().as_deref(),
            Some("def")
        );
    }
}

//! The console's memory: the statements run (`ui_query_history`) and the catalog it
//! completes names from.

use chrono::Utc;

use crate::store::{SqlContext, Store, StoreError};

/// A table or view of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogTable {
    /// Its name.
    pub name: String,
    /// A view (else a table).
    pub view: bool,
    /// Its columns and their types.
    pub columns: Vec<(String, String)>,
}

impl Store {
    /// Tables and views with their columns and types: (table, kind, [(column, type)]).
    pub fn catalog(&self) -> Result<Vec<CatalogTable>, StoreError> {
        let rows: Vec<(String, String, String, String)> = crate::store::query_all(
            self.conn(),
            include_str!("../../../sql/query/catalog.sql"),
            [],
            "reading the catalog",
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let mut out: Vec<CatalogTable> = Vec::new();
        for (table, kind, column, ty) in rows {
            match out.last_mut() {
                Some(t) if t.name == table => t.columns.push((column, ty)),
                _ => out.push(CatalogTable {
                    name: table,
                    view: kind.contains("VIEW"),
                    columns: vec![(column, ty)],
                }),
            }
        }
        Ok(out)
    }

    /// Records one run in `ui_query_history`.
    pub(super) fn record_history(
        &self,
        sql: &str,
        ms: f64,
        rows: Option<i64>,
        error: Option<String>,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute_batch(include_str!("../../../sql/query/history_create.sql"))
            .ctx("creating the query history")?;
        self.conn()
            .execute(
                include_str!("../../../sql/query/history_add.sql"),
                duckdb::params![Utc::now().naive_utc(), sql, ms, rows, error],
            )
            .ctx("recording the query history")?;
        Ok(())
    }

    /// The most recent distinct statements of the history, newest first.
    pub fn query_history(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        self.conn()
            .execute_batch(include_str!("../../../sql/query/history_create.sql"))
            .ctx("creating the query history")?;
        crate::store::query_all(
            self.conn(),
            include_str!("../../../sql/query/history_recent.sql"),
            [limit as i64],
            "reading the query history",
            |r| r.get(0),
        )
    }
}

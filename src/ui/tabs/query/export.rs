//! The Query tab's exports: the whole result (or its filtered, sorted view) to CSV, JSON
//! or Parquet, written atomically, with the SQL in the provenance sidecar.

use std::path::Path;

use super::QueryTab;
use crate::store::Store;
use crate::store::query::{Held, ResultView};
use crate::ui::UiError;
use crate::ui::jobs::Work;
use crate::ui::strings::query as s;
use crate::ui::tabs::Done;
use crate::ui::tabs::Exporting;

impl QueryTab {
    pub(super) fn export_to(
        &self,
        _store: &Store,
        dir: &Path,
        ext: &'static str,
    ) -> Option<Exporting> {
        let shown = self.shown.as_ref()?;
        let path = crate::ui::tabs::export_path(dir, &format!("perx-query.{ext}"));
        let (sql_text, view, held) = (shown.sql.clone(), shown.view.clone(), shown.held.clone());
        Some(Exporting::Later(Work::new(
            s::EXPORTING,
            move |store, _| Done::Exported(export(store, &sql_text, &view, &held, &path, ext)),
        )))
    }
}

/// Writes the whole view of the result (or the held rows) to `path` as CSV, JSON or Parquet, with
/// the SQL in the provenance sidecar.
fn export(
    store: &Store,
    sql_text: &str,
    view: &ResultView,
    held: &Held,
    path: &Path,
    ext: &str,
) -> Result<crate::ui::tabs::Exported, UiError> {
    use crate::report::RowSink;
    use crate::report::output::{CsvSink, JsonSink};
    let shown = |e: std::io::Error| UiError::context(path.display(), e);
    let mut file = crate::atomic::AtomicFile::create(path).map_err(shown)?;
    let n = {
        let mut sink: Box<dyn RowSink + '_> = match ext {
            "json" => Box::new(JsonSink::new(&mut file)),
            "parquet" => Box::new(crate::store::parquet::ParquetSink::new(&mut file)),
            _ => Box::new(CsvSink::new(&mut file)),
        };
        match held {
            Held::Stored { .. } => store.export_view(view, &mut sink).map_err(UiError::from)?,
            Held::InMemory { columns, rows } => {
                let c = crate::report::Collected {
                    columns: columns.clone(),
                    rows: rows.clone(),
                };
                crate::report::RowSource::write_to(&c, &mut sink).map_err(shown)?
            }
        }
    };
    let mut prov = crate::store::provenance::Provenance::query(sql_text);
    if let Some((c, desc)) = view.sort {
        prov = prov.with("sort_column", c).with("descending", desc);
    }
    if let Some(f) = &view.filter {
        prov = prov.with("filter", f);
    }
    crate::ui::tabs::finish_export(store, file, n, Some(&prov))
}

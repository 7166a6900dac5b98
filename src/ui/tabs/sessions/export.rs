//! Exporting every session that matches the filters, in the current order, with its
//! provenance sidecar (a background job).

use std::path::PathBuf;

use crate::atomic::AtomicFile;
use crate::report::output::CsvSink;
use crate::store::Store;
use crate::store::provenance::Provenance;
use crate::store::session_browse::{SessionFilter, SessionSort};
use crate::ui::UiError;
use crate::ui::tabs::Exported;

/// Writes the sessions matching `filter` in `sort` order to `path`, with the provenance
/// sidecar.
pub(super) fn export_sessions(
    store: &Store,
    filter: &SessionFilter,
    sort: SessionSort,
    path: PathBuf,
) -> Result<Exported, UiError> {
    let mut file = AtomicFile::create(&path).map_err(|e| UiError::context(path.display(), e))?;
    let rows = store
        .session_export(filter, sort, &mut CsvSink::new(&mut file))
        .map_err(|e| UiError::context(path.display(), e))?;
    let prov = Provenance::session_export(filter, sort);
    crate::ui::tabs::finish_export(store, file, rows, Some(&prov))
}

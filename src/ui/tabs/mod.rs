//! One component per tab: its own state, key handling and drawing.

pub mod data;
pub mod engagement;
pub mod query;
pub mod recommend;
pub mod sessions;
pub mod weekly;

use std::path::{Path, PathBuf};

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::widgets::TableState;

use crate::atomic::AtomicFile;
use crate::report::RowSource;
use crate::report::output::CsvSink;
use crate::store::Store;
use crate::store::provenance::Provenance;
use crate::ui::UiError;
use crate::ui::jobs::Work;

/// A recommender ready to answer, with the titles of the movies.
pub type LoadedRecommender = (
    crate::core::recommend::Recommender,
    std::collections::HashMap<u32, crate::store::recommend::MovieInfo>,
);

/// What a finished job hands back to the tab that started it (the jobs carry it without
/// knowing what it is: `jobs::Running<TabId, Done>`).
pub enum Done {
    /// The session browser's cache is ready.
    Sessions(Result<(), UiError>),
    /// The sessions table is stored in the order asked for.
    SessionsSorted(Result<(), UiError>),
    /// The recommender and the movie titles.
    Recommender(Result<Box<LoadedRecommender>, UiError>),
    /// The data were reloaded from their sources, or new log files ingested; the text
    /// says what was done.
    Reloaded(Result<String, UiError>),
    /// An export was written.
    Exported(Result<Exported, UiError>),
    /// The Query tab's statement, view or frequency table is ready.
    Query(Box<crate::ui::tabs::query::QueryDone>),
    /// The reward recommender, fitted on the log.
    Rewards(Result<Box<crate::ui::tabs::recommend::LoadedRewards>, UiError>),
}

impl std::fmt::Debug for Done {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Done::Sessions(_) => "Done::Sessions",
            Done::SessionsSorted(_) => "Done::SessionsSorted",
            Done::Recommender(_) => "Done::Recommender",
            Done::Reloaded(_) => "Done::Reloaded",
            Done::Exported(_) => "Done::Exported",
            Done::Query(_) => "Done::Query",
            Done::Rewards(_) => "Done::Rewards",
        })
    }
}

/// The tabs, in the order they are shown and numbered. Adding a tab is adding it here
/// (and its component to [`crate::ui::App`], whose matches on `TabId` say where).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TabId {
    /// Report A1 with the date-range picker.
    Engagement,
    /// Report A2.
    Weekly,
    /// The session browser.
    Sessions,
    /// MovieLens recommendations.
    Recommend,
    /// Tables, sources and rejected lines.
    Data,
    /// The SQL console.
    Query,
}

impl TabId {
    /// Every tab, in order (the digit keys 1… follow it).
    pub const ALL: [TabId; 6] = [
        TabId::Engagement,
        TabId::Weekly,
        TabId::Sessions,
        TabId::Recommend,
        TabId::Data,
        TabId::Query,
    ];

    /// The title in the tab bar.
    pub fn title(self) -> &'static str {
        match self {
            TabId::Engagement => "Engagement",
            TabId::Weekly => "Weekly",
            TabId::Sessions => "Sessions",
            TabId::Recommend => "Recommend",
            TabId::Data => "Data",
            TabId::Query => "Query",
        }
    }

    /// Its place in [`TabId::ALL`] (0-based).
    pub fn index(self) -> usize {
        TabId::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// The tab at `i` (0-based), if any.
    pub fn at(i: usize) -> Option<TabId> {
        TabId::ALL.get(i).copied()
    }

    /// The next tab, wrapping around.
    pub fn next(self) -> TabId {
        TabId::ALL[(self.index() + 1) % TabId::ALL.len()]
    }

    /// The previous tab, wrapping around.
    pub fn prev(self) -> TabId {
        let n = TabId::ALL.len();
        TabId::ALL[(self.index() + n - 1) % n]
    }
}

/// A finished export: the CSV and its provenance sidecar, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The CSV file.
    pub path: PathBuf,
    /// Rows written.
    pub rows: u64,
    /// `PATH.meta.json`, for reports.
    pub meta: Option<PathBuf>,
}

/// Writes all of `rows` to `dir/name` as CSV (formula-defused like the CLI's), with the
/// provenance sidecar when `prov` is given. The file is written atomically and never
/// replaces an earlier export: when `name` is taken, `name-2.csv`, `name-3.csv`… is used.
pub fn export_csv(
    store: &Store,
    dir: &Path,
    name: &str,
    rows: &dyn RowSource,
    prov: Option<&Provenance>,
) -> Result<Exported, UiError> {
    let path = export_path(dir, name);
    let shown = |e: std::io::Error| UiError::context(path.display(), e);
    let mut file = AtomicFile::create(&path).map_err(shown)?;
    let n = rows.write_to(&mut CsvSink::new(&mut file)).map_err(shown)?;
    finish_export(store, file, n, prov)
}

/// A fresh path for an export called `name` (`perx-weekly.csv`) in `dir`.
pub fn export_path(dir: &Path, name: &str) -> PathBuf {
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, "csv"));
    crate::atomic::fresh_name(dir, stem, ext)
}

/// Writes the sidecar (when `prov` is given), then moves the complete export into place,
/// refusing to replace a file that appeared meanwhile.
pub fn finish_export(
    store: &Store,
    file: AtomicFile,
    rows: u64,
    prov: Option<&Provenance>,
) -> Result<Exported, UiError> {
    let path = file.path().to_owned();
    let meta = match prov {
        Some(p) => Some(
            store
                .write_provenance(&path, p, rows)
                .map_err(UiError::from)?,
        ),
        None => None,
    };
    file.commit_new()
        .map_err(|e| UiError::context(path.display(), e))?;
    Ok(Exported { path, rows, meta })
}

/// What a tab asks the app to do after a key.
#[derive(Debug)]
pub enum Outcome {
    /// The key was used (or ignored) by the tab.
    Done,
    /// The tab did not use the key: the app may (tab switching, quitting…).
    NotMine,
    /// Show an error.
    Error(UiError),
    /// Run this in the background; the result comes back to the tab's `on_done`.
    Spawn(Work<Done>),
    /// Open this MovieLens user in the Recommend tab.
    OpenUser(u32),
    /// Open this log user's reward recommendations in the Recommend tab.
    OpenRewards(String),
    /// The data were reloaded: every other tab starts afresh; the text says what happened.
    DataChanged(String),
    /// Put this text on the clipboard (OSC 52).
    Copy(String),
    /// Open the Query tab with this SQL in its editor.
    OpenQuery(String),
    /// Export the current view to JSON in the app's export folder ([`Tab::export_json`]).
    ExportJson,
    /// Export the current view to Parquet ([`Tab::export_parquet`]).
    ExportParquet,
}

/// An export: written at once, or long enough to run in the background (the result comes
/// back as [`Done::Exported`]).
#[derive(Debug)]
pub enum Exporting {
    /// Written.
    Now(Result<Exported, UiError>),
    /// To be written by this job.
    Later(Work<Done>),
}

/// What a key did to a text field being typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The text changed (a character typed or erased).
    Changed,
    /// Esc: leave the field.
    Cancelled,
    /// Enter: apply the text.
    Submitted,
    /// Any other key (ignored while typing).
    Other,
}

/// Applies `key` to the text of a field that has focus.
pub fn edit(text: &mut String, key: &KeyEvent) -> Edit {
    use ratatui::crossterm::event::KeyCode;
    match key.code {
        KeyCode::Char(c) if !c.is_control() => {
            text.push(c);
            Edit::Changed
        }
        KeyCode::Backspace => {
            text.pop();
            Edit::Changed
        }
        KeyCode::Esc => Edit::Cancelled,
        KeyCode::Enter => Edit::Submitted,
        _ => Edit::Other,
    }
}

/// A tab of the UI.
pub trait Tab {
    /// Whether a text field has focus (then plain keys are typed, not shortcuts).
    fn editing(&self) -> bool {
        false
    }
    /// Handles a key.
    fn on_key(&mut self, key: KeyEvent, store: &Store) -> Outcome;
    /// Whether Tab goes to the tab (an editor completing names) instead of switching tabs
    /// (Shift-Tab always switches).
    fn takes_tab_key(&self) -> bool {
        false
    }
    /// Called when the tab is shown (first time included): load what it needs.
    fn on_show(&mut self, store: &Store) -> Outcome;
    /// Draws the tab.
    fn render(&mut self, frame: &mut Frame, area: Rect);
    /// The tab's own keys and what they do, for the help overlay: printed from the
    /// keymap that dispatches them (see [`crate::ui::keymap`]).
    fn help(&self) -> Vec<(String, String)>;
    /// Writes the whole current view (not just the visible page) to CSV in `dir`;
    /// `None` when there is nothing to export.
    fn export(&self, store: &Store, dir: &Path) -> Option<Exporting>;
    /// As [`Tab::export`], to JSON, for the tabs that offer it (the Query tab's `J`).
    fn export_json(&self, _store: &Store, _dir: &Path) -> Option<Exporting> {
        None
    }
    /// As [`Tab::export`], to Parquet, for the tabs that offer it (the Query tab's `P`).
    fn export_parquet(&self, _store: &Store, _dir: &Path) -> Option<Exporting> {
        None
    }
    /// A background job the tab started has finished.
    fn on_done(&mut self, _done: Done, _store: &Store) -> Outcome {
        Outcome::Done
    }
    /// A background job the tab started was cancelled (or lost): it will not report.
    fn on_cancelled(&mut self) {}

    /// Takes in what the tab's own background reads brought (the app calls it on every
    /// turn of the event loop, before drawing).
    fn poll(&mut self) {}

    /// Whether the tab waits for a background read of its own (the event loop then wakes
    /// often enough to show it).
    fn waiting(&self) -> bool {
        false
    }

    /// Waits up to `limit` for the tab's background reads (tests, benchmarks).
    fn settle(&mut self, _limit: std::time::Duration) {}
    /// A click at (`column`, `row`) of the screen; tabs with lists select the row under it.
    fn on_click(&mut self, _column: u16, _row: u16, _store: &Store) -> Outcome {
        Outcome::NotMine
    }
    /// The selected row as cells of text (what `y` copies).
    fn selected_row(&self) -> Option<Vec<String>> {
        None
    }
}

/// The row under screen cell (`column`, `row`) of a bordered list drawn in `area` with
/// `header` heading lines, `offset` its first visible row, `len` its rows.
pub fn clicked_row(
    area: Rect,
    header: u16,
    offset: usize,
    len: usize,
    column: u16,
    row: u16,
) -> Option<usize> {
    let body_top = area.y + 1 + header;
    let inside = column > area.x
        && column < area.x + area.width.saturating_sub(1)
        && row >= body_top
        && row < area.y + area.height.saturating_sub(1);
    let i = offset + usize::from(row.saturating_sub(body_top));
    (inside && i < len).then_some(i)
}

/// Selects the row of a bordered table with a one-line header (drawn in `area`, `len`
/// rows) under a click; whether there was one.
pub fn select_clicked(
    table: &mut TableState,
    area: Rect,
    len: usize,
    column: u16,
    row: u16,
) -> bool {
    let hit = clicked_row(area, 1, table.offset(), len, column, row);
    if hit.is_some() {
        table.select(hit);
    }
    hit.is_some()
}

//! Query tab: a SQL console on the loaded database. An editor (tui-textarea: undo, emacs
//! keys; SQL highlighted from `core::sql`'s tokens), the catalog beside it, and a grid
//! that pages through the result kept in DuckDB (`store::query`): sort, filter, frequency
//! table, the whole cell, copy, export with the SQL as provenance. Statements run on the
//! worker thread (Esc cancels); DuckDB decides what a statement is, and one that changes
//! perx's tables waits for a `y`.

mod catalog;
mod chart;
mod editor;
mod export;
mod grid;
mod keys;
mod pages;
mod render;

use std::path::Path;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;

use super::{Exporting, Outcome, Tab};
use crate::report::Cell;
use crate::report::output::cell_text;
use crate::store::Store;
use crate::store::query::{
    CatalogTable, Checked, ConsoleSession, Frequency, Held, Preview, QueryError, ResultView,
    RunSummary, chart::ChartData, files::FileView, summary::ColumnSummary,
};
use crate::ui::jobs::Work;
use crate::ui::keymap;
use crate::ui::strings::query as s;
use crate::ui::tabs::Done;
use catalog::CatalogPane;
use editor::Editor;
use grid::{Grid, PAGE};
use keys::{EDITOR_KEYMAP, GRID_KEYMAP};
use pages::PageReader;

/// Statements recalled with ↑ at the editor's top line.
const HISTORY: usize = 200;
/// Values of a frequency table.
const FREQUENCY_VALUES: usize = 500;

/// What the background jobs of the tab bring back.
#[derive(Debug)]
pub enum QueryDone {
    /// A statement ran.
    Ran {
        /// The SQL.
        sql: String,
        /// Its result, or why not.
        result: Result<(Held, RunSummary), QueryError>,
        /// What the tab shows next, read by the job (not on the UI thread).
        after: AfterRun,
    },
    /// The sorted or filtered view is ready: its rows, and its first page (read by the job).
    View(Result<(u64, Vec<Vec<Cell>>), QueryError>),
    /// A frequency table.
    Frequency {
        /// The column.
        column: String,
        /// The table.
        result: Result<Frequency, QueryError>,
    },
    /// A column's summary.
    Summary(Result<ColumnSummary, QueryError>),
    /// Every column's summary.
    Describe(Result<Vec<ColumnSummary>, QueryError>),
    /// A chart of the result.
    Chart(Result<ChartData, QueryError>),
    /// A file opened as a view of the session.
    Opened(Result<FileView, QueryError>),
}

/// What a statement's job reads for the tab once the statement ran: the catalog (the
/// statement may have made or dropped a table; the session's temporary tables included),
/// the history, and the first page of a stored result.
#[derive(Debug, Default)]
pub struct AfterRun {
    catalog: Vec<CatalogTable>,
    history: Vec<String>,
    first_page: Vec<Vec<Cell>>,
}

impl AfterRun {
    /// Read on the job's connection after `result`.
    fn read(store: &Store, result: &Result<(Held, RunSummary), QueryError>) -> AfterRun {
        let first_page = match result {
            Ok((Held::Stored { .. }, _)) => store
                .result_page(&ResultView::default(), 0, PAGE)
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        // The history on a connection of its own, outside a transaction the session may
        // have open (whose snapshot would not see the statement just recorded).
        let history = store
            .try_clone()
            .and_then(|other| other.query_history(HISTORY))
            .unwrap_or_default();
        AfterRun {
            catalog: store.catalog().unwrap_or_default(),
            history,
            first_page,
        }
    }
}

/// Where the keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Focus {
    #[default]
    Editor,
    Grid,
    Catalog,
}

/// A text typed on the prompt line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prompt {
    /// A filter of the result (a SQL predicate, or text).
    Filter,
    /// A search of the history (Ctrl-R).
    History,
}

/// What is over the tab: at most one thing at a time, so a prompt, a confirmation, a
/// frequency table and a cell popup can never be open together.
#[derive(Debug, Default)]
enum Mode {
    /// The editor, the grid and the catalog.
    #[default]
    Normal,
    /// A statement waiting for `y` (it changes perx's tables).
    Confirm(String, Checked),
    /// A text being typed on the prompt line.
    Prompt(Prompt, String),
    /// A column's frequency table.
    Frequency(String, Frequency),
    /// A column's summary, and the top value picked (Enter filters the grid to it).
    Summary(Box<ColumnSummary>, usize),
    /// Every column's summary, one row each, and the row picked (Enter opens it).
    Describe(Vec<ColumnSummary>, usize),
    /// A chart of the result.
    Chart(Box<ChartData>),
    /// A cell shown whole.
    Cell(String),
}

/// The tab's state.
pub struct QueryTab {
    editor: Editor,
    focus: Focus,
    shown: Option<Grid>,
    /// DuckDB's message and the editor line it points at.
    error: Option<String>,
    message: Option<String>,
    /// The overlay, if any.
    mode: Mode,
    catalog: CatalogPane,
    /// The console's session: every statement of the tab runs on this one connection, so
    /// a temporary table, a `SET` or a `BEGIN` holds for the next statement.
    session: Option<ConsoleSession>,
    /// Where opened Avro files are converted to Parquet (lives as long as the tab).
    scratch: Option<tempfile::TempDir>,
    running: bool,
    /// The first rows of the statement running, handed over by the job before it has
    /// stored the rest.
    preview: std::sync::Arc<std::sync::Mutex<Option<Preview>>>,
    loaded: bool,
    /// Where the grid was drawn, for clicks.
    grid_area: Rect,
    /// Reads the grid's pages off the UI thread.
    pages: Option<PageReader>,
    /// Which result and view the grid shows (a page read for another is dropped).
    generation: u64,
}

impl std::fmt::Debug for QueryTab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryTab")
            .field("focus", &self.focus)
            .field("shown", &self.shown)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Default for QueryTab {
    fn default() -> Self {
        QueryTab::new()
    }
}

impl QueryTab {
    /// An empty console.
    pub fn new() -> QueryTab {
        QueryTab {
            editor: Editor::default(),
            focus: Focus::Editor,
            shown: None,
            error: None,
            message: None,
            mode: Mode::Normal,
            catalog: CatalogPane::default(),
            session: None,
            scratch: None,
            running: false,
            preview: Default::default(),
            loaded: false,
            grid_area: Rect::default(),
            pages: None,
            generation: 0,
        }
    }

    /// The editor's text.
    pub fn text(&self) -> String {
        self.editor.text()
    }

    /// Puts `sql` in the editor (the views' "open as SQL"), cursor at its end.
    pub fn set_text(&mut self, sql: &str) {
        self.editor.set_text(sql);
        self.focus = Focus::Editor;
        self.error = None;
    }

    /// The error under the editor, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The message line, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Rows of the result's view, if a result is shown.
    pub fn result_rows(&self) -> Option<u64> {
        self.shown.as_ref().map(|s| s.rows)
    }

    /// The rows read of the view (the current page).
    pub fn page(&self) -> Option<&[Vec<Cell>]> {
        self.shown.as_ref().map(|s| s.page.as_slice())
    }

    /// The selected cell: (row of the view, column).
    pub fn selected_cell(&self) -> Option<(u64, usize)> {
        self.shown.as_ref().map(|s| (s.row, s.col))
    }

    /// The result's column names.
    pub fn columns(&self) -> Vec<String> {
        self.shown.as_ref().map(Grid::columns).unwrap_or_default()
    }

    /// The first rows of the statement still running, if they have come.
    pub fn preview_rows(&self) -> Option<usize> {
        let p = self.preview.lock().ok()?;
        p.as_ref().map(|p| p.rows.len())
    }

    /// The frequency table shown, if any.
    pub fn frequency(&self) -> Option<&Frequency> {
        match &self.mode {
            Mode::Frequency(_, f) => Some(f),
            _ => None,
        }
    }

    /// The column summary shown, if any, and the top value picked.
    pub fn summary(&self) -> Option<(&ColumnSummary, usize)> {
        match &self.mode {
            Mode::Summary(summary, at) => Some((summary, *at)),
            _ => None,
        }
    }

    /// The chart shown, if any.
    pub fn chart(&self) -> Option<&ChartData> {
        match &self.mode {
            Mode::Chart(data) => Some(data),
            _ => None,
        }
    }

    /// Every column's summary shown, if any, and the row picked.
    pub fn described(&self) -> Option<(&[ColumnSummary], usize)> {
        match &self.mode {
            Mode::Describe(all, at) => Some((all, *at)),
            _ => None,
        }
    }

    /// The statement waiting for confirmation, if any.
    pub fn confirming(&self) -> Option<&Checked> {
        match &self.mode {
            Mode::Confirm(_, c) => Some(c),
            _ => None,
        }
    }

    /// Opens `path` (CSV, Parquet, JSON, Avro) as a temporary view of the tab's session
    /// and shows it: the view's statement goes in the editor and runs.
    pub fn open_file(&mut self, path: &Path, store: &Store) -> Outcome {
        if !self.loaded {
            self.load(store);
        }
        if self.scratch.is_none() {
            match crate::store::query::files::scratch_dir() {
                Ok(d) => self.scratch = Some(d),
                Err(e) => return Outcome::Error(crate::ui::UiError::msg(e.to_string())),
            }
        }
        let scratch = self
            .scratch
            .as_ref()
            .map(|d| d.path().to_owned())
            .unwrap_or_default();
        let path = path.to_owned();
        self.running = true;
        let work = Work::new(s::OPENING, move |store, _| {
            Done::Query(Box::new(QueryDone::Opened(
                store.open_file(&path, &scratch),
            )))
        });
        Outcome::Spawn(match &self.session {
            Some(session) => work.on(session.clone()),
            None => work,
        })
    }

    /// The editor's cursor (line, column), 0-based.
    pub fn cursor(&self) -> (usize, usize) {
        self.editor.cursor()
    }

    fn load(&mut self, store: &Store) {
        self.loaded = true;
        match ConsoleSession::new(store).and_then(|s| Ok((s, PageReader::start(store)?))) {
            Ok((s, pages)) => {
                self.session = Some(s);
                self.pages = Some(pages);
            }
            Err(e) => self.error = Some(crate::error_chain(&e)),
        }
        // Read off the UI thread, once; after that each statement's job reads them.
        if let Some(reader) = self.pages.as_mut() {
            reader.request_catalog(HISTORY);
        }
    }

    /// The catalog, and the names the editor completes from it.
    fn set_catalog(&mut self, catalog: Vec<CatalogTable>) {
        self.catalog.set(catalog);
        self.editor.set_names(self.catalog.names());
    }

    fn run(&mut self, sql_text: String, confirmed: bool) -> Outcome {
        self.error = None;
        self.message = None;
        self.mode = Mode::Normal;
        self.running = true;
        self.editor.forget_recall();
        let preview = std::sync::Arc::clone(&self.preview);
        if let Ok(mut p) = preview.lock() {
            *p = None;
        }
        let work = Work::new(s::RUNNING, move |store, _| {
            let mut show = |p: Preview| {
                if let Ok(mut slot) = preview.lock() {
                    *slot = Some(p);
                }
            };
            let result = store.run_into_result(&sql_text, confirmed, &mut show);
            let after = AfterRun::read(store, &result);
            Done::Query(Box::new(QueryDone::Ran {
                sql: sql_text,
                result,
                after,
            }))
        });
        Outcome::Spawn(match &self.session {
            Some(session) => work.on(session.clone()),
            None => work,
        })
    }

    /// Asks the page reader for the page the grid needs, if any.
    fn ensure_page(&mut self) {
        let (Some(grid), Some(pages)) = (self.shown.as_ref(), self.pages.as_mut()) else {
            return;
        };
        if let Some(start) = grid.page_needed() {
            pages.request(self.generation, &grid.view, start, PAGE);
        }
    }

    /// Takes in what the reader brought: a page for the grid (if it is for what the grid
    /// shows), or the catalog and the history.
    fn take_page(&mut self, reply: pages::Reply) {
        match reply {
            pages::Reply::Page {
                generation,
                start,
                page,
            } => {
                if generation != self.generation {
                    return;
                }
                match (page, self.shown.as_mut()) {
                    (Ok(page), Some(grid)) => grid.set_page(start, page),
                    (Ok(_), None) => {}
                    (Err(e), _) => self.error = Some(e.to_string()),
                }
            }
            pages::Reply::Catalog(Ok((catalog, history))) => {
                self.set_catalog(catalog);
                self.editor.set_history(history);
            }
            pages::Reply::Catalog(Err(e)) => self.error = Some(crate::error_chain(&e)),
        }
    }

    fn show_result(
        &mut self,
        sql_text: String,
        held: Held,
        summary: RunSummary,
        first_page: Vec<Vec<Cell>>,
    ) {
        let (page, rows) = match &held {
            Held::Stored { .. } => (first_page, summary.rows),
            Held::InMemory { rows, .. } => (rows.clone(), rows.len() as u64),
        };
        self.message = Some(s::ran(summary.kind.name(), summary.rows, summary.seconds));
        self.generation += 1;
        self.shown = Some(Grid::new(sql_text, held, summary, rows, page));
    }

    fn current_cell(&self) -> Option<Cell> {
        self.shown.as_ref()?.current_cell()
    }
}

impl Tab for QueryTab {
    fn editing(&self) -> bool {
        self.focus == Focus::Editor || matches!(self.mode, Mode::Prompt(..) | Mode::Confirm(..))
    }

    fn takes_tab_key(&self) -> bool {
        self.focus == Focus::Editor && !matches!(self.mode, Mode::Prompt(..) | Mode::Confirm(..))
    }

    fn on_show(&mut self, store: &Store) -> Outcome {
        if !self.loaded {
            self.load(store);
        }
        Outcome::Done
    }

    fn on_key(&mut self, key: KeyEvent, store: &Store) -> Outcome {
        if let Some(sql_text) = self.take_confirm() {
            return match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => self.run(sql_text, true),
                _ => {
                    self.message = Some(s::NOT_RUN.to_owned());
                    Outcome::Done
                }
            };
        }
        if matches!(self.mode, Mode::Prompt(..)) {
            return self.prompt_key(key, store);
        }
        if matches!(self.mode, Mode::Summary(..)) {
            return self.summary_key(key);
        }
        if matches!(self.mode, Mode::Describe(..)) {
            return self.describe_key(key);
        }
        if matches!(self.mode, Mode::Chart(..)) {
            return self.chart_key(key);
        }
        if self.running && key.code == KeyCode::Esc {
            return Outcome::NotMine;
        }
        match self.focus {
            Focus::Editor => self.editor_key(key),
            Focus::Catalog => self.catalog_key(key),
            Focus::Grid => self.grid_key(key),
        }
    }

    fn on_done(&mut self, done: Done, _store: &Store) -> Outcome {
        self.running = false;
        let Done::Query(done) = done else {
            return Outcome::Done;
        };
        match *done {
            QueryDone::Ran { sql, result, after } => {
                self.editor.set_history(after.history);
                self.set_catalog(after.catalog);
                match result {
                    Ok((held, summary)) => {
                        self.show_result(sql, held, summary, after.first_page);
                        self.focus = Focus::Grid;
                    }
                    Err(QueryError::Refused(checked)) => {
                        self.mode = Mode::Confirm(sql, checked);
                    }
                    Err(QueryError::Cancelled) => self.message = Some(s::CANCELLED.to_owned()),
                    Err(QueryError::Sql {
                        message,
                        line,
                        column,
                    }) => {
                        // DuckDB's line is the statement's: found in the editor's text.
                        if let Some(l) = line {
                            self.move_to_statement_line(&sql, l, column.unwrap_or(0));
                        }
                        self.error = Some(message);
                    }
                    Err(e) => self.error = Some(e.to_string()),
                }
            }
            QueryDone::View(result) => match result {
                Ok((rows, first_page)) => {
                    self.generation += 1;
                    if let Some(grid) = self.shown.as_mut() {
                        grid.reset(rows, first_page);
                    }
                }
                Err(e) => self.error = Some(e.to_string()),
            },
            QueryDone::Frequency { column, result } => match result {
                Ok(f) => self.mode = Mode::Frequency(column, f),
                Err(e) => self.error = Some(e.to_string()),
            },
            QueryDone::Summary(result) => match result {
                Ok(summary) => self.mode = Mode::Summary(Box::new(summary), 0),
                Err(e) => self.error = Some(e.to_string()),
            },
            QueryDone::Describe(result) => match result {
                Ok(all) => self.mode = Mode::Describe(all, 0),
                Err(e) => self.error = Some(e.to_string()),
            },
            QueryDone::Chart(result) => match result {
                Ok(data) => self.mode = Mode::Chart(Box::new(data)),
                Err(e) => self.error = Some(e.to_string()),
            },
            QueryDone::Opened(result) => match result {
                Ok(view) => {
                    // The view's statement stays in sight, above the one that shows it.
                    self.editor
                        .set_text(&format!("{};\n{}", view.create, view.select));
                    let outcome = self.run(view.select.clone(), false);
                    self.message = Some(s::opened(&view.name, &view.create));
                    return outcome;
                }
                Err(e) => self.error = Some(e.to_string()),
            },
        }
        Outcome::Done
    }

    fn on_cancelled(&mut self) {
        self.running = false;
    }

    fn render(&mut self, frame: &mut Frame, area: Rect) {
        self.draw(frame, area);
    }

    fn help(&self) -> Vec<(String, String)> {
        let mut rows = keymap::help(EDITOR_KEYMAP);
        rows.push((
            "Ctrl-A Ctrl-E Ctrl-K …".to_owned(),
            "editor: the usual editing keys (emacs/readline)".to_owned(),
        ));
        rows.extend(keymap::help(GRID_KEYMAP));
        rows
    }

    fn export(&self, store: &Store, dir: &Path) -> Option<Exporting> {
        if matches!(self.mode, Mode::Chart(..)) {
            return self.export_chart(dir);
        }
        self.export_to(store, dir, "csv")
    }

    fn export_json(&self, store: &Store, dir: &Path) -> Option<Exporting> {
        self.export_to(store, dir, "json")
    }

    fn export_parquet(&self, store: &Store, dir: &Path) -> Option<Exporting> {
        self.export_to(store, dir, "parquet")
    }

    fn selected_row(&self) -> Option<Vec<String>> {
        Some(
            self.shown
                .as_ref()?
                .current_row()?
                .iter()
                .map(cell_text)
                .collect(),
        )
    }

    fn on_click(&mut self, _column: u16, row: u16, _store: &Store) -> Outcome {
        let area = self.grid_area;
        let Some(grid) = self.shown.as_mut() else {
            return Outcome::NotMine;
        };
        if !grid.click(area, row) {
            return Outcome::NotMine;
        }
        self.focus = Focus::Grid;
        self.ensure_page();
        Outcome::Done
    }

    fn poll(&mut self) {
        while let Some(reply) = self.pages.as_mut().and_then(PageReader::poll) {
            self.take_page(reply);
        }
    }

    fn waiting(&self) -> bool {
        self.pages.as_ref().is_some_and(PageReader::pending)
    }

    fn settle(&mut self, limit: std::time::Duration) {
        while let Some(reply) = self.pages.as_mut().and_then(|p| p.wait(limit)) {
            self.take_page(reply);
        }
    }
}

impl QueryTab {
    /// The statement waiting for `y`, taken (any other overlay stays).
    fn take_confirm(&mut self) -> Option<String> {
        match std::mem::take(&mut self.mode) {
            Mode::Confirm(sql, _) => Some(sql),
            other => {
                self.mode = other;
                None
            }
        }
    }

    /// Puts the editor's cursor on line `line` (1-based) of the statement that ran.
    fn move_to_statement_line(&mut self, sql_text: &str, line: usize, column: usize) {
        self.editor.move_to_statement_line(sql_text, line, column);
        self.focus = Focus::Editor;
    }
}

//! Query tab: a SQL console on the loaded database. An editor (tui-textarea: undo, emacs
//! keys; SQL highlighted from `core::sql`'s tokens), the catalog beside it, and a grid
//! that pages through the result kept in DuckDB (`store::query`): sort, filter, frequency
//! table, the whole cell, copy, export with the SQL as provenance. Statements run on the
//! worker thread (Esc cancels); DuckDB decides what a statement is, and one that changes
//! perx's tables waits for a `y`.

mod export;
mod keys;
mod render;

use std::path::Path;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::widgets::ListState;
use tui_textarea::{CursorMove, TextArea};

use super::{Exporting, Outcome, Tab};
use crate::core::sql;
use crate::report::Cell;
use crate::report::output::cell_text;
use crate::store::Store;
use crate::store::query::{
    CatalogTable, Checked, ConsoleSession, Frequency, Held, Preview, QueryError, ResultView,
    RunSummary,
};
use crate::ui::UiError;
use crate::ui::jobs::Work;
use crate::ui::keymap;
use crate::ui::strings::query as s;
use crate::ui::tabs::Done;
use keys::{EDITOR_KEYMAP, GRID_KEYMAP};

/// Rows read from DuckDB per page of the grid.
const PAGE: usize = 200;
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
    },
    /// The sorted or filtered view is ready; its rows.
    View(Result<u64, QueryError>),
    /// A frequency table.
    Frequency {
        /// The column.
        column: String,
        /// The table.
        result: Result<Frequency, QueryError>,
    },
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

/// The result on show.
#[derive(Debug)]
struct Shown {
    sql: String,
    held: Held,
    summary: RunSummary,
    view: ResultView,
    /// Rows of the view.
    rows: u64,
    /// The page read, and where it starts.
    page: Vec<Vec<Cell>>,
    page_start: u64,
    /// The selected cell (row of the view, column).
    row: u64,
    col: usize,
    /// The first column shown after the frozen first one.
    first_col: usize,
    /// Rows shown at once (set when drawn).
    visible: usize,
}

/// The tab's state.
pub struct QueryTab {
    editor: TextArea<'static>,
    focus: Focus,
    shown: Option<Shown>,
    /// DuckDB's message and the editor line it points at.
    error: Option<String>,
    message: Option<String>,
    /// A statement waiting for `y` (it changes perx's tables).
    confirm: Option<(String, Checked)>,
    prompt: Option<(Prompt, String)>,
    frequency: Option<(String, Frequency)>,
    /// A cell shown whole.
    cell: Option<String>,
    catalog: Vec<CatalogTable>,
    catalog_open: bool,
    catalog_list: ListState,
    /// Names completed with Tab: tables, columns, keywords.
    names: Vec<String>,
    /// The completions offered, and which one is in the editor.
    completing: Option<(Vec<String>, usize, String)>,
    history: Vec<String>,
    /// Where ↑/↓ are in the history (0 = the newest).
    recalled: Option<usize>,
    /// Where in the editor's text the statement run last starts (its error's line is
    /// counted from there, not from the first identical text).
    ran_from: Option<usize>,
    /// The console's session: every statement of the tab runs on this one connection, so
    /// a temporary table, a `SET` or a `BEGIN` holds for the next statement.
    session: Option<ConsoleSession>,
    running: bool,
    /// The first rows of the statement running, handed over by the job before it has
    /// stored the rest.
    preview: std::sync::Arc<std::sync::Mutex<Option<Preview>>>,
    loaded: bool,
    /// Where the grid was drawn, for clicks.
    grid_area: Rect,
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
        let mut editor = TextArea::default();
        editor.set_line_number_style(
            ratatui::style::Style::default().fg(ratatui::style::Color::DarkGray),
        );
        editor.set_placeholder_text(s::PLACEHOLDER);
        editor.set_max_histories(200);
        QueryTab {
            editor,
            focus: Focus::Editor,
            shown: None,
            error: None,
            message: None,
            confirm: None,
            prompt: None,
            frequency: None,
            cell: None,
            catalog: Vec::new(),
            catalog_open: true,
            catalog_list: ListState::default(),
            names: Vec::new(),
            completing: None,
            history: Vec::new(),
            recalled: None,
            ran_from: None,
            session: None,
            running: false,
            preview: Default::default(),
            loaded: false,
            grid_area: Rect::default(),
        }
    }

    /// The editor's text.
    pub fn text(&self) -> String {
        self.editor.lines().join("\n")
    }

    /// Puts `sql` in the editor (the views' "open as SQL"), cursor at its end.
    pub fn set_text(&mut self, sql: &str) {
        let lines: Vec<String> = sql.lines().map(str::to_owned).collect();
        let last = lines.len().saturating_sub(1);
        let col = lines.last().map_or(0, |l| l.chars().count());
        self.editor.set_lines(lines, (last, col));
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
        match self.shown.as_ref().map(|s| &s.held) {
            Some(Held::Stored { columns }) => columns.iter().map(|(c, _)| c.clone()).collect(),
            Some(Held::InMemory { columns, .. }) => columns.clone(),
            None => Vec::new(),
        }
    }

    /// The first rows of the statement still running, if they have come.
    pub fn preview_rows(&self) -> Option<usize> {
        let p = self.preview.lock().ok()?;
        p.as_ref().map(|p| p.rows.len())
    }

    /// The frequency table shown, if any.
    pub fn frequency(&self) -> Option<&Frequency> {
        self.frequency.as_ref().map(|(_, f)| f)
    }

    /// The statement waiting for confirmation, if any.
    pub fn confirming(&self) -> Option<&Checked> {
        self.confirm.as_ref().map(|(_, c)| c)
    }

    /// The editor's cursor (line, column), 0-based.
    pub fn cursor(&self) -> (usize, usize) {
        self.editor.cursor()
    }

    fn load(&mut self, store: &Store) {
        self.loaded = true;
        match ConsoleSession::new(store) {
            Ok(s) => self.session = Some(s),
            Err(e) => self.error = Some(crate::error_chain(&e)),
        }
        self.reload_catalog(store);
        self.history = store.query_history(HISTORY).unwrap_or_default();
    }

    fn reload_catalog(&mut self, store: &Store) {
        self.catalog = store.catalog().unwrap_or_default();
        let mut names: Vec<String> = Vec::new();
        for t in &self.catalog {
            names.push(t.name.clone());
            names.extend(t.columns.iter().map(|(c, _)| c.clone()));
        }
        names.extend(sql::KEYWORDS.iter().map(|k| k.to_string()));
        names.sort();
        names.dedup();
        self.names = names;
    }

    /// The statement to run and where it starts in the editor's text: the selection, else
    /// the one under the cursor.
    pub(super) fn statement(&self) -> Option<(usize, String)> {
        let text = self.text();
        let (a, b) = match self.editor.selection_range() {
            Some(((r1, c1), (r2, c2))) => {
                let (a, b) = (sql::offset_of(&text, r1, c1), sql::offset_of(&text, r2, c2));
                (a.min(b), a.max(b))
            }
            None => {
                let (row, col) = self.editor.cursor();
                sql::statement_at(&text, sql::offset_of(&text, row, col))?
            }
        };
        let span = text.get(a..b)?;
        let picked = span.trim();
        let start = a + (span.len() - span.trim_start().len());
        (!picked.is_empty()).then(|| (start, picked.to_owned()))
    }

    fn run(&mut self, sql_text: String, confirmed: bool) -> Outcome {
        self.error = None;
        self.message = None;
        self.confirm = None;
        self.frequency = None;
        self.running = true;
        self.recalled = None;
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
            Done::Query(Box::new(QueryDone::Ran {
                sql: sql_text,
                result,
            }))
        });
        Outcome::Spawn(match &self.session {
            Some(session) => work.on(session.clone()),
            None => work,
        })
    }

    /// Reads the page holding `row` of the view when it is not the one held.
    fn ensure_page(&mut self, store: &Store) -> Result<(), QueryError> {
        let Some(shown) = self.shown.as_mut() else {
            return Ok(());
        };
        let Held::Stored { .. } = shown.held else {
            return Ok(());
        };
        // The rows on screen: the screenful holding the selected row.
        let visible = shown.visible.max(1) as u64;
        let top = shown.row - shown.row % visible;
        let want_end = (top + visible).min(shown.rows);
        let end = shown.page_start + shown.page.len() as u64;
        if top >= shown.page_start && want_end <= end && !shown.page.is_empty() {
            return Ok(());
        }
        let start = top.saturating_sub(PAGE as u64 / 4);
        shown.page = store.result_page(&shown.view, start, PAGE)?;
        shown.page_start = start;
        Ok(())
    }

    fn show_result(&mut self, store: &Store, sql_text: String, held: Held, summary: RunSummary) {
        let (page, rows) = match &held {
            Held::Stored { .. } => (
                store
                    .result_page(&ResultView::default(), 0, PAGE)
                    .unwrap_or_default(),
                summary.rows,
            ),
            Held::InMemory { rows, .. } => (rows.clone(), rows.len() as u64),
        };
        self.message = Some(s::ran(summary.kind.name(), summary.rows, summary.seconds));
        self.shown = Some(Shown {
            sql: sql_text,
            held,
            summary,
            view: ResultView::default(),
            rows,
            page,
            page_start: 0,
            row: 0,
            col: 0,
            first_col: 0,
            visible: 10,
        });
        // A statement may have made or dropped tables.
        self.reload_catalog(store);
    }

    fn current_cell(&self) -> Option<Cell> {
        let s = self.shown.as_ref()?;
        let i = usize::try_from(s.row.checked_sub(s.page_start)?).ok()?;
        s.page.get(i)?.get(s.col).cloned()
    }

    /// The catalog as lines: each table, then its columns (indented), with what Enter
    /// inserts.
    fn catalog_lines(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for t in &self.catalog {
            let label = if t.view {
                format!("{} (view)", t.name)
            } else {
                t.name.clone()
            };
            out.push((t.name.clone(), label));
            for (c, ty) in &t.columns {
                out.push((c.clone(), format!("  {c} {}", ty.to_lowercase())));
            }
        }
        out
    }
}

impl Tab for QueryTab {
    fn editing(&self) -> bool {
        self.focus == Focus::Editor || self.prompt.is_some() || self.confirm.is_some()
    }

    fn takes_tab_key(&self) -> bool {
        self.focus == Focus::Editor && self.prompt.is_none() && self.confirm.is_none()
    }

    fn on_show(&mut self, store: &Store) -> Outcome {
        if !self.loaded {
            self.load(store);
        }
        Outcome::Done
    }

    fn on_key(&mut self, key: KeyEvent, store: &Store) -> Outcome {
        if let Some((sql_text, _)) = self.confirm.take() {
            return match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => self.run(sql_text, true),
                _ => {
                    self.message = Some(s::NOT_RUN.to_owned());
                    Outcome::Done
                }
            };
        }
        if self.prompt.is_some() {
            return self.prompt_key(key, store);
        }
        if self.running && key.code == KeyCode::Esc {
            return Outcome::NotMine;
        }
        match self.focus {
            Focus::Editor => self.editor_key(key),
            Focus::Catalog => self.catalog_key(key),
            Focus::Grid => self.grid_key(key, store),
        }
    }

    fn on_done(&mut self, done: Done, store: &Store) -> Outcome {
        self.running = false;
        let Done::Query(done) = done else {
            return Outcome::Done;
        };
        match *done {
            QueryDone::Ran { sql, result } => {
                self.history = store.query_history(HISTORY).unwrap_or_default();
                match result {
                    Ok((held, summary)) => {
                        self.show_result(store, sql, held, summary);
                        self.focus = Focus::Grid;
                    }
                    Err(QueryError::Refused(checked)) => {
                        self.confirm = Some((sql, checked));
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
                Ok(rows) => {
                    if let Some(shown) = self.shown.as_mut() {
                        shown.rows = rows;
                        shown.row = 0;
                        shown.page.clear();
                    }
                    if let Err(e) = self.ensure_page(store) {
                        return Outcome::Error(UiError::from(e));
                    }
                }
                Err(e) => self.error = Some(e.to_string()),
            },
            QueryDone::Frequency { column, result } => match result {
                Ok(f) => self.frequency = Some((column, f)),
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
        self.export_to(store, dir, "csv")
    }

    fn export_json(&self, store: &Store, dir: &Path) -> Option<Exporting> {
        self.export_to(store, dir, "json")
    }

    fn selected_row(&self) -> Option<Vec<String>> {
        let s = self.shown.as_ref()?;
        let i = usize::try_from(s.row.checked_sub(s.page_start)?).ok()?;
        Some(s.page.get(i)?.iter().map(cell_text).collect())
    }

    fn on_click(&mut self, _column: u16, row: u16, store: &Store) -> Outcome {
        let area = self.grid_area;
        let Some(shown) = self.shown.as_mut() else {
            return Outcome::NotMine;
        };
        // Border and heading above the first row.
        if row < area.y + 2 || row >= area.y + area.height.saturating_sub(1) {
            return Outcome::NotMine;
        }
        let first = shown
            .row
            .saturating_sub(shown.row % shown.visible.max(1) as u64);
        let target = first + u64::from(row - area.y - 2);
        if target < shown.rows {
            shown.row = target;
            self.focus = Focus::Grid;
            if let Err(e) = self.ensure_page(store) {
                return Outcome::Error(UiError::from(e));
            }
            return Outcome::Done;
        }
        Outcome::NotMine
    }
}

impl QueryTab {
    /// Moves the editor's cursor to line `line` (1-based) of the statement `sql_text`: the
    /// one that ran (where it started, if the text there is still that statement), else
    /// its first copy in the editor's text.
    fn move_to_statement_line(&mut self, sql_text: &str, line: usize, column: usize) {
        let text = self.text();
        let ran = self
            .ran_from
            .filter(|&a| text.get(a..).is_some_and(|t| t.starts_with(sql_text)));
        let Some(start) = ran.or_else(|| text.find(sql_text)) else {
            return;
        };
        let (first, first_col) = sql::line_col(&text, start);
        let target = first + line - 1;
        // On the statement's first line, DuckDB's columns start where the statement does.
        let col = if line == 1 {
            first_col + column
        } else {
            column
        };
        let row = u16::try_from(target).unwrap_or(u16::MAX);
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        self.editor.move_cursor(CursorMove::Jump(row, col));
        self.focus = Focus::Editor;
    }
}

//! Query tab: a SQL console on the loaded database. An editor (tui-textarea: undo, emacs
//! keys; SQL highlighted from `core::sql`'s tokens), the catalog beside it, and a grid
//! that pages through the result kept in DuckDB (`store::query`): sort, filter, frequency
//! table, the whole cell, copy, export with the SQL as provenance. Statements run on the
//! worker thread (Esc cancels); DuckDB decides what a statement is, and one that changes
//! perx's tables waits for a `y`.

mod render;

use std::path::Path;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::widgets::ListState;
use tui_textarea::{CursorMove, TextArea};

use super::{Edit, Exporting, Outcome, Tab, edit};
use crate::core::sql;
use crate::report::Cell;
use crate::report::output::cell_text;
use crate::store::Store;
use crate::store::query::{
    CatalogTable, Checked, Frequency, Held, Preview, QueryError, ResultView, RunSummary,
};
use crate::ui::UiError;
use crate::ui::jobs::{Done, Work};
use crate::ui::keymap::{self, Binding, MOVE_KEYS, Move, ch, ctrl, key};
use crate::ui::strings::query as s;

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

/// What the grid's keys do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Move,
    Left,
    Right,
    Cell,
    Sort,
    Filter,
    Frequency,
    CopyCell,
    Json,
    Edit,
    Catalog,
    Back,
}

const GRID_KEYMAP: &[Binding<Command>] = &[
    Binding {
        keys: MOVE_KEYS,
        command: Command::Move,
        help: "grid: move between rows (pages are read from DuckDB as needed)",
    },
    Binding {
        keys: &[key(KeyCode::Left), ch('h')],
        command: Command::Left,
        help: "grid: the column to the left",
    },
    Binding {
        keys: &[key(KeyCode::Right), ch('l')],
        command: Command::Right,
        help: "grid: the column to the right (the first column stays)",
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        command: Command::Cell,
        help: "grid: show the cell whole",
    },
    Binding {
        keys: &[ch('s')],
        command: Command::Sort,
        help: "grid: sort by this column: ascending, descending, as run",
    },
    Binding {
        keys: &[ch('/')],
        command: Command::Filter,
        help: "grid: filter rows by a SQL predicate (status = 'active') or by text; empty clears",
    },
    Binding {
        keys: &[ch('F')],
        command: Command::Frequency,
        help: "grid: frequency table of this column (value, count, %)",
    },
    Binding {
        keys: &[ch('c')],
        command: Command::CopyCell,
        help: "grid: copy the cell (y copies the row)",
    },
    Binding {
        keys: &[ch('J')],
        command: Command::Json,
        help: "export the whole result to JSON (x: to CSV)",
    },
    Binding {
        keys: &[ch('i'), ch('e')],
        command: Command::Edit,
        help: "back to the editor",
    },
    Binding {
        keys: &[key(KeyCode::F(2))],
        command: Command::Catalog,
        help: "show or hide the catalog (Enter there puts the name in the editor)",
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        command: Command::Back,
        help: "close the cell, the frequency table or the filter",
    },
];

/// What the editor's own keys do (the rest edit the text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EditorCommand {
    Run,
    Complete,
    History,
    Undo,
    Redo,
    Catalog,
    Leave,
}

const EDITOR_KEYMAP: &[Binding<EditorCommand>] = &[
    Binding {
        keys: &[ctrl('j'), key(KeyCode::F(5))],
        command: EditorCommand::Run,
        help: "editor: run the statement under the cursor (or the selection)",
    },
    Binding {
        keys: &[key(KeyCode::Tab)],
        command: EditorCommand::Complete,
        help: "editor: complete a table, column or keyword (again: the next one)",
    },
    Binding {
        keys: &[ctrl('r')],
        command: EditorCommand::History,
        help: "editor: search the statements run before (↑ ↓ at the top and bottom line recall them)",
    },
    Binding {
        keys: &[ctrl('z')],
        command: EditorCommand::Undo,
        help: "editor: undo",
    },
    Binding {
        keys: &[ctrl('y')],
        command: EditorCommand::Redo,
        help: "editor: redo",
    },
    Binding {
        keys: &[key(KeyCode::F(2))],
        command: EditorCommand::Catalog,
        help: "editor: show or hide the catalog",
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        command: EditorCommand::Leave,
        help: "editor: leave (to the grid; the digit keys switch tabs again)",
    },
];

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

    /// The statement to run: the selection, else the one under the cursor.
    fn statement(&self) -> Option<String> {
        let text = self.text();
        if let Some(((r1, c1), (r2, c2))) = self.editor.selection_range() {
            let (a, b) = (sql::offset_of(&text, r1, c1), sql::offset_of(&text, r2, c2));
            let picked = text.get(a.min(b)..a.max(b))?.trim();
            return (!picked.is_empty()).then(|| picked.to_owned());
        }
        let (row, col) = self.editor.cursor();
        let at = sql::offset_of(&text, row, col);
        let (a, b) = sql::statement_at(&text, at)?;
        Some(text[a..b].trim().to_owned())
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
        Outcome::Spawn(Work::new(s::RUNNING, move |store, _| {
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
        }))
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

    fn grid_key(&mut self, key: KeyEvent, store: &Store) -> Outcome {
        let Some(command) = keymap::command(GRID_KEYMAP, &key) else {
            return Outcome::NotMine;
        };
        if command == Command::Catalog {
            self.catalog_open = !self.catalog_open;
            if self.catalog_open {
                self.focus = Focus::Catalog;
            }
            return Outcome::Done;
        }
        if command == Command::Edit {
            self.focus = Focus::Editor;
            return Outcome::Done;
        }
        if command == Command::Back {
            if self.cell.take().is_some() || self.frequency.take().is_some() {
                return Outcome::Done;
            }
            if self.shown.as_ref().is_some_and(|s| s.view.filter.is_some()) {
                return self.change_view(|v| v.filter = None);
            }
            return Outcome::NotMine;
        }
        let Some(shown) = self.shown.as_mut() else {
            return Outcome::NotMine;
        };
        let width = match &shown.held {
            Held::Stored { columns } => columns.len(),
            Held::InMemory { columns, .. } => columns.len(),
        };
        match command {
            Command::Move => {
                let Some(m) = Move::of(&key) else {
                    return Outcome::NotMine;
                };
                let page = shown.visible.max(1);
                shown.row = m.apply(shown.row as usize, shown.rows as usize, page) as u64;
                if let Err(e) = self.ensure_page(store) {
                    return Outcome::Error(UiError::from(e));
                }
                Outcome::Done
            }
            Command::Left => {
                shown.col = shown.col.saturating_sub(1);
                Outcome::Done
            }
            Command::Right => {
                shown.col = (shown.col + 1).min(width.saturating_sub(1));
                Outcome::Done
            }
            Command::Cell => {
                self.cell = self.current_cell().map(|c| cell_text(&c));
                Outcome::Done
            }
            Command::CopyCell => match self.current_cell() {
                Some(c) => Outcome::Copy(cell_text(&c)),
                None => Outcome::Done,
            },
            Command::Sort => {
                if !matches!(shown.held, Held::Stored { .. }) {
                    self.message = Some(s::ONLY_QUERIES.to_owned());
                    return Outcome::Done;
                }
                let col = shown.col;
                self.change_view(move |v| {
                    v.sort = match v.sort {
                        Some((c, false)) if c == col => Some((col, true)),
                        Some((c, true)) if c == col => None,
                        _ => Some((col, false)),
                    }
                })
            }
            Command::Filter => {
                if !matches!(shown.held, Held::Stored { .. }) {
                    self.message = Some(s::ONLY_QUERIES.to_owned());
                    return Outcome::Done;
                }
                let now = shown.view.filter.clone().unwrap_or_default();
                self.prompt = Some((Prompt::Filter, now));
                Outcome::Done
            }
            Command::Frequency => {
                if !matches!(shown.held, Held::Stored { .. }) {
                    self.message = Some(s::ONLY_QUERIES.to_owned());
                    return Outcome::Done;
                }
                let (view, col) = (shown.view.clone(), shown.col);
                let column = self.columns().get(col).cloned().unwrap_or_default();
                self.running = true;
                Outcome::Spawn(Work::new(s::COUNTING, move |store, _| {
                    let result = store.frequency(&view, col, FREQUENCY_VALUES);
                    Done::Query(Box::new(QueryDone::Frequency { column, result }))
                }))
            }
            Command::Json => self.export_json(store),
            Command::Catalog | Command::Edit | Command::Back => Outcome::Done,
        }
    }

    /// Sorts or filters the stored result in the background.
    fn change_view(&mut self, change: impl FnOnce(&mut ResultView)) -> Outcome {
        let Some(shown) = self.shown.as_mut() else {
            return Outcome::Done;
        };
        change(&mut shown.view);
        let view = shown.view.clone();
        self.running = true;
        Outcome::Spawn(Work::new(s::SORTING, move |store, _| {
            Done::Query(Box::new(QueryDone::View(store.prepare_view(&view))))
        }))
    }

    fn current_cell(&self) -> Option<Cell> {
        let s = self.shown.as_ref()?;
        let i = usize::try_from(s.row.checked_sub(s.page_start)?).ok()?;
        s.page.get(i)?.get(s.col).cloned()
    }

    fn export_json(&mut self, store: &Store) -> Outcome {
        match self.export_to(store, Path::new("."), "json") {
            Some(Exporting::Later(work)) => Outcome::Spawn(work),
            Some(Exporting::Now(Err(e))) => Outcome::Error(e),
            _ => Outcome::Done,
        }
    }

    fn export_to(&self, _store: &Store, dir: &Path, ext: &'static str) -> Option<Exporting> {
        let shown = self.shown.as_ref()?;
        let path = super::export_path(dir, &format!("perx-query.{ext}"));
        let (sql_text, view, held) = (shown.sql.clone(), shown.view.clone(), shown.held.clone());
        Some(Exporting::Later(Work::new(
            s::EXPORTING,
            move |store, _| Done::Exported(export(store, &sql_text, &view, &held, &path, ext)),
        )))
    }

    fn editor_key(&mut self, key: KeyEvent) -> Outcome {
        if let Some(c) = keymap::command(EDITOR_KEYMAP, &key) {
            match c {
                EditorCommand::Run => {
                    return match self.statement() {
                        Some(sql_text) => self.run(sql_text, false),
                        None => {
                            self.message = Some(s::NOTHING_TO_RUN.to_owned());
                            Outcome::Done
                        }
                    };
                }
                EditorCommand::Complete => {
                    self.complete();
                    return Outcome::Done;
                }
                EditorCommand::History => {
                    self.prompt = Some((Prompt::History, String::new()));
                    return Outcome::Done;
                }
                EditorCommand::Undo => {
                    self.editor.undo();
                }
                EditorCommand::Redo => {
                    self.editor.redo();
                }
                EditorCommand::Catalog => self.catalog_open = !self.catalog_open,
                EditorCommand::Leave => {
                    self.focus = Focus::Grid;
                }
            }
            self.completing = None;
            return Outcome::Done;
        }
        self.completing = None;
        let (row, _) = self.editor.cursor();
        let last = self.editor.lines().len().saturating_sub(1);
        match key.code {
            KeyCode::Up if row == 0 && key.modifiers.is_empty() => return self.recall(1),
            KeyCode::Down if row == last && key.modifiers.is_empty() && self.recalled.is_some() => {
                return self.recall(-1);
            }
            _ => {}
        }
        self.editor.input(key);
        Outcome::Done
    }

    /// ↑ at the top line: the previous statement of the history; ↓ at the bottom: the next.
    fn recall(&mut self, step: i64) -> Outcome {
        let next = match (self.recalled, step) {
            (None, 1) => Some(0),
            (Some(i), 1) => Some((i + 1).min(self.history.len().saturating_sub(1))),
            (Some(0), _) => None,
            (Some(i), _) => Some(i - 1),
            (None, _) => None,
        };
        match next.and_then(|i| self.history.get(i).map(|h| (i, h.clone()))) {
            Some((i, h)) => {
                self.set_text(&h);
                // At the top, so ↑ goes on through the history.
                self.editor.move_cursor(CursorMove::Top);
                self.editor.move_cursor(CursorMove::Head);
                self.recalled = Some(i);
            }
            None => {
                if self.recalled.take().is_some() {
                    self.set_text("");
                }
            }
        }
        Outcome::Done
    }

    /// Tab: completes the word before the cursor; again: the next candidate.
    fn complete(&mut self) {
        if let Some((cands, i, typed)) = self.completing.take() {
            // Replace the offered word by the next one.
            let current = &cands[i];
            for _ in 0..current.chars().count() - typed.chars().count() {
                self.editor.delete_char();
            }
            let j = (i + 1) % cands.len();
            self.editor.insert_str(&cands[j][typed.len()..]);
            self.completing = Some((cands, j, typed));
            return;
        }
        let text = self.text();
        let (row, col) = self.editor.cursor();
        let at = sql::offset_of(&text, row, col);
        let (_, word) = sql::word_before(&text, at);
        let cands: Vec<String> = sql::completions(word, &self.names)
            .into_iter()
            .map(|c| {
                // Keep the case the user typed for keywords.
                if sql::is_keyword(c) && word.chars().next().is_some_and(char::is_lowercase) {
                    c.to_lowercase()
                } else {
                    c.to_owned()
                }
            })
            .collect();
        let Some(first) = cands.first() else {
            self.message = Some(s::NO_COMPLETION.to_owned());
            return;
        };
        // Candidates start with the word, case aside: insert what follows it.
        self.editor
            .insert_str(first.get(word.len()..).unwrap_or(""));
        if cands.len() > 1 {
            self.message = Some(s::completions(&cands));
        }
        self.completing = Some((cands, 0, word.to_owned()));
    }

    fn prompt_key(&mut self, key: KeyEvent, store: &Store) -> Outcome {
        let Some((kind, text)) = self.prompt.as_mut() else {
            return Outcome::NotMine;
        };
        let kind = *kind;
        match edit(text, &key) {
            Edit::Cancelled => self.prompt = None,
            Edit::Submitted => {
                let text = text.trim().to_owned();
                self.prompt = None;
                match kind {
                    Prompt::Filter => {
                        let filter = (!text.is_empty()).then_some(text);
                        return self.change_view(|v| v.filter = filter);
                    }
                    Prompt::History => {
                        if let Some(h) = self.history_match(&text) {
                            self.set_text(&h);
                        } else {
                            self.message = Some(s::NO_HISTORY_MATCH.to_owned());
                        }
                    }
                }
            }
            Edit::Changed | Edit::Other => {}
        }
        let _ = store;
        Outcome::Done
    }

    /// The newest statement of the history containing `text` (case-insensitive).
    fn history_match(&self, text: &str) -> Option<String> {
        let t = text.to_lowercase();
        self.history
            .iter()
            .find(|h| h.to_lowercase().contains(&t))
            .cloned()
    }

    fn catalog_key(&mut self, key: KeyEvent) -> Outcome {
        let lines = self.catalog_lines();
        match key.code {
            KeyCode::Enter => {
                if let Some((name, _)) = self.catalog_list.selected().and_then(|i| lines.get(i)) {
                    self.editor.insert_str(name);
                    self.focus = Focus::Editor;
                }
                Outcome::Done
            }
            KeyCode::Esc | KeyCode::F(2) => {
                self.focus = Focus::Editor;
                if key.code == KeyCode::F(2) {
                    self.catalog_open = false;
                }
                Outcome::Done
            }
            _ => match Move::of(&key) {
                Some(m) => {
                    let at = self.catalog_list.selected().unwrap_or(0);
                    self.catalog_list.select(Some(m.apply(at, lines.len(), 10)));
                    Outcome::Done
                }
                None => Outcome::NotMine,
            },
        }
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

/// Writes the whole view of the result (or the held rows) to `path` as CSV or JSON, with
/// the SQL in the provenance sidecar.
fn export(
    store: &Store,
    sql_text: &str,
    view: &ResultView,
    held: &Held,
    path: &Path,
    ext: &str,
) -> Result<super::Exported, UiError> {
    use crate::report::RowSink;
    use crate::report::output::{CsvSink, JsonSink};
    let shown = |e: std::io::Error| UiError::context(path.display(), e);
    let mut file = crate::atomic::AtomicFile::create(path).map_err(shown)?;
    let n = {
        let mut sink: Box<dyn RowSink + '_> = if ext == "json" {
            Box::new(JsonSink::new(&mut file))
        } else {
            Box::new(CsvSink::new(&mut file))
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
    super::finish_export(store, file, n, Some(&prov))
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
    /// Moves the editor's cursor to line `line` (1-based) of the statement `sql_text`,
    /// found in the editor's text.
    fn move_to_statement_line(&mut self, sql_text: &str, line: usize, column: usize) {
        let text = self.text();
        let Some(start) = text.find(sql_text) else {
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

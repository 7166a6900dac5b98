//! The Query tab's keys: the editor's and the grid's keymaps, and what each key does in
//! the editor, the grid, the prompt line and the catalog.

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::catalog::CatalogKey;
use super::editor::EditorKey;
use super::grid::{GridMove, PAGE};
use super::{FREQUENCY_VALUES, Focus, Mode, Prompt, QueryDone, QueryTab};
use crate::report::output::cell_text;
use crate::store::Store;
use crate::store::query::{Held, ResultView};
use crate::ui::jobs::Work;
use crate::ui::keymap::{self, Binding, MOVE_KEYS, ch, ctrl, key};
use crate::ui::strings::query as s;
use crate::ui::tabs::Done;
use crate::ui::tabs::{Edit, Outcome, edit};

/// What the grid's keys do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Command {
    Move,
    Left,
    Right,
    Cell,
    Sort,
    Filter,
    Frequency,
    Summary,
    Describe,
    Chart,
    CopyCell,
    Json,
    Parquet,
    Edit,
    Catalog,
    Back,
}

pub(super) const GRID_KEYMAP: &[Binding<Command>] = &[
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
        keys: &[ch('D')],
        command: Command::Summary,
        help: "grid: summary of this column (nulls, distinct, range, mean, quantiles, top values, histogram); Enter on a top value filters to it",
    },
    Binding {
        keys: &[ch('C')],
        command: Command::Chart,
        help: "grid: chart the result (bar, line or histogram, from the column types; b l h, ←→ ↑↓, + - change it; x exports its points and SQL)",
    },
    Binding {
        keys: &[ch('I')],
        command: Command::Describe,
        help: "grid: summary of every column, one row each (Enter opens one)",
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
        keys: &[ch('P')],
        command: Command::Parquet,
        help: "export the whole result to Parquet (typed columns; the SQL in the sidecar)",
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
pub(super) enum EditorCommand {
    Run,
    Complete,
    History,
    Undo,
    Redo,
    Catalog,
    Leave,
}

pub(super) const EDITOR_KEYMAP: &[Binding<EditorCommand>] = &[
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
    pub(super) fn grid_key(&mut self, key: KeyEvent) -> Outcome {
        let Some(command) = keymap::command(GRID_KEYMAP, &key) else {
            return Outcome::NotMine;
        };
        if command == Command::Catalog {
            self.catalog.open = !self.catalog.open;
            if self.catalog.open {
                self.focus = Focus::Catalog;
            }
            return Outcome::Done;
        }
        if command == Command::Edit {
            self.focus = Focus::Editor;
            return Outcome::Done;
        }
        if command == Command::Back {
            if matches!(
                self.mode,
                Mode::Cell(_)
                    | Mode::Frequency(..)
                    | Mode::Summary(..)
                    | Mode::Describe(..)
                    | Mode::Chart(..)
            ) {
                self.mode = Mode::Normal;
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
        // What works on the stored result only (a query's, not a PRAGMA's rows in memory).
        let stored_only = matches!(
            command,
            Command::Sort
                | Command::Filter
                | Command::Frequency
                | Command::Summary
                | Command::Describe
                | Command::Chart
        );
        if stored_only && !matches!(shown.held, Held::Stored { .. }) {
            self.message = Some(s::ONLY_QUERIES.to_owned());
            return Outcome::Done;
        }
        match command {
            Command::Move | Command::Left | Command::Right => {
                let m = match command {
                    Command::Left => GridMove::Left,
                    Command::Right => GridMove::Right,
                    _ => GridMove::Row,
                };
                shown.apply(m, &key);
                self.ensure_page();
                Outcome::Done
            }
            Command::Cell => {
                if let Some(c) = self.current_cell() {
                    self.mode = Mode::Cell(cell_text(&c));
                }
                Outcome::Done
            }
            Command::CopyCell => match self.current_cell() {
                Some(c) => Outcome::Copy(cell_text(&c)),
                None => Outcome::Done,
            },
            Command::Sort => {
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
                let now = shown.view.filter.clone().unwrap_or_default();
                self.mode = Mode::Prompt(Prompt::Filter, now);
                Outcome::Done
            }
            Command::Frequency => {
                let (view, col) = (shown.view.clone(), shown.col);
                let column = self.columns().get(col).cloned().unwrap_or_default();
                self.running = true;
                Outcome::Spawn(Work::new(s::COUNTING, move |store, _| {
                    let result = store.frequency(&view, col, FREQUENCY_VALUES);
                    Done::Query(Box::new(QueryDone::Frequency { column, result }))
                }))
            }
            Command::Summary => {
                let (view, col) = (shown.view.clone(), shown.col);
                self.running = true;
                Outcome::Spawn(Work::new(s::SUMMARISING, move |store, _| {
                    Done::Query(Box::new(QueryDone::Summary(
                        store.column_summary(&view, col),
                    )))
                }))
            }
            Command::Chart => self.open_chart(),
            Command::Describe => {
                let view = shown.view.clone();
                self.running = true;
                Outcome::Spawn(Work::new(s::SUMMARISING_ALL, move |store, _| {
                    Done::Query(Box::new(QueryDone::Describe(store.result_summaries(&view))))
                }))
            }
            Command::Json => Outcome::ExportJson,
            Command::Parquet => Outcome::ExportParquet,
            Command::Catalog | Command::Edit | Command::Back => Outcome::Done,
        }
    }

    /// Keys while a column summary is open: ↑↓ pick a top value, Enter filters the grid to
    /// it, Esc closes.
    pub(super) fn summary_key(&mut self, key: KeyEvent) -> Outcome {
        let Mode::Summary(summary, at) = &mut self.mode else {
            return Outcome::NotMine;
        };
        let last = summary.top.values.len().saturating_sub(1);
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => *at = at.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => *at = (*at + 1).min(last),
            KeyCode::Enter => {
                let Some(filter) = summary.filter_for(*at) else {
                    return Outcome::Done;
                };
                self.mode = Mode::Normal;
                return self.change_view(move |v| v.filter = Some(filter));
            }
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('D') => self.mode = Mode::Normal,
            _ => {}
        }
        Outcome::Done
    }

    /// Keys while every column's summary is open: ↑↓ pick a column, Enter opens its
    /// summary, Esc closes.
    pub(super) fn describe_key(&mut self, key: KeyEvent) -> Outcome {
        let Mode::Describe(all, at) = &mut self.mode else {
            return Outcome::NotMine;
        };
        let last = all.len().saturating_sub(1);
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => *at = at.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => *at = (*at + 1).min(last),
            KeyCode::Enter => {
                if let Some(one) = all.get(*at).cloned() {
                    self.mode = Mode::Summary(Box::new(one), 0);
                }
            }
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('I') => self.mode = Mode::Normal,
            _ => {}
        }
        Outcome::Done
    }

    /// Sorts or filters the stored result in the background.
    pub(super) fn change_view(&mut self, change: impl FnOnce(&mut ResultView)) -> Outcome {
        let Some(shown) = self.shown.as_mut() else {
            return Outcome::Done;
        };
        change(&mut shown.view);
        let view = shown.view.clone();
        self.running = true;
        Outcome::Spawn(Work::new(s::SORTING, move |store, _| {
            let result = store.prepare_view(&view).and_then(|rows| {
                let first = store.result_page(&view, 0, PAGE)?;
                Ok((rows, first))
            });
            Done::Query(Box::new(QueryDone::View(result)))
        }))
    }

    pub(super) fn editor_key(&mut self, key: KeyEvent) -> Outcome {
        match self.editor.key(key) {
            EditorKey::Run(sql_text) => self.run(sql_text, false),
            EditorKey::NothingToRun => {
                self.message = Some(s::NOTHING_TO_RUN.to_owned());
                Outcome::Done
            }
            EditorKey::SearchHistory => {
                self.mode = Mode::Prompt(Prompt::History, String::new());
                Outcome::Done
            }
            EditorKey::ToggleCatalog => {
                self.catalog.open = !self.catalog.open;
                Outcome::Done
            }
            EditorKey::Leave => {
                self.focus = Focus::Grid;
                Outcome::Done
            }
            EditorKey::Message(m) => {
                self.message = Some(m);
                Outcome::Done
            }
            EditorKey::Done => Outcome::Done,
        }
    }

    pub(super) fn prompt_key(&mut self, key: KeyEvent, store: &Store) -> Outcome {
        let Mode::Prompt(kind, text) = &mut self.mode else {
            return Outcome::NotMine;
        };
        let kind = *kind;
        match edit(text, &key) {
            Edit::Cancelled => self.mode = Mode::Normal,
            Edit::Submitted => {
                let text = text.trim().to_owned();
                self.mode = Mode::Normal;
                match kind {
                    Prompt::Filter => {
                        let filter = (!text.is_empty()).then_some(text);
                        return self.change_view(|v| v.filter = filter);
                    }
                    Prompt::History => {
                        if let Some(h) = self.editor.history_match(&text) {
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

    pub(super) fn catalog_key(&mut self, key: KeyEvent) -> Outcome {
        match self.catalog.key(key) {
            CatalogKey::Insert(name) => {
                self.editor.insert(&name);
                self.focus = Focus::Editor;
                Outcome::Done
            }
            CatalogKey::Leave { .. } => {
                self.focus = Focus::Editor;
                Outcome::Done
            }
            CatalogKey::Moved => Outcome::Done,
            CatalogKey::NotMine => Outcome::NotMine,
        }
    }
}

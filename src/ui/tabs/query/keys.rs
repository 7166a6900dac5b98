//! The Query tab's keys: the editor's and the grid's keymaps, and what each key does in
//! the editor, the grid, the prompt line and the catalog.

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use tui_textarea::CursorMove;

use super::{FREQUENCY_VALUES, Focus, Prompt, QueryDone, QueryTab};
use crate::core::sql;
use crate::report::output::cell_text;
use crate::store::Store;
use crate::store::query::{Held, ResultView};
use crate::ui::UiError;
use crate::ui::jobs::Work;
use crate::ui::keymap::{self, Binding, MOVE_KEYS, Move, ch, ctrl, key};
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
    CopyCell,
    Json,
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
    pub(super) fn grid_key(&mut self, key: KeyEvent, store: &Store) -> Outcome {
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
            Command::Json => Outcome::ExportJson,
            Command::Catalog | Command::Edit | Command::Back => Outcome::Done,
        }
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
            Done::Query(Box::new(QueryDone::View(store.prepare_view(&view))))
        }))
    }

    pub(super) fn editor_key(&mut self, key: KeyEvent) -> Outcome {
        if let Some(c) = keymap::command(EDITOR_KEYMAP, &key) {
            match c {
                EditorCommand::Run => {
                    return match self.statement() {
                        Some((at, sql_text)) => {
                            self.ran_from = Some(at);
                            self.run(sql_text, false)
                        }
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
    pub(super) fn recall(&mut self, step: i64) -> Outcome {
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
    pub(super) fn complete(&mut self) {
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

    pub(super) fn prompt_key(&mut self, key: KeyEvent, store: &Store) -> Outcome {
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
    pub(super) fn history_match(&self, text: &str) -> Option<String> {
        let t = text.to_lowercase();
        self.history
            .iter()
            .find(|h| h.to_lowercase().contains(&t))
            .cloned()
    }

    pub(super) fn catalog_key(&mut self, key: KeyEvent) -> Outcome {
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
}

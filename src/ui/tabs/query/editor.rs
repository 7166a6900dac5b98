//! The Query tab's SQL editor: the text (highlighted from its tokens), completion of
//! names and keywords, the history of statements run (↑/↓ at the edges, Ctrl-R), which
//! statement runs (the selection, or the one under the cursor) and where it started, so an
//! error's line is found in that statement; its own keys and drawing.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders};
use tui_textarea::{CursorMove, TextArea};

use super::keys::{EDITOR_KEYMAP, EditorCommand};
use super::render::focused;
use crate::core::sql::{self, TokenKind, tokens};
use crate::ui::keymap;
use crate::ui::strings::query as s;

/// The editor.
pub(super) struct Editor {
    area: TextArea<'static>,
    /// Names completed with Tab: tables, columns, keywords.
    names: Vec<String>,
    /// The completions offered, which one is in the text, and the word typed.
    completing: Option<(Vec<String>, usize, String)>,
    history: Vec<String>,
    /// Where ↑/↓ are in the history (0 = the newest).
    recalled: Option<usize>,
    /// Where in the text the statement run last starts (its error's line is counted from
    /// there, not from the first identical text).
    ran_from: Option<usize>,
}

impl std::fmt::Debug for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editor")
            .field("cursor", &self.area.cursor())
            .finish_non_exhaustive()
    }
}

/// What a key did in the editor, for the tab to act on.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum EditorKey {
    /// Run this statement.
    Run(String),
    /// Ctrl-J with nothing under the cursor.
    NothingToRun,
    /// Ctrl-R: the history search prompt.
    SearchHistory,
    /// F2: show or hide the catalog.
    ToggleCatalog,
    /// Esc: to the grid.
    Leave,
    /// A line for the message bar (the completion candidates, or that there are none).
    Message(String),
    /// The text or the cursor changed.
    Done,
}

impl Default for Editor {
    fn default() -> Self {
        let mut area = TextArea::default();
        area.set_line_number_style(Style::default().fg(Color::DarkGray));
        area.set_placeholder_text(s::PLACEHOLDER);
        area.set_max_histories(200);
        Editor {
            area,
            names: Vec::new(),
            completing: None,
            history: Vec::new(),
            recalled: None,
            ran_from: None,
        }
    }
}

impl Editor {
    /// The text.
    pub(super) fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// Replaces the text, cursor at its end.
    pub(super) fn set_text(&mut self, sql: &str) {
        let lines: Vec<String> = sql.lines().map(str::to_owned).collect();
        let last = lines.len().saturating_sub(1);
        let col = lines.last().map_or(0, |l| l.chars().count());
        self.area.set_lines(lines, (last, col));
    }

    /// The cursor (line, column), 0-based.
    pub(super) fn cursor(&self) -> (usize, usize) {
        self.area.cursor()
    }

    /// Inserts `text` at the cursor (a name from the catalog).
    pub(super) fn insert(&mut self, text: &str) {
        self.area.insert_str(text);
    }

    /// The names Tab completes: `catalog`'s and the keywords.
    pub(super) fn set_names(&mut self, catalog: Vec<String>) {
        let mut names = catalog;
        names.extend(sql::KEYWORDS.iter().map(|k| k.to_string()));
        names.sort();
        names.dedup();
        self.names = names;
    }

    /// The statements run before, newest first.
    pub(super) fn set_history(&mut self, history: Vec<String>) {
        self.history = history;
    }

    /// The newest statement of the history containing `text` (case-insensitive).
    pub(super) fn history_match(&self, text: &str) -> Option<String> {
        let t = text.to_lowercase();
        self.history
            .iter()
            .find(|h| h.to_lowercase().contains(&t))
            .cloned()
    }

    /// The statement to run, and where it starts in the text: the selection, else the
    /// one under the cursor.
    fn statement(&self) -> Option<(usize, String)> {
        let text = self.text();
        let (a, b) = match self.area.selection_range() {
            Some(((r1, c1), (r2, c2))) => {
                let (a, b) = (sql::offset_of(&text, r1, c1), sql::offset_of(&text, r2, c2));
                (a.min(b), a.max(b))
            }
            None => {
                let (row, col) = self.area.cursor();
                sql::statement_at(&text, sql::offset_of(&text, row, col))?
            }
        };
        let span = text.get(a..b)?;
        let picked = span.trim();
        let start = a + (span.len() - span.trim_start().len());
        (!picked.is_empty()).then(|| (start, picked.to_owned()))
    }

    /// Moves the cursor to line `line` (1-based) of the statement `sql_text`: the one that
    /// ran (where it started, if the text there is still that statement), else its first
    /// copy in the text.
    pub(super) fn move_to_statement_line(&mut self, sql_text: &str, line: usize, column: usize) {
        let text = self.text();
        let ran = self
            .ran_from
            .filter(|&a| text.get(a..).is_some_and(|t| t.starts_with(sql_text)));
        let Some(start) = ran.or_else(|| text.find(sql_text)) else {
            return;
        };
        let (first, first_col) = sql::line_col(&text, start);
        let target = first + line.saturating_sub(1);
        // On the statement's first line, DuckDB's columns start where the statement does.
        let col = if line == 1 {
            first_col + column
        } else {
            column
        };
        let row = u16::try_from(target).unwrap_or(u16::MAX);
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        self.area.move_cursor(CursorMove::Jump(row, col));
    }

    /// A key while the editor has the focus.
    pub(super) fn key(&mut self, key: KeyEvent) -> EditorKey {
        if let Some(c) = keymap::command(EDITOR_KEYMAP, &key) {
            let out = match c {
                EditorCommand::Run => match self.statement() {
                    Some((at, sql_text)) => {
                        self.ran_from = Some(at);
                        EditorKey::Run(sql_text)
                    }
                    None => EditorKey::NothingToRun,
                },
                EditorCommand::Complete => return self.complete(),
                EditorCommand::History => EditorKey::SearchHistory,
                EditorCommand::Undo => {
                    self.area.undo();
                    EditorKey::Done
                }
                EditorCommand::Redo => {
                    self.area.redo();
                    EditorKey::Done
                }
                EditorCommand::Catalog => EditorKey::ToggleCatalog,
                EditorCommand::Leave => EditorKey::Leave,
            };
            self.completing = None;
            return out;
        }
        self.completing = None;
        let (row, _) = self.area.cursor();
        let last = self.area.lines().len().saturating_sub(1);
        match key.code {
            KeyCode::Up if row == 0 && key.modifiers.is_empty() => return self.recall(1),
            KeyCode::Down if row == last && key.modifiers.is_empty() && self.recalled.is_some() => {
                return self.recall(-1);
            }
            _ => {}
        }
        self.area.input(key);
        EditorKey::Done
    }

    /// ↑ at the top line: the previous statement of the history; ↓ at the bottom: the next.
    fn recall(&mut self, step: i64) -> EditorKey {
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
                self.area.move_cursor(CursorMove::Top);
                self.area.move_cursor(CursorMove::Head);
                self.recalled = Some(i);
            }
            None => {
                if self.recalled.take().is_some() {
                    self.set_text("");
                }
            }
        }
        EditorKey::Done
    }

    /// Forgets where ↑/↓ were in the history (a statement ran).
    pub(super) fn forget_recall(&mut self) {
        self.recalled = None;
    }

    /// Tab: completes the word before the cursor; again: the next candidate.
    fn complete(&mut self) -> EditorKey {
        if let Some((cands, i, typed)) = self.completing.take() {
            // Replace the offered word by the next one.
            let current = &cands[i];
            for _ in 0..current.chars().count() - typed.chars().count() {
                self.area.delete_char();
            }
            let j = (i + 1) % cands.len();
            self.area.insert_str(&cands[j][typed.len()..]);
            self.completing = Some((cands, j, typed));
            return EditorKey::Done;
        }
        let text = self.text();
        let (row, col) = self.area.cursor();
        let at = sql::offset_of(&text, row, col);
        if let Some(start) = sql::open_string_at(&text, at) {
            return self.complete_path(&text[start..at]);
        }
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
            return EditorKey::Message(s::NO_COMPLETION.to_owned());
        };
        // Candidates start with the word, case aside: insert what follows it.
        self.area.insert_str(first.get(word.len()..).unwrap_or(""));
        let message = (cands.len() > 1).then(|| s::completions(&cands));
        self.completing = Some((cands, 0, word.to_owned()));
        message.map_or(EditorKey::Done, EditorKey::Message)
    }

    /// Tab inside a quoted string: the file names that complete the path typed there.
    fn complete_path(&mut self, typed: &str) -> EditorKey {
        let cands = path_completions(typed);
        let Some(first) = cands.first() else {
            return EditorKey::Message(s::NO_PATH_COMPLETION.to_owned());
        };
        self.area.insert_str(first.get(typed.len()..).unwrap_or(""));
        let message = (cands.len() > 1).then(|| s::completions(&cands));
        self.completing = Some((cands, 0, typed.to_owned()));
        message.map_or(EditorKey::Done, EditorKey::Message)
    }

    /// Colours the text from its tokens.
    fn highlight(&mut self) {
        self.area.clear_custom_highlight();
        let text = self.text();
        let mut starts = vec![0usize];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let pos = |at: usize| {
            let line = starts.partition_point(|&s| s <= at).saturating_sub(1);
            let col = text[starts[line]..at].chars().count();
            (line, col)
        };
        for t in tokens(&text) {
            let style = match t.kind {
                TokenKind::Keyword => Style::default()
                    .fg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
                TokenKind::Str => Style::default().fg(Color::Green),
                TokenKind::Number => Style::default().fg(Color::Magenta),
                TokenKind::Comment => Style::default().fg(Color::DarkGray),
                _ => continue,
            };
            self.area
                .custom_highlight((pos(t.start), pos(t.end)), style, 1);
        }
    }

    /// Draws the editor; `on` when it has the focus.
    pub(super) fn draw(&mut self, frame: &mut Frame, area: Rect, on: bool) {
        self.highlight();
        self.area.set_block(
            Block::default()
                .borders(Borders::ALL)
                .title(s::EDITOR_TITLE)
                .border_style(focused(on)),
        );
        self.area.set_cursor_style(if on {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        });
        frame.render_widget(&self.area, area);
    }
}

/// Most entries of a folder read for a path completion.
const MAX_PATH_ENTRIES: usize = 5_000;

/// The paths that complete `typed` (a path being typed in a string literal): the entries
/// of its folder (`.` when it names none) whose names start with what follows its last
/// `/`, folders with a `/` after them, hidden ones only when a `.` is typed, shortest
/// first. Names with a quote or a control character are left out (they could not be
/// typed into the literal as they are).
fn path_completions(typed: &str) -> Vec<String> {
    let (dir, prefix) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let folder = if dir.is_empty() { "." } else { dir };
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .take(MAX_PATH_ENTRIES)
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let usable = name.starts_with(prefix)
                && (prefix.starts_with('.') || !name.starts_with('.'))
                && !name.contains('\'')
                && !name.chars().any(char::is_control);
            if !usable {
                return None;
            }
            let slash = if e.path().is_dir() { "/" } else { "" };
            Some(format!("{dir}{name}{slash}"))
        })
        .filter(|c| c.len() > typed.len())
        .collect();
    out.sort_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
    out
}

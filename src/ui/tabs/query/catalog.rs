//! The Query tab's catalog pane: the tables and views of the database with their columns
//! (the session's temporary tables too), its own selection, keys and drawing. Enter hands
//! the selected name to the editor.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState};

use super::render::focused;
use crate::store::query::CatalogTable;
use crate::ui::keymap::Move;
use crate::ui::strings::query as s;

/// The catalog pane.
#[derive(Debug)]
pub(super) struct CatalogPane {
    tables: Vec<CatalogTable>,
    /// Shown beside the editor (F2 toggles).
    pub(super) open: bool,
    list: ListState,
}

/// What a key did in the pane.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum CatalogKey {
    /// Put this name in the editor (and go back to it).
    Insert(String),
    /// Back to the editor; `hide` closes the pane too.
    Leave { hide: bool },
    /// The selection moved.
    Moved,
    /// Not a key of the pane.
    NotMine,
}

impl Default for CatalogPane {
    fn default() -> Self {
        CatalogPane {
            tables: Vec::new(),
            open: true,
            list: ListState::default(),
        }
    }
}

impl CatalogPane {
    /// Shows `tables`.
    pub(super) fn set(&mut self, tables: Vec<CatalogTable>) {
        self.tables = tables;
    }

    /// Every table and column name (what Tab completes, with the keywords).
    pub(super) fn names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for t in &self.tables {
            names.push(t.name.clone());
            names.extend(t.columns.iter().map(|(c, _)| c.clone()));
        }
        names
    }

    /// The pane as lines: each table, then its columns (indented), with what Enter
    /// inserts.
    fn lines(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for t in &self.tables {
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

    /// A key while the pane has the focus.
    pub(super) fn key(&mut self, key: KeyEvent) -> CatalogKey {
        let lines = self.lines();
        match key.code {
            KeyCode::Enter => match self.list.selected().and_then(|i| lines.get(i)) {
                Some((name, _)) => CatalogKey::Insert(name.clone()),
                None => CatalogKey::Moved,
            },
            KeyCode::Esc => CatalogKey::Leave { hide: false },
            KeyCode::F(2) => {
                self.open = false;
                CatalogKey::Leave { hide: true }
            }
            _ => match Move::of(&key) {
                Some(m) => {
                    let at = self.list.selected().unwrap_or(0);
                    self.list.select(Some(m.apply(at, lines.len(), 10)));
                    CatalogKey::Moved
                }
                None => CatalogKey::NotMine,
            },
        }
    }

    /// Draws the pane; `on` when it has the focus.
    pub(super) fn draw(&mut self, frame: &mut Frame, area: Rect, on: bool) {
        let items: Vec<ListItem> = self
            .lines()
            .into_iter()
            .map(|(_, label)| {
                if label.starts_with("  ") {
                    ListItem::new(label).style(Style::default().fg(Color::DarkGray))
                } else {
                    ListItem::new(label)
                }
            })
            .collect();
        frame.render_stateful_widget(
            List::new(items)
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(s::CATALOG_TITLE)
                        .border_style(focused(on)),
                )
                .highlight_style(if on {
                    Style::default().add_modifier(Modifier::REVERSED)
                } else {
                    Style::default()
                }),
            area,
            &mut self.list,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyModifiers;

    fn table(name: &str, columns: &[&str]) -> CatalogTable {
        CatalogTable {
            name: name.into(),
            view: false,
            columns: columns
                .iter()
                .map(|c| (c.to_string(), "INTEGER".to_string()))
                .collect(),
        }
    }

    #[test]
    fn enter_hands_over_the_selected_name() {
        let mut pane = CatalogPane::default();
        pane.set(vec![table("t", &["a", "b"]), table("u", &["c"])]);
        assert_eq!(pane.names(), ["t", "a", "b", "u", "c"]);
        let k = |code| KeyEvent::new(code, KeyModifiers::NONE);
        assert_eq!(pane.key(k(KeyCode::Down)), CatalogKey::Moved);
        assert_eq!(pane.key(k(KeyCode::Down)), CatalogKey::Moved);
        assert_eq!(pane.key(k(KeyCode::Enter)), CatalogKey::Insert("b".into()));
        assert_eq!(pane.key(k(KeyCode::F(2))), CatalogKey::Leave { hide: true });
        assert!(!pane.open);
    }
}

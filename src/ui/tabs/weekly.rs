//! Weekly tab (report A2): redeemed rewards per ISO week with the change against the
//! previous week, coloured up (green) or down (red).

use chrono_tz::Asia::Singapore;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};

use std::path::Path;

use super::{Exporting, Outcome, Tab, export_csv, moved};
use crate::report::output::cell_text;
use crate::report::{Cell, Collected, WeeklyQuery, sql_files};
use crate::store::Store;
use crate::store::provenance::Provenance;
use crate::ui::strings::weekly as s;

/// The tab's state.
#[derive(Debug, Default)]
pub struct WeeklyTab {
    result: Option<Collected>,
    table: TableState,
}

impl WeeklyTab {
    fn rows(&self) -> usize {
        self.result.as_ref().map_or(0, |r| r.rows.len())
    }
}

impl Tab for WeeklyTab {
    fn on_show(&mut self, store: &Store) -> Outcome {
        if self.result.is_some() {
            return Outcome::Done;
        }
        let mut out = Collected::default();
        let q = WeeklyQuery {
            tz: Singapore,
            reward: None,
        };
        match store.weekly(&q, &mut out) {
            Ok(_) => {
                self.table.select((!out.rows.is_empty()).then_some(0));
                self.result = Some(out);
                Outcome::Done
            }
            Err(e) => Outcome::Error(e.to_string()),
        }
    }

    fn on_key(&mut self, key: KeyEvent, _store: &Store) -> Outcome {
        let at = self.table.selected().unwrap_or(0);
        let to = match key.code {
            KeyCode::Home => 0,
            KeyCode::End => self.rows().saturating_sub(1),
            _ => match moved(&key, at, self.rows()) {
                Some(to) => to,
                None => return Outcome::NotMine,
            },
        };
        self.table.select(Some(to));
        Outcome::Done
    }

    fn render(&mut self, frame: &mut Frame, area: Rect) {
        let block = Block::default().borders(Borders::ALL).title(s::TITLE);
        let Some(result) = self.result.as_ref().filter(|r| !r.rows.is_empty()) else {
            frame.render_widget(Paragraph::new(s::EMPTY).block(block), area);
            return;
        };
        let header = Row::new(["reward", "redeemed", "% vs prev", "week start", "ISO week"])
            .style(Style::default().add_modifier(Modifier::BOLD));
        let rows = result.rows.iter().map(|r| {
            let change = match r.get(2) {
                Some(Cell::Float(p)) if *p > 0.0 => Style::default().fg(Color::Green),
                Some(Cell::Float(p)) if *p < 0.0 => Style::default().fg(Color::Red),
                _ => Style::default(),
            };
            let pct = match r.get(2) {
                Some(Cell::Float(p)) => format!("{p:+.2}%"),
                _ => "–".to_owned(),
            };
            Row::new([
                ratatui::text::Span::raw(r.first().map(cell_text).unwrap_or_default()),
                ratatui::text::Span::raw(r.get(1).map(cell_text).unwrap_or_default()),
                ratatui::text::Span::styled(pct, change),
                ratatui::text::Span::raw(r.get(3).map(cell_text).unwrap_or_default()),
                ratatui::text::Span::raw(r.get(4).map(cell_text).unwrap_or_default()),
            ])
        });
        let table = Table::new(
            rows,
            [
                Constraint::Min(16),
                Constraint::Length(9),
                Constraint::Length(10),
                Constraint::Length(11),
                Constraint::Length(9),
            ],
        )
        .header(header)
        .block(block)
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
        frame.render_stateful_widget(table, area, &mut self.table);
    }

    fn keys(&self) -> &'static [(&'static str, &'static str)] {
        s::KEYS
    }

    fn export(&self, store: &Store, dir: &Path) -> Option<Exporting> {
        let rows = self.result.as_ref()?;
        let prov = Provenance {
            sql: sql_files::WEEKLY,
            params: serde_json::json!({ "reward": null }),
            tz: Singapore.name().to_owned(),
        };
        Some(Exporting::Now(export_csv(
            store,
            dir,
            "perx-weekly.csv",
            rows,
            Some(&prov),
        )))
    }
}

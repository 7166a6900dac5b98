//! Weekly tab (report A2): redeemed rewards per ISO week with the change against the
//! previous week, coloured up (green) or down (red); a bar chart of the selected reward's
//! weeks; `/` filters by reward name.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};

use std::path::Path;

use super::{Edit, Exporting, Outcome, Tab, edit, export_csv, select_clicked};
use crate::core::timerange::DEFAULT_TZ;
use crate::report::output::cell_text;
use crate::report::{ReportRow, Rows, WeeklyQuery, WeeklyRow};
use crate::store::Store;
use crate::store::provenance::Provenance;
use crate::ui::keymap::{self, Binding, MOVE_KEYS, Move, ch, key};
use crate::ui::strings::weekly as s;

/// The tab's state.
#[derive(Debug, Default)]
pub struct WeeklyTab {
    result: Option<Rows<WeeklyRow>>,
    table: TableState,
    /// The reward filter applied, if any.
    reward: Option<String>,
    /// The reward name being typed after `/`.
    typing: Option<String>,
    message: Option<String>,
    table_area: Rect,
    order: Order,
}

/// How the rows are ordered (`s` cycles).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Order {
    /// The report's: reward, then week.
    #[default]
    Report,
    /// Largest change first (first weeks, with no change, last).
    Change,
    /// Most redeemed first.
    Count,
}

impl Order {
    fn next(self) -> Order {
        match self {
            Order::Report => Order::Change,
            Order::Change => Order::Count,
            Order::Count => Order::Report,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Order::Report => s::BY_REWARD,
            Order::Change => s::BY_CHANGE,
            Order::Count => s::BY_COUNT,
        }
    }
}

/// What the Weekly tab's keys do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Move,
    Filter,
    Clear,
    Order,
    OpenSql,
}

const KEYMAP: &[Binding<Command>] = &[
    Binding {
        keys: MOVE_KEYS,
        command: Command::Move,
        help: "move (the chart shows the selected reward)",
    },
    Binding {
        keys: &[ch('/')],
        command: Command::Filter,
        help: "filter by reward name (empty for all)",
    },
    Binding {
        keys: &[ch('s')],
        command: Command::Order,
        help: "order: by reward, largest change, most redeemed",
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        command: Command::Clear,
        help: "clear the filter",
    },
    Binding {
        keys: &[ch('o')],
        command: Command::OpenSql,
        help: "open the SQL behind this view in the Query tab, parameters written in",
    },
];

impl WeeklyTab {
    fn rows(&self) -> usize {
        self.result.as_ref().map_or(0, |r| r.rows.len())
    }

    /// The rows shown (for tests).
    pub fn result(&self) -> Option<&Rows<WeeklyRow>> {
        self.result.as_ref()
    }

    /// The message line, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    fn query(&mut self, store: &Store, reward: Option<String>) -> Outcome {
        let mut out = Rows::default();
        let q = WeeklyQuery {
            tz: DEFAULT_TZ,
            reward: reward.clone(),
        };
        match store.weekly(&q, &mut out) {
            Ok(_) => {
                self.table.select((!out.rows.is_empty()).then_some(0));
                self.result = Some(out);
                self.order_rows();
                self.reward = reward;
                self.message = None;
                Outcome::Done
            }
            // An unknown name is a message listing the known ones, not a popup.
            Err(e @ crate::store::reports::ReportError::UnknownReward { .. }) => {
                self.message = Some(e.to_string());
                Outcome::Done
            }
            Err(e) => Outcome::Error(e.into()),
        }
    }

    /// Puts the rows in the chosen order (ties keep the report's order).
    fn order_rows(&mut self) {
        let Some(result) = self.result.as_mut() else {
            return;
        };
        // The report's order: reward, reward campaign, week.
        let report = |r: &WeeklyRow| (r.reward_name.clone(), r.reward_campaign_id, r.week_start);
        match self.order {
            Order::Report => result.rows.sort_by_key(report),
            Order::Count => result
                .rows
                .sort_by(|a, b| b.redeemed.cmp(&a.redeemed).then(report(a).cmp(&report(b)))),
            Order::Change => result.rows.sort_by(|a, b| {
                // Descending, no change last.
                match (a.pct_diff_prev_week, b.pct_diff_prev_week) {
                    (Some(x), Some(y)) => y.total_cmp(&x),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
                .then(report(a).cmp(&report(b)))
            }),
        }
    }

    /// The selected reward's weeks, oldest first: (ISO week, redeemed).
    fn selected_weeks(&self) -> Vec<(String, u64)> {
        let (Some(result), Some(at)) = (self.result.as_ref(), self.table.selected()) else {
            return Vec::new();
        };
        let Some(name) = result.rows.get(at).map(|r| &r.reward_name) else {
            return Vec::new();
        };
        let mut weeks: Vec<&WeeklyRow> = result
            .rows
            .iter()
            .filter(|r| &r.reward_name == name)
            .collect();
        weeks.sort_by_key(|r| r.week_start);
        weeks
            .into_iter()
            .map(|r| (r.iso_week.clone(), r.redeemed.max(0) as u64))
            .collect()
    }
}

impl Tab for WeeklyTab {
    fn editing(&self) -> bool {
        self.typing.is_some()
    }

    fn on_show(&mut self, store: &Store) -> Outcome {
        if self.result.is_some() {
            return Outcome::Done;
        }
        self.query(store, None)
    }

    fn on_click(&mut self, column: u16, row: u16, _store: &Store) -> Outcome {
        let len = self.rows();
        if select_clicked(&mut self.table, self.table_area, len, column, row) {
            Outcome::Done
        } else {
            Outcome::NotMine
        }
    }

    fn selected_row(&self) -> Option<Vec<String>> {
        let row = self.result.as_ref()?.rows.get(self.table.selected()?)?;
        Some(row.cells().iter().map(cell_text).collect())
    }

    fn on_key(&mut self, key: KeyEvent, store: &Store) -> Outcome {
        if let Some(text) = self.typing.as_mut() {
            match edit(text, &key) {
                Edit::Cancelled => self.typing = None,
                Edit::Submitted => {
                    let name = text.trim().to_owned();
                    self.typing = None;
                    return self.query(store, (!name.is_empty()).then_some(name));
                }
                Edit::Changed | Edit::Other => {}
            }
            return Outcome::Done;
        }
        match keymap::command(KEYMAP, &key) {
            Some(Command::OpenSql) => Outcome::OpenQuery(Store::weekly_sql(&WeeklyQuery {
                tz: DEFAULT_TZ,
                reward: self.reward.clone(),
            })),
            Some(Command::Filter) => {
                self.typing = Some(String::new());
                Outcome::Done
            }
            Some(Command::Clear) if self.reward.is_some() => self.query(store, None),
            Some(Command::Order) if self.result.is_some() => {
                self.order = self.order.next();
                self.order_rows();
                self.table.select(Some(0));
                Outcome::Done
            }
            Some(Command::Move) => match Move::of(&key) {
                Some(m) if self.rows() > 0 => {
                    let at = self.table.selected().unwrap_or(0);
                    self.table.select(Some(m.apply(at, self.rows(), 10)));
                    Outcome::Done
                }
                _ => Outcome::NotMine,
            },
            _ => Outcome::NotMine,
        }
    }

    fn render(&mut self, frame: &mut Frame, area: Rect) {
        let [info, area] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
        let line = match (&self.typing, &self.message, &self.reward) {
            (Some(t), _, _) => format!("{} {t}▏", s::TYPE_REWARD),
            (None, Some(m), _) => m.clone(),
            (None, None, Some(r)) => format!("{} {r} · {}", s::FILTERED, s::HINT),
            (None, None, None) => s::HINT.to_owned(),
        };
        frame.render_widget(Paragraph::new(line), info);
        let block = Block::default().borders(Borders::ALL).title(format!(
            "{}· {} ",
            s::TITLE,
            self.order.label()
        ));
        let Some(result) = self.result.as_ref().filter(|r| !r.rows.is_empty()) else {
            frame.render_widget(Paragraph::new(s::EMPTY).block(block), area);
            return;
        };
        // The chart of the selected reward's weeks takes the lower part when there is room.
        let chart_height = if area.height >= 18 {
            area.height / 3
        } else {
            0
        };
        let [area, chart_area] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(chart_height)]).areas(area);
        self.table_area = area;
        let header = Row::new(["reward", "redeemed", "% vs prev", "week start", "ISO week"])
            .style(Style::default().add_modifier(Modifier::BOLD));
        let rows = result.rows.iter().map(|r| {
            let change = match r.pct_diff_prev_week {
                Some(p) if p > 0.0 => Style::default().fg(Color::Green),
                Some(p) if p < 0.0 => Style::default().fg(Color::Red),
                _ => Style::default(),
            };
            let pct = r
                .pct_diff_prev_week
                .map_or_else(|| "–".to_owned(), |p| format!("{p:+.2}%"));
            Row::new([
                ratatui::text::Span::raw(r.reward_name.clone()),
                ratatui::text::Span::raw(r.redeemed.to_string()),
                ratatui::text::Span::styled(pct, change),
                ratatui::text::Span::raw(r.week_start.format("%Y-%m-%d").to_string()),
                ratatui::text::Span::raw(r.iso_week.clone()),
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
        if chart_height > 0 {
            let weeks = self.selected_weeks();
            let name = self
                .table
                .selected()
                .and_then(|i| result.rows.get(i))
                .map(|r| r.reward_name.clone())
                .unwrap_or_default();
            // As many of the latest weeks as fit, 7 columns each (bar and gap).
            let fit = (chart_area.width.saturating_sub(2) / 8).max(1) as usize;
            let shown = &weeks[weeks.len().saturating_sub(fit)..];
            let bars: Vec<(String, f64)> = shown
                .iter()
                // "2019-W27" → "W27": the year is in the table above.
                .map(|(week, n)| {
                    (
                        week.rsplit('-').next().unwrap_or(week).to_owned(),
                        *n as f64,
                    )
                })
                .collect();
            crate::ui::chart::draw_bars(
                frame,
                chart_area,
                &crate::ui::chart::Bars {
                    title: &s::chart_title(&name),
                    bars: &bars,
                    horizontal: false,
                    show_values: true,
                    bar_width: Some(7),
                    gap: 1,
                    color: Some(Color::Cyan),
                },
            );
        }
    }

    fn help(&self) -> Vec<(String, String)> {
        keymap::help(KEYMAP)
    }

    fn export(&self, store: &Store, dir: &Path) -> Option<Exporting> {
        let rows = self.result.as_ref()?;
        let prov = Provenance::weekly(&WeeklyQuery {
            tz: DEFAULT_TZ,
            reward: self.reward.clone(),
        })
        .with("order", self.order.label());
        Some(Exporting::Now(export_csv(
            store,
            dir,
            "perx-weekly.csv",
            rows,
            Some(&prov),
        )))
    }
}

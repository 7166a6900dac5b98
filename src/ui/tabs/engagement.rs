//! Engagement tab (report A1): a campaign, a date range picked in Singapore time (with
//! the UTC interval it means shown underneath), the ranked date-hours and a chart of
//! transactions by hour of day.

use chrono::NaiveDate;
use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders, List, ListState, Paragraph, Row, Table, TableState};

use std::path::Path;

use super::{Edit, Exporting, Outcome, Tab, clicked_row, edit, export_csv, select_clicked};
use crate::core::timerange::{DEFAULT_TZ, LocalDateRange, local_date_clamped, parse_day_range};
use crate::report::output::cell_text;
use crate::report::{Bucket, EngagementQuery, EngagementRow, ReportRow, Rows};
use crate::store::Store;
use crate::store::provenance::Provenance;
use crate::ui::UiError;
use crate::ui::keymap::{self, Binding, MOVE_KEYS, Move, ch, key};
use crate::ui::picker::{DatePicker, PickerEvent};
use crate::ui::strings::engagement as s;

/// The zone dates are picked in.
const ZONE: Tz = DEFAULT_TZ;

/// What has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Focus {
    #[default]
    Campaigns,
    Dates,
    /// The result table (scrolled with the arrows).
    Results,
    Typing,
    /// Typing a campaign id or part of its name after `/`.
    Search,
}

/// What the Engagement tab's keys do (the calendar has its own keymap, used while the
/// dates have focus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Campaigns,
    Dates,
    Results,
    Order,
    TypeDates,
    Search,
    Move,
    Open,
    Back,
    OpenSql,
}

const KEYMAP: &[Binding<Command>] = &[
    Binding {
        keys: &[ch('c')],
        command: Command::Campaigns,
        help: "choose the campaign (then ↑↓ j k)",
    },
    Binding {
        keys: &[ch('d')],
        command: Command::Dates,
        help: "the calendar (keys below)",
    },
    Binding {
        keys: &[ch('r')],
        command: Command::Results,
        help: "scroll the results (then ↑↓ j k PgUp PgDn Home End)",
    },
    Binding {
        keys: &[ch('s')],
        command: Command::Order,
        help: "results by rank or by date and hour",
    },
    Binding {
        keys: &[ch('t')],
        command: Command::TypeDates,
        help: "type the dates: 2019-08-27 or 2019-08-27..2019-08-30 (Esc cancels)",
    },
    Binding {
        keys: &[ch('/')],
        command: Command::Search,
        help: "find a campaign by id or name as you type; Enter shows it",
    },
    Binding {
        keys: MOVE_KEYS,
        command: Command::Move,
        help: "move in the campaigns or the results",
    },
    Binding {
        keys: &[key(KeyCode::Enter), key(KeyCode::Right)],
        command: Command::Open,
        help: "from the campaigns to the calendar",
    },
    Binding {
        keys: &[key(KeyCode::Esc), key(KeyCode::Left)],
        command: Command::Back,
        help: "from the results back to the campaigns",
    },
    Binding {
        keys: &[ch('o')],
        command: Command::OpenSql,
        help: "open the SQL behind this view in the Query tab, parameters written in",
    },
];

/// The tab's state.
#[derive(Debug, Default)]
pub struct EngagementTab {
    loaded: bool,
    campaigns: Vec<(i64, String)>,
    list: ListState,
    picker: Option<DatePicker>,
    focus: Focus,
    typed: String,
    message: Option<String>,
    query: Option<EngagementQuery>,
    result: Option<Rows<EngagementRow>>,
    search: String,
    /// Results in time order instead of by rank.
    chronological: bool,
    results: TableState,
    results_area: Rect,
    /// The campaign selected before `/`, restored by Esc.
    before_search: Option<usize>,
    list_area: Rect,
}

impl EngagementTab {
    /// The query behind what is shown (campaign, local range and zone).
    pub fn query(&self) -> Option<&EngagementQuery> {
        self.query.as_ref()
    }

    /// The rows shown.
    pub fn result(&self) -> Option<&Rows<EngagementRow>> {
        self.result.as_ref()
    }

    fn load(&mut self, store: &Store) -> Result<(), UiError> {
        self.campaigns = store.campaign_ids().map_err(UiError::from)?;
        self.list.select((!self.campaigns.is_empty()).then_some(0));
        let span = store.transaction_time_range().map_err(UiError::from)?;
        self.picker = span.map(|(a, b)| {
            DatePicker::new((local_date_clamped(a, ZONE), local_date_clamped(b, ZONE)))
        });
        self.loaded = true;
        Ok(())
    }

    fn run(&mut self, store: &Store) -> Outcome {
        let (Some(i), Some(picker)) = (self.list.selected(), &self.picker) else {
            return Outcome::Done;
        };
        let Some(&(campaign_id, _)) = self.campaigns.get(i) else {
            return Outcome::Done;
        };
        let (from, to) = picker.range();
        let range = match LocalDateRange::new(from, to, ZONE) {
            Ok(r) => r,
            Err(e) => return Outcome::Error(e.into()),
        };
        let q = EngagementQuery {
            campaign_id,
            range,
            status: None,
            by: Bucket::DateHour,
        };
        let mut out = Rows::default();
        match store.engagement(&q, &mut out) {
            Ok(_) => {
                self.results.select((!out.rows.is_empty()).then_some(0));
                self.result = Some(out);
                self.order_results();
                self.query = Some(q);
                Outcome::Done
            }
            Err(e) => Outcome::Error(e.into()),
        }
    }

    fn typed_range(&self) -> Option<(NaiveDate, NaiveDate)> {
        parse_day_range(&self.typed)
    }
}

impl EngagementTab {
    /// Puts the rows in the chosen order: by rank (the report's order: most transactions,
    /// then date and hour) or by date and hour.
    fn order_results(&mut self) {
        let Some(result) = self.result.as_mut() else {
            return;
        };
        let when = |r: &EngagementRow| (r.slot.date(), r.slot.hour());
        if self.chronological {
            result.rows.sort_by_key(when);
        } else {
            result.rows.sort_by_key(|r| (r.rank, when(r)));
        }
    }

    /// Selects the first campaign whose id or name contains the search text
    /// (case-insensitive); `false` when none does.
    fn find(&mut self) -> bool {
        let needle = self.search.trim().to_lowercase();
        let hit = self.campaigns.iter().position(|(id, name)| {
            id.to_string().contains(&needle) || name.to_lowercase().contains(&needle)
        });
        if let Some(i) = hit {
            self.list.select(Some(i));
        }
        hit.is_some()
    }
}

impl Tab for EngagementTab {
    fn editing(&self) -> bool {
        matches!(self.focus, Focus::Typing | Focus::Search)
    }

    fn selected_row(&self) -> Option<Vec<String>> {
        if self.focus == Focus::Results {
            let row = self.result.as_ref()?.rows.get(self.results.selected()?)?;
            return Some(row.cells().iter().map(cell_text).collect());
        }
        let (id, name) = self.campaigns.get(self.list.selected()?)?;
        Some(vec![id.to_string(), name.clone()])
    }

    fn on_click(&mut self, column: u16, row: u16, store: &Store) -> Outcome {
        let len = self.result.as_ref().map_or(0, |r| r.rows.len());
        if select_clicked(&mut self.results, self.results_area, len, column, row) {
            self.focus = Focus::Results;
            return Outcome::Done;
        }
        // The campaign list has no heading line.
        let (offset, len) = (self.list.offset(), self.campaigns.len());
        let Some(i) = clicked_row(self.list_area, 0, offset, len, column, row) else {
            return Outcome::NotMine;
        };
        self.focus = Focus::Campaigns;
        self.list.select(Some(i));
        self.run(store)
    }

    fn on_show(&mut self, store: &Store) -> Outcome {
        if self.loaded {
            return Outcome::Done;
        }
        if let Err(e) = self.load(store) {
            return Outcome::Error(e);
        }
        self.run(store)
    }

    fn on_key(&mut self, key: KeyEvent, store: &Store) -> Outcome {
        if self.focus == Focus::Search {
            match edit(&mut self.search, &key) {
                Edit::Changed => {
                    self.message = (!self.find()).then(|| s::NO_MATCH.to_owned());
                }
                Edit::Cancelled => {
                    self.focus = Focus::Campaigns;
                    self.message = None;
                    self.list.select(self.before_search);
                }
                Edit::Submitted => {
                    self.focus = Focus::Campaigns;
                    self.message = None;
                    return self.run(store);
                }
                Edit::Other => {}
            }
            return Outcome::Done;
        }
        if self.focus == Focus::Typing {
            match key.code {
                KeyCode::Char(c) if c.is_ascii_digit() || c == '-' || c == ' ' || c == '.' => {
                    self.typed.push(c);
                }
                KeyCode::Backspace => {
                    self.typed.pop();
                }
                KeyCode::Esc => {
                    self.focus = Focus::Dates;
                    self.message = None;
                }
                KeyCode::Enter => match (self.typed_range(), self.picker.as_mut()) {
                    (Some((a, b)), Some(p)) => {
                        p.choose(a, b);
                        self.focus = Focus::Dates;
                        self.message = None;
                        return self.run(store);
                    }
                    _ => self.message = Some(s::BAD_TYPED.to_owned()),
                },
                _ => {}
            }
            return Outcome::Done;
        }
        let command = keymap::command(KEYMAP, &key);
        match command {
            Some(Command::OpenSql) => {
                return match &self.query {
                    Some(q) => Outcome::OpenQuery(Store::engagement_sql(q)),
                    None => Outcome::Done,
                };
            }
            Some(Command::Campaigns) => {
                self.focus = Focus::Campaigns;
                return Outcome::Done;
            }
            Some(Command::Dates) => {
                self.focus = Focus::Dates;
                return Outcome::Done;
            }
            Some(Command::Results) if self.result.is_some() => {
                self.focus = Focus::Results;
                return Outcome::Done;
            }
            Some(Command::Order) if self.result.is_some() => {
                self.chronological = !self.chronological;
                self.order_results();
                self.results.select(Some(0));
                return Outcome::Done;
            }
            Some(Command::TypeDates) if self.picker.is_some() => {
                self.focus = Focus::Typing;
                self.typed.clear();
                return Outcome::Done;
            }
            Some(Command::Search) if !self.campaigns.is_empty() => {
                self.focus = Focus::Search;
                self.search.clear();
                self.before_search = self.list.selected();
                return Outcome::Done;
            }
            _ => {}
        }
        match self.focus {
            Focus::Campaigns => match command {
                Some(Command::Open) => {
                    self.focus = Focus::Dates;
                    Outcome::Done
                }
                Some(Command::Move) => {
                    let Some(m) = Move::of(&key) else {
                        return Outcome::NotMine;
                    };
                    let at = self.list.selected().unwrap_or(0);
                    let to = m.apply(at, self.campaigns.len(), 10);
                    if to == at {
                        return Outcome::Done;
                    }
                    self.list.select(Some(to));
                    self.run(store)
                }
                _ => Outcome::NotMine,
            },
            Focus::Results => match command {
                Some(Command::Back) => {
                    self.focus = Focus::Campaigns;
                    Outcome::Done
                }
                Some(Command::Move) => {
                    let len = self.result.as_ref().map_or(0, |r| r.rows.len());
                    let at = self.results.selected().unwrap_or(0);
                    match Move::of(&key) {
                        Some(m) => {
                            self.results.select(Some(m.apply(at, len, 10)));
                            Outcome::Done
                        }
                        None => Outcome::NotMine,
                    }
                }
                _ => Outcome::NotMine,
            },
            Focus::Dates => {
                let Some(p) = self.picker.as_mut() else {
                    return Outcome::NotMine;
                };
                match p.on_key(key) {
                    PickerEvent::Chosen => self.run(store),
                    PickerEvent::Moved => Outcome::Done,
                    PickerEvent::Ignored => Outcome::NotMine,
                }
            }
            Focus::Typing | Focus::Search => Outcome::Done,
        }
    }

    fn render(&mut self, frame: &mut Frame, area: Rect) {
        let [left, right] =
            Layout::horizontal([Constraint::Length(26), Constraint::Min(30)]).areas(area);
        let [list_area, cal_area] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(10)]).areas(left);
        let focused = |f: Focus| {
            if self.focus == f {
                Style::default().fg(Color::Yellow)
            } else {
                Style::default()
            }
        };
        let items: Vec<String> = self
            .campaigns
            .iter()
            .map(|(id, name)| format!("{id:>3} {name}"))
            .collect();
        self.list_area = list_area;
        let title = if self.focus == Focus::Search {
            format!(" /{}▏ ", self.search)
        } else {
            s::CAMPAIGNS_TITLE.to_owned()
        };
        let border = if self.focus == Focus::Search {
            Style::default().fg(Color::Yellow)
        } else {
            focused(Focus::Campaigns)
        };
        frame.render_stateful_widget(
            List::new(items)
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(title)
                        .border_style(border),
                )
                .highlight_style(Style::default().add_modifier(Modifier::REVERSED)),
            list_area,
            &mut self.list,
        );
        let Some(picker) = &self.picker else {
            frame.render_widget(
                Paragraph::new(s::NO_DATA).block(Block::default().borders(Borders::ALL)),
                right,
            );
            return;
        };
        picker.render(
            frame,
            cal_area,
            self.focus != Focus::Campaigns,
            s::CALENDAR_TITLE,
        );
        let [info, table_area, chart_area] = Layout::vertical([
            Constraint::Length(4),
            Constraint::Min(5),
            Constraint::Length(if right.height >= 24 { 10 } else { 0 }),
        ])
        .areas(right);
        let (from, to) = picker.range();
        let mut lines = vec![format!("{} {from} – {to} ({})", s::RANGE, ZONE.name())];
        if let Ok(r) = LocalDateRange::new(from, to, ZONE) {
            let (a, b) = r.to_utc();
            lines.push(format!(
                "{} [{}, {})",
                s::UTC,
                a.format("%Y-%m-%d %H:%M"),
                b.format("%Y-%m-%d %H:%M")
            ));
        }
        lines.push(match (self.focus, &self.message, picker.pending()) {
            (Focus::Typing | Focus::Search, Some(m), _) => m.clone(),
            (Focus::Typing, None, _) => format!("{} {}▏", s::TYPE_PROMPT, self.typed),
            (_, _, Some(start)) => format!("{} {start}", s::PICK_END),
            _ => s::HINT.to_owned(),
        });
        frame.render_widget(
            Paragraph::new(lines.join("\n"))
                .block(Block::default().borders(Borders::LEFT | Borders::RIGHT | Borders::TOP)),
            info,
        );
        let Some(result) = self.result.as_ref() else {
            return;
        };
        let header = Row::new(["rank", "date (SGT)", "hour", "transactions"])
            .style(Style::default().add_modifier(Modifier::BOLD));
        let rows = result.rows.iter().map(|r| {
            let style = if r.rank == 1 {
                Style::default()
                    .fg(Color::Green)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            };
            Row::new([
                r.rank.to_string(),
                r.slot
                    .date()
                    .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string()),
                r.slot.time_text(),
                r.transactions.to_string(),
            ])
            .style(style)
        });
        let title = format!(
            "{}({} rows, {}) ",
            s::TABLE_TITLE,
            result.rows.len(),
            if self.chronological {
                s::BY_TIME
            } else {
                s::BY_RANK
            }
        );
        let focused = self.focus == Focus::Results;
        self.results_area = table_area;
        frame.render_stateful_widget(
            Table::new(
                rows,
                [
                    Constraint::Length(5),
                    Constraint::Length(11),
                    Constraint::Length(6),
                    Constraint::Length(12),
                ],
            )
            .header(header)
            .row_highlight_style(if focused {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(title)
                    .border_style(if focused {
                        Style::default().fg(Color::Yellow)
                    } else {
                        Style::default()
                    }),
            ),
            table_area,
            &mut self.results,
        );
        if chart_area.height == 0 {
            return;
        }
        // Transactions by hour of day across the range.
        let mut by_hour = [0u64; 24];
        for r in &result.rows {
            if let Some(n) = by_hour.get_mut(r.slot.hour() as usize) {
                *n += r.transactions.max(0) as u64;
            }
        }
        let bars: Vec<(String, f64)> = by_hour
            .iter()
            .enumerate()
            .map(|(h, &n)| (format!("{h:02}"), n as f64))
            .collect();
        crate::ui::chart::draw_bars(
            frame,
            chart_area,
            &crate::ui::chart::Bars {
                title: s::CHART_TITLE,
                bars: &bars,
                horizontal: false,
                show_values: false,
                bar_width: Some(2),
                gap: 1,
                color: None,
            },
        );
    }

    fn help(&self) -> Vec<(String, String)> {
        let mut rows = keymap::help(KEYMAP);
        rows.extend(crate::ui::picker::DatePicker::help());
        rows
    }

    fn export(&self, store: &Store, dir: &Path) -> Option<Exporting> {
        let (rows, q) = (self.result.as_ref()?, self.query.as_ref()?);
        let prov = Provenance::engagement(q).with(
            "order",
            if self.chronological {
                "date, hour"
            } else {
                "rank"
            },
        );
        let name = format!(
            "perx-engagement-{}-{}-{}.csv",
            q.campaign_id,
            q.range.from(),
            q.range.to()
        );
        Some(Exporting::Now(export_csv(
            store,
            dir,
            &name,
            rows,
            Some(&prov),
        )))
    }
}

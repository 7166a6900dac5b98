//! Drawing the Sessions tab: the filter line, the page of sessions, an open session.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table};

use super::input::Field;
use super::{Detail, SessionsTab};
use crate::report::output::id_list;
use crate::ui::strings::sessions as s;

impl SessionsTab {
    /// Draws the tab into `area`.
    pub(super) fn draw(&mut self, frame: &mut Frame, area: Rect) {
        let [info, list] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(3)]).areas(area);
        let line1 = match &self.typing {
            Some((field, text)) => {
                let what = match field {
                    Field::User => s::TYPE_USER,
                    Field::Campaign => s::TYPE_CAMPAIGN,
                    Field::Reward => s::TYPE_REWARD,
                    Field::Days => s::TYPE_DAYS,
                };
                format!("{what} {text}▏")
            }
            None if self.building => s::BUILDING_NOTE.to_owned(),
            None if self.sorting.is_some() => s::SORTING_NOTE.to_owned(),
            None => self.message.clone().unwrap_or_else(|| {
                format!(
                    "{} {} · {} {} · {}",
                    crate::ui::strings::thousands(self.total),
                    if self.total == 1 {
                        s::MATCHING_ONE
                    } else {
                        s::MATCHING
                    },
                    s::SORTED_BY,
                    self.sort.label(),
                    self.filter_text()
                )
            }),
        };
        frame.render_widget(Paragraph::new(format!("{line1}\n{}", s::HINT)), info);
        let start = format!("start ({})", self.zone());
        let header = Row::new([
            "#",
            "user",
            start.as_str(),
            "min",
            "req",
            "campaigns",
            "rewards",
            "driven",
        ])
        .style(Style::default().add_modifier(Modifier::BOLD));
        let rows: Vec<Row> = self
            .page
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let r = &b.session;
                let style = if r.driven {
                    Style::default().fg(Color::Green)
                } else {
                    Style::default()
                };
                Row::new([
                    (self.offset + i as u64 + 1).to_string(),
                    r.user_id.clone(),
                    self.shown_time(r.start, "%Y-%m-%d %H:%M:%S"),
                    format!("{:.1}", r.duration_s / 60.0),
                    r.event_count.to_string(),
                    id_list(&r.campaigns),
                    id_list(&r.rewards),
                    if r.driven {
                        "yes".to_owned()
                    } else {
                        String::new()
                    },
                ])
                .style(style)
            })
            .collect();
        let n = crate::ui::strings::thousands;
        let title = format!(
            "{}{}–{} of {} ",
            s::TITLE,
            n(if self.page.is_empty() {
                0
            } else {
                self.offset + 1
            }),
            n(self.offset + self.page.len() as u64),
            n(self.total)
        );
        self.list_area = list;
        frame.render_stateful_widget(
            Table::new(
                rows,
                [
                    Constraint::Length(7),
                    Constraint::Length(14),
                    Constraint::Length(19),
                    Constraint::Length(5),
                    Constraint::Length(4),
                    Constraint::Fill(1),
                    Constraint::Fill(1),
                    Constraint::Length(6),
                ],
            )
            .header(header)
            .block(Block::default().borders(Borders::ALL).title(title))
            .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED)),
            list,
            &mut self.table,
        );
        if let Some(Detail {
            row,
            events,
            pairs,
            names,
        }) = &self.detail
        {
            let area = list.inner(ratatui::layout::Margin::new(2, 1));
            frame.render_widget(Clear, area);
            let mut prev = None;
            let rows = events.iter().map(|e| {
                let gap = prev.map_or(String::new(), |p: chrono::DateTime<chrono::Utc>| {
                    format!("+{}s", (e.ts - p).num_seconds())
                });
                prev = Some(e.ts);
                Row::new([
                    self.shown_time(e.ts, "%Y-%m-%d %H:%M:%S%.3f"),
                    e.method.clone(),
                    // A reward issue gets its name, where the exports have it.
                    match names.get(&e.item_id).filter(|_| e.reward) {
                        Some(name) => format!("{} ({name})", e.path),
                        None => e.path.clone(),
                    },
                    gap,
                ])
            });
            let title = format!(
                " {} {} · {} ",
                s::DETAIL_TITLE,
                row.user_id,
                self.shown_time(row.start, "%Y-%m-%d %H:%M:%S"),
            );
            let driven_by = if pairs.is_empty() {
                s::NOT_DRIVEN.to_owned()
            } else {
                let rows: Vec<String> = pairs
                    .iter()
                    .map(|(c, r)| match names.get(r) {
                        Some(name) => format!("campaign {c} → reward {r} ({name})"),
                        None => format!("campaign {c} → reward {r}"),
                    })
                    .collect();
                format!(" {} {} ", s::DRIVEN_BY, rows.join("; "))
            };
            frame.render_widget(
                Table::new(
                    rows,
                    [
                        Constraint::Length(23),
                        Constraint::Length(5),
                        Constraint::Fill(1),
                        Constraint::Length(8),
                    ],
                )
                .header(
                    Row::new([
                        format!("time ({})", self.zone()),
                        String::new(),
                        "path".to_owned(),
                        "gap".to_owned(),
                    ])
                    .style(Style::default().add_modifier(Modifier::BOLD)),
                )
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(title)
                        .title_bottom(driven_by)
                        .border_style(Style::default().fg(Color::Yellow)),
                ),
                area,
            );
        }
    }
}

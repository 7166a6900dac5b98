//! The date-range picker: a month calendar with a cursor day; Enter picks the start, then
//! the end (in either order); presets take the whole data range or its last 7 / 30 days.
//! Dates are local calendar days (the zone is the caller's: SGT in the Engagement tab).

use chrono::{Datelike, Days, Months, NaiveDate};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::ui::keymap::{self, Binding, ch, key};

/// What the picker's keys do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    /// Move the cursor by days (which key says how many).
    Cursor,
    /// Move the cursor by a month.
    Month,
    /// Pick the start, then the end.
    Mark,
    /// All days, or the data's last 7 or 30.
    Preset,
}

const KEYMAP: &[Binding<Command>] = &[
    Binding {
        keys: &[
            key(KeyCode::Left),
            key(KeyCode::Right),
            key(KeyCode::Up),
            key(KeyCode::Down),
            ch('h'),
            ch('l'),
            ch('k'),
            ch('j'),
        ],
        command: Command::Cursor,
        help: "calendar: move the day (a week with ↑↓ k j)",
    },
    Binding {
        keys: &[key(KeyCode::PageUp), key(KeyCode::PageDown)],
        command: Command::Month,
        help: "calendar: a month earlier, later",
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        command: Command::Mark,
        help: "calendar: pick the start, then (Enter again) the end day",
    },
    Binding {
        keys: &[ch('a'), ch('w'), ch('m')],
        command: Command::Preset,
        help: "calendar: all the data's days, its last 7 or 30 days",
    },
];

/// The days a cursor key moves by.
fn days_of(code: KeyCode) -> i64 {
    match code {
        KeyCode::Left | KeyCode::Char('h') => -1,
        KeyCode::Right | KeyCode::Char('l') => 1,
        KeyCode::Up | KeyCode::Char('k') => -7,
        _ => 7,
    }
}

/// The picker's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatePicker {
    cursor: NaiveDate,
    range: (NaiveDate, NaiveDate),
    pending: Option<NaiveDate>,
    bounds: (NaiveDate, NaiveDate),
}

/// What a key did to the picker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerEvent {
    /// Nothing that changes the query.
    Moved,
    /// A new range is chosen.
    Chosen,
    /// Not a picker key.
    Ignored,
}

impl DatePicker {
    /// A picker over the data's days `bounds` (inclusive), with all of them chosen.
    pub fn new(bounds: (NaiveDate, NaiveDate)) -> DatePicker {
        DatePicker {
            cursor: bounds.0,
            range: bounds,
            pending: None,
            bounds,
        }
    }

    /// The chosen days, inclusive, earliest first.
    pub fn range(&self) -> (NaiveDate, NaiveDate) {
        self.range
    }

    /// The day under the cursor.
    pub fn cursor(&self) -> NaiveDate {
        self.cursor
    }

    /// The start picked while the end is still to come.
    pub fn pending(&self) -> Option<NaiveDate> {
        self.pending
    }

    fn shift_days(&mut self, days: i64) {
        let d = Days::new(days.unsigned_abs());
        let moved = if days >= 0 {
            self.cursor.checked_add_days(d)
        } else {
            self.cursor.checked_sub_days(d)
        };
        if let Some(m) = moved {
            self.cursor = m;
        }
    }

    fn shift_months(&mut self, months: i32) {
        let m = Months::new(months.unsigned_abs());
        let moved = if months >= 0 {
            self.cursor.checked_add_months(m)
        } else {
            self.cursor.checked_sub_months(m)
        };
        if let Some(m) = moved {
            self.cursor = m;
        }
    }

    /// Chooses a range directly (typed dates or a preset); the order does not matter.
    pub fn choose(&mut self, a: NaiveDate, b: NaiveDate) {
        self.range = (a.min(b), a.max(b));
        self.pending = None;
        self.cursor = self.range.0;
    }

    /// Handles a key.
    pub fn on_key(&mut self, key: KeyEvent) -> PickerEvent {
        let Some(command) = keymap::command(KEYMAP, &key) else {
            return PickerEvent::Ignored;
        };
        match command {
            Command::Cursor => self.shift_days(days_of(key.code)),
            Command::Month => self.shift_months(if key.code == KeyCode::PageUp { -1 } else { 1 }),
            Command::Mark => match self.pending.take() {
                None => self.pending = Some(self.cursor),
                Some(start) => {
                    let end = self.cursor;
                    self.choose(start, end);
                    self.cursor = end;
                    return PickerEvent::Chosen;
                }
            },
            Command::Preset => {
                let end = self.bounds.1;
                let start = match key.code {
                    KeyCode::Char('w') => end.checked_sub_days(Days::new(6)),
                    KeyCode::Char('m') => end.checked_sub_days(Days::new(29)),
                    _ => Some(self.bounds.0),
                };
                self.choose(start.unwrap_or(end).max(self.bounds.0), end);
                return PickerEvent::Chosen;
            }
        }
        PickerEvent::Moved
    }

    /// The picker's keys and what they do, for the help overlay.
    pub fn help() -> Vec<(String, String)> {
        keymap::help(KEYMAP)
    }

    /// Draws the cursor's month, the chosen range highlighted.
    pub fn render(&self, frame: &mut Frame, area: Rect, focused: bool, title: &str) {
        let first = self.cursor.with_day(1).unwrap_or(self.cursor);
        let mut lines = vec![
            Line::from(first.format("   %B %Y").to_string())
                .style(Style::default().add_modifier(Modifier::BOLD)),
            Line::from(" Mo Tu We Th Fr Sa Su"),
        ];
        let lead = first.weekday().num_days_from_monday() as usize;
        let mut spans = vec![Span::raw("   ".repeat(lead))];
        let mut day = first;
        while day.month() == first.month() {
            let in_range = day >= self.range.0 && day <= self.range.1;
            let mut style = Style::default();
            if in_range {
                style = style.fg(Color::Black).bg(Color::Cyan);
            }
            if Some(day) == self.pending {
                style = style.fg(Color::Black).bg(Color::Yellow);
            }
            if day == self.cursor && focused {
                style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
            }
            spans.push(Span::raw(" "));
            spans.push(Span::styled(format!("{:>2}", day.day()), style));
            if day.weekday().num_days_from_monday() == 6 {
                lines.push(Line::from(std::mem::take(&mut spans)));
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        if !spans.is_empty() {
            lines.push(Line::from(spans));
        }
        let border = if focused {
            Style::default().fg(Color::Yellow)
        } else {
            Style::default()
        };
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(title.to_owned())
                    .border_style(border),
            ),
            area,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyModifiers;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn press(p: &mut DatePicker, code: KeyCode) -> PickerEvent {
        p.on_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn arrows_move_days_and_weeks_page_keys_months_enter_picks_both_ends() {
        let mut p = DatePicker::new((d(2019, 7, 1), d(2019, 8, 31)));
        assert_eq!(p.range(), (d(2019, 7, 1), d(2019, 8, 31)));
        press(&mut p, KeyCode::Right);
        press(&mut p, KeyCode::Down);
        assert_eq!(p.cursor(), d(2019, 7, 9));
        press(&mut p, KeyCode::PageDown);
        assert_eq!(p.cursor(), d(2019, 8, 9));
        assert_eq!(press(&mut p, KeyCode::Enter), PickerEvent::Moved);
        assert_eq!(p.pending(), Some(d(2019, 8, 9)));
        press(&mut p, KeyCode::Left);
        press(&mut p, KeyCode::Left);
        // The end before the start: the range is put in order.
        assert_eq!(press(&mut p, KeyCode::Enter), PickerEvent::Chosen);
        assert_eq!(p.range(), (d(2019, 8, 7), d(2019, 8, 9)));
        assert_eq!(p.pending(), None);
    }

    #[test]
    fn presets_take_the_data_range_or_its_last_days() {
        let mut p = DatePicker::new((d(2019, 8, 20), d(2019, 9, 2)));
        assert_eq!(press(&mut p, KeyCode::Char('w')), PickerEvent::Chosen);
        assert_eq!(p.range(), (d(2019, 8, 27), d(2019, 9, 2)));
        press(&mut p, KeyCode::Char('m'));
        // Last 30 days, but not before the data starts.
        assert_eq!(p.range(), (d(2019, 8, 20), d(2019, 9, 2)));
        press(&mut p, KeyCode::Char('a'));
        assert_eq!(p.range(), (d(2019, 8, 20), d(2019, 9, 2)));
        assert_eq!(press(&mut p, KeyCode::Char('x')), PickerEvent::Ignored);
    }
}

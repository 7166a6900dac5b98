//! Sessions tab: the sessions of the HTTP log, read from DuckDB a page at a time (never
//! all in memory), filtered by user, campaign, reward, reward-driven or start time (SGT), sorted
//! with `s`; Enter shows a session's requests with the gap since the previous one; `u`
//! opens the session's user in the Recommend tab. It reads the sessions table that loads
//! build and ingests keep current; a table left stale (by an older perx, or a load killed
//! before it) is built in the background first.
//!
//! `mod.rs` holds the state and paging, `input` the filters typed into it, `render` the
//! drawing and `export` the background export of every match.

mod export;
mod input;
mod render;

use input::Field;

use std::path::Path;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::widgets::TableState;

use super::{Edit, Exporting, Outcome, Tab, edit, select_clicked};
use crate::report::SessionRow;
use crate::report::output::id_list;
use crate::store::Store;
use crate::store::session_browse::{
    BrowsedSession, PageKey, SessionEvent, SessionFilter, SessionSort,
};
use crate::ui::UiError;
use crate::ui::jobs::Work;
use crate::ui::keymap::{self, Binding, MOVE_KEYS, Move, ch, key};
use crate::ui::strings::sessions as s;
use crate::ui::tabs::Done;

/// Sessions fetched per query.
const PAGE: u64 = 200;

/// An open session: its requests, and the mapping rows that made it reward-driven.
#[derive(Debug)]
struct Detail {
    row: SessionRow,
    events: Vec<SessionEvent>,
    pairs: Vec<(i64, i64)>,
    /// The names of the rewards it issued, where the exports have them.
    names: std::collections::HashMap<i64, String>,
}

/// What the Sessions tab's keys do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Move,
    Filter(Field),
    Driven,
    Sort,
    Open,
    Recommend,
    Back,
    OpenSql,
    Zone,
}

const KEYMAP: &[Binding<Command>] = &[
    Binding {
        keys: MOVE_KEYS,
        command: Command::Move,
        help: "move (pages are read from DuckDB as needed)",
    },
    Binding {
        keys: &[ch('/')],
        command: Command::Filter(Field::User),
        help: "filter by user id (empty clears)",
    },
    Binding {
        keys: &[ch('c')],
        command: Command::Filter(Field::Campaign),
        help: "only sessions that viewed this campaign id (empty clears)",
    },
    Binding {
        keys: &[ch('w')],
        command: Command::Filter(Field::Reward),
        help: "only sessions that issued this reward id (empty clears)",
    },
    Binding {
        keys: &[ch('t')],
        command: Command::Filter(Field::Days),
        help: "only sessions starting in this SGT span: 2024-01-01..2024-01-07, 2024-01-01 08:00..2024-01-01 12:00",
    },
    Binding {
        keys: &[ch('d')],
        command: Command::Driven,
        help: "reward-driven sessions only, or all",
    },
    Binding {
        keys: &[ch('s')],
        command: Command::Sort,
        help: "sort: user and start, start, most requests, longest",
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        command: Command::Open,
        help: "the session's requests, with the gap since the previous one (build the browser first)",
    },
    Binding {
        keys: &[ch('u')],
        command: Command::Recommend,
        help: "open the selected session's user's reward recommendations (Recommend tab)",
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        command: Command::Back,
        help: "close the requests, or clear the filters",
    },
    Binding {
        keys: &[ch('z')],
        command: Command::Zone,
        help: "times in SGT (as the rest of perx) or UTC (as the log and the exports)",
    },
    Binding {
        keys: &[ch('o')],
        command: Command::OpenSql,
        help: "open the SQL behind this view in the Query tab, parameters written in",
    },
];

/// The tab's state.
#[derive(Debug, Default)]
pub struct SessionsTab {
    built: bool,
    building: bool,
    /// The order being prepared in the background.
    sorting: Option<SessionSort>,
    list_area: Rect,
    filter: SessionFilter,
    sort: SessionSort,
    offset: u64,
    page: Vec<BrowsedSession>,
    total: u64,
    table: TableState,
    typing: Option<(Field, String)>,
    detail: Option<Detail>,
    message: Option<String>,
    /// Times shown in UTC rather than SGT (`z`).
    utc: bool,
}

impl SessionsTab {
    /// Sessions matching the filter.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The selected session.
    pub fn selected(&self) -> Option<&BrowsedSession> {
        self.table.selected().and_then(|i| self.page.get(i))
    }

    /// The selected session's position in the current order and filter (1 = the first).
    pub fn selected_position(&self) -> Option<u64> {
        self.table.selected().map(|i| self.offset + i as u64 + 1)
    }

    /// Whether times are shown in UTC (else SGT).
    pub fn shows_utc(&self) -> bool {
        self.utc
    }

    /// An instant as this tab shows it: in SGT, or in UTC after `z`; `fmt` a chrono
    /// format of the date and time.
    fn shown_time(&self, t: chrono::DateTime<chrono::Utc>, fmt: &str) -> String {
        if self.utc {
            return t.format(fmt).to_string();
        }
        crate::core::timerange::to_local(t, crate::core::timerange::DEFAULT_TZ)
            .map_or_else(|| t.format(fmt).to_string(), |l| l.format(fmt).to_string())
    }

    /// The zone the times are shown in.
    fn zone(&self) -> &'static str {
        if self.utc { "UTC" } else { "SGT" }
    }

    /// The open session's requests.
    pub fn detail(&self) -> Option<&[SessionEvent]> {
        self.detail.as_ref().map(|d| d.events.as_slice())
    }

    /// The open session's driving (campaign, reward) mapping rows.
    pub fn detail_pairs(&self) -> Option<&[(i64, i64)]> {
        self.detail.as_ref().map(|d| d.pairs.as_slice())
    }

    /// Whether the sessions table is being built in the background.
    pub fn building(&self) -> bool {
        self.building
    }

    /// The message line, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Starts building the sessions table in the background.
    fn build(&mut self) -> Outcome {
        self.building = true;
        self.message = None;
        Outcome::Spawn(Work::new(s::BUILDING, |store, progress| {
            Done::Sessions(
                store
                    .build_sessions_table(progress)
                    .map(|_| ())
                    .map_err(UiError::from),
            )
        }))
    }

    /// Counts the matches and shows the first page.
    fn reload(&mut self, store: &Store) -> Outcome {
        match store.session_count(&self.filter) {
            Ok(total) => self.total = total,
            Err(e) => return Outcome::Error(e.into()),
        }
        self.first_page(store)
    }

    /// The first page in the current order (the count does not depend on the order).
    fn first_page(&mut self, store: &Store) -> Outcome {
        match store.session_page(&self.filter, self.sort, &PageKey::First, false, PAGE) {
            Ok(page) => {
                self.show(page, 0, 0);
                Outcome::Done
            }
            Err(e) => Outcome::Error(e.into()),
        }
    }

    fn show(&mut self, page: Vec<BrowsedSession>, offset: u64, select: usize) {
        self.offset = offset;
        self.table
            .select((!page.is_empty()).then(|| select.min(page.len() - 1)));
        self.page = page;
    }

    /// Moves the selection by `delta` rows (|delta| < a page), reading the neighbouring
    /// page by key when the target is outside this one.
    fn step(&mut self, store: &Store, delta: i64) -> Outcome {
        if self.page.is_empty() {
            return Outcome::Done;
        }
        let at = self.offset as i64 + self.table.selected().unwrap_or(0) as i64;
        let target = (at + delta).clamp(0, self.total.saturating_sub(1) as i64) as u64;
        let end = self.offset + self.page.len() as u64;
        if target >= self.offset && target < end {
            self.table.select(Some((target - self.offset) as usize));
            return Outcome::Done;
        }
        let (key, before) = if target >= end {
            (&self.page[self.page.len() - 1].key, false)
        } else {
            (&self.page[0].key, true)
        };
        match store.session_page(&self.filter, self.sort, key, before, PAGE) {
            Ok(page) if page.is_empty() => Outcome::Done,
            Ok(page) => {
                let offset = if before {
                    self.offset.saturating_sub(page.len() as u64)
                } else {
                    end
                };
                let select = target.saturating_sub(offset) as usize;
                self.show(page, offset, select);
                Outcome::Done
            }
            Err(e) => Outcome::Error(e.into()),
        }
    }

    /// The last page.
    fn last_page(&mut self, store: &Store) -> Outcome {
        match store.session_page(&self.filter, self.sort, &PageKey::Last, true, PAGE) {
            Ok(page) => {
                let offset = self.total.saturating_sub(page.len() as u64);
                let last = page.len().saturating_sub(1);
                self.show(page, offset, last);
                Outcome::Done
            }
            Err(e) => Outcome::Error(e.into()),
        }
    }
}

impl Tab for SessionsTab {
    fn editing(&self) -> bool {
        self.typing.is_some()
    }

    fn on_show(&mut self, store: &Store) -> Outcome {
        if self.built || self.building {
            return Outcome::Done;
        }
        match store.sessions_fresh() {
            Ok(true) => {
                self.built = true;
                self.reload(store)
            }
            Ok(false) => self.build(),
            Err(e) => Outcome::Error(e.into()),
        }
    }

    fn on_done(&mut self, done: Done, store: &Store) -> Outcome {
        let result = match done {
            Done::Sessions(result) => result,
            Done::SessionsSorted(result) => {
                let Some(sort) = self.sorting.take() else {
                    return Outcome::Done;
                };
                return match result {
                    Ok(()) => {
                        self.sort = sort;
                        self.first_page(store)
                    }
                    Err(e) => Outcome::Error(e),
                };
            }
            _ => return Outcome::Done,
        };
        self.building = false;
        match result {
            Ok(()) => {
                self.built = true;
                self.reload(store)
            }
            Err(e) => {
                self.message = Some(s::NOT_BUILT.to_owned());
                Outcome::Error(e)
            }
        }
    }

    fn on_cancelled(&mut self) {
        self.sorting = None;
        if self.building {
            self.building = false;
            self.message = Some(s::NOT_BUILT.to_owned());
        }
    }

    fn on_click(&mut self, column: u16, row: u16, _store: &Store) -> Outcome {
        if self.detail.is_some() {
            return Outcome::Done;
        }
        let len = self.page.len();
        if select_clicked(&mut self.table, self.list_area, len, column, row) {
            Outcome::Done
        } else {
            Outcome::NotMine
        }
    }

    fn selected_row(&self) -> Option<Vec<String>> {
        let r = &self.selected()?.session;
        Some(vec![
            r.user_id.clone(),
            r.start.format("%Y-%m-%d %H:%M:%S").to_string(),
            r.end.format("%Y-%m-%d %H:%M:%S").to_string(),
            id_list(&r.campaigns),
            id_list(&r.rewards),
            r.driven.to_string(),
            r.event_count.to_string(),
            r.duration_s.to_string(),
        ])
    }

    fn on_key(&mut self, key: KeyEvent, store: &Store) -> Outcome {
        let command = keymap::command(KEYMAP, &key);
        if !self.built {
            return match command {
                Some(Command::Open) if !self.building => self.build(),
                _ => Outcome::NotMine,
            };
        }
        if let Some((field, text)) = self.typing.as_mut() {
            match edit(text, &key) {
                Edit::Cancelled => self.typing = None,
                Edit::Submitted => {
                    let (field, text) = (*field, text.clone());
                    self.typing = None;
                    return self.apply_typed(store, field, &text);
                }
                Edit::Changed | Edit::Other => {}
            }
            return Outcome::Done;
        }
        if self.detail.is_some() {
            return match command {
                Some(Command::Back | Command::Open) => {
                    self.detail = None;
                    Outcome::Done
                }
                _ => Outcome::NotMine,
            };
        }
        let Some(command) = command else {
            return Outcome::NotMine;
        };
        match command {
            Command::OpenSql => {
                Outcome::OpenQuery(Store::session_view_sql(&self.filter, self.sort))
            }
            Command::Zone => {
                self.utc = !self.utc;
                Outcome::Done
            }
            Command::Move => match Move::of(&key) {
                Some(Move::First) => self.first_page(store),
                Some(Move::Last) => self.last_page(store),
                Some(m) => self.step(store, m.delta(20).unwrap_or(0)),
                None => Outcome::NotMine,
            },
            Command::Filter(field) => {
                self.typing = Some((field, String::new()));
                Outcome::Done
            }
            Command::Recommend => match self.selected() {
                Some(b) => Outcome::OpenRewards(b.session.user_id.clone()),
                None => Outcome::Done,
            },
            Command::Driven => {
                self.filter.driven_only = !self.filter.driven_only;
                self.reload(store)
            }
            Command::Sort => {
                let next = self.sort.next();
                match store.session_sort_ready(next) {
                    Ok(true) => {
                        self.sort = next;
                        self.first_page(store)
                    }
                    Ok(false) => {
                        self.sorting = Some(next);
                        Outcome::Spawn(Work::new(s::SORTING, move |store, _| {
                            Done::SessionsSorted(
                                store.prepare_session_sort(next).map_err(UiError::from),
                            )
                        }))
                    }
                    Err(e) => Outcome::Error(e.into()),
                }
            }
            Command::Back if !self.filter.is_empty() => {
                self.filter = SessionFilter::default();
                self.reload(store)
            }
            Command::Open => {
                let Some(row) = self.selected().map(|b| b.session.clone()) else {
                    return Outcome::Done;
                };
                let read = store.session_events(&row).and_then(|events| {
                    let pairs = store.session_driving_pairs(&row.user_id, &events)?;
                    let mut names = store.reward_titles()?;
                    names.retain(|id, _| row.rewards.contains(id));
                    Ok((events, pairs, names))
                });
                match read {
                    Ok((events, pairs, names)) => {
                        self.detail = Some(Detail {
                            row,
                            events,
                            pairs,
                            names,
                        });
                        Outcome::Done
                    }
                    Err(e) => Outcome::Error(e.into()),
                }
            }
            Command::Back => Outcome::NotMine,
        }
    }

    fn render(&mut self, frame: &mut Frame, area: Rect) {
        self.draw(frame, area);
    }

    fn help(&self) -> Vec<(String, String)> {
        keymap::help(KEYMAP)
    }

    fn export(&self, _store: &Store, dir: &Path) -> Option<Exporting> {
        if !self.built || self.total == 0 {
            return None;
        }
        let (filter, sort) = (self.filter.clone(), self.sort);
        let path = super::export_path(dir, "perx-sessions.csv");
        Some(Exporting::Later(Work::new(
            s::EXPORTING,
            move |store, _| Done::Exported(export::export_sessions(store, &filter, sort, path)),
        )))
    }
}

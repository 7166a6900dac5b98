//! The application state and its update function.

use ratatui::Frame;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, Tabs, Wrap};

use std::path::PathBuf;
use std::time::Duration;

use super::jobs::{Ended, Running, Work};
use super::keymap::{self, Binding, Key, MOVE_KEYS, Move, ch, ctrl, key};
use super::strings;
use super::tabs::Done;
use super::tabs::data::DataTab;
use super::tabs::engagement::EngagementTab;
use super::tabs::query::QueryTab;
use super::tabs::recommend::RecommendTab;
use super::tabs::sessions::SessionsTab;
use super::tabs::weekly::WeeklyTab;
use super::tabs::{Exporting, Outcome, Tab, TabId};
use crate::store::Store;
use crate::ui::UiError;

/// Everything that can happen to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A key press.
    Key(KeyEvent),
    /// Show this tab.
    ShowTab(TabId),
    /// Next tab.
    NextTab,
    /// Previous tab.
    PrevTab,
    /// Open or close the help overlay.
    ToggleHelp,
    /// Close the error popup or help overlay.
    Dismiss,
    /// Export the current view to CSV.
    Export,
    /// Copy the selected row to the terminal's clipboard (OSC 52).
    Copy,
    /// Cancel the background job.
    Cancel,
    /// A mouse event (clicks select tabs and rows, the wheel scrolls).
    Mouse(MouseEvent),
    /// Leave.
    Quit,
}

/// The UI's state: the store, the tabs, what is shown.
pub struct App {
    store: Store,
    current: TabId,
    engagement: EngagementTab,
    weekly: WeeklyTab,
    sessions: SessionsTab,
    recommend: RecommendTab,
    data: DataTab,
    query: QueryTab,
    help: bool,
    /// Rows of the help overlay scrolled past (it can be taller than the screen).
    help_scroll: usize,
    error: Option<String>,
    status: Option<String>,
    export_dir: PathBuf,
    quit: bool,
    job: Option<Running<TabId, Done>>,
    /// Threads of cancelled jobs still stopping: the next job waits for them.
    stopping: Vec<std::thread::JoinHandle<()>>,
    clipboard: Option<String>,
    /// Where each tab title was drawn on the top row (start column, width), for clicks.
    tab_hits: Vec<(u16, u16)>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("current", &self.current)
            .field("help", &self.help)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl App {
    /// An app on `store`, showing the first tab.
    pub fn new(store: Store) -> App {
        let mut app = App {
            store,
            current: TabId::Engagement,
            engagement: EngagementTab::default(),
            weekly: WeeklyTab::default(),
            sessions: SessionsTab::default(),
            recommend: RecommendTab::new(),
            data: DataTab::default(),
            query: QueryTab::new(),
            help: false,
            help_scroll: 0,
            error: None,
            status: None,
            export_dir: PathBuf::from("."),
            quit: false,
            job: None,
            stopping: Vec::new(),
            clipboard: None,
            tab_hits: Vec::new(),
        };
        app.show(TabId::Engagement);
        app
    }

    /// Exports go to `dir` (default: the working directory).
    pub fn with_export_dir(mut self, dir: PathBuf) -> App {
        self.export_dir = dir;
        self
    }

    /// The status line (e.g. where an export went).
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// Whether the user asked to leave.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// The tab shown.
    pub fn current_tab(&self) -> TabId {
        self.current
    }

    /// The error shown, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The Recommend tab (for tests and cross-tab jumps).
    pub fn recommend_tab(&self) -> &RecommendTab {
        &self.recommend
    }

    fn tab_mut(&mut self, id: TabId) -> &mut dyn Tab {
        self.tab_and_store(id).0
    }

    /// Tab `id` and the store, borrowed together.
    fn tab_and_store(&mut self, id: TabId) -> (&mut dyn Tab, &Store) {
        let tab: &mut dyn Tab = match id {
            TabId::Engagement => &mut self.engagement,
            TabId::Weekly => &mut self.weekly,
            TabId::Sessions => &mut self.sessions,
            TabId::Recommend => &mut self.recommend,
            TabId::Data => &mut self.data,
            TabId::Query => &mut self.query,
        };
        (tab, &self.store)
    }

    fn tab(&self) -> &dyn Tab {
        match self.current {
            TabId::Engagement => &self.engagement,
            TabId::Weekly => &self.weekly,
            TabId::Sessions => &self.sessions,
            TabId::Recommend => &self.recommend,
            TabId::Data => &self.data,
            TabId::Query => &self.query,
        }
    }

    /// The Sessions tab (for tests).
    pub fn sessions_tab(&self) -> &SessionsTab {
        &self.sessions
    }

    /// The Weekly tab (for tests).
    pub fn weekly_tab(&self) -> &WeeklyTab {
        &self.weekly
    }

    /// The Query tab (for tests).
    pub fn query_tab(&self) -> &QueryTab {
        &self.query
    }

    /// The Engagement tab (for tests).
    pub fn engagement_tab(&self) -> &EngagementTab {
        &self.engagement
    }

    fn show(&mut self, id: TabId) {
        self.current = id;
        let (tab, store) = self.tab_and_store(self.current);
        let outcome = tab.on_show(store);
        self.apply(self.current, outcome);
    }

    /// Opens `path` in the Query tab as a view of its session (`perx FILE`).
    pub fn open_file(&mut self, path: &std::path::Path) {
        self.show(TabId::Query);
        let outcome = self.query.open_file(path, &self.store);
        self.apply(TabId::Query, outcome);
    }

    /// Carries out what tab `tab` asked for.
    fn apply(&mut self, tab: TabId, outcome: Outcome) {
        match outcome {
            Outcome::Done | Outcome::NotMine => {}
            Outcome::Error(e) => self.error = Some(e.to_string()),
            Outcome::Spawn(work) => self.start_job(tab, work),
            Outcome::DataChanged(summary) => {
                self.engagement = EngagementTab::default();
                self.weekly = WeeklyTab::default();
                self.sessions = SessionsTab::default();
                self.recommend = RecommendTab::new();
                self.status = Some(summary);
            }
            Outcome::Copy(text) => {
                self.clipboard = Some(text);
                self.status = Some(strings::COPIED_CELL.to_owned());
            }
            Outcome::ExportJson => {
                let dir = self.export_dir.clone();
                let (t, store) = self.tab_and_store(tab);
                let export = t.export_json(store, &dir);
                self.export(export);
            }
            Outcome::ExportParquet => {
                let dir = self.export_dir.clone();
                let (t, store) = self.tab_and_store(tab);
                let export = t.export_parquet(store, &dir);
                self.export(export);
            }
            Outcome::OpenQuery(sql) => {
                self.query.set_text(&sql);
                self.show(TabId::Query);
            }
            Outcome::OpenRewards(user) => {
                self.show(TabId::Recommend);
                let outcome = self.recommend.open_rewards_user(&user, &self.store);
                self.apply(TabId::Recommend, outcome);
            }
            Outcome::OpenUser(user) => {
                self.show(TabId::Recommend);
                let outcome = self.recommend.open_user(user, &self.store);
                self.apply(TabId::Recommend, outcome);
            }
        }
    }

    /// Runs `work` in the background for tab `tab`. One job at a time: a new one cancels
    /// the one running.
    fn start_job(&mut self, tab: TabId, work: Work<Done>) {
        self.drop_job();
        let after: Vec<_> = std::mem::take(&mut self.stopping)
            .into_iter()
            .filter(|t| !t.is_finished())
            .collect();
        match Running::start(tab, work, &self.store, after) {
            Ok(job) => self.job = Some(job),
            Err(e) => {
                self.error = Some(e.to_string());
                self.tab_mut(tab).on_cancelled();
            }
        }
    }

    /// Interrupts the running job, if any, and tells its tab; returns its label.
    fn drop_job(&mut self) -> Option<&'static str> {
        let job = self.job.take()?;
        let (tab, label) = (job.tab, job.label());
        self.stopping.push(job.cancel());
        self.tab_mut(tab).on_cancelled();
        Some(label)
    }

    /// Hands a finished job's result to its tab.
    fn finish(&mut self, job: Running<TabId, Done>, ended: Ended<Done>) {
        match ended {
            Ended::Finished(Done::Exported(result)) => self.exported(result),
            Ended::Finished(done) => {
                let (tab, store) = self.tab_and_store(job.tab);
                let outcome = tab.on_done(done, store);
                self.apply(job.tab, outcome);
            }
            Ended::Lost => {
                self.tab_mut(job.tab).on_cancelled();
                self.error = Some(strings::job_lost(job.label(), None));
            }
            Ended::Panicked(why) => {
                self.tab_mut(job.tab).on_cancelled();
                self.error = Some(strings::job_lost(job.label(), Some(&why)));
            }
        }
    }

    /// Writes an export now or starts its job; says so when there is nothing to export.
    fn export(&mut self, export: Option<Exporting>) {
        match export {
            None => self.status = Some(strings::NOTHING_TO_EXPORT.to_owned()),
            Some(Exporting::Now(result)) => self.exported(result),
            Some(Exporting::Later(work)) => self.start_job(self.current, work),
        }
    }

    fn exported(&mut self, result: Result<super::tabs::Exported, UiError>) {
        match result {
            Ok(e) => self.status = Some(strings::exported(&e)),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Picks up the background job's result if it has ended (the event loop calls this
    /// on every turn).
    pub fn tick(&mut self) {
        self.tab_mut(self.current).poll();
        let Some(ended) = self.job.as_ref().and_then(Running::poll) else {
            return;
        };
        if let Some(job) = self.job.take() {
            self.finish(job, ended);
        }
    }

    /// Waits until no background job is running (tests, benchmarks); a job that takes
    /// more than `limit` is cancelled and reported as an error.
    pub fn wait_idle(&mut self, limit: Duration) {
        while let Some(job) = self.job.take() {
            match job.wait(limit) {
                Some(ended) => self.finish(job, ended),
                None => {
                    self.job = Some(job);
                    let label = self.drop_job().unwrap_or_default();
                    self.error = Some(strings::job_timed_out(label, limit));
                    return;
                }
            }
        }
        self.tab_mut(self.current).settle(limit);
    }

    /// Whether a background job is running.
    pub fn busy(&self) -> bool {
        self.job.is_some() || self.tab().waiting()
    }

    /// Text copied with `y`, not yet handed to the terminal.
    pub fn take_clipboard(&mut self) -> Option<String> {
        self.clipboard.take()
    }

    /// Applies one action.
    pub fn update(&mut self, action: Action) {
        match action {
            Action::Key(key) => {
                // A status line (e.g. where an export went) lasts until the next key.
                self.status = None;
                if let Some(next) = self.key_action(key) {
                    self.update(next);
                }
            }
            Action::ShowTab(t) => self.show(t),
            Action::NextTab => self.show(self.current.next()),
            Action::PrevTab => self.show(self.current.prev()),
            Action::ToggleHelp => {
                self.help = !self.help;
                self.help_scroll = 0;
            }
            Action::Dismiss => {
                self.help = false;
                self.error = None;
            }
            Action::Export => {
                let export = self.tab().export(&self.store, &self.export_dir);
                self.export(export);
            }
            Action::Copy => {
                self.status = Some(match self.tab().selected_row() {
                    Some(cells) => {
                        self.clipboard = Some(cells.join("\t"));
                        strings::COPIED.to_owned()
                    }
                    None => strings::NOTHING_TO_COPY.to_owned(),
                });
            }
            Action::Cancel => {
                if let Some(label) = self.drop_job() {
                    self.status = Some(strings::cancelled(label));
                }
            }
            Action::Mouse(m) => self.mouse(m),
            Action::Quit => {
                self.drop_job();
                self.quit = true;
            }
        }
    }

    fn mouse(&mut self, m: MouseEvent) {
        let overlay = self.error.is_some() || self.help;
        let wheel = |code| Action::Key(KeyEvent::new(code, KeyModifiers::NONE));
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) if overlay => self.update(Action::Dismiss),
            MouseEventKind::Down(MouseButton::Left) if m.row == 0 => {
                let hit = self
                    .tab_hits
                    .iter()
                    .position(|&(x, w)| m.column >= x && m.column < x + w);
                if let Some(t) = hit.and_then(TabId::at) {
                    self.update(Action::ShowTab(t));
                }
            }
            MouseEventKind::Down(MouseButton::Left) => {
                let current = self.current;
                let (tab, store) = self.tab_and_store(current);
                let outcome = tab.on_click(m.column, m.row, store);
                self.apply(current, outcome);
            }
            // The wheel moves the selection like the arrow keys, unless a field is typed in.
            MouseEventKind::ScrollDown if !overlay && !self.tab().editing() => {
                self.update(wheel(KeyCode::Down));
            }
            MouseEventKind::ScrollUp if !overlay && !self.tab().editing() => {
                self.update(wheel(KeyCode::Up));
            }
            _ => {}
        }
    }

    /// What a key means: overlays first, then the keys that come before the tab's
    /// (switching tabs, cancelling the job), then the tab, then the other global keys.
    fn key_action(&mut self, key: KeyEvent) -> Option<Action> {
        let global = global_command(&key);
        if global == Some(Global::Quit) && key.modifiers.contains(KeyModifiers::CONTROL) {
            return Some(Action::Quit);
        }
        if self.error.is_some() || self.help {
            return match keymap::command(OVERLAY_KEYMAP, &key)? {
                Overlay::Dismiss => Some(Action::Dismiss),
                Overlay::Quit => Some(Action::Quit),
                Overlay::Scroll => {
                    let m = Move::of(&key)?;
                    self.help_scroll = m.apply(self.help_scroll, usize::MAX, 10);
                    None
                }
            };
        }
        let tab_keys_switch = !self.tab().takes_tab_key();
        match global {
            Some(Global::NextTab) if tab_keys_switch => return Some(Action::NextTab),
            Some(Global::PrevTab) => return Some(Action::PrevTab),
            Some(Global::Cancel) if self.job.is_some() => return Some(Action::Cancel),
            _ => {}
        }
        let current = self.current;
        let (tab, store) = self.tab_and_store(current);
        match tab.on_key(key, store) {
            Outcome::NotMine => match global? {
                Global::Quit => Some(Action::Quit),
                Global::Help => Some(Action::ToggleHelp),
                Global::Export => Some(Action::Export),
                Global::Copy => Some(Action::Copy),
                Global::Show(t) => Some(Action::ShowTab(t)),
                Global::NextTab | Global::PrevTab | Global::Cancel => None,
            },
            outcome => {
                self.apply(current, outcome);
                None
            }
        }
    }

    /// Draws the whole screen.
    pub fn render(&mut self, frame: &mut Frame) {
        let [bar, body, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(frame.area());
        let titles: Vec<String> = TabId::ALL
            .iter()
            .enumerate()
            .map(|(i, t)| format!("{} {}", i + 1, t.title()))
            .collect();
        // The Tabs widget pads each title with one space either side and puts a one-column
        // divider between them.
        self.tab_hits.clear();
        let mut x = bar.x;
        for t in &titles {
            let w = t.chars().count() as u16 + 2;
            self.tab_hits.push((x, w));
            x += w + 1;
        }
        let titles = titles.into_iter().map(Line::from);
        frame.render_widget(
            Tabs::new(titles)
                .select(self.current.index())
                .highlight_style(Style::default().add_modifier(Modifier::REVERSED))
                .divider("│"),
            bar,
        );
        let current = self.current;
        self.tab_mut(current).render(frame, body);
        let (footer_text, color) = match (&self.job, &self.status, self.tab().editing()) {
            (Some(job), _, _) => (
                format!(" {}{}", job.status(), strings::ESC_CANCELS),
                Color::Yellow,
            ),
            (None, Some(status), _) => (status.clone(), Color::DarkGray),
            (None, None, true) => (strings::EDITING_FOOTER.to_owned(), Color::DarkGray),
            (None, None, false) => (strings::footer(TabId::ALL.len()), Color::DarkGray),
        };
        frame.render_widget(
            Paragraph::new(footer_text).style(Style::default().fg(color)),
            footer,
        );
        if self.help {
            self.render_help(frame);
        }
        if let Some(e) = &self.error {
            let area = centered(frame.area(), 70, 7);
            frame.render_widget(Clear, area);
            frame.render_widget(
                Paragraph::new(e.as_str()).wrap(Wrap { trim: true }).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(strings::ERROR_TITLE)
                        .border_style(Style::default().fg(Color::Red)),
                ),
                area,
            );
        }
    }

    fn render_help(&mut self, frame: &mut Frame) {
        const KEY_WIDTH: u16 = 22;
        let mut keys = self.tab().help();
        keys.extend(global_help());
        // As wide as the screen allows up to 100 columns; long descriptions wrap.
        let width = frame.area().width.saturating_sub(4).clamp(40, 100);
        let text_width = usize::from(width.saturating_sub(KEY_WIDTH + 3)).max(10);
        let mut rows = Vec::new();
        for (k, what) in keys {
            // Both columns wrap at spaces; the row is as tall as the taller.
            let keys = wrap(&k, usize::from(KEY_WIDTH - 1));
            let text = wrap(&what, text_width);
            for i in 0..keys.len().max(text.len()) {
                rows.push(Row::new([
                    keys.get(i).cloned().unwrap_or_default(),
                    text.get(i).cloned().unwrap_or_default(),
                ]));
            }
        }
        // Taller than the screen: ↑↓ scroll, and the title says so.
        let visible = usize::from(frame.area().height.saturating_sub(2)).max(1);
        let skip = self.help_scroll.min(rows.len().saturating_sub(visible));
        self.help_scroll = skip;
        let title = if rows.len() > visible {
            strings::help_title_scrolled(skip + 1, (skip + visible).min(rows.len()), rows.len())
        } else {
            strings::HELP_TITLE.to_owned()
        };
        let height = rows.len().min(visible) as u16 + 2;
        let rows: Vec<Row> = rows.into_iter().skip(skip).collect();
        let area = centered(frame.area(), width, height);
        frame.render_widget(Clear, area);
        frame.render_widget(
            Table::new(rows, [Constraint::Length(KEY_WIDTH), Constraint::Fill(1)])
                .block(Block::default().borders(Borders::ALL).title(title)),
            area,
        );
    }
}

/// What the keys every tab shares do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Global {
    Quit,
    Help,
    Export,
    Copy,
    NextTab,
    PrevTab,
    Cancel,
    Show(TabId),
}

/// The keys every tab shares, except the digits (one per tab, from [`TabId::ALL`]).
const GLOBAL_KEYMAP: &[Binding<Global>] = &[
    Binding {
        keys: &[key(KeyCode::Tab)],
        command: Global::NextTab,
        help: "next tab",
    },
    Binding {
        keys: &[key(KeyCode::BackTab)],
        command: Global::PrevTab,
        help: "previous tab",
    },
    Binding {
        keys: &[ch('x')],
        command: Global::Export,
        help: "export the whole current view to CSV (reports also get FILE.meta.json)",
    },
    Binding {
        keys: &[ch('y')],
        command: Global::Copy,
        help: "copy the selected row to the clipboard (OSC 52 terminals)",
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        command: Global::Cancel,
        help: "cancel the background job shown in the footer",
    },
    Binding {
        keys: &[ch('?')],
        command: Global::Help,
        help: "this help (Esc closes it)",
    },
    Binding {
        keys: &[ch('q'), ctrl('c')],
        command: Global::Quit,
        help: "quit",
    },
];

/// What keys do while the help overlay or the error popup is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overlay {
    Dismiss,
    Quit,
    Scroll,
}

/// The keys of the help overlay and the error popup.
const OVERLAY_KEYMAP: &[Binding<Overlay>] = &[
    Binding {
        keys: &[key(KeyCode::Esc), key(KeyCode::Enter), ch('?')],
        command: Overlay::Dismiss,
        help: "close",
    },
    Binding {
        keys: &[ch('q'), ctrl('c')],
        command: Overlay::Quit,
        help: "quit",
    },
    Binding {
        keys: MOVE_KEYS,
        command: Overlay::Scroll,
        help: "scroll the help",
    },
];

/// The digit keys that show the tabs: `1` the first of [`TabId::ALL`]…
const DIGITS: [Key; 9] = [
    ch('1'),
    ch('2'),
    ch('3'),
    ch('4'),
    ch('5'),
    ch('6'),
    ch('7'),
    ch('8'),
    ch('9'),
];

/// The global command of `event`, digits included.
fn global_command(event: &KeyEvent) -> Option<Global> {
    keymap::command(GLOBAL_KEYMAP, event).or_else(|| {
        let i = DIGITS.iter().position(|k| k.matches(event))?;
        TabId::at(i).map(Global::Show)
    })
}

/// The help overlay's rows for the global keys: the digits, then the keymap.
fn global_help() -> Vec<(String, String)> {
    let tabs: Vec<String> = TabId::ALL
        .iter()
        .zip(DIGITS)
        .map(|(t, k)| format!("{} {}", k.label(), t.title()))
        .collect();
    let mut rows = vec![(
        format!("1-{}", TabId::ALL.len()),
        format!("show a tab: {}", tabs.join(", ")),
    )];
    rows.extend(keymap::help(GLOBAL_KEYMAP));
    rows.push((
        "mouse".to_owned(),
        "click a tab, a row or a campaign; the wheel scrolls".to_owned(),
    ));
    rows
}

/// `text` broken at spaces into lines of at most `width` characters (a longer word gets a
/// line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A `width` × `height` rectangle in the middle of `area` (clipped to it).
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    h
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn help_text_wraps_at_spaces() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            ["averyveryverylongword", "x"]
        );
        assert_eq!(wrap("", 5), [""]);
    }
}

//! The application state and its update function.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, Tabs, Wrap};

use std::path::PathBuf;

use super::strings;
use super::tabs::data::DataTab;
use super::tabs::engagement::EngagementTab;
use super::tabs::recommend::RecommendTab;
use super::tabs::sessions::SessionsTab;
use super::tabs::weekly::WeeklyTab;
use super::tabs::{Outcome, Tab};
use crate::store::Store;

/// Everything that can happen to the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A key press.
    Key(KeyEvent),
    /// Show tab n (0-based).
    ShowTab(usize),
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
    /// Leave.
    Quit,
}

/// The UI's state: the store, the tabs, what is shown.
pub struct App {
    store: Store,
    current: usize,
    engagement: EngagementTab,
    weekly: WeeklyTab,
    sessions: SessionsTab,
    recommend: RecommendTab,
    data: DataTab,
    help: bool,
    error: Option<String>,
    status: Option<String>,
    export_dir: PathBuf,
    quit: bool,
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
            current: 0,
            engagement: EngagementTab::default(),
            weekly: WeeklyTab::default(),
            sessions: SessionsTab::default(),
            recommend: RecommendTab::new(),
            data: DataTab::default(),
            help: false,
            error: None,
            status: None,
            export_dir: PathBuf::from("."),
            quit: false,
        };
        app.show(0);
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

    /// The tab shown (0-based).
    pub fn current_tab(&self) -> usize {
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

    fn tab_mut(&mut self, n: usize) -> &mut dyn Tab {
        match n {
            0 => &mut self.engagement,
            1 => &mut self.weekly,
            2 => &mut self.sessions,
            3 => &mut self.recommend,
            _ => &mut self.data,
        }
    }

    fn tab(&self) -> &dyn Tab {
        match self.current {
            0 => &self.engagement,
            1 => &self.weekly,
            2 => &self.sessions,
            3 => &self.recommend,
            _ => &self.data,
        }
    }

    /// The Sessions tab (for tests).
    pub fn sessions_tab(&self) -> &SessionsTab {
        &self.sessions
    }

    /// The Engagement tab (for tests).
    pub fn engagement_tab(&self) -> &EngagementTab {
        &self.engagement
    }

    fn show(&mut self, n: usize) {
        self.current = n.min(strings::TAB_TITLES.len() - 1);
        let store = &self.store;
        let outcome = match self.current {
            0 => self.engagement.on_show(store),
            1 => self.weekly.on_show(store),
            2 => self.sessions.on_show(store),
            3 => self.recommend.on_show(store),
            _ => self.data.on_show(store),
        };
        self.apply(outcome);
    }

    fn apply(&mut self, outcome: Outcome) {
        if let Outcome::Error(e) = outcome {
            self.error = Some(e);
        }
    }

    /// Applies one action.
    pub fn update(&mut self, action: Action) {
        let n = strings::TAB_TITLES.len();
        match action {
            Action::Key(key) => {
                // A status line (e.g. where an export went) lasts until the next key.
                self.status = None;
                if let Some(next) = self.key_action(key) {
                    self.update(next);
                }
            }
            Action::ShowTab(t) => self.show(t),
            Action::NextTab => self.show((self.current + 1) % n),
            Action::PrevTab => self.show((self.current + n - 1) % n),
            Action::ToggleHelp => self.help = !self.help,
            Action::Dismiss => {
                self.help = false;
                self.error = None;
            }
            Action::Export => {
                self.status = match self.tab().export(&self.store, &self.export_dir) {
                    None => Some(strings::NOTHING_TO_EXPORT.to_owned()),
                    Some(Ok(e)) => Some(strings::exported(&e)),
                    Some(Err(e)) => {
                        self.error = Some(e);
                        None
                    }
                };
            }
            Action::Quit => self.quit = true,
        }
    }

    /// What a key means: overlays first, then the tab, then the global keys.
    fn key_action(&mut self, key: KeyEvent) -> Option<Action> {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Some(Action::Quit);
        }
        if self.error.is_some() || self.help {
            return match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('?') => Some(Action::Dismiss),
                KeyCode::Char('q') => Some(Action::Quit),
                _ => None,
            };
        }
        match key.code {
            KeyCode::Tab => return Some(Action::NextTab),
            KeyCode::BackTab => return Some(Action::PrevTab),
            _ => {}
        }
        let current = self.current;
        let outcome = {
            let store = &self.store;
            match current {
                0 => self.engagement.on_key(key, store),
                1 => self.weekly.on_key(key, store),
                2 => self.sessions.on_key(key, store),
                3 => self.recommend.on_key(key, store),
                _ => self.data.on_key(key, store),
            }
        };
        match outcome {
            Outcome::Done => None,
            Outcome::Error(e) => {
                self.error = Some(e);
                None
            }
            Outcome::NotMine => match key.code {
                KeyCode::Char('q') => Some(Action::Quit),
                KeyCode::Char('?') => Some(Action::ToggleHelp),
                KeyCode::Char('x') => Some(Action::Export),
                KeyCode::Char(c @ '1'..='9') => {
                    let t = c as usize - '1' as usize;
                    (t < strings::TAB_TITLES.len()).then_some(Action::ShowTab(t))
                }
                _ => None,
            },
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
        let titles = strings::TAB_TITLES
            .iter()
            .enumerate()
            .map(|(i, t)| Line::from(format!(" {} {t} ", i + 1)));
        frame.render_widget(
            Tabs::new(titles)
                .select(self.current)
                .highlight_style(Style::default().add_modifier(Modifier::REVERSED))
                .divider("│"),
            bar,
        );
        let current = self.current;
        self.tab_mut(current).render(frame, body);
        let footer_text = match (&self.status, self.tab().editing()) {
            (Some(status), _) => status.as_str(),
            (None, true) => strings::EDITING_FOOTER,
            (None, false) => strings::FOOTER,
        };
        frame.render_widget(
            Paragraph::new(footer_text).style(Style::default().fg(Color::DarkGray)),
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

    fn render_help(&self, frame: &mut Frame) {
        let keys: Vec<&(&str, &str)> = self
            .tab()
            .keys()
            .iter()
            .chain(strings::GLOBAL_KEYS)
            .collect();
        let area = centered(frame.area(), 74, keys.len() as u16 + 2);
        frame.render_widget(Clear, area);
        frame.render_widget(
            Table::new(
                keys.iter().map(|(k, what)| Row::new([*k, *what])),
                [Constraint::Length(22), Constraint::Fill(1)],
            )
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(strings::HELP_TITLE),
            ),
            area,
        );
    }
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

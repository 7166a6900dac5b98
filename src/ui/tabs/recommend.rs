//! Recommend tab: type a user id, see the top recommendations. Two catalogs (Ctrl-T
//! switches): the platform's rewards for a log user (the default when the log is loaded;
//! the model saved beside the database is read, or fitted on the log in the background and
//! saved when the platform loads changed), or MovieLens movies
//! with title, genres and score beside the user's own highest-rated movies. `e` shows why
//! each was recommended.

use std::collections::HashMap;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState, Wrap};

use std::path::Path;

use super::{Exporting, Outcome, Tab, export_csv, select_clicked};
use crate::core::recommend::{Basis, Recommendation, Recommender};
use crate::core::rewards::{RewardModel, RewardRecommendation};
use crate::recommender;
use crate::report::{Cell, Collected};
use crate::store::Store;
use crate::store::recommend::MovieInfo;
use crate::ui::UiError;
use crate::ui::jobs::Work;
use crate::ui::keymap::{self, Binding, MOVE_KEYS, Move, ch, ctrl, key};
use crate::ui::strings::recommend as s;
use crate::ui::tabs::Done;

/// How many movies are shown.
const TOP: usize = 10;
/// Longest user id accepted: MovieLens ids are small; log user ids have up to 38 digits.
const MAX_DIGITS: usize = 9;
/// See [`MAX_DIGITS`].
const MAX_LOG_DIGITS: usize = crate::core::logline::MAX_USER_ID_DIGITS;

/// What the tab recommends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Catalog {
    /// MovieLens movies for a MovieLens user id.
    #[default]
    Movies,
    /// The platform's rewards for a user id of the log.
    Rewards,
}

/// The reward recommender for the log's users: the model saved beside the database when
/// it is fresh, else fitted on the log (and saved). Histories are read per user.
#[derive(Debug)]
pub struct LoadedRewards {
    model: RewardModel,
    /// Reward names from the reward_campaign export, shown beside the ids.
    names: std::collections::HashMap<i64, String>,
}

impl LoadedRewards {
    /// The model for the platform data of `store`.
    pub fn fit(store: &Store) -> Result<LoadedRewards, UiError> {
        let (model, _) =
            recommender::open_or_fit_rewards(store, recommender::RewardsWanted::default())
                .map_err(UiError::from)?;
        let names = store.reward_titles().map_err(UiError::from)?;
        Ok(LoadedRewards { model, names })
    }
}

/// A reward id with its name when the exports have one (`62 Sample Reward 62`).
fn reward_label(names: Option<&std::collections::HashMap<i64, String>>, id: i64) -> String {
    match names.and_then(|n| n.get(&id)) {
        Some(name) => format!("{id} {name}"),
        None => id.to_string(),
    }
}

/// The rewards on screen.
#[derive(Debug)]
struct RewardsShown {
    user: String,
    list: RewardRecommendation,
    because: Vec<String>,
}

/// What the Recommend tab's keys do (outside the user id field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Recommend,
    Edit,
    Move,
    Explain,
    Switch,
}

const KEYMAP: &[Binding<Command>] = &[
    Binding {
        keys: &[key(KeyCode::Enter)],
        command: Command::Recommend,
        help: "recommend for the typed user",
    },
    Binding {
        keys: &[ch('i'), ch('/')],
        command: Command::Edit,
        help: "back into the field",
    },
    Binding {
        keys: MOVE_KEYS,
        command: Command::Move,
        help: "choose a movie (y copies it; a click too)",
    },
    Binding {
        keys: &[ch('e')],
        command: Command::Explain,
        help: "show or hide why each was recommended",
    },
    Binding {
        keys: &[ctrl('t')],
        command: Command::Switch,
        help: "switch the catalog: platform rewards (log user ids) or MovieLens movies",
    },
];

/// The tab's state.
#[derive(Default)]
pub struct RecommendTab {
    input: String,
    editing: bool,
    explain: bool,
    message: Option<String>,
    recommender: Option<Recommender>,
    movies: HashMap<u32, MovieInfo>,
    shown: Option<Shown>,
    /// The user to show once the recommender has loaded in the background.
    pending: Option<u32>,
    /// The selected recommendation (moved with ↑↓ when the field does not have focus).
    table: TableState,
    list_area: Rect,
    catalog: Catalog,
    /// Whether the catalog was chosen (by the user, or from the data on first show).
    catalog_chosen: bool,
    rewards: Option<Box<LoadedRewards>>,
    rewards_shown: Option<RewardsShown>,
    /// The log user to show once the reward model is fitted.
    pending_rewards: Option<String>,
}

impl std::fmt::Debug for RecommendTab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecommendTab")
            .field("input", &self.input)
            .field("editing", &self.editing)
            .finish_non_exhaustive()
    }
}

/// The list on screen.
#[derive(Debug)]
struct Shown {
    user: u32,
    list: Recommendation,
    because: Vec<Vec<u32>>,
    rated: Vec<(u32, u8)>,
}

impl RecommendTab {
    /// A tab whose user-id field has focus, as when it opens.
    pub fn new() -> Self {
        RecommendTab {
            editing: true,
            ..Self::default()
        }
    }

    /// The typed user id.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The message under the field, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The movie ids on screen, best first.
    pub fn shown_movies(&self) -> Vec<u32> {
        self.shown
            .as_ref()
            .map(|s| s.list.items.iter().map(|i| i.movie).collect())
            .unwrap_or_default()
    }

    /// The catalog shown.
    pub fn catalog(&self) -> Catalog {
        self.catalog
    }

    /// The reward ids on screen, best first.
    pub fn shown_rewards(&self) -> Vec<i64> {
        self.rewards_shown
            .as_ref()
            .map(|s| s.list.ids().collect())
            .unwrap_or_default()
    }

    /// Opens `user`'s reward recommendations (a jump from the Sessions tab).
    pub fn open_rewards_user(&mut self, user: &str, store: &Store) -> Outcome {
        self.catalog = Catalog::Rewards;
        self.catalog_chosen = true;
        self.input = user.to_owned();
        self.editing = false;
        self.query(store)
    }

    fn query_rewards(&mut self, store: &Store) -> Outcome {
        let user = self.input.trim().to_owned();
        if user.is_empty() {
            self.message = Some(s::HINT_REWARDS.to_owned());
            return Outcome::Done;
        }
        if self.rewards.is_none() {
            self.pending_rewards = Some(user);
            return Outcome::Spawn(Work::new(s::FITTING_REWARDS, |store, _| {
                Done::Rewards(LoadedRewards::fit(store).map(Box::new))
            }));
        }
        self.show_rewards(&user, store);
        Outcome::Done
    }

    fn show_rewards(&mut self, user: &str, store: &Store) {
        let Some(loaded) = &self.rewards else {
            return;
        };
        let history = match store.reward_history(user) {
            Ok(h) => h,
            Err(e) => {
                self.message = Some(crate::error_chain(&e));
                return;
            }
        };
        let known = history.is_some();
        let history = history.unwrap_or_default();
        let list = loaded.model.recommend(&history, TOP);
        self.message = if known {
            crate::answers::reward_notice(list.basis).map(s::sentence)
        } else {
            Some(s::rewards_unknown_user(user))
        };
        let because = list
            .items
            .iter()
            .map(|pick| crate::answers::reward_because(&loaded.model, &history, pick).join("; "))
            .collect();
        self.table.select((!list.items.is_empty()).then_some(0));
        self.rewards_shown = Some(RewardsShown {
            user: user.to_owned(),
            list,
            because,
        });
    }

    fn query(&mut self, store: &Store) -> Outcome {
        self.message = None;
        if self.catalog == Catalog::Rewards {
            return self.query_rewards(store);
        }
        let Ok(user) = self.input.parse::<u32>() else {
            self.message = Some(s::HINT.to_owned());
            return Outcome::Done;
        };
        let known = match store.ml_data_id() {
            Ok(None) => {
                self.message = Some(s::NO_RATINGS.to_owned());
                return Outcome::Done;
            }
            Ok(Some(_)) => store.ml_user_known(user),
            Err(e) => return Outcome::Error(e.into()),
        };
        match known {
            Ok(true) => {}
            Ok(false) => {
                self.shown = None;
                self.message = Some(s::unknown_user(user));
                return Outcome::Done;
            }
            Err(e) => return Outcome::Error(e.into()),
        }
        if self.recommender.is_none() {
            self.pending = Some(user);
            return Outcome::Spawn(Work::new(s::LOADING, |store, _| {
                let load = || -> Result<_, UiError> {
                    let (model, _) =
                        recommender::open_or_train(store, None, recommender::Wanted::ANY)
                            .map_err(UiError::from)?;
                    let movies = store.ml_movies().map_err(UiError::from)?;
                    Ok(Box::new((Recommender::new(model), movies)))
                };
                Done::Recommender(load())
            }));
        }
        self.show_user(user, store)
    }

    /// Opens `user` (a jump from another tab): fills the field and shows the list.
    pub fn open_user(&mut self, user: u32, store: &Store) -> Outcome {
        self.input = user.to_string();
        self.editing = false;
        self.query(store)
    }

    /// Whether the recommender is loading in the background.
    pub fn loading(&self) -> bool {
        self.pending.is_some()
    }

    /// Shows the list for `user` with the loaded recommender.
    fn show_user(&mut self, user: u32, store: &Store) -> Outcome {
        let Some(rec) = &self.recommender else {
            return Outcome::Done;
        };
        let list = crate::answers::movie_list(rec, user, TOP);
        if list.basis == Basis::Popularity {
            self.message = Some(s::fallback(list.ratings));
        }
        let because = list
            .items
            .iter()
            .map(|i| crate::answers::movie_because(rec, user, &list, true, i.movie))
            .collect();
        let rated = match store.ml_user_ratings(user) {
            Ok(r) => r.into_iter().take(TOP).collect(),
            Err(e) => return Outcome::Error(e.into()),
        };
        self.table.select((!list.items.is_empty()).then_some(0));
        self.shown = Some(Shown {
            user,
            list,
            because,
            rated,
        });
        Outcome::Done
    }

    fn title(&self, movie: u32) -> String {
        self.movies
            .get(&movie)
            .map_or_else(|| format!("movie {movie}"), |m| m.title.clone())
    }
}

impl RecommendTab {
    /// The list's table: bold header, the selection shown while the field is left.
    fn list_table<'a>(
        &self,
        rows: impl IntoIterator<Item = Row<'a>>,
        widths: Vec<Constraint>,
        header: Vec<&'a str>,
    ) -> Table<'a> {
        Table::new(rows, widths)
            .header(Row::new(header).style(Style::default().add_modifier(Modifier::BOLD)))
            .row_highlight_style(if self.editing {
                Style::default()
            } else {
                Style::default().add_modifier(Modifier::REVERSED)
            })
    }

    /// Rows of the list on screen.
    fn list_len(&self) -> usize {
        match self.catalog {
            Catalog::Movies => self.shown.as_ref().map_or(0, |s| s.list.items.len()),
            Catalog::Rewards => self
                .rewards_shown
                .as_ref()
                .map_or(0, |s| s.list.items.len()),
        }
    }

    fn render_rewards(&mut self, frame: &mut Frame, body: Rect) {
        let Some(shown) = &self.rewards_shown else {
            return;
        };
        let mut header = vec!["#", "reward", "score", "from"];
        if self.explain {
            header.push("because");
        }
        let names = self.rewards.as_ref().map(|r| &r.names);
        let rows = shown.list.items.iter().enumerate().map(|(i, pick)| {
            let mut cells = vec![
                (i + 1).to_string(),
                reward_label(names, pick.reward),
                format!("{:.4}", pick.score),
                s::reward_source(pick.source).to_owned(),
            ];
            if self.explain {
                cells.push(shown.because[i].clone());
            }
            Row::new(cells)
        });
        // As wide as the widest id and name (names only where the exports have them).
        let reward_width = shown
            .list
            .items
            .iter()
            .map(|p| reward_label(names, p.reward).chars().count())
            .max()
            .unwrap_or(0)
            .clamp(6, 40) as u16;
        let mut widths = vec![
            Constraint::Length(3),
            Constraint::Length(reward_width + 2),
            Constraint::Length(10),
            Constraint::Length(16),
        ];
        if self.explain {
            widths.push(Constraint::Fill(1));
        }
        let model_line = self
            .rewards
            .as_ref()
            .map(|r| s::rewards_model(&r.model, self.explain))
            .unwrap_or_default();
        let list = self.list_table(rows, widths, header).block(
            Block::default()
                .borders(Borders::ALL)
                .title(s::rewards_title(&shown.user))
                .title_bottom(model_line),
        );
        self.list_area = body;
        frame.render_stateful_widget(list, body, &mut self.table);
    }
}

impl Tab for RecommendTab {
    fn editing(&self) -> bool {
        self.editing
    }

    fn on_show(&mut self, store: &Store) -> Outcome {
        self.editing = true;
        // Rewards are the default when the log is loaded.
        if !self.catalog_chosen {
            self.catalog_chosen = true;
            let has_log = store
                .table_counts()
                .map(|c| c.iter().any(|(t, n)| t == "http_log" && *n > 0))
                .unwrap_or(false);
            if has_log {
                self.catalog = Catalog::Rewards;
            }
        }
        Outcome::Done
    }

    fn on_done(&mut self, done: Done, store: &Store) -> Outcome {
        if let Done::Rewards(result) = done {
            let user = self.pending_rewards.take();
            return match result {
                Ok(loaded) => {
                    self.rewards = Some(loaded);
                    if let Some(u) = user {
                        self.show_rewards(&u, store);
                    }
                    Outcome::Done
                }
                Err(e) => Outcome::Error(e),
            };
        }
        let Done::Recommender(result) = done else {
            return Outcome::Done;
        };
        let user = self.pending.take();
        match result {
            Ok(loaded) => {
                let (rec, movies) = *loaded;
                self.recommender = Some(rec);
                self.movies = movies;
                match user {
                    Some(u) => self.show_user(u, store),
                    None => Outcome::Done,
                }
            }
            Err(e) => Outcome::Error(e),
        }
    }

    fn on_cancelled(&mut self) {
        if self.pending.take().is_some() || self.pending_rewards.take().is_some() {
            self.message = Some(s::CANCELLED.to_owned());
        }
    }

    fn on_key(&mut self, key: KeyEvent, store: &Store) -> Outcome {
        if keymap::command(KEYMAP, &key) == Some(Command::Switch) {
            self.catalog = match self.catalog {
                Catalog::Movies => Catalog::Rewards,
                Catalog::Rewards => Catalog::Movies,
            };
            self.catalog_chosen = true;
            self.message = None;
            self.table.select(None);
            return Outcome::Done;
        }
        if self.editing {
            let max = match self.catalog {
                Catalog::Movies => MAX_DIGITS,
                Catalog::Rewards => MAX_LOG_DIGITS,
            };
            match key.code {
                KeyCode::Char(c) if c.is_ascii_digit() => {
                    if self.input.len() < max {
                        self.input.push(c);
                    }
                    self.message = None;
                }
                KeyCode::Char(_) => self.message = Some(s::DIGITS_ONLY.to_owned()),
                KeyCode::Backspace => {
                    self.input.pop();
                }
                KeyCode::Enter => return self.query(store),
                KeyCode::Esc => {
                    self.editing = false;
                    self.message = None;
                }
                _ => return Outcome::NotMine,
            }
            return Outcome::Done;
        }
        match keymap::command(KEYMAP, &key) {
            Some(Command::Edit) => self.editing = true,
            Some(Command::Explain) => self.explain = !self.explain,
            Some(Command::Recommend) => return self.query(store),
            Some(Command::Switch) => {}
            Some(Command::Move) => {
                let len = self.list_len();
                let at = self.table.selected().unwrap_or(0);
                match Move::of(&key) {
                    Some(m) if len > 0 => self.table.select(Some(m.apply(at, len, 10))),
                    _ => return Outcome::NotMine,
                }
            }
            None => return Outcome::NotMine,
        }
        Outcome::Done
    }

    fn on_click(&mut self, column: u16, row: u16, _store: &Store) -> Outcome {
        let len = self.list_len();
        if select_clicked(&mut self.table, self.list_area, len, column, row) {
            self.editing = false;
            Outcome::Done
        } else {
            Outcome::NotMine
        }
    }

    fn selected_row(&self) -> Option<Vec<String>> {
        if self.catalog == Catalog::Rewards {
            let shown = self.rewards_shown.as_ref()?;
            let i = self.table.selected()?;
            let pick = shown.list.items.get(i)?;
            return Some(vec![
                shown.user.clone(),
                (i + 1).to_string(),
                reward_label(self.rewards.as_ref().map(|r| &r.names), pick.reward),
                format!("{:.4}", pick.score),
                s::reward_source(pick.source).to_owned(),
            ]);
        }
        let shown = self.shown.as_ref()?;
        let i = self.table.selected()?;
        let item = shown.list.items.get(i)?;
        let genres = self
            .movies
            .get(&item.movie)
            .map(|m| m.genres.join("|"))
            .unwrap_or_default();
        Some(vec![
            shown.user.to_string(),
            (i + 1).to_string(),
            item.movie.to_string(),
            self.title(item.movie),
            genres,
            format!("{:.3}", item.score),
        ])
    }

    fn render(&mut self, frame: &mut Frame, area: Rect) {
        let [field, note, body] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(1),
            Constraint::Min(3),
        ])
        .areas(area);
        let (title, style) = match (self.catalog, self.editing) {
            (Catalog::Movies, true) => (s::INPUT_TITLE, Style::default().fg(Color::Yellow)),
            (Catalog::Movies, false) => (s::INPUT_TITLE_UNFOCUSED, Style::default()),
            (Catalog::Rewards, true) => {
                (s::REWARDS_INPUT_TITLE, Style::default().fg(Color::Yellow))
            }
            (Catalog::Rewards, false) => (s::REWARDS_INPUT_TITLE_UNFOCUSED, Style::default()),
        };
        let cursor = if self.editing { "▏" } else { "" };
        frame.render_widget(
            Paragraph::new(format!("{}{cursor}", self.input)).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(title)
                    .border_style(style),
            ),
            field,
        );
        let (nothing, hint) = match self.catalog {
            Catalog::Movies => (self.shown.is_none(), s::HINT),
            Catalog::Rewards => (self.rewards_shown.is_none(), s::HINT_REWARDS),
        };
        let text = if self.pending.is_some() {
            s::LOADING_NOTE
        } else if self.pending_rewards.is_some() {
            s::FITTING_NOTE
        } else {
            self.message
                .as_deref()
                .unwrap_or(if nothing { hint } else { "" })
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), note);
        if self.catalog == Catalog::Rewards {
            self.render_rewards(frame, body);
            return;
        }
        let Some(shown) = &self.shown else {
            return;
        };
        let [list_area, rated_area] =
            Layout::horizontal([Constraint::Percentage(68), Constraint::Percentage(32)])
                .areas(body);
        let mut header = vec!["#", "movie", "genres", "score"];
        if self.explain {
            header.push("because you rated");
        }
        let rows = shown.list.items.iter().enumerate().map(|(i, item)| {
            let genres = self
                .movies
                .get(&item.movie)
                .map(|m| m.genres.join(", "))
                .unwrap_or_default();
            let mut cells = vec![
                (i + 1).to_string(),
                self.title(item.movie),
                genres,
                format!("{:.3}", item.score),
            ];
            if self.explain {
                let names: Vec<String> = shown.because[i].iter().map(|&m| self.title(m)).collect();
                cells.push(names.join("; "));
            }
            Row::new(cells)
        });
        let mut widths = vec![
            Constraint::Length(3),
            Constraint::Fill(2),
            Constraint::Fill(1),
            Constraint::Length(6),
        ];
        if self.explain {
            widths.push(Constraint::Fill(2));
        }
        let list = self.list_table(rows, widths, header).block(
            Block::default().borders(Borders::ALL).title(format!(
                "{}for user {} ",
                s::LIST_TITLE,
                shown.user
            )),
        );
        self.list_area = list_area;
        frame.render_stateful_widget(list, list_area, &mut self.table);
        let rated = Table::new(
            shown
                .rated
                .iter()
                .map(|(m, r)| Row::new([format!("{r}★"), self.title(*m)])),
            [Constraint::Length(3), Constraint::Fill(1)],
        )
        .block(Block::default().borders(Borders::ALL).title(s::RATED_TITLE));
        frame.render_widget(rated, rated_area);
    }

    fn help(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            (
                "digits Backspace".to_owned(),
                "edit the user id (while the field has focus)".to_owned(),
            ),
            (
                "Esc".to_owned(),
                "leave the field (number keys switch tabs again)".to_owned(),
            ),
        ];
        rows.extend(keymap::help(KEYMAP));
        rows
    }

    fn export(&self, store: &Store, dir: &Path) -> Option<Exporting> {
        if self.catalog == Catalog::Rewards {
            let shown = self.rewards_shown.as_ref()?;
            let rows = Collected {
                columns: ["user_id", "rank", "reward_id", "score", "source", "because"]
                    .map(str::to_owned)
                    .to_vec(),
                rows: shown
                    .list
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, pick)| {
                        vec![
                            Cell::Text(shown.user.clone()),
                            Cell::Int(i as i64 + 1),
                            Cell::Int(pick.reward),
                            Cell::Float(pick.score),
                            Cell::Text(s::reward_source(pick.source).to_owned()),
                            Cell::Text(shown.because[i].clone()),
                        ]
                    })
                    .collect(),
            };
            let name = format!("perx-rewards-user{}.csv", shown.user);
            return Some(Exporting::Now(export_csv(store, dir, &name, &rows, None)));
        }
        let shown = self.shown.as_ref()?;
        let mut rows = Collected {
            columns: [
                "user_id", "rank", "movie_id", "title", "genres", "score", "because",
            ]
            .map(str::to_owned)
            .to_vec(),
            rows: Vec::new(),
        };
        for (i, item) in shown.list.items.iter().enumerate() {
            let genres = self
                .movies
                .get(&item.movie)
                .map(|m| m.genres.join("|"))
                .unwrap_or_default();
            let because: Vec<String> = shown.because[i].iter().map(u32::to_string).collect();
            rows.rows.push(vec![
                Cell::Int(i64::from(shown.user)),
                Cell::Int(i as i64 + 1),
                Cell::Int(i64::from(item.movie)),
                Cell::Text(self.title(item.movie)),
                Cell::Text(genres),
                Cell::Float(f64::from(item.score)),
                Cell::Text(because.join(" ")),
            ]);
        }
        let name = format!("perx-recommend-user{}.csv", shown.user);
        Some(Exporting::Now(export_csv(store, dir, &name, &rows, None)))
    }
}

//! Data tab: the tables and their row counts, the sources of the last loads with their
//! sha256, and the rejected lines with their line numbers and reasons.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};

use std::path::Path;

use super::{Exporting, Outcome, Tab, export_csv, select_clicked};
use crate::core::Reject;
use crate::report::{Cell, Collected};
use crate::store::{ManifestEntry, Store};
use crate::ui::UiError;
use crate::ui::jobs::Work;
use crate::ui::keymap::{self, Binding, MOVE_KEYS, Move, ch};
use crate::ui::strings::data as s;
use crate::ui::tabs::Done;

/// What the Data tab's keys do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Move,
    Reload,
    Ingest,
}

const KEYMAP: &[Binding<Command>] = &[
    Binding {
        keys: MOVE_KEYS,
        command: Command::Move,
        help: "move through the rejected lines",
    },
    Binding {
        keys: &[ch('r')],
        command: Command::Reload,
        help: "reload every source from the files listed (in the background)",
    },
    Binding {
        keys: &[ch('i')],
        command: Command::Ingest,
        help: "ingest what is new where `perx ingest` read before (in the background)",
    },
];

/// The tab's state.
#[derive(Debug, Default)]
pub struct DataTab {
    counts: Vec<(String, u64)>,
    sources: Vec<ManifestEntry>,
    rejects: Vec<(String, Reject)>,
    /// What is saved of the reward model, in words.
    model: String,
    /// The ingest batches, newest first.
    batches: Vec<crate::store::ingest::BatchRow>,
    table: TableState,
    loaded: bool,
    reloading: bool,
    /// The running job ingests (`i`) rather than reloads (`r`).
    ingesting: bool,
    rejects_area: Rect,
}

impl DataTab {
    fn refresh(&mut self, store: &Store) -> Outcome {
        let read = || -> Result<_, UiError> {
            Ok((
                store.table_counts()?,
                store.manifest()?,
                store.rejects(None)?,
                crate::recommender::saved_rewards_note(store)?,
                store.ingest_batches()?,
            ))
        };
        match read() {
            Ok((counts, sources, rejects, model, batches)) => {
                self.model = s::reward_model(&model);
                self.batches = batches;
                self.counts = counts;
                self.sources = sources;
                self.table.select((!rejects.is_empty()).then_some(0));
                self.rejects = rejects;
                self.loaded = true;
                Outcome::Done
            }
            Err(e) => Outcome::Error(e),
        }
    }
}

/// How many lines `text` takes wrapped at words to `width` columns.
fn wrapped_lines(text: &str, width: usize) -> usize {
    let (mut lines, mut used) = (1, 0);
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if used > 0 && used + 1 + w > width {
            lines += 1 + w.saturating_sub(1) / width.max(1);
            used = w % width.max(1);
        } else {
            used += w + usize::from(used > 0);
        }
    }
    lines
}

impl DataTab {
    /// Starts reloading every recorded source in the background.
    fn reload(&mut self) -> Outcome {
        if self.reloading {
            return Outcome::Done;
        }
        if self.sources.is_empty() {
            return Outcome::Error(UiError::msg(s::NOTHING_TO_RELOAD));
        }
        self.reloading = true;
        self.ingesting = false;
        Outcome::Spawn(Work::new(s::RELOADING, |store, progress| {
            Done::Reloaded(
                store
                    .reload_sources(progress)
                    .map(|r| s::reloaded(&r))
                    .map_err(UiError::from),
            )
        }))
    }
}

impl DataTab {
    /// Starts ingesting what is new in the places ingested from before.
    fn ingest(&mut self) -> Outcome {
        if self.reloading {
            return Outcome::Done;
        }
        self.reloading = true;
        self.ingesting = true;
        Outcome::Spawn(Work::new(s::INGESTING, |store, progress| {
            let opts = crate::store::ingest::IngestOptions::default();
            Done::Reloaded(
                store
                    .ingest_again(&opts, progress)
                    .map(|r| s::ingested(&r))
                    .map_err(UiError::from),
            )
        }))
    }
}

impl Tab for DataTab {
    fn on_done(&mut self, done: Done, store: &Store) -> Outcome {
        let Done::Reloaded(result) = done else {
            return Outcome::Done;
        };
        self.reloading = false;
        match result {
            Ok(summary) => match self.refresh(store) {
                Outcome::Done => Outcome::DataChanged(summary),
                other => other,
            },
            Err(e) if self.ingesting => {
                Outcome::Error(UiError::msg(s::ingest_failed(&e.to_string())))
            }
            Err(e) => Outcome::Error(UiError::msg(s::reload_failed(&e.to_string()))),
        }
    }

    fn on_cancelled(&mut self) {
        self.reloading = false;
    }

    fn on_click(&mut self, column: u16, row: u16, _store: &Store) -> Outcome {
        let len = self.rejects.len();
        if select_clicked(&mut self.table, self.rejects_area, len, column, row) {
            Outcome::Done
        } else {
            Outcome::NotMine
        }
    }

    fn selected_row(&self) -> Option<Vec<String>> {
        let (source, r) = self.rejects.get(self.table.selected()?)?;
        Some(vec![
            source.clone(),
            r.line_no.to_string(),
            r.reason.clone(),
            r.raw.clone(),
        ])
    }

    fn on_show(&mut self, store: &Store) -> Outcome {
        if self.loaded {
            Outcome::Done
        } else {
            self.refresh(store)
        }
    }

    fn on_key(&mut self, key: KeyEvent, _store: &Store) -> Outcome {
        match keymap::command(KEYMAP, &key) {
            Some(Command::Reload) => self.reload(),
            Some(Command::Ingest) => self.ingest(),
            Some(Command::Move) => match Move::of(&key) {
                Some(m) if !self.rejects.is_empty() => {
                    let at = self.table.selected().unwrap_or(0);
                    self.table.select(Some(m.apply(at, self.rejects.len(), 10)));
                    Outcome::Done
                }
                _ => Outcome::NotMine,
            },
            None => Outcome::NotMine,
        }
    }

    fn render(&mut self, frame: &mut Frame, area: Rect) {
        let shown: Vec<&(String, u64)> = self.counts.iter().filter(|(_, n)| *n > 0).collect();
        // The model's sentence, wrapped at words (a line more than counted: the paragraph
        // may break a line earlier than the count does), 4 lines at most.
        let model_lines = (wrapped_lines(&self.model, usize::from(area.width.saturating_sub(2)))
            + 1)
        .clamp(1, 4) as u16;
        // The newest ingest batches follow the load's sources (three at most).
        let batches = &self.batches[..self.batches.len().min(3)];
        let [top, model, bottom] = Layout::vertical([
            Constraint::Length(
                (shown.len().max(self.sources.len() + batches.len()) as u16 + 3)
                    .min(area.height / 2),
            ),
            Constraint::Length(model_lines + 2),
            Constraint::Min(3),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(self.model.as_str())
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(Block::default().borders(Borders::ALL).title(s::MODEL_TITLE)),
            model,
        );
        let [left, right] =
            Layout::horizontal([Constraint::Length(36), Constraint::Min(20)]).areas(top);
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let counts = Table::new(
            shown
                .iter()
                .map(|(t, n)| Row::new([t.clone(), n.to_string()])),
            [Constraint::Min(24), Constraint::Length(9)],
        )
        .header(Row::new(["table", "rows"]).style(bold))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(s::TABLES_TITLE),
        );
        frame.render_widget(counts, left);
        // The load time needs room; on narrow screens the sha256 prefix comes first.
        let wide = right.width >= 90;
        let ingested = batches.iter().map(|b| {
            let mut cells = vec![
                s::batch(b.id, b.files, self.batches.len()),
                b.rows.to_string(),
                b.rejected.to_string(),
                String::new(),
            ];
            if wide {
                cells.push(b.at.chars().take(19).collect());
            }
            Row::new(cells)
        });
        let sources = Table::new(
            self.sources
                .iter()
                .map(|m| {
                    let mut cells = vec![
                        m.source.clone(),
                        m.rows.to_string(),
                        m.rejected.to_string(),
                        m.sha256.chars().take(12).collect(),
                    ];
                    if wide {
                        cells.push(m.loaded_at.chars().take(19).collect());
                    }
                    Row::new(cells)
                })
                .chain(ingested),
            [
                Constraint::Min(14),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Length(12),
                Constraint::Length(if wide { 19 } else { 0 }),
            ],
        )
        .header(
            Row::new(if wide {
                vec!["source", "rows", "rejected", "sha256", "loaded (UTC)"]
            } else {
                vec!["source", "rows", "rejected", "sha256"]
            })
            .style(bold),
        )
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(s::SOURCES_TITLE),
        );
        frame.render_widget(sources, right);
        let block = Block::default()
            .borders(Borders::ALL)
            .title(s::REJECTS_TITLE);
        if self.rejects.is_empty() {
            frame.render_widget(Paragraph::new(s::NO_REJECTS).block(block), bottom);
            return;
        }
        let rejects = Table::new(
            self.rejects.iter().map(|(source, r)| {
                Row::new([
                    format!("{source}:{}", r.line_no),
                    r.reason.clone(),
                    r.raw.clone(),
                ])
            }),
            [
                Constraint::Length(22),
                Constraint::Percentage(45),
                Constraint::Fill(1),
            ],
        )
        .header(Row::new(["where", "reason", "line"]).style(bold))
        .block(block)
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
        self.rejects_area = bottom;
        frame.render_stateful_widget(rejects, bottom, &mut self.table);
    }

    fn help(&self) -> Vec<(String, String)> {
        keymap::help(KEYMAP)
    }

    fn export(&self, store: &Store, dir: &Path) -> Option<Exporting> {
        let rows = Collected {
            columns: ["source", "line_no", "reason", "line"]
                .map(str::to_owned)
                .to_vec(),
            rows: self
                .rejects
                .iter()
                .map(|(source, r)| {
                    vec![
                        Cell::Text(source.clone()),
                        Cell::Int(r.line_no as i64),
                        Cell::Text(r.reason.clone()),
                        Cell::Text(r.raw.clone()),
                    ]
                })
                .collect(),
        };
        Some(Exporting::Now(export_csv(
            store,
            dir,
            "perx-rejects.csv",
            &rows,
            None,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::wrapped_lines;

    #[test]
    fn lines_are_counted_as_words_wrap() {
        assert_eq!(wrapped_lines("", 10), 1);
        assert_eq!(wrapped_lines("aaaa bbbb", 9), 1);
        assert_eq!(wrapped_lines("aaaa bbbbb", 9), 2);
        assert_eq!(wrapped_lines("aaaa bbbb cccc dddd", 9), 2);
        assert_eq!(wrapped_lines("a bbbbbbbbbbbbbbbbbbbb", 10), 3);
    }
}

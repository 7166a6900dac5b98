//! The Query tab's chart of the result (`C`): the kind and columns suggested from the
//! types, changed with keys (`b` `l` `h` the kind, ←→ the x column, ↑↓ the number column,
//! `+` `-` more or fewer bars, buckets or bins), computed by DuckDB over the stored result
//! on the worker thread (`store::query::chart`), drawn with the TUI's one chart widget,
//! and exported (`x`) as the plotted points in CSV with the SQL that drew them beside.

use std::path::Path;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Clear, Paragraph};

use super::{Mode, QueryDone, QueryTab};
use crate::store::Store;
use crate::store::query::chart::{ChartData, ChartKind, ChartSpec, MAX_SERIES};
use crate::store::query::summary::ColumnKind;
use crate::store::query::{Held, ResultView};
use crate::ui::UiError;
use crate::ui::chart::{Bars, Lines, draw_bars, draw_lines};
use crate::ui::jobs::Work;
use crate::ui::strings::query as s;
use crate::ui::tabs::{Done, Exporting, Outcome};

impl QueryTab {
    /// The kinds of the result's columns (none unless a query's result is stored).
    fn column_kinds(&self) -> Option<Vec<ColumnKind>> {
        match &self.shown.as_ref()?.held {
            Held::Stored { columns } => {
                Some(columns.iter().map(|(_, t)| ColumnKind::of(t)).collect())
            }
            Held::InMemory { .. } => None,
        }
    }

    /// `C`: the chart the result's types suggest, computed in the background (the grid's
    /// keys checked that a query's result is stored).
    pub(super) fn open_chart(&mut self) -> Outcome {
        let Some(kinds) = self.column_kinds() else {
            return Outcome::Done;
        };
        let col = self.shown.as_ref().map_or(0, |g| g.col);
        self.compute_chart(ChartSpec::suggested(&kinds, col))
    }

    fn compute_chart(&mut self, spec: ChartSpec) -> Outcome {
        let Some(shown) = self.shown.as_ref() else {
            return Outcome::Done;
        };
        let view = shown.view.clone();
        self.running = true;
        Outcome::Spawn(Work::new(s::CHARTING, move |store, _| {
            Done::Query(Box::new(QueryDone::Chart(store.chart(&view, &spec))))
        }))
    }

    /// Keys while a chart is shown.
    pub(super) fn chart_key(&mut self, key: KeyEvent) -> Outcome {
        let Mode::Chart(data) = &self.mode else {
            return Outcome::NotMine;
        };
        let Some(kinds) = self.column_kinds() else {
            return Outcome::NotMine;
        };
        let numbers: Vec<usize> = (0..kinds.len())
            .filter(|&i| kinds[i] == ColumnKind::Number)
            .collect();
        let mut spec = data.spec.clone();
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('C') => {
                self.mode = Mode::Normal;
                return Outcome::Done;
            }
            KeyCode::Char('b') => {
                // Categories: a text column when there is one.
                if kinds.get(spec.x) != Some(&ColumnKind::Other)
                    && let Some(c) = kinds.iter().position(|&k| k == ColumnKind::Other)
                {
                    spec.x = c;
                }
                spec.kind = ChartKind::Bar;
                spec.y.truncate(1);
                spec.limit = 20;
            }
            KeyCode::Char('l') => {
                // Over time when there is a time column.
                if kinds.get(spec.x) != Some(&ColumnKind::Time)
                    && let Some(t) = kinds.iter().position(|&k| k == ColumnKind::Time)
                {
                    spec.x = t;
                }
                spec.kind = ChartKind::Line;
                if spec.y.is_empty() {
                    spec.y = numbers.iter().copied().take(MAX_SERIES).collect();
                }
                if spec.y.is_empty() {
                    self.message = Some(s::NO_NUMBERS.to_owned());
                    return Outcome::Done;
                }
                spec.limit = 200;
            }
            KeyCode::Char('h') => {
                spec.kind = ChartKind::Histogram;
                spec.limit = 30;
            }
            KeyCode::Left | KeyCode::Right => {
                // Any column for a bar chart; a number or a time for the others.
                let n = kinds.len().max(1);
                for _ in 0..n {
                    spec.x = if key.code == KeyCode::Right {
                        (spec.x + 1) % n
                    } else {
                        (spec.x + n - 1) % n
                    };
                    if spec.kind == ChartKind::Bar || kinds[spec.x] != ColumnKind::Other {
                        break;
                    }
                }
            }
            KeyCode::Up | KeyCode::Down => {
                // The measure: each number column in turn (a bar chart also by rows).
                let mut choices: Vec<Vec<usize>> = numbers.iter().map(|&i| vec![i]).collect();
                if spec.kind == ChartKind::Bar {
                    choices.insert(0, Vec::new());
                }
                if choices.is_empty() {
                    return Outcome::Done;
                }
                let now = choices.iter().position(|c| *c == spec.y).unwrap_or(0);
                let next = if key.code == KeyCode::Down {
                    (now + 1) % choices.len()
                } else {
                    (now + choices.len() - 1) % choices.len()
                };
                spec.y = choices[next].clone();
            }
            KeyCode::Char('+') => spec.limit = (spec.limit * 2).min(2000),
            KeyCode::Char('-') => spec.limit = (spec.limit / 2).max(2),
            _ => return Outcome::NotMine,
        }
        // A line or a histogram is drawn over a number or a time.
        if spec.kind != ChartKind::Bar && kinds.get(spec.x) == Some(&ColumnKind::Other) {
            match kinds.iter().position(|&k| k != ColumnKind::Other) {
                Some(x) => spec.x = x,
                None => {
                    self.message = Some(s::NO_NUMBERS.to_owned());
                    return Outcome::Done;
                }
            }
        }
        self.compute_chart(spec)
    }

    /// `x` with a chart shown: its points as CSV, the SQL that drew them in the sidecar and
    /// in a `.sql` file beside.
    pub(super) fn export_chart(&self, dir: &Path) -> Option<Exporting> {
        let Mode::Chart(data) = &self.mode else {
            return None;
        };
        let data = (**data).clone();
        let statement = self
            .shown
            .as_ref()
            .map(|g| g.sql.clone())
            .unwrap_or_default();
        let view = self
            .shown
            .as_ref()
            .map(|g| g.view.clone())
            .unwrap_or_default();
        let path = crate::ui::tabs::export_path(dir, "perx-chart.csv");
        Some(Exporting::Later(Work::new(
            s::EXPORTING,
            move |store, _| Done::Exported(export(store, &data, &statement, &view, &path)),
        )))
    }

    /// Draws the chart over the grid.
    pub(super) fn draw_chart(&self, frame: &mut Frame, area: Rect) {
        let Mode::Chart(data) = &self.mode else {
            return;
        };
        frame.render_widget(Clear, area);
        let [plot, hint] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
        let title = chart_title(data);
        match data.spec.kind {
            ChartKind::Bar | ChartKind::Histogram => {
                let bars: Vec<(String, f64)> = data
                    .points
                    .iter()
                    .map(|p| {
                        (
                            p.label.clone(),
                            p.values.first().copied().flatten().unwrap_or(0.0),
                        )
                    })
                    .collect();
                draw_bars(
                    frame,
                    plot,
                    &Bars {
                        title: &title,
                        bars: &bars,
                        horizontal: data.spec.kind == ChartKind::Bar,
                        show_values: true,
                        bar_width: None,
                        gap: u16::from(data.spec.kind == ChartKind::Bar),
                        color: Some(ratatui::style::Color::Cyan),
                    },
                );
            }
            ChartKind::Line => {
                let series: Vec<(String, Vec<(f64, f64)>)> = data
                    .series
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let points = data
                            .points
                            .iter()
                            .filter_map(|p| Some((p.x, p.values.get(i).copied().flatten()?)))
                            .collect();
                        (name.clone(), points)
                    })
                    .collect();
                let first = data
                    .points
                    .first()
                    .map(|p| p.label.clone())
                    .unwrap_or_default();
                let last = data
                    .points
                    .last()
                    .map(|p| p.label.clone())
                    .unwrap_or_default();
                draw_lines(
                    frame,
                    plot,
                    &Lines {
                        title: &title,
                        x: (&data.x_name, first, last),
                        series: &series,
                    },
                );
            }
        }
        frame.render_widget(Paragraph::new(s::CHART_HINT), hint);
    }
}

/// The chart's title: its kind, what it plots, how many points.
fn chart_title(d: &ChartData) -> String {
    let what = match d.spec.kind {
        ChartKind::Bar => format!(
            "{} by {} (the {} largest)",
            d.x_name,
            d.series.first().map_or("rows", String::as_str),
            d.spec.limit
        ),
        ChartKind::Line => format!(
            "{} against {} ({} buckets at most)",
            d.series.join(", "),
            d.x_name,
            d.spec.limit
        ),
        ChartKind::Histogram => format!("{} in {} equal bins", d.x_name, d.spec.limit),
    };
    format!(" {} chart: {what} ", d.spec.kind.label())
}

/// Writes the chart's points to `path` (CSV: label, x, a column per series) with the SQL
/// in the provenance sidecar and in `path` with `.sql` for `.csv`.
fn export(
    store: &Store,
    data: &ChartData,
    statement: &str,
    view: &ResultView,
    path: &Path,
) -> Result<crate::ui::tabs::Exported, UiError> {
    use std::io::Write as _;
    let shown = |p: &Path, e: std::io::Error| UiError::context(p.display(), e);
    let mut file = crate::atomic::AtomicFile::create(path).map_err(|e| shown(path, e))?;
    {
        let mut w = csv::Writer::from_writer(&mut file);
        let mut header = vec![data.x_name.clone(), "x".to_owned()];
        header.extend(data.series.iter().cloned());
        w.write_record(&header)
            .map_err(|e| shown(path, std::io::Error::other(e)))?;
        for p in &data.points {
            let mut row = vec![p.label.clone(), p.x.to_string()];
            row.extend(
                p.values
                    .iter()
                    .map(|v| v.map_or(String::new(), |v| v.to_string())),
            );
            w.write_record(&row)
                .map_err(|e| shown(path, std::io::Error::other(e)))?;
        }
        w.flush().map_err(|e| shown(path, e))?;
    }
    let sql_path = path.with_extension("sql");
    let mut sql_file =
        crate::atomic::AtomicFile::create(&sql_path).map_err(|e| shown(&sql_path, e))?;
    let comment = |text: &str| -> String {
        text.lines()
            .map(|l| format!("--   {l}\n"))
            .collect::<String>()
    };
    let mut text = format!(
        "-- The SQL that drew perx's {} chart, over the Query tab's stored result\n\
         -- (perx_scratch.result), which this statement made:\n{}",
        data.spec.kind.label(),
        comment(statement)
    );
    if let Some(f) = &view.filter {
        text.push_str(&format!("-- filtered in the grid by:\n{}", comment(f)));
    }
    text.push_str(&data.sql);
    if !data.sql.ends_with('\n') {
        text.push('\n');
    }
    sql_file
        .write_all(text.as_bytes())
        .map_err(|e| shown(&sql_path, e))?;
    sql_file.commit_new().map_err(|e| shown(&sql_path, e))?;
    let prov = crate::store::provenance::Provenance::query(&data.sql)
        .with("chart", data.spec.kind.label())
        .with("statement", statement);
    crate::ui::tabs::finish_export(store, file, data.points.len() as u64, Some(&prov))
}

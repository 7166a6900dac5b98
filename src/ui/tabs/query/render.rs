//! Drawing the Query tab: the prompt line, the editor (SQL highlighted) and the catalog,
//! DuckDB's error, the grid (first column frozen, widths fitted to the page), and the
//! popups (confirmation, frequency table, column summary, a cell whole).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Sparkline, Table, Wrap};

use super::{Focus, Mode, Prompt, QueryTab};
use crate::report::output::cell_text;
use crate::store::query::summary::ColumnSummary;
use crate::ui::strings::query as s;

/// The widest a grid column is drawn (a longer cell: Enter shows it whole).
pub(super) const MAX_COLUMN: usize = 40;

/// The border of the part that has the focus.
pub(super) fn focused(on: bool) -> Style {
    if on {
        Style::default().fg(Color::Yellow)
    } else {
        Style::default()
    }
}

impl QueryTab {
    pub(super) fn draw(&mut self, frame: &mut Frame, area: Rect) {
        let editor_height = (area.height / 3).clamp(4, 14);
        let error_height = if self.error.is_some() { 4 } else { 0 };
        let [info, top, error, grid] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(editor_height),
            Constraint::Length(error_height),
            Constraint::Min(3),
        ])
        .areas(area);
        self.draw_info(frame, info);
        let (editor_area, catalog_area) = if self.catalog.open && top.width >= 60 {
            let [e, c] =
                Layout::horizontal([Constraint::Min(30), Constraint::Length(34)]).areas(top);
            (e, Some(c))
        } else {
            (top, None)
        };
        self.editor
            .draw(frame, editor_area, self.focus == Focus::Editor);
        if let Some(c) = catalog_area {
            self.catalog.draw(frame, c, self.focus == Focus::Catalog);
        }
        if let Some(e) = &self.error {
            frame.render_widget(
                Paragraph::new(e.as_str())
                    .wrap(Wrap { trim: false })
                    .style(Style::default().fg(Color::Red))
                    .block(
                        Block::default().borders(Borders::LEFT | Borders::RIGHT | Borders::BOTTOM),
                    ),
                error,
            );
        }
        self.draw_grid(frame, grid);
        self.draw_popups(frame, area);
        // A chart takes everything under the info line.
        let below_info = Rect {
            y: top.y,
            height: area.height.saturating_sub(info.height),
            ..area
        };
        self.draw_chart(frame, below_info);
    }

    fn draw_info(&self, frame: &mut Frame, area: Rect) {
        let line = match (&self.mode, &self.message) {
            (Mode::Prompt(Prompt::Filter, t), _) => format!("{} {t}▏", s::FILTER_PROMPT),
            (Mode::Prompt(Prompt::History, t), _) => {
                let hit = self.editor.history_match(t).unwrap_or_default();
                format!("{} {t}▏  {}", s::HISTORY_PROMPT, hit.replace('\n', " "))
            }
            (Mode::Confirm(_, c), _) => s::confirm(&c.describe()),
            (_, Some(m)) => m.clone(),
            (_, None) => s::HINT.to_owned(),
        };
        let style = if matches!(self.mode, Mode::Confirm(..)) {
            Style::default().fg(Color::Black).bg(Color::Yellow)
        } else {
            Style::default()
        };
        frame.render_widget(Paragraph::new(line).style(style), area);
    }

    fn draw_grid(&mut self, frame: &mut Frame, area: Rect) {
        self.grid_area = area;
        if self.running && self.draw_preview(frame, area) {
            return;
        }
        let on = self.focus == Focus::Grid;
        let Some(shown) = self.shown.as_mut() else {
            frame.render_widget(
                Paragraph::new(s::NO_RESULT).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(s::RESULT_TITLE)
                        .border_style(focused(on)),
                ),
                area,
            );
            return;
        };
        shown.draw(frame, area, on);
    }

    /// The first rows of the statement still running; `false` when none have come.
    fn draw_preview(&self, frame: &mut Frame, area: Rect) -> bool {
        let Ok(slot) = self.preview.lock() else {
            return false;
        };
        let Some(p) = slot.as_ref() else {
            return false;
        };
        let visible = usize::from(area.height.saturating_sub(3));
        let width = |c: usize| {
            p.rows
                .iter()
                .take(visible)
                .map(|r| r.get(c).map_or(0, |x| cell_text(x).chars().count()))
                .max()
                .unwrap_or(0)
                .max(p.columns.get(c).map_or(0, |h| h.chars().count()))
                .clamp(1, MAX_COLUMN) as u16
        };
        let widths: Vec<Constraint> = (0..p.columns.len())
            .map(|c| Constraint::Length(width(c)))
            .collect();
        let rows = p
            .rows
            .iter()
            .take(visible)
            .map(|r| Row::new(r.iter().map(cell_text)));
        frame.render_widget(
            Table::new(rows, widths)
                .header(
                    Row::new(p.columns.clone())
                        .style(Style::default().add_modifier(Modifier::BOLD)),
                )
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(s::PREVIEW_TITLE),
                ),
            area,
        );
        true
    }

    fn draw_popups(&self, frame: &mut Frame, area: Rect) {
        if let Mode::Cell(text) = &self.mode {
            let popup = centered(area, 70, 12);
            frame.render_widget(Clear, popup);
            frame.render_widget(
                Paragraph::new(text.as_str())
                    .wrap(Wrap { trim: false })
                    .block(Block::default().borders(Borders::ALL).title(s::CELL_TITLE)),
                popup,
            );
        }
        if let Mode::Summary(summary, at) = &self.mode {
            draw_summary(frame, area, summary, *at);
        }
        if let Mode::Describe(all, at) = &self.mode {
            draw_describe(frame, area, all, *at);
        }
        if let Mode::Frequency(column, f) = &self.mode {
            let height = (f.values.len() as u16 + 4).min(area.height.saturating_sub(2));
            let popup = centered(area, 80, height);
            let most = f.values.first().map_or(1, |v| v.rows).max(1);
            let bar_width = 20usize;
            let rows = f.values.iter().map(|v| {
                let bar =
                    "█".repeat(((v.rows as f64 / most as f64) * bar_width as f64).round() as usize);
                Row::new([
                    cell_text(&v.value),
                    crate::ui::strings::thousands(v.rows),
                    format!("{:.2}%", v.pct),
                    bar,
                ])
            });
            frame.render_widget(Clear, popup);
            frame.render_widget(
                Table::new(
                    rows,
                    [
                        Constraint::Min(20),
                        Constraint::Length(12),
                        Constraint::Length(8),
                        Constraint::Length(bar_width as u16),
                    ],
                )
                .header(
                    Row::new(["value", "count", "%", ""])
                        .style(Style::default().add_modifier(Modifier::BOLD)),
                )
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(s::frequency_title(column, f.distinct)),
                ),
                popup,
            );
        }
    }
}

/// A column summary: the figures, the histogram as a sparkline, the top values (the
/// picked one highlighted) and the keys.
fn draw_summary(frame: &mut Frame, area: Rect, sm: &ColumnSummary, at: usize) {
    let n = crate::ui::strings::thousands;
    let pct = |k: u64| 100.0 * k as f64 / sm.rows.max(1) as f64;
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "–".to_owned());
    let mut lines = vec![format!(
        "rows {} · nulls {} ({:.1}%) · distinct {}{}",
        n(sm.rows),
        n(sm.nulls),
        pct(sm.nulls),
        if sm.distinct_exact { "" } else { "≈" },
        n(sm.distinct)
    )];
    lines.push(format!(
        "min {} · max {}",
        or_dash(&sm.min),
        or_dash(&sm.max)
    ));
    if sm.p5.is_some() {
        lines.push(format!(
            "mean {} · p5 {} · median {} · p95 {}",
            or_dash(&sm.mean),
            or_dash(&sm.p5),
            or_dash(&sm.median),
            or_dash(&sm.p95)
        ));
    }
    if !sm.distinct_exact {
        lines.push(s::TOO_MANY_TO_RANK.to_owned());
    }
    let spark = if sm.histogram.is_empty() { 0 } else { 3 };
    let top = sm.top.values.len() as u16;
    let height = (lines.len() as u16 + spark + top + 5).min(area.height);
    let inner = popup_with_hint(
        frame,
        centered(area, 90, height),
        &s::summary_title(&sm.name, &sm.type_name),
        s::SUMMARY_HINT,
    );
    let [text, hist, table] = Layout::vertical([
        Constraint::Length(lines.len() as u16),
        Constraint::Length(spark),
        Constraint::Min(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(lines.join("\n")), text);
    if spark > 0 {
        let [label, bars] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(hist);
        frame.render_widget(
            Paragraph::new(format!(
                "histogram, {} equal bins from min to max:",
                sm.histogram.len()
            )),
            label,
        );
        // Each bin as wide as the popup allows (a sparkline draws a value per column).
        let per = (bars.width as usize / sm.histogram.len().max(1)).max(1);
        let wide: Vec<u64> = sm
            .histogram
            .iter()
            .flat_map(|&v| std::iter::repeat_n(v, per))
            .collect();
        frame.render_widget(Sparkline::default().data(&wide), bars);
    }
    let most = sm.top.values.first().map_or(1, |v| v.rows).max(1);
    let rows = sm.top.values.iter().enumerate().map(|(i, v)| {
        let bar = "█".repeat(((v.rows as f64 / most as f64) * 16.0).round() as usize);
        let row = Row::new([
            cell_text(&v.value),
            n(v.rows),
            format!("{:.2}%", v.pct),
            bar,
        ]);
        picked(row, i == at)
    });
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Min(20),
                Constraint::Length(12),
                Constraint::Length(8),
                Constraint::Length(16),
            ],
        )
        .header(
            Row::new(["top values", "count", "%", ""])
                .style(Style::default().add_modifier(Modifier::BOLD)),
        ),
        table,
    );
}

/// Every column's summary, a row each: name, type, nulls, distinct, min, median, max.
fn draw_describe(frame: &mut Frame, area: Rect, all: &[ColumnSummary], at: usize) {
    let n = crate::ui::strings::thousands;
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "–".to_owned());
    let height = (all.len() as u16 + 4).min(area.height);
    let table = popup_with_hint(
        frame,
        centered(area, 120, height),
        s::DESCRIBE_TITLE,
        s::DESCRIBE_HINT,
    );
    let rows = all.iter().enumerate().map(|(i, sm)| {
        let row = Row::new([
            sm.name.clone(),
            sm.type_name.clone(),
            n(sm.nulls),
            n(sm.distinct),
            or_dash(&sm.min),
            or_dash(&sm.median),
            or_dash(&sm.max),
        ]);
        picked(row, i == at)
    });
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Min(12),
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Min(12),
                Constraint::Min(12),
                Constraint::Min(12),
            ],
        )
        .header(
            Row::new([
                "column", "type", "nulls", "distinct", "min", "median", "max",
            ])
            .style(Style::default().add_modifier(Modifier::BOLD)),
        ),
        table,
    );
}

/// A popup in `popup` (cleared, bordered, titled) with `hint` on its last line; returns
/// the area above the hint.
fn popup_with_hint(frame: &mut Frame, popup: Rect, title: &str, hint: &str) -> Rect {
    frame.render_widget(Clear, popup);
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [body, line] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    frame.render_widget(Paragraph::new(hint), line);
    body
}

/// A row shown reversed when it is the one picked.
fn picked(row: Row<'_>, is: bool) -> Row<'_> {
    if is {
        row.style(Style::default().add_modifier(Modifier::REVERSED))
    } else {
        row
    }
}

/// A `width` × `height` rectangle in the middle of `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

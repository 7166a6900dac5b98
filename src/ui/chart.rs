//! The one chart widget of the TUI: bars (the report tabs' charts, the Query tab's bar
//! charts and histograms) and lines (the Query tab's line charts). Values are `f64`: bars
//! are scaled to the largest for drawing and labelled with their own value.

use ratatui::Frame;
use ratatui::layout::{Direction, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Bar, BarChart, BarGroup, Block, Borders, Chart, Dataset, GraphType};

/// Bars to draw.
pub struct Bars<'a> {
    /// The block's title.
    pub title: &'a str,
    /// Each bar's label and value.
    pub bars: &'a [(String, f64)],
    /// Bars side by side (false) or one per line, labels on the left (true).
    pub horizontal: bool,
    /// Each bar's value written on it.
    pub show_values: bool,
    /// A bar's width (vertical bars): fixed, or fitted to the area when none.
    pub bar_width: Option<u16>,
    /// The gap between bars.
    pub gap: u16,
    /// The bars' colour.
    pub color: Option<Color>,
}

/// How a value is written on its bar: an integer as one, else with 2 decimals.
pub fn value_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Draws `b` in `area`. Negative values are drawn as empty bars (their value still
/// written); the tallest bar is the largest value.
pub fn draw_bars(frame: &mut Frame, area: Rect, b: &Bars<'_>) {
    let most = b
        .bars
        .iter()
        .map(|(_, v)| *v)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let n = b.bars.len().max(1) as u16;
    let inner = area.width.saturating_sub(2);
    let width = b
        .bar_width
        .unwrap_or_else(|| (inner.saturating_sub(b.gap * n.saturating_sub(1)) / n).clamp(1, 12));
    let bars: Vec<Bar> = b
        .bars
        .iter()
        .map(|(label, v)| {
            let scaled = if *v > 0.0 {
                ((v / most) * 10_000.0).round() as u64
            } else {
                0
            };
            let bar = Bar::default()
                .value(scaled)
                .label(Line::from(label.clone()));
            if b.show_values {
                bar.text_value(value_text(*v))
            } else {
                bar.text_value(String::new())
            }
        })
        .collect();
    let mut chart = BarChart::default()
        .block(Block::default().borders(Borders::ALL).title(b.title))
        .data(BarGroup::default().bars(&bars))
        .bar_gap(b.gap);
    if b.horizontal {
        chart = chart.direction(Direction::Horizontal).bar_width(1);
    } else {
        chart = chart.bar_width(width);
    }
    if let Some(c) = b.color {
        chart = chart
            .bar_style(Style::default().fg(c))
            .value_style(Style::default().fg(Color::Black).bg(c));
    }
    frame.render_widget(chart, area);
}

/// Series to draw as lines: each a name and its (x, y) points, x ascending.
pub struct Lines<'a> {
    /// The block's title.
    pub title: &'a str,
    /// The x axis' name and the labels of its two ends.
    pub x: (&'a str, String, String),
    /// The series.
    pub series: &'a [(String, Vec<(f64, f64)>)],
}

/// The colours of the series, in order.
const SERIES_COLORS: [Color; 3] = [Color::Cyan, Color::Yellow, Color::Magenta];

/// Draws `l` in `area`, the y axis from the smallest to the largest value of any series.
pub fn draw_lines(frame: &mut Frame, area: Rect, l: &Lines<'_>) {
    let all = l.series.iter().flat_map(|(_, p)| p.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    if y0 == y1 {
        y1 = y0 + 1.0;
    }
    let datasets: Vec<Dataset> = l
        .series
        .iter()
        .enumerate()
        .map(|(i, (name, points))| {
            Dataset::default()
                .name(name.clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(SERIES_COLORS[i % SERIES_COLORS.len()]))
                .data(points)
        })
        .collect();
    let chart = Chart::new(datasets)
        .block(Block::default().borders(Borders::ALL).title(l.title))
        .x_axis(
            Axis::default()
                .title(l.x.0)
                .bounds([x0, x1])
                .labels([l.x.1.clone(), l.x.2.clone()]),
        )
        .y_axis(
            Axis::default()
                .bounds([y0, y1])
                .labels([value_text(y0), value_text(y1)]),
        );
    frame.render_widget(chart, area);
}

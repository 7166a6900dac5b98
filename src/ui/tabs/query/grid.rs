//! The Query tab's result grid: the result on show (kept in DuckDB, or held in memory),
//! the selected cell, the page of rows read, the columns on screen (the first frozen,
//! widths fitted to the rows on screen); its own keys (moving) and drawing. It reads
//! nothing itself: it says which page it needs and the tab reads it.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Row, Table};

use super::render::{MAX_COLUMN, focused};
use crate::report::Cell;
use crate::report::output::cell_text;
use crate::store::query::{Held, ResultView, RunSummary};
use crate::ui::keymap::Move;
use crate::ui::strings::query as s;

/// Rows read from DuckDB at a time.
pub(super) const PAGE: usize = 200;

/// The result on show.
#[derive(Debug)]
pub(super) struct Grid {
    pub(super) sql: String,
    pub(super) held: Held,
    pub(super) summary: RunSummary,
    pub(super) view: ResultView,
    /// Rows of the view.
    pub(super) rows: u64,
    /// The page read, and where it starts.
    pub(super) page: Vec<Vec<Cell>>,
    page_start: u64,
    /// The selected cell (row of the view, column).
    pub(super) row: u64,
    pub(super) col: usize,
    /// The first column shown after the frozen first one.
    first_col: usize,
    /// Rows shown at once (set when drawn).
    visible: usize,
}

/// What a moving key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GridMove {
    /// The row up or down (`Move` keys), by a page, to either end.
    Row,
    /// The column to the left.
    Left,
    /// The column to the right.
    Right,
}

impl Grid {
    /// A result: `rows` rows, the first `first_page` of them read.
    pub(super) fn new(
        sql: String,
        held: Held,
        summary: RunSummary,
        rows: u64,
        first_page: Vec<Vec<Cell>>,
    ) -> Grid {
        Grid {
            sql,
            held,
            summary,
            view: ResultView::default(),
            rows,
            page: first_page,
            page_start: 0,
            row: 0,
            col: 0,
            first_col: 0,
            visible: 10,
        }
    }

    /// The column names.
    pub(super) fn columns(&self) -> Vec<String> {
        match &self.held {
            Held::Stored { columns } => columns.iter().map(|(c, _)| c.clone()).collect(),
            Held::InMemory { columns, .. } => columns.clone(),
        }
    }

    /// Whether the result is kept in DuckDB (sortable, filterable, paged).
    pub(super) fn stored(&self) -> bool {
        matches!(self.held, Held::Stored { .. })
    }

    /// The selected row, if it is in the page read.
    pub(super) fn current_row(&self) -> Option<&[Cell]> {
        let i = usize::try_from(self.row.checked_sub(self.page_start)?).ok()?;
        self.page.get(i).map(Vec::as_slice)
    }

    /// The selected cell, if it is in the page read.
    pub(super) fn current_cell(&self) -> Option<Cell> {
        self.current_row()?.get(self.col).cloned()
    }

    /// The view's rows changed (sorted, filtered): back to the top, `first_page` read.
    pub(super) fn reset(&mut self, rows: u64, first_page: Vec<Vec<Cell>>) {
        self.rows = rows;
        self.row = 0;
        self.page = first_page;
        self.page_start = 0;
    }

    /// Where the page to read starts, when the screenful holding the selected row is not
    /// all in the page read (a stored result only).
    pub(super) fn page_needed(&self) -> Option<u64> {
        if !self.stored() {
            return None;
        }
        let visible = self.visible.max(1) as u64;
        let top = self.row - self.row % visible;
        let want_end = (top + visible).min(self.rows);
        let end = self.page_start + self.page.len() as u64;
        if top >= self.page_start && want_end <= end && !self.page.is_empty() {
            return None;
        }
        Some(top.saturating_sub(PAGE as u64 / 4))
    }

    /// The page read from `start`.
    pub(super) fn set_page(&mut self, start: u64, page: Vec<Vec<Cell>>) {
        self.page = page;
        self.page_start = start;
    }

    /// Moves the selection.
    pub(super) fn apply(&mut self, m: GridMove, key: &KeyEvent) {
        match m {
            GridMove::Row => {
                if let Some(mv) = Move::of(key) {
                    let page = self.visible.max(1);
                    self.row = mv.apply(self.row as usize, self.rows as usize, page) as u64;
                }
            }
            GridMove::Left => self.col = self.col.saturating_sub(1),
            GridMove::Right => {
                let width = self.columns().len();
                self.col = (self.col + 1).min(width.saturating_sub(1));
            }
        }
    }

    /// A click on screen row `row` of the grid drawn in `area`: selects that row.
    pub(super) fn click(&mut self, area: Rect, row: u16) -> bool {
        // Border and heading above the first row.
        if row < area.y + 2 || row >= area.y + area.height.saturating_sub(1) {
            return false;
        }
        let first = self
            .row
            .saturating_sub(self.row % self.visible.max(1) as u64);
        let target = first + u64::from(row - area.y - 2);
        if target < self.rows {
            self.row = target;
            return true;
        }
        false
    }

    /// Draws the grid; `on` when it has the focus.
    pub(super) fn draw(&mut self, frame: &mut Frame, area: Rect, on: bool) {
        let columns = self.columns();
        let visible = usize::from(area.height.saturating_sub(3)).max(1);
        self.visible = visible;
        let top = self.row - self.row % visible as u64;
        let rows: Vec<&Vec<crate::report::Cell>> = (top..(top + visible as u64).min(self.rows))
            .filter_map(|r| {
                let i = usize::try_from(r.checked_sub(self.page_start)?).ok()?;
                self.page.get(i)
            })
            .collect();
        // Widths fitted to the heading and the rows on screen.
        let width_of = |c: usize| {
            let head = columns.get(c).map_or(0, |h| h.chars().count());
            rows.iter()
                .map(|r| r.get(c).map_or(0, |x| cell_text(x).chars().count()))
                .max()
                .unwrap_or(0)
                .max(head)
                .clamp(1, MAX_COLUMN) as u16
        };
        // The first column stays; the others scroll so the selected one is on screen.
        let avail = area.width.saturating_sub(2);
        let first_w = width_of(0);
        if self.col > 0 && self.col < self.first_col.max(1) {
            self.first_col = self.col;
        }
        self.first_col = self.first_col.max(1);
        loop {
            let mut used = first_w + 1;
            let mut last_fit = self.first_col;
            for c in self.first_col..columns.len() {
                let w = width_of(c) + 1;
                if used + w > avail {
                    break;
                }
                used += w;
                last_fit = c;
            }
            if self.col <= last_fit || self.first_col >= self.col {
                break;
            }
            self.first_col += 1;
        }
        let mut shown_cols = vec![0usize];
        let mut used = first_w + 1;
        for c in self.first_col..columns.len() {
            let w = width_of(c) + 1;
            if used + w > avail && shown_cols.len() > 1 {
                break;
            }
            used += w;
            shown_cols.push(c);
        }
        let header = Row::new(shown_cols.iter().map(|&c| {
            let mut h = columns.get(c).cloned().unwrap_or_default();
            if let Some((sc, desc)) = self.view.sort
                && sc == c
            {
                h.push_str(if desc { " ▼" } else { " ▲" });
            }
            h
        }))
        .style(Style::default().add_modifier(Modifier::BOLD));
        let selected_row = self.row;
        let selected_col = self.col;
        let body = rows.iter().enumerate().map(|(i, r)| {
            let this = top + i as u64 == selected_row;
            Row::new(shown_cols.iter().map(|&c| {
                let text = r.get(c).map(cell_text).unwrap_or_default();
                let style = if this && c == selected_col && on {
                    Style::default().add_modifier(Modifier::REVERSED)
                } else if this {
                    Style::default().add_modifier(Modifier::BOLD)
                } else {
                    Style::default()
                };
                Span::styled(text, style)
            }))
        });
        let widths: Vec<Constraint> = shown_cols
            .iter()
            .map(|&c| Constraint::Length(width_of(c)))
            .collect();
        let n = crate::ui::strings::thousands;
        let title = format!(
            " {} · {} rows{}{} · {:.3} s ",
            s::RESULT_TITLE.trim(),
            n(self.rows),
            self.view
                .filter
                .as_ref()
                .map_or(String::new(), |f| format!(" matching {f}")),
            match &self.held {
                Held::InMemory { .. } => s::IN_MEMORY,
                Held::Stored { .. } => "",
            },
            self.summary.seconds
        );
        let position = format!(
            " row {} of {} · column {} of {} ",
            n(self.row + 1),
            n(self.rows),
            self.col + 1,
            columns.len()
        );
        frame.render_widget(
            Table::new(body, widths).header(header).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(title)
                    .title_bottom(Line::from(position))
                    .border_style(focused(on)),
            ),
            area,
        );
    }
}

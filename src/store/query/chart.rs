//! Charts of the console's stored result (the Query tab's `C`): a bar chart (a category
//! column by the sum of a number column, or by rows, the largest first), a line chart (an
//! ordered column, number or time, against one or more number columns, averaged over at
//! most a few hundred equal buckets) and a histogram (one number or time column in equal
//! bins). Each is one statement over the stored result (or the grid's filtered view), so
//! a 10 M-row result is charted without reading it: only the plotted points come back.

use super::result::ResultView;
use super::summary::ColumnKind;
use super::values::quote_ident;
use super::{QueryError, Store};
use crate::core::sql::fill_template;

/// The kinds of chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Categories of `x`, by the sum of `y` (or by rows), largest first.
    Bar,
    /// `y` columns against an ordered `x`.
    Line,
    /// Rows per equal-width bin of `x`.
    Histogram,
}

impl ChartKind {
    /// How it reads.
    pub fn label(self) -> &'static str {
        match self {
            ChartKind::Bar => "bar",
            ChartKind::Line => "line",
            ChartKind::Histogram => "histogram",
        }
    }
}

/// What to chart: the kind, the columns (indices into the result) and how many bars,
/// buckets or bins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartSpec {
    /// Bar, line or histogram.
    pub kind: ChartKind,
    /// The category (bar), the ordered axis (line) or the binned column (histogram).
    pub x: usize,
    /// The number columns: the bar's measure (none: rows), the line's series (at least
    /// one); unused by a histogram.
    pub y: Vec<usize>,
    /// Bars (the largest), line buckets or histogram bins.
    pub limit: usize,
}

/// Most series a line chart draws.
pub const MAX_SERIES: usize = 3;

impl ChartSpec {
    /// The chart a result suggests, from its column types, with the cursor on column
    /// `current`: a line when there is a time or number column to order by and a number
    /// column to draw; a bar chart of a text column by a number column (or by rows); a
    /// histogram of a lone number or time column.
    pub fn suggested(types: &[ColumnKind], current: usize) -> ChartSpec {
        let numbers: Vec<usize> = (0..types.len())
            .filter(|&i| types[i] == ColumnKind::Number)
            .collect();
        let time = types.iter().position(|&t| t == ColumnKind::Time);
        let text = types.iter().position(|&t| t == ColumnKind::Other);
        if let Some(t) = time
            && !numbers.is_empty()
        {
            return ChartSpec {
                kind: ChartKind::Line,
                x: t,
                y: numbers.iter().copied().take(MAX_SERIES).collect(),
                limit: 200,
            };
        }
        if let Some(c) = text {
            return ChartSpec {
                kind: ChartKind::Bar,
                x: c,
                y: numbers.first().copied().into_iter().collect(),
                limit: 20,
            };
        }
        let x = if types.get(current).is_some_and(|t| *t != ColumnKind::Other) {
            current
        } else {
            numbers.first().copied().or(time).unwrap_or(0)
        };
        ChartSpec {
            kind: ChartKind::Histogram,
            x,
            y: Vec::new(),
            limit: 30,
        }
    }
}

/// One plotted point: its label (the category, the bucket's first value or the bin's
/// lower edge, as text), its position on x (the bucket's or bin's first value as a
/// number; the rank of a bar) and a value per series.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartPoint {
    /// As text.
    pub label: String,
    /// As a number.
    pub x: f64,
    /// One per series (a bar chart and a histogram have one).
    pub values: Vec<Option<f64>>,
}

/// A chart's points and the statement that computed them.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    /// What was asked.
    pub spec: ChartSpec,
    /// The x column's name.
    pub x_name: String,
    /// The series' names (`rows` for a count).
    pub series: Vec<String>,
    /// The points, in order.
    pub points: Vec<ChartPoint>,
    /// Whether x is a time (its numbers are microseconds since the epoch).
    pub x_is_time: bool,
    /// The SQL that drew it, its parameter written in (over `perx_scratch.result`, or the
    /// grid's filtered view of it).
    pub sql: String,
}

impl Store {
    /// Computes chart `spec` over the view (the order does not matter to a chart).
    pub fn chart(&self, view: &ResultView, spec: &ChartSpec) -> Result<ChartData, QueryError> {
        let columns = self.result_columns()?;
        self.chart_on(&Self::counted_rows(view), &columns, spec)
    }

    /// Computes chart `spec` over `table` (the result's rows), whose columns (names and
    /// types) are `columns`.
    pub(super) fn chart_on(
        &self,
        table: &str,
        columns: &[(String, String)],
        spec: &ChartSpec,
    ) -> Result<ChartData, QueryError> {
        let column = |i: usize| {
            columns
                .get(i)
                .ok_or_else(|| QueryError::Statements(format!("no column {i}")))
        };
        let (x_name, x_type) = column(spec.x)?;
        let x_kind = ColumnKind::of(x_type);
        let x = quote_ident(x_name);
        let x_num = super::summary::as_number(&x, x_kind);
        let limit = spec.limit.clamp(1, 10_000);
        let (template, series, values): (&str, Vec<String>, Vec<String>) = match spec.kind {
            ChartKind::Bar => {
                let (name, agg) = match spec.y.first() {
                    Some(&y) => {
                        let (n, _) = column(y)?;
                        (
                            format!("sum of {n}"),
                            format!("sum(CAST({} AS DOUBLE))", quote_ident(n)),
                        )
                    }
                    None => ("rows".to_owned(), "CAST(count(*) AS DOUBLE)".to_owned()),
                };
                (
                    include_str!("../../../sql/query/chart_bar.sql"),
                    vec![name],
                    vec![agg],
                )
            }
            ChartKind::Line => {
                if spec.y.is_empty() {
                    return Err(QueryError::Statements(
                        "a line chart needs a number column to draw".into(),
                    ));
                }
                let mut names = Vec::new();
                let mut aggs = Vec::new();
                for &y in spec.y.iter().take(MAX_SERIES) {
                    let (n, _) = column(y)?;
                    names.push(format!("mean of {n}"));
                    aggs.push(format!("avg(CAST({} AS DOUBLE))", quote_ident(n)));
                }
                (
                    include_str!("../../../sql/query/chart_line.sql"),
                    names,
                    aggs,
                )
            }
            ChartKind::Histogram => (
                include_str!("../../../sql/query/chart_histogram.sql"),
                vec!["rows".to_owned()],
                vec!["CAST(count(*) AS DOUBLE)".to_owned()],
            ),
        };
        let edge_at =
            format!("(chart_range.lo + b.bin * (chart_range.hi - chart_range.lo) / {limit})");
        let edge = match x_kind {
            ColumnKind::Time => {
                format!("CAST(make_timestamp(CAST({edge_at} AS BIGINT)) AS VARCHAR)")
            }
            _ => format!("CAST(round({edge_at}, 6) AS VARCHAR)"),
        };
        let values_sql: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{v} AS v{i}"))
            .collect();
        let sql = fill_template(
            template,
            &[
                ("table", table),
                ("x", &x),
                ("x_num", &x_num),
                ("values", &values_sql.join(", ")),
                ("limit", &limit.to_string()),
                ("edge", &edge),
            ],
        );
        let mut stmt = self.conn().prepare(&sql).map_err(QueryError::sql)?;
        let mut rows = stmt.query([]).map_err(QueryError::sql)?;
        let mut points = Vec::new();
        while let Some(r) = rows.next().map_err(QueryError::sql)? {
            let label: Option<String> = r.get(0).map_err(QueryError::sql)?;
            let at: Option<f64> = r.get(1).map_err(QueryError::sql)?;
            let mut v = Vec::with_capacity(values.len());
            for i in 0..values.len() {
                v.push(r.get::<_, Option<f64>>(2 + i).map_err(QueryError::sql)?);
            }
            points.push(ChartPoint {
                label: label.unwrap_or_else(|| "NULL".to_owned()),
                x: at.unwrap_or(points.len() as f64),
                values: v,
            });
        }
        Ok(ChartData {
            spec: spec.clone(),
            x_name: x_name.clone(),
            series,
            points,
            x_is_time: x_kind == ColumnKind::Time,
            sql,
        })
    }
}

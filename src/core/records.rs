//! The platform's CSV exports: which columns each has, and how a row becomes typed cells.
//!
//! Headers are matched case-insensitively (the real `campaign.csv` says `Id`); required
//! columns must be present, known optional ones become NULL when absent, and unknown ones are
//! reported (never silently ignored).

use std::fmt;

use chrono::{DateTime, Utc};

use super::timestamp;

/// One of the four CSV exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CsvSource {
    /// `campaign.csv` → `campaign`.
    Campaign,
    /// `reward_campaign.csv` → `reward_campaign`.
    RewardCampaign,
    /// `reward_transaction.csv` → `reward_transaction`.
    RewardTransaction,
    /// `campaign_reward_mapping.csv` → `campaign_reward_mapping`.
    CampaignRewardMapping,
}

/// The type of a CSV column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// A 64-bit integer id.
    Int,
    /// Free text.
    Text,
    /// A UTC instant (see [`timestamp::parse_utc`]).
    Timestamp,
}

/// One column of an export, in table order.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Lower-case name, equal to the DuckDB column name.
    pub name: &'static str,
    /// How its cells are parsed.
    pub ty: ColumnType,
    /// Whether the header must name it.
    pub required: bool,
}

const fn col(name: &'static str, ty: ColumnType, required: bool) -> Column {
    Column { name, ty, required }
}

impl CsvSource {
    /// Every CSV source, in load order (parents before children).
    pub const ALL: [CsvSource; 4] = [
        CsvSource::Campaign,
        CsvSource::RewardCampaign,
        CsvSource::RewardTransaction,
        CsvSource::CampaignRewardMapping,
    ];

    /// The standard file name in a data directory.
    pub fn file_name(self) -> &'static str {
        match self {
            CsvSource::Campaign => "campaign.csv",
            CsvSource::RewardCampaign => "reward_campaign.csv",
            CsvSource::RewardTransaction => "reward_transaction.csv",
            CsvSource::CampaignRewardMapping => "campaign_reward_mapping.csv",
        }
    }

    /// The DuckDB table the rows go to.
    pub fn table(self) -> &'static str {
        match self {
            CsvSource::Campaign => "campaign",
            CsvSource::RewardCampaign => "reward_campaign",
            CsvSource::RewardTransaction => "reward_transaction",
            CsvSource::CampaignRewardMapping => "campaign_reward_mapping",
        }
    }

    /// The columns, in the table's order (the table adds `line_no` first).
    pub fn columns(self) -> &'static [Column] {
        match self {
            CsvSource::Campaign => CAMPAIGN_COLUMNS,
            CsvSource::RewardCampaign => REWARD_CAMPAIGN_COLUMNS,
            CsvSource::RewardTransaction => REWARD_TRANSACTION_COLUMNS,
            CsvSource::CampaignRewardMapping => MAPPING_COLUMNS,
        }
    }
}

use ColumnType::{Int, Text, Timestamp};

const CAMPAIGN_COLUMNS: &[Column] = &[
    col("id", Int, true),
    col("name", Text, true),
    col("status", Text, false),
    col("updated_at", Timestamp, false),
];
const REWARD_CAMPAIGN_COLUMNS: &[Column] = &[
    col("id", Int, true),
    col("reward_name", Text, true),
    col("updated_at", Timestamp, false),
    col("campaign_id", Int, true),
];
const REWARD_TRANSACTION_COLUMNS: &[Column] = &[
    col("id", Int, true),
    col("status", Text, true),
    col("updated_at", Timestamp, true),
    col("reward_campaign_id", Int, true),
];
const MAPPING_COLUMNS: &[Column] = &[col("campaign_id", Int, true), col("reward_id", Int, true)];

/// A typed cell, ready for the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// An empty optional cell, or an optional column the file does not have.
    Null,
    /// An integer id.
    Int(i64),
    /// Text, as written.
    Text(String),
    /// A UTC instant.
    Timestamp(DateTime<Utc>),
}

/// Where each known column sits in a file's header.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    source: CsvSource,
    /// For each of `source.columns()`, its index in the record, if present.
    positions: Vec<Option<usize>>,
    /// Header names that perx does not know (kept for the load summary).
    pub unknown: Vec<String>,
}

/// A header that cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// Required columns are missing.
    Missing {
        /// The missing column names.
        missing: Vec<&'static str>,
        /// The header as found.
        found: Vec<String>,
    },
    /// A column is named twice (case-insensitively).
    Duplicate(String),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::Missing { missing, found } => write!(
                f,
                "header lacks required column(s) {}; found [{}]",
                missing.join(", "),
                found.join(", ")
            ),
            HeaderError::Duplicate(c) => write!(f, "header names column {c:?} twice"),
        }
    }
}

impl HeaderMap {
    /// Matches a header row against the source's columns (case-insensitively, trimmed, BOM
    /// stripped).
    pub fn new<'a>(
        source: CsvSource,
        header: impl IntoIterator<Item = &'a str>,
    ) -> Result<HeaderMap, HeaderError> {
        let found: Vec<String> = header
            .into_iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
            .collect();
        let cols = source.columns();
        let mut positions = vec![None; cols.len()];
        let mut unknown = Vec::new();
        for (i, name) in found.iter().enumerate() {
            match cols.iter().position(|c| c.name.eq_ignore_ascii_case(name)) {
                Some(k) if positions[k].is_some() => {
                    return Err(HeaderError::Duplicate(name.clone()));
                }
                Some(k) => positions[k] = Some(i),
                None => unknown.push(name.clone()),
            }
        }
        let missing: Vec<&'static str> = cols
            .iter()
            .zip(&positions)
            .filter(|(c, p)| c.required && p.is_none())
            .map(|(c, _)| c.name)
            .collect();
        if !missing.is_empty() {
            return Err(HeaderError::Missing { missing, found });
        }
        Ok(HeaderMap {
            source,
            positions,
            unknown,
        })
    }

    /// The source this header belongs to.
    pub fn source(&self) -> CsvSource {
        self.source
    }

    /// Parses one record into cells in table column order.
    pub fn parse(&self, record: &[&str]) -> Result<Vec<Cell>, CellError> {
        let cols = self.source.columns();
        let mut cells = Vec::with_capacity(cols.len());
        for (c, pos) in cols.iter().zip(&self.positions) {
            let Some(pos) = *pos else {
                cells.push(Cell::Null);
                continue;
            };
            let raw = record.get(pos).copied().unwrap_or("");
            let value = raw.trim();
            let err = |problem| CellError {
                column: c.name,
                column_no: pos + 1,
                value: raw.to_owned(),
                problem,
            };
            if value.is_empty() {
                if c.required {
                    return Err(err(CellProblem::Empty));
                }
                cells.push(Cell::Null);
                continue;
            }
            cells.push(match c.ty {
                ColumnType::Int => Cell::Int(value.parse().map_err(|_| err(CellProblem::NotInt))?),
                ColumnType::Text => Cell::Text(value.to_owned()),
                ColumnType::Timestamp => {
                    let t = timestamp::parse_utc(value)
                        .ok_or_else(|| err(CellProblem::NotTimestamp))?;
                    if !timestamp::in_range(t) {
                        return Err(err(CellProblem::TimestampOutOfRange));
                    }
                    Cell::Timestamp(t)
                }
            });
        }
        Ok(cells)
    }
}

/// What is wrong with a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellProblem {
    /// A required cell is empty.
    Empty,
    /// Not a 64-bit integer.
    NotInt,
    /// Not a UTC timestamp.
    NotTimestamp,
    /// A UTC timestamp outside the accepted years.
    TimestampOutOfRange,
}

/// A cell that cannot be parsed; the row is rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    /// The column's name.
    pub column: &'static str,
    /// Its 1-based position in the file.
    pub column_no: usize,
    /// The cell as written.
    pub value: String,
    /// What is wrong with it.
    pub problem: CellProblem,
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let CellError {
            column,
            column_no,
            value,
            ..
        } = self;
        match self.problem {
            CellProblem::Empty => write!(f, "column {column_no} ({column}) is empty"),
            CellProblem::NotInt => write!(
                f,
                "column {column_no} ({column}): {value:?} is not an integer id"
            ),
            CellProblem::NotTimestamp => write!(
                f,
                "column {column_no} ({column}): {value:?} is not a UTC timestamp ({})",
                timestamp::EXPECTED_FORMAT
            ),
            CellProblem::TimestampOutOfRange => write!(
                f,
                "column {column_no} ({column}): timestamp {value:?} is outside the accepted {}",
                timestamp::RANGE_TEXT
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(source: CsvSource, h: &str) -> Result<HeaderMap, HeaderError> {
        HeaderMap::new(source, h.split(','))
    }

    #[test]
    fn matches_headers_case_insensitively_and_fills_optional_columns() {
        let h = header(CsvSource::Campaign, "Id,name,status").unwrap();
        let cells = h.parse(&["2", "My Camapign 2", "active"]).unwrap();
        assert_eq!(
            cells,
            vec![
                Cell::Int(2),
                Cell::Text("My Camapign 2".into()),
                Cell::Text("active".into()),
                Cell::Null
            ]
        );
    }

    #[test]
    fn reorders_columns_and_reports_unknown_ones() {
        let h = header(
            CsvSource::CampaignRewardMapping,
            "\u{feff}REWARD_ID,note,campaign_id",
        )
        .unwrap();
        assert_eq!(h.unknown, vec!["note".to_owned()]);
        assert_eq!(
            h.parse(&["5", "x", "7"]).unwrap(),
            vec![Cell::Int(7), Cell::Int(5)]
        );
    }

    #[test]
    fn missing_and_duplicate_headers_are_errors() {
        let e = header(CsvSource::Campaign, "id,status").unwrap_err();
        assert_eq!(
            e.to_string(),
            "header lacks required column(s) name; found [id, status]"
        );
        let e = header(CsvSource::Campaign, "id,name,ID").unwrap_err();
        assert_eq!(e, HeaderError::Duplicate("ID".into()));
    }

    #[test]
    fn bad_cells_name_their_column() {
        let h = header(
            CsvSource::RewardTransaction,
            "id,status,updated_at,reward_campaign_id",
        )
        .unwrap();
        let e = h
            .parse(&["1", "redeemed", "2019-08-18 11:04:10.041", "1"])
            .unwrap_err();
        assert_eq!(e.column, "updated_at");
        assert_eq!(e.column_no, 3);
        assert!(e.to_string().starts_with(
            "column 3 (updated_at): \"2019-08-18 11:04:10.041\" is not a UTC timestamp"
        ));
        let e = h
            .parse(&["x1", "redeemed", "2019-08-18 11:04:10 UTC", "1"])
            .unwrap_err();
        assert_eq!(e.problem, CellProblem::NotInt);
        let e = h
            .parse(&["1", "", "2019-08-18 11:04:10 UTC", "1"])
            .unwrap_err();
        assert_eq!(e.to_string(), "column 2 (status) is empty");
    }

    #[test]
    fn far_timestamps_parse_but_are_refused() {
        let h = header(
            CsvSource::RewardTransaction,
            "id,status,updated_at,reward_campaign_id",
        )
        .unwrap();
        for far in ["+200000-01-01 00:00:00 UTC", "1066-10-14 09:00:00 UTC"] {
            let e = h.parse(&["1", "redeemed", far, "1"]).unwrap_err();
            assert_eq!(e.problem, CellProblem::TimestampOutOfRange, "{far}");
            assert!(e.to_string().contains("years 1900 to 2200"), "{e}");
        }
    }
}

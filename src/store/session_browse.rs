//! Reading the sessions table (`http_log_session`, kept by [`super::sessions`]) a page at a
//! time by key with filters: the Sessions tab, the server's pages and the exports. The
//! report's order pages by each session's key (user order, start); the other orders by the
//! rank in a copy of the table stored in that order, made when first asked for. The screen
//! never holds more than a page whatever the size of the log, and no page needs a deep
//! OFFSET.

use chrono::{DateTime, Utc};
use duckdb::params;

use super::reports::ReportError;
use super::{SqlContext, Store, StoreError};
use crate::report::rows::parse_id_list;
use crate::report::{ReportRow, ReportSink, SessionRow};

/// What the browser filters on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    /// Only this user id (as written).
    pub user_id: Option<String>,
    /// Only sessions that viewed this campaign.
    pub campaign_id: Option<i64>,
    /// Only sessions that issued this reward.
    pub reward_id: Option<i64>,
    /// Only reward-driven sessions.
    pub driven_only: bool,
    /// Only sessions that start in `[from, to)` (UTC).
    pub span: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl SessionFilter {
    /// Whether anything is filtered.
    pub fn is_empty(&self) -> bool {
        *self == SessionFilter::default()
    }

    /// The filter as SQL parameters $1..$6 of `sql/ui/session_*.sql`.
    fn params(&self) -> [duckdb::types::Value; 6] {
        use duckdb::types::{TimeUnit, Value};
        let at = |t: DateTime<Utc>| Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros());
        let (from, to) = match self.span {
            Some((f, t)) => (at(f), at(t)),
            None => (Value::Null, Value::Null),
        };
        [
            self.user_id.clone().map_or(Value::Null, Value::Text),
            self.campaign_id.map_or(Value::Null, Value::BigInt),
            self.reward_id.map_or(Value::Null, Value::BigInt),
            Value::Boolean(self.driven_only),
            from,
            to,
        ]
    }
}

/// The browser's sort orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SessionSort {
    /// The report's order: user, then start.
    #[default]
    Report,
    /// Earliest start first.
    Start,
    /// Most requests first.
    Events,
    /// Longest first.
    Duration,
}

impl SessionSort {
    /// The next order (the `s` key cycles through them).
    pub fn next(self) -> SessionSort {
        match self {
            SessionSort::Report => SessionSort::Start,
            SessionSort::Start => SessionSort::Events,
            SessionSort::Events => SessionSort::Duration,
            SessionSort::Duration => SessionSort::Report,
        }
    }

    /// How it reads.
    pub fn label(self) -> &'static str {
        match self {
            SessionSort::Report => "user, start",
            SessionSort::Start => "start",
            SessionSort::Events => "most requests",
            SessionSort::Duration => "longest",
        }
    }

    /// The table holding the sessions in this order: `http_log_session` itself for the
    /// report's order, a copy made by [`Store::prepare_session_sort`] for the others.
    fn table(self) -> &'static str {
        match self {
            SessionSort::Report => "http_log_session",
            SessionSort::Start => "http_log_session_by_start",
            SessionSort::Events => "http_log_session_by_events",
            SessionSort::Duration => "http_log_session_by_duration",
        }
    }

    /// What this sort orders sessions by (ties in the report's order, which is unique).
    fn order(self) -> &'static str {
        match self {
            SessionSort::Report => "user_num, spelled, user_id, session_start",
            SessionSort::Start => "session_start, user_num, spelled, user_id",
            SessionSort::Events => "event_count DESC, user_num, spelled, user_id, session_start",
            SessionSort::Duration => "duration_s DESC, user_num, spelled, user_id, session_start",
        }
    }

    /// The columns pages are read by: the report's key, or the rank `k` of the copies.
    fn key_columns(self) -> &'static [&'static str] {
        match self {
            SessionSort::Report => &["user_num", "spelled", "user_id", "session_start"],
            _ => &["k"],
        }
    }

    /// The SQL of `sql/ui/` with this sort's `{table}`, `{order}` (what it sorts by),
    /// `{key_order}` (its table read in that order: the report's columns, or the rank) and
    /// the filter of `sql/ui/session_filter.sql` as `{filter}`.
    fn sql(self, text: &str) -> String {
        self.sql_for(text, &SessionFilter::default(), &[])
    }

    /// As [`SessionSort::sql`] for a query filtered by `f`, with `more` placeholders filled
    /// in the same pass. One user's sessions are read from `http_log_session` and ranked on
    /// the fly: they are few.
    fn sql_for(self, text: &str, f: &SessionFilter, more: &[(&str, &str)]) -> String {
        let table = match (self, f.user_id.is_some()) {
            (SessionSort::Report, _) | (_, false) => self.table().to_owned(),
            (_, true) => format!(
                "(SELECT *, row_number() OVER (ORDER BY {}) AS k FROM http_log_session \
                 WHERE user_id = $1)",
                self.order()
            ),
        };
        let key_order = match self {
            SessionSort::Report => self.order(),
            _ => "k",
        };
        let mut values = vec![
            ("table", table.as_str()),
            ("order", self.order()),
            ("key_order", key_order),
            ("filter", include_str!("../../sql/ui/session_filter.sql")),
        ];
        values.extend_from_slice(more);
        crate::core::sql::fill_template(text, &values)
    }
}

/// A session's place in the report's order: its user's (the id's number, whether it is
/// spelled with leading zeros, the id as written) and its start.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReportKey {
    /// The user id's number.
    pub user_num: i128,
    /// Whether the id is written with leading zeros.
    pub spelled: bool,
    /// The user id as written.
    pub user_id: String,
    /// The session's start, µs since the epoch (UTC).
    pub start_us: i64,
}

impl ReportKey {
    /// The key of a session.
    pub fn of(s: &SessionRow) -> ReportKey {
        let (user_num, spelled) = super::sessions::user_order(&s.user_id);
        ReportKey {
            user_num,
            spelled,
            user_id: s.user_id.clone(),
            start_us: s.start.timestamp_micros(),
        }
    }
}

/// Where a page of the browser starts: before the first session, after the last, or at a
/// session's key in the current order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKey {
    /// Before every session.
    First,
    /// After every session.
    Last,
    /// A session's key in the report's order.
    Report(ReportKey),
    /// A session's rank in another order.
    Rank(i64),
}

impl PageKey {
    /// The SQL condition and parameters ($7 on) of a page after (`>`) or before (`<`) this
    /// key in `sort`; a key of another order counts as [`PageKey::First`] or
    /// [`PageKey::Last`].
    fn condition(&self, sort: SessionSort, cmp: &str) -> (String, Vec<duckdb::types::Value>) {
        use duckdb::types::{TimeUnit, Value};
        let forward = cmp == ">";
        match sort {
            SessionSort::Report => {
                let key = match self {
                    PageKey::Report(k) => k.clone(),
                    // Before every stored key (numbers are not negative), or after every
                    // one (the largest number, spelled, and an id that sorts after digits).
                    _ if forward => ReportKey {
                        user_num: -1,
                        spelled: false,
                        user_id: String::new(),
                        start_us: 0,
                    },
                    _ => ReportKey {
                        user_num: super::sessions::MAX_USER_NUM,
                        spelled: true,
                        user_id: "~".to_owned(),
                        start_us: 0,
                    },
                };
                // The first column alone too: a bound DuckDB checks against each row
                // group's range, where the row comparison is checked row by row.
                let sql = format!(
                    "user_num {cmp}= CAST($7 AS DECIMAL(38, 0)) AND \
                     (user_num, spelled, user_id, session_start) {cmp} \
                     (CAST($7 AS DECIMAL(38, 0)), CAST($8 AS BOOLEAN), CAST($9 AS VARCHAR), \
                     CAST($10 AS TIMESTAMP))"
                );
                let params = vec![
                    Value::HugeInt(key.user_num),
                    Value::Boolean(key.spelled),
                    Value::Text(key.user_id),
                    Value::Timestamp(TimeUnit::Microsecond, key.start_us),
                ];
                (sql, params)
            }
            _ => {
                let rank = match self {
                    PageKey::Rank(k) => *k,
                    _ if forward => i64::MIN,
                    _ => i64::MAX,
                };
                (format!("k {cmp} $7"), vec![Value::BigInt(rank)])
            }
        }
    }
}

/// One session as the browser pages it: the report's row and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowsedSession {
    /// Its key in the current sort order (what the next page starts after).
    pub key: PageKey,
    /// The session.
    pub session: SessionRow,
}

/// One request of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEvent {
    /// When (UTC).
    pub ts: DateTime<Utc>,
    /// `GET` or `POST`.
    pub method: String,
    /// The path.
    pub path: String,
    /// A reward issue (else a campaign view).
    pub reward: bool,
    /// The reward or campaign id.
    pub item_id: i64,
}

impl Store {
    /// Whether pages in `sort` order can be read (its copy of the table exists).
    pub fn session_sort_ready(&self, sort: SessionSort) -> Result<bool, StoreError> {
        if sort == SessionSort::Report {
            return Ok(true);
        }
        let n: i64 = self
            .conn()
            .query_row(
                include_str!("../../sql/ui/session_sort_ready.sql"),
                [sort.table()],
                |r| r.get(0),
            )
            .ctx("looking for a sorted copy of the sessions table")?;
        Ok(n > 0)
    }

    /// Stores the table in `sort` order (a few seconds on millions of sessions, once per
    /// change of the data and order).
    pub fn prepare_session_sort(&self, sort: SessionSort) -> Result<(), StoreError> {
        if sort == SessionSort::Report {
            return Ok(());
        }
        self.conn()
            .execute_batch(&sort.sql(include_str!("../../sql/ui/session_sort_table.sql")))
            .ctx("sorting the sessions table")
    }

    /// The statement behind the browser's view (filter `f`, order `sort`) with its
    /// parameters written in: what `o` opens in the Query tab. It returns the sessions the
    /// export writes, in the same order.
    pub fn session_view_sql(f: &SessionFilter, sort: SessionSort) -> String {
        let sql = sort.sql_for(include_str!("../../sql/ui/session_export.sql"), f, &[]);
        let values: Vec<String> = f.params().iter().map(super::query::literal).collect();
        crate::core::sql::inline_params(&sql, &values)
    }

    /// Writes every stored session matching `f`, in `sort` order, to `sink` (the Sessions
    /// tab's export); returns how many.
    pub fn session_export(
        &self,
        f: &SessionFilter,
        sort: SessionSort,
        sink: &mut dyn ReportSink<SessionRow>,
    ) -> Result<u64, ReportError> {
        let sql = sort.sql_for(include_str!("../../sql/ui/session_export.sql"), f, &[]);
        let mut stmt = self
            .conn()
            .prepare(&sql)
            .ctx("preparing the sessions export")?;
        let mut rows = stmt
            .query(duckdb::params_from_iter(f.params()))
            .ctx("reading the sessions to export")?;
        // The sessions report's own columns: the CLI and the TUI export the same header.
        sink.begin(SessionRow::columns(()))
            .map_err(ReportError::Output)?;
        let mut n = 0;
        while let Some(r) = rows.next().ctx("reading the sessions to export")? {
            sink.row(&stored_session(r, 0)?)
                .map_err(ReportError::Output)?;
            n += 1;
        }
        sink.end().map_err(ReportError::Output)?;
        Ok(n)
    }

    /// Up to `limit` sessions matching `f` in `sort` order, after `key` (or, with
    /// `before`, the ones just before it, returned in order too).
    pub fn session_page(
        &self,
        f: &SessionFilter,
        sort: SessionSort,
        key: &PageKey,
        before: bool,
        limit: u64,
    ) -> Result<Vec<BrowsedSession>, StoreError> {
        let (cmp, dir) = if before { ("<", "DESC") } else { (">", "ASC") };
        let (after, mut params) = key.condition(sort, cmp);
        let order: Vec<String> = sort
            .key_columns()
            .iter()
            .map(|c| format!("{c} {dir}"))
            .collect();
        let order = order.join(", ");
        let limit_param = format!("${}", 7 + params.len());
        let rank = match sort {
            SessionSort::Report => "CAST(NULL AS BIGINT)",
            _ => "k",
        };
        let sql = sort.sql_for(
            include_str!("../../sql/ui/session_page.sql"),
            f,
            &[
                ("after", after.as_str()),
                ("page_order", order.as_str()),
                ("rank", rank),
                ("limit", limit_param.as_str()),
            ],
        );
        let mut stmt = self
            .conn()
            .prepare(&sql)
            .ctx("preparing a page of sessions")?;
        let mut all = f.params().to_vec();
        all.append(&mut params);
        all.push(duckdb::types::Value::BigInt(
            i64::try_from(limit).unwrap_or(i64::MAX),
        ));
        let mut rows = stmt
            .query(duckdb::params_from_iter(all))
            .ctx("reading a page of sessions")?;
        let mut page = Vec::new();
        while let Some(r) = rows.next().ctx("reading a page of sessions")? {
            let session = stored_session(r, 0)?;
            let key = match sort {
                SessionSort::Report => PageKey::Report(ReportKey::of(&session)),
                _ => PageKey::Rank(r.get(9).ctx("k")?),
            };
            page.push(BrowsedSession { key, session });
        }
        if before {
            page.reverse();
        }
        Ok(page)
    }

    /// How many sessions match `f`.
    pub fn session_count(&self, f: &SessionFilter) -> Result<u64, StoreError> {
        let all: i64 = self
            .conn()
            .query_row(
                &SessionSort::Report.sql_for(
                    include_str!("../../sql/ui/session_count.sql"),
                    f,
                    &[],
                ),
                duckdb::params_from_iter(f.params()),
                |r| r.get(0),
            )
            .ctx("counting sessions")?;
        Ok(all.max(0) as u64)
    }

    /// The requests of one session.
    pub fn session_events(&self, s: &SessionRow) -> Result<Vec<SessionEvent>, StoreError> {
        super::query_all(
            self.conn(),
            include_str!("../../sql/ui/session_events.sql"),
            params![s.user_id, s.start.naive_utc(), s.end.naive_utc()],
            "reading a session's requests",
            |r| {
                let ts = super::instant(r, 0)?.ok_or_else(|| {
                    duckdb::Error::FromSqlConversionFailure(
                        0,
                        duckdb::types::Type::Null,
                        "a request time is NULL".into(),
                    )
                })?;
                Ok(SessionEvent {
                    ts,
                    method: r.get(1)?,
                    path: r.get(2)?,
                    reward: r.get(3)?,
                    item_id: r.get(4)?,
                })
            },
        )
    }

    /// The rows of `campaign_reward_mapping` that make a session with these requests
    /// reward-driven (see [`crate::core::session::driving_pairs`]).
    pub fn session_driving_pairs(
        &self,
        user_id: &str,
        events: &[SessionEvent],
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        use crate::core::logline::EventKind;
        use crate::core::session::{Event, driving_pairs};
        let mapping = self.mapping_pairs()?;
        let events: Vec<Event> = events
            .iter()
            .map(|e| Event {
                user_id: user_id.to_owned(),
                ts_micros: e.ts.timestamp_micros(),
                kind: if e.reward {
                    EventKind::Reward
                } else {
                    EventKind::View
                },
                item_id: e.item_id,
            })
            .collect();
        Ok(driving_pairs(&events, &mapping))
    }
}

/// The session of a stored row whose report columns start at `at` (`user_id` …
/// `driving_campaigns`, in the report's order).
fn stored_session(r: &duckdb::Row<'_>, at: usize) -> Result<SessionRow, StoreError> {
    let when = |i: usize, what: &str| -> Result<DateTime<Utc>, StoreError> {
        super::instant(r, at + i)
            .and_then(|t| {
                t.ok_or_else(|| {
                    duckdb::Error::FromSqlConversionFailure(
                        at + i,
                        duckdb::types::Type::Null,
                        "a session time is NULL".into(),
                    )
                })
            })
            .ctx(what.to_owned())
    };
    let ids = |i: usize, what: &str| -> Result<Vec<i64>, StoreError> {
        let text: String = r.get(at + i).ctx(what.to_owned())?;
        parse_id_list(&text)
            .ok_or_else(|| {
                duckdb::Error::FromSqlConversionFailure(
                    at + i,
                    duckdb::types::Type::Text,
                    format!("{what} is not an id list").into(),
                )
            })
            .ctx(what.to_owned())
    };
    Ok(SessionRow {
        user_id: r.get(at).ctx("user_id")?,
        start: when(1, "session_start")?,
        end: when(2, "session_end")?,
        campaigns: ids(3, "campaigns")?,
        rewards: ids(4, "rewards_issued")?,
        driven: r.get(at + 5).ctx("reward_driven")?,
        event_count: r.get(at + 6).ctx("event_count")?,
        duration_s: r.get(at + 7).ctx("duration_s")?,
        driving_campaigns: ids(8, "driving_campaigns")?,
    })
}

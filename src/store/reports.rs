//! Running the reports' SQL (`sql/reports/`) with bound parameters, streaming rows to a
//! [`RowSink`].

use std::collections::HashSet;
use std::sync::mpsc::{SyncSender, sync_channel};

use chrono::{DateTime, NaiveDate, Utc};
use duckdb::arrow::array::{Array, BooleanArray, Int64Array, StringArray, UInt64Array};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::params;

use super::{SqlContext, Store, StoreError, query_all};
use crate::core::logline::EventKind;
use crate::core::session::{Session, Sessionizer, StreamEvent};
use crate::report::rows::parse_id_list;
use crate::report::{
    EngagementQuery, EngagementRow, ReportRow, ReportSink, SessionRow, SessionsQuery, Slot,
    WeeklyQuery, WeeklyRow,
};

/// Errors of running a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The campaign id is not in `campaign`.
    #[error("campaign {id} is not in the campaign table; known campaign ids: {known}")]
    UnknownCampaign {
        /// The id asked for.
        id: i64,
        /// The ids that exist, for the message.
        known: String,
    },
    /// The reward name is not in `reward_campaign`.
    #[error("no reward is named {name:?}; known rewards: {known}")]
    UnknownReward {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// The database refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the output failed.
    #[error("writing the report")]
    Output(#[from] std::io::Error),
    /// A query returned columns of other types than the code reads (a bug, or a database
    /// changed by hand).
    #[error("{query} returned columns of unexpected types; is the database from this perx?")]
    Columns {
        /// The SQL file.
        query: &'static str,
    },
}

fn naive(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    t.naive_utc()
}

impl Store {
    /// The campaign ids in the database, ascending.
    pub fn campaign_ids(&self) -> Result<Vec<(i64, String)>, StoreError> {
        query_all(
            self.conn(),
            include_str!("../../sql/reports/campaigns.sql"),
            [],
            "listing campaigns",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// The reward names in the database, ascending.
    pub fn reward_names(&self) -> Result<Vec<String>, StoreError> {
        query_all(
            self.conn(),
            include_str!("../../sql/reports/reward_names.sql"),
            [],
            "listing rewards",
            |r| r.get(0),
        )
    }

    /// The hand-written baseline `perx bench sessions` compares the sessions report with
    /// (`sql/bench/plain_sessions.sql`), writing CSV to `out`.
    pub fn plain_sessions_baseline(&self, out: &std::path::Path) -> Result<(), StoreError> {
        let path = out.display().to_string().replace('\'', "''");
        let sql = include_str!("../../sql/bench/plain_sessions.sql").replace("{out}", &path);
        self.conn()
            .execute_batch(&sql)
            .ctx("running the plain sessions query")
    }

    /// Report A1's statement with the parameters of `q` written in (the UTC bounds of its
    /// local range included): what the Engagement tab's `o` opens in the Query tab.
    pub fn engagement_sql(q: &EngagementQuery) -> String {
        use duckdb::types::{TimeUnit, Value};
        let (from, to) = q.range.to_utc();
        let at = |t: DateTime<Utc>| Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros());
        let values = [
            Value::BigInt(q.campaign_id),
            at(from),
            at(to),
            Value::Text(q.range.tz().name().to_owned()),
            q.status.clone().map_or(Value::Null, Value::Text),
            Value::Text(q.by.as_str().to_owned()),
        ];
        let values: Vec<String> = values.iter().map(super::query::literal).collect();
        crate::core::sql::inline_params(include_str!("../../sql/reports/engagement.sql"), &values)
    }

    /// Report A2's statement with the parameters of `q` written in (the Weekly tab's `o`).
    pub fn weekly_sql(q: &WeeklyQuery) -> String {
        use duckdb::types::Value;
        let values = [
            Value::Text(q.tz.name().to_owned()),
            q.reward.clone().map_or(Value::Null, Value::Text),
        ];
        let values: Vec<String> = values.iter().map(super::query::literal).collect();
        crate::core::sql::inline_params(include_str!("../../sql/reports/weekly.sql"), &values)
    }

    /// Report A1. Returns the number of rows written.
    pub fn engagement(
        &self,
        q: &EngagementQuery,
        sink: &mut dyn ReportSink<EngagementRow>,
    ) -> Result<u64, ReportError> {
        let campaigns = self.campaign_ids()?;
        if !campaigns.iter().any(|(id, _)| *id == q.campaign_id) {
            let known: Vec<String> = campaigns.iter().map(|(id, _)| id.to_string()).collect();
            return Err(ReportError::UnknownCampaign {
                id: q.campaign_id,
                known: if known.is_empty() {
                    "none (load data first: perx load)".into()
                } else {
                    known.join(", ")
                },
            });
        }
        let (from, to) = q.range.to_utc();
        let mut stmt = self
            .conn()
            .prepare(include_str!("../../sql/reports/engagement.sql"))
            .ctx("preparing the engagement report")?;
        let mut rows = stmt
            .query(params![
                q.campaign_id,
                naive(from),
                naive(to),
                q.range.tz().name(),
                q.status,
                q.by.as_str()
            ])
            .ctx("running the engagement report")?;
        sink.begin(EngagementRow::columns(q.by))?;
        let mut n = 0;
        while let Some(r) = rows.next().ctx("reading the engagement report")? {
            let date: Option<NaiveDate> = r.get(2).ctx("date")?;
            let weekday: Option<i64> = r.get(3).ctx("weekday")?;
            let hour: i64 = r.get(4).ctx("hour")?;
            let row = EngagementRow {
                rank: r.get(0).ctx("rank")?,
                transactions: r.get(1).ctx("count")?,
                slot: Slot::new(q.by, date, weekday, hour).ok_or(ReportError::Columns {
                    query: crate::report::sql_files::ENGAGEMENT,
                })?,
            };
            sink.row(&row)?;
            n += 1;
        }
        sink.end()?;
        Ok(n)
    }

    /// Report A2. Returns the number of rows written.
    pub fn weekly(
        &self,
        q: &WeeklyQuery,
        sink: &mut dyn ReportSink<WeeklyRow>,
    ) -> Result<u64, ReportError> {
        if let Some(name) = &q.reward {
            let names = self.reward_names()?;
            if !names.contains(name) {
                return Err(ReportError::UnknownReward {
                    name: name.clone(),
                    known: names
                        .iter()
                        .map(|n| format!("{n:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        let mut stmt = self
            .conn()
            .prepare(include_str!("../../sql/reports/weekly.sql"))
            .ctx("preparing the weekly report")?;
        let mut rows = stmt
            .query(params![q.tz.name(), q.reward])
            .ctx("running the weekly report")?;
        sink.begin(WeeklyRow::columns(()))?;
        let mut n = 0;
        while let Some(r) = rows.next().ctx("reading the weekly report")? {
            sink.row(&WeeklyRow {
                reward_name: r.get(0).ctx("reward_name")?,
                redeemed: r.get(1).ctx("count")?,
                pct_diff_prev_week: r.get(2).ctx("pct_diff_prev_week")?,
                week_start: r.get(3).ctx("week_start")?,
                iso_week: r.get(4).ctx("iso_week")?,
                reward_campaign_id: r.get(5).ctx("reward_campaign_id")?,
            })?;
            n += 1;
        }
        sink.end()?;
        Ok(n)
    }

    /// The SQL file the sessions report reads its events with (for provenance): the
    /// numeric one when every user id of the log is a plain number.
    pub fn session_events_sql(&self) -> Result<&'static str, ReportError> {
        let text_users: i64 = self
            .conn()
            .query_row(
                include_str!("../../sql/reports/text_user_count.sql"),
                [],
                |r| r.get(0),
            )
            .ctx("preparing the sessions report")?;
        Ok(if text_users == 0 {
            crate::report::sql_files::SESSION_EVENTS_NUMERIC
        } else {
            crate::report::sql_files::SESSION_EVENTS
        })
    }

    /// Report B: the streaming pass over DuckDB's sorted event stream (the fast path).
    /// Sessions are formatted and written on a second thread while this one scans, so the
    /// sink must be `Send`. Returns the number of sessions written.
    pub fn sessions(
        &self,
        q: &SessionsQuery,
        sink: &mut (dyn ReportSink<SessionRow> + Send),
    ) -> Result<u64, ReportError> {
        let mapping = self.mapping_pairs()?;
        let bounds = session_bounds(q);
        let sql = if self.session_events_sql()? == crate::report::sql_files::SESSION_EVENTS_NUMERIC
        {
            include_str!("../../sql/reports/session_events_numeric.sql")
        } else {
            include_str!("../../sql/reports/session_events.sql")
        };
        let mut stmt = self
            .conn()
            .prepare(sql)
            .ctx("preparing the sessions report")?;
        let batches = stmt
            .query_arrow(params![q.user_id])
            .ctx("running the sessions report")?;
        sink.begin(SessionRow::columns(()))?;
        let (send, recv) = sync_channel::<Vec<Session>>(4);
        // The writer formats and writes on a thread while this one scans (DuckDB's batches
        // stay on the thread that runs the statement).
        let out = &mut *sink;
        let (written, scanned) = crate::pipeline::side_by_side(
            move || -> std::io::Result<u64> {
                let mut n = 0;
                for chunk in recv {
                    for s in chunk.into_iter().filter(|s| keep(s, q, bounds)) {
                        out.row(&session_row(s)?)?;
                        n += 1;
                    }
                }
                Ok(n)
            },
            move || scan_sessions(batches, &mapping, send),
        );
        // A writer error (say, a closed pipe) is the cause when both failed.
        let written = written?;
        scanned?;
        sink.end()?;
        Ok(written)
    }

    /// Report B computed entirely in SQL (`sql/reports/sessions.sql`, the twin of the
    /// BigQuery query). Gives the same rows as [`Store::sessions`]; kept for verification.
    pub fn sessions_sql(
        &self,
        q: &SessionsQuery,
        sink: &mut dyn ReportSink<SessionRow>,
    ) -> Result<u64, ReportError> {
        let (from, to) = q
            .utc_bounds()
            .map_or((None, None), |(a, b)| (Some(naive(a)), Some(naive(b))));
        let mut stmt = self
            .conn()
            .prepare(include_str!("../../sql/reports/sessions.sql"))
            .ctx("preparing the sessions report")?;
        let mut rows = stmt
            .query(params![from, to, q.user_id, q.driven_only])
            .ctx("running the sessions report")?;
        sink.begin(SessionRow::columns(()))?;
        let mut n = 0;
        while let Some(r) = rows.next().ctx("reading the sessions report")? {
            let list = |i: usize| -> Result<Vec<i64>, ReportError> {
                let s: String = r.get(i).ctx("reading a list")?;
                parse_id_list(&s).ok_or(ReportError::Columns {
                    query: crate::report::sql_files::SESSIONS,
                })
            };
            let s = Session {
                user_id: r.get(0).ctx("user_id")?,
                start_micros: r.get(1).ctx("session_start")?,
                end_micros: r.get(2).ctx("session_end")?,
                campaigns: list(3)?,
                rewards: list(4)?,
                driven: r.get(5).ctx("driven")?,
                events: r.get::<_, i64>(6).ctx("event_count")?.max(0) as u64,
                driving_campaigns: list(7)?,
            };
            sink.row(&session_row(s)?)?;
            n += 1;
        }
        sink.end()?;
        Ok(n)
    }

    /// Each reward id's name where the reward_campaign export has one.
    pub fn reward_titles(&self) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        let pairs: Vec<(i64, String)> = query_all(
            self.conn(),
            include_str!("../../sql/reports/reward_titles.sql"),
            [],
            "reading the reward names",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(pairs.into_iter().collect())
    }

    /// The distinct (campaign, reward) pairs of the mapping.
    pub fn mapping_pairs(&self) -> Result<HashSet<(i64, i64)>, StoreError> {
        query_all(
            self.conn(),
            include_str!("../../sql/reports/mapping_pairs.sql"),
            [],
            "reading the campaign-reward mapping",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }
}

/// Sessions per message from the scanning thread to the writing one.
const SESSION_CHUNK: usize = 1024;

/// Runs the [`Sessionizer`] over the sorted event batches, sending sessions on in chunks.
/// Stops early (without error) when the receiver has gone.
fn scan_sessions(
    batches: impl Iterator<Item = RecordBatch>,
    mapping: &HashSet<(i64, i64)>,
    send: SyncSender<Vec<Session>>,
) -> Result<(), ReportError> {
    let mut chunk = Vec::with_capacity(SESSION_CHUNK);
    let mut gone = false;
    sessionize_batches(batches, mapping, &mut |s| {
        chunk.push(s);
        if chunk.len() == SESSION_CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(SESSION_CHUNK));
            gone = send.send(full).is_err();
        }
        !gone
    })?;
    if !gone {
        // A closed receiver means the writer failed; it reports why.
        let _ = send.send(chunk);
    }
    Ok(())
}

/// Runs the [`Sessionizer`] over event batches sorted as `sql/reports/session_events.sql`
/// sorts them (its columns), handing each session to `emit` as it closes; stops early when
/// `emit` returns false.
pub(crate) fn sessionize_batches(
    batches: impl Iterator<Item = RecordBatch>,
    mapping: &HashSet<(i64, i64)>,
    emit: &mut dyn FnMut(Session) -> bool,
) -> Result<(), ReportError> {
    let mut sessionizer = Sessionizer::new(mapping);
    // The user id text, rebuilt only when the user changes.
    let mut user = String::new();
    let mut last_num: Option<u64> = None;
    for batch in batches {
        let cols = EventColumns::new(&batch).ok_or(ReportError::Columns {
            query: "sql/reports/session_events.sql",
        })?;
        for i in 0..batch.num_rows() {
            match cols.user_text(i) {
                Some(t) => {
                    if user != t {
                        user.clear();
                        user.push_str(t);
                    }
                    last_num = None;
                }
                None => {
                    let n = cols.user_num(i);
                    if last_num != Some(n) {
                        user.clear();
                        use std::fmt::Write as _;
                        let _ = write!(user, "{n}");
                        last_num = Some(n);
                    }
                }
            }
            let e = StreamEvent {
                user_id: &user,
                ts_micros: cols.ts(i),
                kind: cols.kind(i),
                item_id: cols.item(i),
            };
            if let Some(done) = sessionizer.push(&e)
                && !emit(done)
            {
                return Ok(());
            }
        }
    }
    if let Some(last) = sessionizer.finish() {
        emit(last);
    }
    Ok(())
}

/// The report row of a sessionised [`Session`].
pub(crate) fn session_row(s: Session) -> std::io::Result<SessionRow> {
    SessionRow::from_session(s)
        .ok_or_else(|| std::io::Error::other("a session's times are not instants (a bug)"))
}

/// The UTC bounds (µs) on session start, if the query has a range.
fn session_bounds(q: &SessionsQuery) -> Option<(i64, i64)> {
    q.utc_bounds()
        .map(|(a, b)| (a.timestamp_micros(), b.timestamp_micros()))
}

fn keep(s: &Session, q: &SessionsQuery, bounds: Option<(i64, i64)>) -> bool {
    let in_range = bounds.is_none_or(|(a, b)| s.start_micros >= a && s.start_micros < b);
    in_range && (!q.driven_only || s.driven)
}

/// Typed views of one Arrow batch of the log's events: `session_events.sql` (and its
/// numeric twin) and `sql/rewards/events.sql` give the same five columns.
pub(crate) struct EventColumns<'a> {
    user_num: &'a UInt64Array,
    user_text: &'a StringArray,
    ts: &'a Int64Array,
    is_reward: &'a BooleanArray,
    item: &'a Int64Array,
}

impl<'a> EventColumns<'a> {
    pub(crate) fn new(b: &'a RecordBatch) -> Option<Self> {
        Some(EventColumns {
            user_num: b.column(0).as_any().downcast_ref()?,
            user_text: b.column(1).as_any().downcast_ref()?,
            ts: b.column(2).as_any().downcast_ref()?,
            is_reward: b.column(3).as_any().downcast_ref()?,
            item: b.column(4).as_any().downcast_ref()?,
        })
    }

    /// The user id as written, when it is not the plain spelling of `user_num`.
    pub(crate) fn user_text(&self, i: usize) -> Option<&'a str> {
        (!self.user_text.is_null(i)).then(|| self.user_text.value(i))
    }

    pub(crate) fn user_num(&self, i: usize) -> u64 {
        self.user_num.value(i)
    }

    /// When, µs since the epoch.
    pub(crate) fn ts(&self, i: usize) -> i64 {
        self.ts.value(i)
    }

    /// A reward issue or a campaign view.
    pub(crate) fn kind(&self, i: usize) -> EventKind {
        if self.is_reward.value(i) {
            EventKind::Reward
        } else {
            EventKind::View
        }
    }

    /// The reward or campaign id.
    pub(crate) fn item(&self, i: usize) -> i64 {
        self.item.value(i)
    }
}

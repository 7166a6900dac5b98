//! What the reward recommender reads: every request of the log as a [`RewardEvent`]
//! (users as dense indices, with their ids as written) and the campaign–reward mapping.

use std::collections::HashMap;

use super::reports::EventColumns;
use super::{SqlContext, Store, StoreError};
use crate::core::rewards::{History, RewardEvent};

/// The log's requests for the reward recommender.
#[derive(Debug, Clone, Default)]
pub struct LogEvents {
    /// User ids as written, by index.
    pub users: Vec<String>,
    /// Every request.
    pub events: Vec<RewardEvent>,
}

impl Store {
    /// Every request of the log (`sql/rewards/events.sql`).
    pub fn reward_events(&self) -> Result<LogEvents, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(include_str!("../../sql/rewards/events.sql"))
            .ctx("preparing to read the log")?;
        let batches = stmt.query_arrow([]).ctx("reading the log")?;
        let mut out = LogEvents::default();
        let mut by_num: HashMap<u64, u32> = HashMap::new();
        let mut by_text: HashMap<String, u32> = HashMap::new();
        for b in batches {
            let cols = EventColumns::new(&b).ok_or_else(|| {
                StoreError::Invalid(
                    "sql/rewards/events.sql returned columns of unexpected types".into(),
                )
            })?;
            for i in 0..b.num_rows() {
                let next = u32::try_from(out.users.len()).map_err(|_| {
                    StoreError::Invalid("the log has more than 4 billion users".into())
                })?;
                let user = match cols.user_text(i) {
                    None => {
                        let n = cols.user_num(i);
                        *by_num.entry(n).or_insert_with(|| {
                            out.users.push(n.to_string());
                            next
                        })
                    }
                    Some(t) => match by_text.get(t) {
                        Some(&u) => u,
                        None => {
                            out.users.push(t.to_owned());
                            by_text.insert(t.to_owned(), next);
                            next
                        }
                    },
                };
                out.events.push(RewardEvent {
                    user,
                    ts_micros: cols.ts(i),
                    kind: cols.kind(i),
                    item: cols.item(i),
                });
            }
        }
        Ok(out)
    }

    /// One user's history (`id` as written in the log); `None` when the log does not have
    /// the user.
    pub fn reward_history(&self, id: &str) -> Result<Option<History>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(include_str!("../../sql/rewards/user_events.sql"))
            .ctx("preparing to read the user's requests")?;
        let plain: Option<u64> = id.parse().ok().filter(|n: &u64| n.to_string() == id);
        let mut rows = stmt
            .query(duckdb::params![id, plain])
            .ctx("reading the user's requests")?;
        let mut history: Option<History> = None;
        while let Some(r) = rows.next().ctx("reading the user's requests")? {
            let h = history.get_or_insert_with(History::default);
            let ts: i64 = r.get(0).ctx("reading a request's time")?;
            let is_reward: bool = r.get(1).ctx("reading a request's kind")?;
            let item: i64 = r.get(2).ctx("reading a request's id")?;
            if is_reward {
                h.issues.push((item, ts));
            } else {
                h.views.push((item, ts));
            }
        }
        Ok(history)
    }

    /// What the platform data in the database is (`sql/store/platform_loads.sql`): the
    /// manifest rows of its tables and the last ingest batch, which change with every load
    /// and ingest.
    pub fn platform_loads(&self) -> Result<String, StoreError> {
        platform_loads_on(self.conn())
    }

    /// The distinct (campaign, reward) pairs of the mapping, sorted.
    pub fn mapping_list(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        let mut pairs: Vec<(i64, i64)> = self.mapping_pairs()?.into_iter().collect();
        pairs.sort_unstable();
        Ok(pairs)
    }
}

/// [`Store::platform_loads`] read through `conn` (inside a transaction, what it will commit).
pub(crate) fn platform_loads_on(conn: &duckdb::Connection) -> Result<String, StoreError> {
    conn.query_row(
        include_str!("../../sql/store/platform_loads.sql"),
        [],
        |r| r.get(0),
    )
    .ctx("reading what the platform tables were loaded from")
}

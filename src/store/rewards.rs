//! What the reward recommender reads: every request of the log as a [`RewardEvent`]
//! (users as dense indices, with their ids as written) and the campaign–reward mapping.

use std::collections::HashMap;

use duckdb::arrow::array::{Array, BooleanArray, Int64Array, StringArray, UInt64Array};

use super::{SqlContext, Store, StoreError};
use crate::core::logline::EventKind;
use crate::core::rewards::RewardEvent;

/// The log's requests for the reward recommender.
#[derive(Debug, Clone, Default)]
pub struct LogEvents {
    /// User ids as written, by index.
    pub users: Vec<String>,
    /// Every request.
    pub events: Vec<RewardEvent>,
}

impl LogEvents {
    /// The index of a user id, if the log has it.
    pub fn user_index(&self, id: &str) -> Option<u32> {
        self.users
            .iter()
            .position(|u| u == id)
            .and_then(|i| u32::try_from(i).ok())
    }
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
        let bad = || {
            StoreError::Invalid(
                "sql/rewards/events.sql returned columns of unexpected types".into(),
            )
        };
        for b in batches {
            let nums = b
                .column(0)
                .as_any()
                .downcast_ref::<UInt64Array>()
                .ok_or_else(bad)?;
            let texts = b
                .column(1)
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(bad)?;
            let ts = b
                .column(2)
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(bad)?;
            let reward = b
                .column(3)
                .as_any()
                .downcast_ref::<BooleanArray>()
                .ok_or_else(bad)?;
            let item = b
                .column(4)
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(bad)?;
            for i in 0..b.num_rows() {
                let next = u32::try_from(out.users.len()).map_err(|_| {
                    StoreError::Invalid("the log has more than 4 billion users".into())
                })?;
                let user = if texts.is_null(i) {
                    let n = nums.value(i);
                    *by_num.entry(n).or_insert_with(|| {
                        out.users.push(n.to_string());
                        next
                    })
                } else {
                    let t = texts.value(i);
                    match by_text.get(t) {
                        Some(&u) => u,
                        None => {
                            out.users.push(t.to_owned());
                            by_text.insert(t.to_owned(), next);
                            next
                        }
                    }
                };
                out.events.push(RewardEvent {
                    user,
                    ts_micros: ts.value(i),
                    kind: if reward.value(i) {
                        EventKind::Reward
                    } else {
                        EventKind::View
                    },
                    item: item.value(i),
                });
            }
        }
        Ok(out)
    }

    /// The distinct (campaign, reward) pairs of the mapping, sorted.
    pub fn mapping_list(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        let mut pairs: Vec<(i64, i64)> = self.mapping_pairs()?.into_iter().collect();
        pairs.sort_unstable();
        Ok(pairs)
    }
}

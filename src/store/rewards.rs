//! What the reward recommender reads: every request of the log as a [`RewardEvent`]
//! (users as dense indices, with their ids as written) and the campaign–reward mapping.

use std::collections::HashMap;

use super::reports::EventColumns;
use super::{SqlContext, Store, StoreError};
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

    /// The distinct (campaign, reward) pairs of the mapping, sorted.
    pub fn mapping_list(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        let mut pairs: Vec<(i64, i64)> = self.mapping_pairs()?.into_iter().collect();
        pairs.sort_unstable();
        Ok(pairs)
    }
}

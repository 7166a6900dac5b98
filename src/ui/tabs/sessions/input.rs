//! The filters typed into the Sessions tab (user, campaign, reward, start time in SGT).

use super::SessionsTab;
use crate::core::timerange::{DEFAULT_TZ, parse_local_span, to_local};
use crate::store::Store;
use crate::ui::strings::sessions as s;
use crate::ui::tabs::Outcome;

/// Which filter is being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    User,
    Campaign,
    Reward,
    Days,
}

impl SessionsTab {
    pub(super) fn apply_typed(&mut self, store: &Store, field: Field, text: &str) -> Outcome {
        let text = text.trim();
        let id = |t: &str| -> Result<Option<i64>, ()> {
            if t.is_empty() {
                Ok(None)
            } else {
                t.parse::<i64>().map(Some).map_err(|_| ())
            }
        };
        match field {
            Field::User => {
                self.filter.user_id = (!text.is_empty()).then(|| text.to_owned());
            }
            Field::Campaign => match id(text) {
                Ok(v) => self.filter.campaign_id = v,
                Err(()) => {
                    self.message = Some(s::BAD_ID.to_owned());
                    return Outcome::Done;
                }
            },
            Field::Reward => match id(text) {
                Ok(v) => self.filter.reward_id = v,
                Err(()) => {
                    self.message = Some(s::BAD_ID.to_owned());
                    return Outcome::Done;
                }
            },
            Field::Days if text.is_empty() => self.filter.span = None,
            Field::Days => match parse_local_span(text, DEFAULT_TZ) {
                Some(span) => self.filter.span = Some(span),
                None => {
                    self.message = Some(s::BAD_DAYS.to_owned());
                    return Outcome::Done;
                }
            },
        }
        self.message = None;
        self.reload(store)
    }

    pub(super) fn filter_text(&self) -> String {
        let f = &self.filter;
        let mut parts = Vec::new();
        if let Some(u) = &f.user_id {
            parts.push(format!("user {u}"));
        }
        if let Some(c) = f.campaign_id {
            parts.push(format!("campaign {c}"));
        }
        if let Some(r) = f.reward_id {
            parts.push(format!("reward {r}"));
        }
        if f.driven_only {
            parts.push("reward-driven".to_owned());
        }
        if let Some((from, to)) = f.span {
            let local = |t| {
                to_local(t, DEFAULT_TZ).map_or_else(
                    || "?".to_owned(),
                    |l| l.format("%Y-%m-%d %H:%M").to_string(),
                )
            };
            parts.push(format!("started {}..{} SGT", local(from), local(to)));
        }
        if parts.is_empty() {
            s::NO_FILTER.to_owned()
        } else {
            parts.join(", ")
        }
    }
}

//! A request's query parameters: only the names its route lists, each at most once, each
//! checked by the same rule as the CLI's flag (dates, time zones, user ids), with a 400 that
//! says what to write instead.

use std::collections::HashMap;

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::error::ApiError;
use crate::core::timerange::{DEFAULT_TZ, LocalDateRange, parse_date, parse_tz};

/// The query parameters of one request.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

/// `k` when not given, and its largest value.
const K_DEFAULT: usize = 10;
const K_MAX: usize = 1000;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadParameter(message.into())
}

impl Params {
    /// Parses `raw`, refusing names not in `allowed` (a typo must not silently change the
    /// answer) and repeats.
    pub fn parse(raw: Option<String>, allowed: &[&str]) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
            .map_err(|_| bad("the query string is not valid URL encoding"))?;
        let mut out = HashMap::new();
        for (k, v) in pairs {
            if !allowed.contains(&k.as_str()) {
                return Err(bad(format!(
                    "unknown parameter {:?}; this route takes: {}",
                    crate::term::visible(&k),
                    allowed.join(", ")
                )));
            }
            if out.insert(k.clone(), v).is_some() {
                return Err(bad(format!("parameter {k} is given twice")));
            }
        }
        Ok(Params(out))
    }

    /// The text of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `name` as a day YYYY-MM-DD.
    pub fn date(&self, name: &str) -> Result<Option<NaiveDate>, ApiError> {
        self.get(name)
            .map(|s| parse_date(s).map_err(|e| bad(format!("{name}: {e}"))))
            .transpose()
    }

    /// `tz`, or Singapore's.
    pub fn tz(&self) -> Result<Tz, ApiError> {
        match self.get("tz") {
            Some(s) => parse_tz(s).map_err(|e| bad(format!("tz: {e}"))),
            None => Ok(DEFAULT_TZ),
        }
    }

    /// `from` and `to` in `tz`, both or neither.
    pub fn range(&self) -> Result<Option<LocalDateRange>, ApiError> {
        match (self.date("from")?, self.date("to")?) {
            (Some(f), Some(t)) => Ok(Some(
                LocalDateRange::new(f, t, self.tz()?).map_err(|e| bad(e.to_string()))?,
            )),
            (None, None) => Ok(None),
            _ => Err(bad("from and to go together")),
        }
    }

    /// `name` as true/false (absent: false; present without a value: true).
    pub fn boolean(&self, name: &str) -> Result<bool, ApiError> {
        match self.get(name) {
            None | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") | Some("") => Ok(true),
            Some(other) => Err(bad(format!(
                "{name}={:?}: write true or false",
                crate::term::visible(other)
            ))),
        }
    }

    /// `name` as a whole number from 1 to `max`, `default` when absent.
    pub fn count(&self, name: &str, default: u64, max: u64) -> Result<u64, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(s) => s
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    bad(format!(
                        "{name}={:?}: a number from 1 to {max}",
                        crate::term::visible(s)
                    ))
                }),
        }
    }

    /// `k`, how many items: 1 to 1000, 10 when absent.
    pub fn k(&self) -> Result<usize, ApiError> {
        // K_MAX fits any usize; the count is at most that.
        self.count("k", K_DEFAULT as u64, K_MAX as u64)
            .map(|k| usize::try_from(k).unwrap_or(K_MAX))
    }
}

/// A platform user id from a path or a parameter, by the log's rule.
pub fn user_id(id: &str) -> Result<(), ApiError> {
    crate::core::logline::check_typed_user_id(id).map_err(|e| bad(format!("user id {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_repeated_parameters_are_refused() {
        assert!(Params::parse(Some("k=3".into()), &["k"]).is_ok());
        let e = Params::parse(Some("kk=3".into()), &["k"]).unwrap_err();
        assert!(e.to_string().contains("unknown parameter"), "{e}");
        let e = Params::parse(Some("k=3&k=4".into()), &["k"]).unwrap_err();
        assert!(e.to_string().contains("twice"));
    }

    #[test]
    fn k_and_booleans() {
        let p = Params::parse(Some("k=1001&explain=yes".into()), &["k", "explain"]).unwrap();
        assert!(p.k().unwrap_err().to_string().contains("1 to 1000"));
        assert!(p.boolean("explain").is_err());
        let p = Params::parse(Some("explain".into()), &["k", "explain"]).unwrap();
        assert_eq!(p.k().unwrap(), 10);
        assert!(p.boolean("explain").unwrap());
    }
}

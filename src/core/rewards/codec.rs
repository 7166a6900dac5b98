//! The reward model's file format: versioned, checksummed, little-endian.
//!
//! ```text
//! "PERXRWDM"                      8 bytes, magic
//! format version                  u32
//! header length, header           u32, JSON: params, data id, rewards, campaigns and
//!                                 their rewards, issues per reward, the newest event
//! filter B                        f64 × n·n (row-major)
//! M B                             f64 × m·n (row-major)
//! sha256 of everything above      32 bytes
//! ```

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{RewardModel, RewardParams};
use crate::core::recommend::codec::{ModelFileError, open_frame};

const MAGIC: &[u8; 8] = b"PERXRWDM";

/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Header {
    params: RewardParams,
    data_id: String,
    rewards: Vec<i64>,
    /// (campaign id, its rewards as catalog indices), in the order of `mb`'s rows.
    campaigns: Vec<(i64, Vec<usize>)>,
    issued: Vec<u64>,
    newest: i64,
}

/// Serialises a fitted model with the id of the data it was fitted on.
pub fn to_bytes(model: &RewardModel, data_id: &str) -> Vec<u8> {
    let mut campaigns: Vec<(i64, usize)> =
        model.campaign_index.iter().map(|(c, i)| (*c, *i)).collect();
    campaigns.sort_unstable_by_key(|&(_, i)| i);
    let header = Header {
        params: model.params,
        data_id: data_id.to_owned(),
        rewards: model.rewards.clone(),
        campaigns: campaigns
            .iter()
            .map(|(c, _)| (*c, model.campaign_rewards[c].clone()))
            .collect(),
        issued: model.issued.clone(),
        newest: model.newest,
    };
    // Serialising plain numbers and strings cannot fail.
    let json = serde_json::to_vec(&header).unwrap_or_default();
    let mut out = Vec::with_capacity(48 + json.len() + 8 * (model.b.len() + model.mb.len()));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    for v in model.b.iter().chain(&model.mb) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

/// Reads a model written by [`to_bytes`]: the model and the id of its data.
pub fn from_bytes(bytes: &[u8]) -> Result<(RewardModel, String), ModelFileError> {
    let mut r = open_frame(bytes, MAGIC, FORMAT_VERSION)?;
    let body = r.bytes;
    let len = r.u32()? as usize;
    let h: Header = serde_json::from_slice(r.take(len)?)
        .map_err(|e| ModelFileError::Inconsistent(format!("header: {e}")))?;
    let bad = |what: &str| ModelFileError::Inconsistent(what.to_owned());
    let (n, m) = (h.rewards.len(), h.campaigns.len());
    if h.rewards.windows(2).any(|w| w[0] >= w[1]) || h.issued.len() != n {
        return Err(bad("the catalog is not sorted or its counts do not match"));
    }
    if h.campaigns.iter().any(|(_, rs)| rs.iter().any(|&i| i >= n)) {
        return Err(bad("a campaign points past the last reward"));
    }
    let b = r.f64s(n.checked_mul(n).ok_or_else(|| bad("size"))?)?;
    let mb = r.f64s(m.checked_mul(n).ok_or_else(|| bad("size"))?)?;
    if r.at != body.len() {
        return Err(bad("trailing bytes"));
    }
    let campaign_index: HashMap<i64, usize> = h
        .campaigns
        .iter()
        .enumerate()
        .map(|(i, (c, _))| (*c, i))
        .collect();
    if campaign_index.len() != m {
        return Err(bad("a campaign appears twice"));
    }
    let model = RewardModel::assemble(
        h.params,
        h.rewards,
        h.campaigns.into_iter().collect(),
        campaign_index,
        b,
        mb,
        h.issued,
        h.newest,
    );
    Ok((model, h.data_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::logline::EventKind;
    use crate::core::rewards::{History, RewardEvent, by_user};

    fn model() -> RewardModel {
        let mut events = Vec::new();
        for u in 0..20u32 {
            for j in 0..4i64 {
                events.push(RewardEvent {
                    user: u,
                    ts_micros: i64::from(u) * 1_000_000 + j,
                    kind: if j % 2 == 0 {
                        EventKind::Reward
                    } else {
                        EventKind::View
                    },
                    item: (i64::from(u) + j) % 6 + 1,
                });
            }
        }
        let mapping: Vec<(i64, i64)> = (1..=6).flat_map(|c| [(c, c), (c, c % 6 + 1)]).collect();
        RewardModel::fit(&by_user(&events), &mapping, RewardParams::default()).unwrap()
    }

    #[test]
    fn round_trip_gives_the_same_recommendations() {
        let m = model();
        let bytes = to_bytes(&m, "platform loads x");
        let (back, id) = from_bytes(&bytes).unwrap();
        assert_eq!(id, "platform loads x");
        assert_eq!(back.params(), m.params());
        assert_eq!(back.rewards(), m.rewards());
        for h in [
            History::default(),
            History {
                views: vec![(3, 5)],
                issues: vec![],
            },
            History {
                views: vec![(2, 7)],
                issues: vec![(1, 9), (4, 3)],
            },
        ] {
            assert_eq!(back.recommend(&h, 4), m.recommend(&h, 4));
            assert_eq!(back.explain(&h, 2, 3), m.explain(&h, 2, 3));
        }
    }

    #[test]
    fn damaged_old_and_foreign_files_are_refused() {
        let bytes = to_bytes(&model(), "x");
        assert_eq!(
            from_bytes(b"PERXRECM, a movie model").unwrap_err(),
            ModelFileError::NotAModel
        );
        let mut flipped = bytes.clone();
        flipped[bytes.len() - 40] ^= 1;
        assert_eq!(from_bytes(&flipped).unwrap_err(), ModelFileError::Corrupt);
        assert_eq!(
            from_bytes(&bytes[..bytes.len() - 1]).unwrap_err(),
            ModelFileError::Corrupt
        );
        let mut old = bytes.clone();
        old[8..12].copy_from_slice(&9u32.to_le_bytes());
        assert_eq!(
            from_bytes(&old).unwrap_err(),
            ModelFileError::Version {
                found: 9,
                supported: FORMAT_VERSION
            }
        );
    }
}

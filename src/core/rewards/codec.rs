//! The reward model's file format: versioned, checksummed, little-endian.
//!
//! ```text
//! "PERXRWDM"                      8 bytes, magic
//! format version                  u32
//! header length, header           u32, JSON: params, data id, rewards, campaigns and
//!                                 their rewards, issues per reward, the newest event,
//!                                 how the parameters were chosen (version 2)
//! filter B                        f64 × n·n (row-major)
//! M B                             f64 × m·n (row-major)
//! sha256 of everything above      32 bytes
//! ```

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{RewardModel, RewardParams, Tuning};
use crate::core::recommend::codec::{ModelFileError, open_frame};

const MAGIC: &[u8; 8] = b"PERXRWDM";

/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 2;

#[derive(Serialize, Deserialize)]
struct Header {
    params: RewardParams,
    data_id: String,
    rewards: Vec<i64>,
    /// (campaign id, its rewards as catalog indices), in the order of `mb`'s rows.
    campaigns: Vec<(i64, Vec<usize>)>,
    issued: Vec<u64>,
    newest: i64,
    tuning: Tuning,
}

/// Serialises a fitted model with the id of the data it was fitted on.
pub fn to_bytes(model: &RewardModel, data_id: &str) -> Vec<u8> {
    let cat = &model.cat;
    let header = Header {
        params: model.params,
        data_id: data_id.to_owned(),
        rewards: cat.rewards.clone(),
        campaigns: cat
            .campaigns
            .iter()
            .copied()
            .zip(cat.campaign_rewards.iter().cloned())
            .collect(),
        issued: model.issued.clone(),
        newest: model.newest,
        tuning: model.tuning.clone(),
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

/// The length of the start of a file that [`peek`] needs, from its first 16 bytes.
pub fn peek_len(first: &[u8]) -> Result<usize, ModelFileError> {
    if first.len() < 16 || &first[..8] != MAGIC {
        return Err(ModelFileError::NotAModel);
    }
    let found = u32::from_le_bytes([first[8], first[9], first[10], first[11]]);
    if found != FORMAT_VERSION {
        return Err(ModelFileError::Version {
            found,
            supported: FORMAT_VERSION,
        });
    }
    Ok(16 + u32::from_le_bytes([first[12], first[13], first[14], first[15]]) as usize)
}

/// What a saved model says of itself, from the start of its file (at least
/// [`peek_len`] bytes): its parameters, how they were chosen and the id of its data. The
/// rest is neither read nor checked: this is for showing what is saved, never for
/// answering from it.
pub fn peek(start: &[u8]) -> Result<(RewardParams, Tuning, String), ModelFileError> {
    let len = peek_len(start)?;
    let json = start.get(16..len).ok_or(ModelFileError::Corrupt)?;
    let h: Header = serde_json::from_slice(json)
        .map_err(|e| ModelFileError::Inconsistent(format!("header: {e}")))?;
    Ok((h.params, h.tuning, h.data_id))
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
    if h.campaigns.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(bad("the campaigns are not sorted or one appears twice"));
    }
    let (campaigns, campaign_rewards) = h.campaigns.into_iter().unzip();
    let model = RewardModel::assemble(
        h.params,
        h.rewards,
        campaigns,
        campaign_rewards,
        b,
        mb,
        h.issued,
        h.newest,
        h.tuning,
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
    fn the_start_of_a_file_says_how_it_was_fitted() {
        let m = model().with_tuning(Tuning {
            note: "a note".into(),
            ..Tuning::off()
        });
        let bytes = to_bytes(&m, "loads 7");
        let need = peek_len(&bytes[..16]).unwrap();
        assert!(need < bytes.len());
        let (params, tuning, id) = peek(&bytes[..need]).unwrap();
        assert_eq!(
            (params, &tuning, id.as_str()),
            (m.params(), m.tuning(), "loads 7")
        );
        assert_eq!(
            peek(&bytes[..need - 1]).unwrap_err(),
            ModelFileError::Corrupt
        );
        assert_eq!(from_bytes(&bytes).unwrap().0.tuning(), m.tuning());
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

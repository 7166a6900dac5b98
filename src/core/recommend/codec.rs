//! The model file format: versioned, checksummed, little-endian.
//!
//! ```text
//! "PERXRECM"                      8 bytes, magic
//! format version                  u32
//! header length, header           u32, JSON: params, data id, dimensions
//! users, items                    u32 × m, u32 × n (ids)
//! ratings per user, columns       u32 × m, u32 × nnz (the training matrix)
//! rating of each                  f32 × nnz
//! singular values², vectors       f32 × k, f32 × n·k (column-major)
//! sha256 of everything above      32 bytes
//! ```
//!
//! The dense item × item matrix is not stored: it is rebuilt from the spectrum on load.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::matrix::InteractionMatrix;
use super::model::{Model, Params};
use super::svd::Spectrum;

const MAGIC: &[u8; 8] = b"PERXRECM";

/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 2;

/// Why bytes are not a usable model file (the movie model's or the reward model's). The
/// messages say what is wrong; what to do depends on where the file came from, and is said
/// there ([`crate::recommender::ModelError::File`]).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelFileError {
    /// Not a perx model file of this kind.
    #[error("not a perx model file of this kind (wrong signature)")]
    NotAModel,
    /// Written by another version of the format.
    #[error("model file format version {found}, this perx reads version {supported}")]
    Version {
        /// In the file.
        found: u32,
        /// What this build reads.
        supported: u32,
    },
    /// The checksum does not match: the file was damaged or cut short.
    #[error("model file is damaged (checksum mismatch or cut short)")]
    Corrupt,
    /// The content contradicts itself.
    #[error("model file is inconsistent: {0}")]
    Inconsistent(String),
}

#[derive(Serialize, Deserialize)]
struct Header {
    params: Params,
    data_id: String,
    users: usize,
    items: usize,
    nnz: usize,
    factors: usize,
}

/// Serialises a model.
pub fn to_bytes(model: &Model) -> Vec<u8> {
    let m = &model.matrix;
    let s = &model.spectrum;
    let (n, k) = (m.n_items(), s.values.len());
    let header = Header {
        params: model.params,
        data_id: model.data_id.clone(),
        users: m.n_users(),
        items: n,
        nnz: m.nnz(),
        factors: k,
    };
    // Serialising plain numbers and strings cannot fail.
    let json = serde_json::to_vec(&header).unwrap_or_default();
    let mut out =
        Vec::with_capacity(64 + json.len() + 4 * (2 * m.n_users() + n + 2 * m.nnz() + k + n * k));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    let put = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    m.users().iter().for_each(|&v| put(&mut out, v));
    m.items().iter().for_each(|&v| put(&mut out, v));
    m.user_degrees().iter().for_each(|&v| put(&mut out, v));
    for u in 0..m.n_users() {
        m.row(u).iter().for_each(|&v| put(&mut out, v));
    }
    m.ratings()
        .iter()
        .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    s.values
        .iter()
        .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    for j in 0..k {
        for i in 0..n {
            out.extend_from_slice(&s.vectors[(i, j)].to_le_bytes());
        }
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

/// Reads little-endian values off a byte slice; running past its end is `Corrupt`.
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, len: usize) -> Result<&'a [u8], ModelFileError> {
        let end = self.at.checked_add(len).ok_or(ModelFileError::Corrupt)?;
        let s = self
            .bytes
            .get(self.at..end)
            .ok_or(ModelFileError::Corrupt)?;
        self.at = end;
        Ok(s)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, ModelFileError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u32s(&mut self, len: usize) -> Result<Vec<u32>, ModelFileError> {
        let b = self.take(len.checked_mul(4).ok_or(ModelFileError::Corrupt)?)?;
        Ok(b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    pub(crate) fn f32s(&mut self, len: usize) -> Result<Vec<f32>, ModelFileError> {
        Ok(self.u32s(len)?.into_iter().map(f32::from_bits).collect())
    }

    pub(crate) fn f64s(&mut self, len: usize) -> Result<Vec<f64>, ModelFileError> {
        let b = self.take(len.checked_mul(8).ok_or(ModelFileError::Corrupt)?)?;
        Ok(b.chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect())
    }
}

/// Checks a file's frame (magic, format version, sha256 of everything before it) and
/// returns a reader positioned after the version, over the checked bytes.
pub(crate) fn open_frame<'a>(
    bytes: &'a [u8],
    magic: &[u8; 8],
    version: u32,
) -> Result<Reader<'a>, ModelFileError> {
    if bytes.len() < 12 || &bytes[..8] != magic {
        return Err(ModelFileError::NotAModel);
    }
    let found = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if found != version {
        return Err(ModelFileError::Version {
            found,
            supported: version,
        });
    }
    if bytes.len() < 12 + 32 {
        return Err(ModelFileError::Corrupt);
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != sum {
        return Err(ModelFileError::Corrupt);
    }
    Ok(Reader {
        bytes: body,
        at: 12,
    })
}

/// Reads a model written by [`to_bytes`].
pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelFileError> {
    let mut r = open_frame(bytes, MAGIC, FORMAT_VERSION)?;
    let body = r.bytes;
    let len = r.u32()? as usize;
    let header: Header = serde_json::from_slice(r.take(len)?)
        .map_err(|e| ModelFileError::Inconsistent(format!("header: {e}")))?;
    let bad = |what: &str| ModelFileError::Inconsistent(what.to_owned());
    let users = r.u32s(header.users)?;
    let items = r.u32s(header.items)?;
    let counts = r.u32s(header.users)?;
    let cols = r.u32s(header.nnz)?;
    let ratings = r.f32s(header.nnz)?;
    if counts.iter().map(|&c| c as usize).sum::<usize>() != header.nnz {
        return Err(bad("ratings per user do not add up"));
    }
    if cols.iter().any(|&c| c as usize >= header.items) {
        return Err(bad("a rating points past the last movie"));
    }
    let mut entries = Vec::with_capacity(header.nnz);
    let mut at = 0;
    for (u, &c) in counts.iter().enumerate() {
        let row = &cols[at..at + c as usize];
        if row.windows(2).any(|w| w[0] >= w[1]) {
            return Err(bad("a user's movies are not sorted"));
        }
        let stars = &ratings[at..at + c as usize];
        entries.extend(row.iter().zip(stars).map(|(&i, &v)| (u as u32, i, v)));
        at += c as usize;
    }
    if users.windows(2).any(|w| w[0] >= w[1]) || items.windows(2).any(|w| w[0] >= w[1]) {
        return Err(bad("ids are not sorted"));
    }
    let values = r.f32s(header.factors)?;
    let flat = r.f32s(
        header
            .items
            .checked_mul(header.factors)
            .ok_or_else(|| bad("size"))?,
    )?;
    if r.at != body.len() {
        return Err(bad("trailing bytes"));
    }
    let matrix = InteractionMatrix::from_sorted(users, items, &entries);
    if matrix.bad_rating().is_some() {
        return Err(bad("a rating is not a positive number"));
    }
    let n = header.items;
    let vectors = faer::Mat::from_fn(n, header.factors, |i, j| flat[j * n + i]);
    Ok(Model {
        params: header.params,
        data_id: header.data_id,
        matrix,
        spectrum: Spectrum { values, vectors },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::eval::Interaction;
    use crate::core::recommend::Recommender;

    fn model() -> Model {
        let mut ix = Vec::new();
        for u in 0..30u32 {
            for m in 0..12u32 {
                if (u * 5 + m * 7) % 3 != 0 {
                    ix.push(Interaction {
                        user: u + 100,
                        movie: m * 2 + 1,
                        rating: (1 + (u + m) % 5) as f32,
                    });
                }
            }
        }
        let p = Params {
            factors: 6,
            oversample: 3,
            ..Params::default()
        };
        Model::fit(&ix, p, "sha256:abc rows:240").unwrap()
    }

    #[test]
    fn round_trip_gives_the_same_recommendations() {
        let m = model();
        let bytes = to_bytes(&m);
        let back = from_bytes(&bytes).unwrap();
        assert_eq!(back.data_id, m.data_id);
        assert_eq!(back.params, m.params);
        assert_eq!(back.matrix, m.matrix);
        assert_eq!(back.spectrum.values, m.spectrum.values);
        let a = Recommender::new(m).recommend_all(5);
        let b = Recommender::new(back).recommend_all(5);
        assert_eq!(a, b);
    }

    #[test]
    fn damaged_old_and_foreign_files_are_refused() {
        let bytes = to_bytes(&model());
        assert_eq!(
            from_bytes(b"hello world, not a model").unwrap_err(),
            ModelFileError::NotAModel
        );
        let mut flipped = bytes.clone();
        flipped[100] ^= 1;
        assert_eq!(from_bytes(&flipped).unwrap_err(), ModelFileError::Corrupt);
        assert_eq!(
            from_bytes(&bytes[..bytes.len() - 1]).unwrap_err(),
            ModelFileError::Corrupt
        );
        let mut old = bytes.clone();
        old[8..12].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            from_bytes(&old).unwrap_err(),
            ModelFileError::Version {
                found: 0,
                supported: FORMAT_VERSION
            }
        );
    }
}

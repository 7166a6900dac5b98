//! Which lines of a log file an ingest takes. Files are known by their content, never by
//! their name: a rotated file (renamed, or renamed and compressed) is the content it was,
//! and a file that grew (the active log) is a known content and more. Pure: the store reads
//! the files and the records; this decides.
//!
//! A content is known by its text (decompressed): the SHA-256 of its first
//! [`HEAD_BYTES`] (or all of it, when shorter), and the length and SHA-256 of what was
//! taken (up to the end of its last complete line). A file is
//! - **known** when its complete text is a known content's (nothing to take), or shorter
//!   with the same first [`HEAD_BYTES`] (an older copy of a long log);
//! - **grown** when its text starts with all of a known content's (the same head, and the
//!   same hash over the known length): its complete lines past that;
//! - **new** otherwise (a new log, or one rewritten): all its complete lines.
//!
//! An unterminated last line is never taken: it is taken with the ingest that sees it
//! finished.

use std::collections::BTreeSet;

/// The length of the head by which contents are first matched.
pub const HEAD_BYTES: u64 = 1 << 20;

/// What is recorded of a content once (part of it) was ingested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownContent {
    /// Its id in the store.
    pub id: i64,
    /// SHA-256 (hex) of its first `head_len` bytes.
    pub head_sha: String,
    /// min([`HEAD_BYTES`], `text_len`) when recorded.
    pub head_len: u64,
    /// Bytes taken: up to the end of its last complete line.
    pub text_len: u64,
    /// SHA-256 (hex) of those bytes.
    pub text_sha: String,
    /// Complete lines taken.
    pub lines: u64,
}

/// What reading a file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// Bytes of text up to the end of its last complete line.
    pub complete_len: u64,
    /// Complete lines.
    pub lines: u64,
    /// (length, SHA-256 of the text's first `length` bytes) for each length of
    /// [`lengths_to_hash`] that is at most `complete_len`.
    pub prefixes: Vec<(u64, String)>,
}

impl Observed {
    fn prefix(&self, len: u64) -> Option<&str> {
        self.prefixes
            .iter()
            .find(|(l, _)| *l == len)
            .map(|(_, s)| s.as_str())
    }
}

/// The lengths at which a file's text must be hashed to be matched with `known`: the
/// head, each content's head length and each content's length.
pub fn lengths_to_hash(known: &[KnownContent]) -> BTreeSet<u64> {
    let mut out = BTreeSet::from([HEAD_BYTES]);
    for k in known {
        out.insert(k.head_len);
        out.insert(k.text_len);
    }
    out.remove(&0);
    out
}

/// What to take of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing: all of it is in already (content `id`).
    Known {
        /// The content it is.
        id: i64,
    },
    /// Content `id` grew: its complete lines from byte `from_byte`, line `from_line`.
    Grown {
        /// The content it extends.
        id: i64,
        /// Where the new text starts.
        from_byte: u64,
        /// The number of the first new line.
        from_line: u64,
    },
    /// A content not seen before: all its complete lines.
    New,
}

/// What to take of a file that reads as `observed`, given the contents already ingested.
/// When several contents match, the longest wins.
pub fn decide(known: &[KnownContent], observed: &Observed) -> Decision {
    let mut best: Option<&KnownContent> = None;
    for k in known {
        if k.head_len == 0 {
            continue;
        }
        let same_head = observed.prefix(k.head_len) == Some(k.head_sha.as_str());
        if !same_head {
            continue;
        }
        let contains = observed.prefix(k.text_len) == Some(k.text_sha.as_str());
        // A shorter text with the whole head of a long content: an older copy of it.
        let older_copy = observed.complete_len < k.text_len && k.head_len == HEAD_BYTES;
        if (contains || older_copy) && best.is_none_or(|b| k.text_len > b.text_len) {
            best = Some(k);
        }
    }
    match best {
        Some(k) if observed.complete_len <= k.text_len => Decision::Known { id: k.id },
        Some(k) => Decision::Grown {
            id: k.id,
            from_byte: k.text_len,
            from_line: k.lines + 1,
        },
        None => Decision::New,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn sha(b: &[u8]) -> String {
        format!("{:x}", Sha256::digest(b))
    }

    /// Reads `text` as the store does.
    fn observe(text: &[u8], known: &[KnownContent]) -> Observed {
        let complete_len = text
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i as u64 + 1);
        let lines = text[..complete_len as usize]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        Observed {
            complete_len,
            lines,
            prefixes: lengths_to_hash(known)
                .into_iter()
                .chain([complete_len.min(HEAD_BYTES)])
                .filter(|&l| l <= complete_len)
                .map(|l| (l, sha(&text[..l as usize])))
                .collect(),
        }
    }

    /// What the store records after taking `text` as content `id`.
    fn record(id: i64, text: &[u8]) -> KnownContent {
        let o = observe(text, &[]);
        let head_len = o.complete_len.min(HEAD_BYTES);
        KnownContent {
            id,
            head_sha: sha(&text[..head_len as usize]),
            head_len,
            text_len: o.complete_len,
            text_sha: sha(&text[..o.complete_len as usize]),
            lines: o.lines,
        }
    }

    #[test]
    fn a_file_is_known_grown_or_new_by_its_content() {
        let day1 = b"a 1\nb 2\nc 3\n".to_vec();
        let known = vec![record(1, &day1)];
        // The same bytes under any name (a rotated copy): nothing to take.
        assert_eq!(
            decide(&known, &observe(&day1, &known)),
            Decision::Known { id: 1 }
        );
        // Grown, with an unfinished line: the finished new lines only.
        let mut grown = day1.clone();
        grown.extend_from_slice(b"d 4\ne 5\nf");
        assert_eq!(
            decide(&known, &observe(&grown, &known)),
            Decision::Grown {
                id: 1,
                from_byte: day1.len() as u64,
                from_line: 4
            }
        );
        // Only an unfinished line more: nothing yet.
        let mut partial = day1.clone();
        partial.extend_from_slice(b"d");
        assert_eq!(
            decide(&known, &observe(&partial, &known)),
            Decision::Known { id: 1 }
        );
        // Rewritten: another start.
        let other = b"x 9\ny 8\n".to_vec();
        assert_eq!(decide(&known, &observe(&other, &known)), Decision::New);
        // The same first line but another body: new, not grown.
        let rewritten = b"a 1\nb 7\nc 3\nd 4\n".to_vec();
        assert_eq!(decide(&known, &observe(&rewritten, &known)), Decision::New);
        // Nothing known: new.
        assert_eq!(decide(&[], &observe(&day1, &[])), Decision::New);
    }

    #[test]
    fn long_logs_are_matched_by_their_head_and_their_whole() {
        let line = |i: usize| format!("2019-08-27T00:00:00+00:00 GET /campaigns/{i} 7\n");
        let big: String = (0..40_000).map(line).collect();
        assert!(big.len() as u64 > HEAD_BYTES);
        let known = vec![record(3, big.as_bytes())];
        assert_eq!(known[0].head_len, HEAD_BYTES);
        let more = format!("{big}{}", line(40_000));
        assert_eq!(
            decide(&known, &observe(more.as_bytes(), &known)),
            Decision::Grown {
                id: 3,
                from_byte: big.len() as u64,
                from_line: 40_001
            }
        );
        // An older, shorter copy of the long log: in already.
        let older = &big[..big.len() - line(39_999).len()];
        assert_eq!(
            decide(&known, &observe(older.as_bytes(), &known)),
            Decision::Known { id: 3 }
        );
        // The longest matching content wins.
        let known2 = vec![known[0].clone(), record(4, more.as_bytes())];
        assert_eq!(
            decide(&known2, &observe(more.as_bytes(), &known2)),
            Decision::Known { id: 4 }
        );
    }
}

//! Bounds on what untrusted input can make perx hold in memory, in one place.
//!
//! A length or count read from a file or a response is checked against these limits and
//! against the size of what holds it before anything is allocated from it.

use std::io::{self, BufRead, Read};

/// How much of an over-long line is kept as its `raw` text in `load_reject`.
pub const MAX_REJECT_RAW_BYTES: usize = 256;
/// The longest physical line of a CSV export or a rejects sidecar (a real one is a few
/// hundred bytes; the log's own limit is `--max-line-bytes`).
pub const MAX_CSV_LINE_BYTES: usize = 1 << 20;
/// The largest model file read back (MovieLens 1M at 512 factors is ~15 MB).
pub const MAX_MODEL_BYTES: u64 = 2 << 30;
/// The largest HTTP response body read into memory (BigQuery JSON, a token response).
pub const MAX_HTTP_BODY_BYTES: u64 = 64 << 20;
/// The largest MovieLens archive downloaded (ml-1m.zip is 6 MB).
pub const MAX_DOWNLOAD_BYTES: u64 = 1 << 30;
/// The largest single file unpacked from a MovieLens archive (ml-1m's ratings are 24 MB,
/// ml-25m's 680 MB).
pub const MAX_UNZIPPED_ENTRY_BYTES: u64 = 1 << 30;
/// The largest total unpacked from a MovieLens archive.
pub const MAX_UNZIPPED_TOTAL_BYTES: u64 = 2 << 30;
/// The largest allocation the Avro reader may make from a length in the file (a block of
/// perx's own files is ~1 MiB).
pub const MAX_AVRO_ALLOCATION_BYTES: usize = 64 << 20;

/// Applies the process-wide limits of libraries that have them (the Avro reader's
/// allocation cap). Idempotent; called before any Avro file is read.
pub fn apply_library_limits() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The setting can be made once per process; a second attempt returns the first value.
        let _ = apache_avro::util::max_allocation_bytes(MAX_AVRO_ALLOCATION_BYTES);
    });
}

/// The longest line of a MovieLens file (a real one is under 200 bytes).
pub const MAX_ML_LINE_BYTES: usize = 64 * 1024;

/// One line read by [`read_line_capped`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CappedLine {
    /// The input is at its end.
    Eof,
    /// A line (with its newline, if any) is in the buffer; this many bytes were read.
    Line(usize),
    /// A line longer than the cap was skipped without being held; it had this many bytes
    /// (newline excluded), and its first bytes are in the buffer.
    TooLong(u64),
}

/// Reads one line into `buf` (cleared first), holding at most `max` bytes of it: a longer
/// line is skipped to its newline, so memory stays bounded whatever the input.
pub fn read_line_capped<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<CappedLine> {
    buf.clear();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let n = r.by_ref().take(limit).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(CappedLine::Eof);
    }
    if buf.last() == Some(&b'\n') || n <= max {
        return Ok(CappedLine::Line(n));
    }
    // Over the cap and no newline yet: count the rest of the line without keeping it.
    let mut skipped = 0u64;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => {
                skipped += i as u64;
                r.consume(i + 1);
                break;
            }
            None => {
                let len = chunk.len();
                skipped += len as u64;
                r.consume(len);
            }
        }
    }
    Ok(CappedLine::TooLong(n as u64 + skipped))
}

/// A reader that fails with `InvalidData` as soon as a physical line (bytes between
/// newlines) grows past `max` bytes, so a reader above it (the CSV parser) never buffers a
/// giant record. The error names the 1-based line and the limit.
#[derive(Debug)]
pub struct LineCap<R> {
    inner: R,
    max: usize,
    line: u64,
    len: usize,
}

impl<R: Read> LineCap<R> {
    /// Caps the lines of `inner` at `max` bytes.
    pub fn new(inner: R, max: usize) -> Self {
        LineCap {
            inner,
            max,
            line: 1,
            len: 0,
        }
    }

    /// The wrapped reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Unwraps the reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for LineCap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if b == b'\n' {
                self.line += 1;
                self.len = 0;
            } else {
                self.len += 1;
                if self.len > self.max {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "line {} is longer than {} bytes; this is not an export perx can read",
                            self.line, self.max
                        ),
                    ));
                }
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_lines_skip_the_rest_of_a_long_one() {
        let text = format!("ok\n{}\nnext", "y".repeat(10_000));
        let mut r = io::BufReader::with_capacity(64, text.as_bytes());
        let mut buf = Vec::new();
        assert_eq!(
            read_line_capped(&mut r, &mut buf, 100).unwrap(),
            CappedLine::Line(3)
        );
        assert_eq!(
            read_line_capped(&mut r, &mut buf, 100).unwrap(),
            CappedLine::TooLong(10_000)
        );
        assert!(buf.len() <= 101);
        assert_eq!(
            read_line_capped(&mut r, &mut buf, 100).unwrap(),
            CappedLine::Line(4)
        );
        assert_eq!(buf, b"next");
        assert_eq!(
            read_line_capped(&mut r, &mut buf, 100).unwrap(),
            CappedLine::Eof
        );
    }

    #[test]
    fn a_long_line_stops_the_reader_with_its_number() {
        let text = format!("a,b\n1,2\n{}\n", "x".repeat(100));
        let mut r = LineCap::new(text.as_bytes(), 50);
        let mut out = Vec::new();
        let e = r.read_to_end(&mut out).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(
            e.to_string().starts_with("line 3 is longer than 50 bytes"),
            "{e}"
        );
        let mut ok = LineCap::new(&b"short\nlines\n"[..], 5);
        let mut out = Vec::new();
        ok.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"short\nlines\n");
    }
}

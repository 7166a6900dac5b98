//! Text log → Avro, streaming: one thread reads and parses chunks of whole lines (at most
//! `--max-line-bytes` of an unfinished one is carried), this one encodes the records.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::mpsc::{SyncSender, sync_channel};

use super::files::{sidecar_path, staged_path};
use super::{AvroCodec, AvroError, RecordRef, log_writer};
use crate::core::Reject;
use crate::core::logline::parse_line;
use crate::hashing::HashingReader;
use crate::progress::{Progress, Unit};

/// Counts of one conversion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConvertStats {
    /// Lines read from the text log.
    pub lines: u64,
    /// Records written to the Avro file.
    pub records: u64,
    /// Lines rejected (handed to the reject sink).
    pub rejected: u64,
    /// Bytes read.
    pub bytes: u64,
}

/// Bytes read from the text log at a time.
const CHUNK: usize = 1 << 20;
/// Target size of an Avro block before compression (bigger blocks compress and decode
/// faster; one block is the unit of memory on both sides).
pub(crate) const BLOCK_SIZE: usize = 1 << 20;
/// The longest log line accepted by default (`--max-line-bytes`): a real line is under
/// 100 bytes; a longer one is rejected and skipped without being held in memory.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 * 1024;
/// How much of an over-long line is kept as its `raw` text in the rejects.
pub(crate) const TOO_LONG_RAW: usize = crate::limits::MAX_REJECT_RAW_BYTES;

/// How to convert a text log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvertOptions {
    /// Compression of the Avro blocks.
    pub codec: AvroCodec,
    /// Lines longer than this (in bytes, without the newline) are rejected as too long.
    pub max_line_bytes: usize,
    /// The number of the input's first line in its file (1 unless the input starts inside
    /// a file: an ingest of the lines a log grew by). Rejects carry these numbers.
    pub first_line: u64,
    /// Added to a line's number to make its record's `line_no` (0: the line's number; an
    /// ingest makes them unique in the database).
    pub line_offset: i64,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            codec: AvroCodec::default(),
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            first_line: 1,
            line_offset: 0,
        }
    }
}

impl From<AvroCodec> for ConvertOptions {
    fn from(codec: AvroCodec) -> Self {
        ConvertOptions {
            codec,
            ..ConvertOptions::default()
        }
    }
}

/// An accepted line, as offsets into its chunk (so it can cross threads without copying).
struct Parsed {
    line_no: i64,
    timestamp: i64,
    method: Range<usize>,
    path: Range<usize>,
    user: Range<usize>,
}

/// One chunk of whole lines, parsed.
struct Batch {
    data: Vec<u8>,
    parsed: Vec<Parsed>,
    rejects: Vec<Reject>,
    bytes: u64,
}

fn offset_in(data: &[u8], part: &str) -> Range<usize> {
    let start = part.as_ptr() as usize - data.as_ptr() as usize;
    start..start + part.len()
}

/// The reject of a line of `len` bytes beginning with `start`.
fn too_long(line_no: u64, len: u64, start: &[u8]) -> Reject {
    let shown = &start[..start.len().min(TOO_LONG_RAW)];
    Reject {
        line_no,
        reason: crate::core::logline::RejectReason::TooLong(len).to_string(),
        raw: format!("{}…", String::from_utf8_lossy(shown)),
    }
}

/// Parses the lines of `data` (the last one may lack its `\n`), numbering from `first`,
/// into `batch`; returns the next line number.
fn parse_chunk(data: Vec<u8>, first: u64, max_line: usize, batch: &mut Batch) -> u64 {
    batch.parsed.reserve(data.len() / 50);
    let body = data.strip_suffix(b"\n").unwrap_or(&data);
    let mut line_no = first;
    if !data.is_empty() {
        for line in body.split(|b| *b == b'\n') {
            if line.len() > max_line {
                batch
                    .rejects
                    .push(too_long(line_no, line.len() as u64, line));
                line_no += 1;
                continue;
            }
            match parse_line(line) {
                Ok(ev) => batch.parsed.push(Parsed {
                    line_no: line_no as i64,
                    timestamp: ev.ts.timestamp_micros(),
                    method: offset_in(&data, ev.http_method),
                    path: offset_in(&data, ev.http_path),
                    user: offset_in(&data, ev.user_id),
                }),
                Err(reason) => batch.rejects.push(Reject {
                    line_no,
                    reason: reason.to_string(),
                    raw: String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line))
                        .into_owned(),
                }),
            }
            line_no += 1;
        }
    }
    batch.data = data;
    line_no
}

/// A line longer than the limit, being skipped: its length so far and its first bytes.
struct Skipping {
    len: u64,
    start: Vec<u8>,
}

/// Reads `input` in chunks of whole lines and parses them, sending each batch on.
///
/// Memory is bounded whatever the input: the unfinished end of a chunk is carried into
/// the next one only while it is shorter than `max_line`; past that the line is skipped
/// (counted, its first bytes kept for the reject) until its newline. Each byte is scanned
/// for newlines once.
fn read_and_parse<R: Read>(
    mut input: R,
    send: SyncSender<Batch>,
    in_path: &Path,
    max_line: usize,
    first_line: u64,
) -> Result<R, AvroError> {
    let io_err = |source| AvroError::Io {
        path: in_path.to_owned(),
        source,
    };
    let mut carry: Vec<u8> = Vec::new();
    let mut skipping: Option<Skipping> = None;
    let mut next_line = first_line;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = loop {
            match input.read(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other.map_err(io_err)?,
            }
        };
        let read = &buf[..n];
        let mut batch = Batch {
            data: Vec::new(),
            parsed: Vec::new(),
            rejects: Vec::new(),
            bytes: n as u64,
        };
        let mut rest = read;
        if let Some(skip) = skipping.as_mut() {
            match read.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    skip.len += i as u64;
                    batch
                        .rejects
                        .push(too_long(next_line, skip.len, &skip.start));
                    next_line += 1;
                    skipping = None;
                    rest = &read[i + 1..];
                }
                None => {
                    skip.len += n as u64;
                    rest = &[];
                    if n == 0 {
                        // The log ends inside the long line.
                        batch
                            .rejects
                            .push(too_long(next_line, skip.len, &skip.start));
                        next_line += 1;
                        skipping = None;
                    }
                }
            }
        }
        if n == 0 {
            // End of input: what is left is the last line, without its newline.
            let last = std::mem::take(&mut carry);
            next_line = parse_chunk(last, next_line, max_line, &mut batch);
        } else {
            match rest.iter().rposition(|b| *b == b'\n') {
                Some(j) => {
                    let mut whole = std::mem::take(&mut carry);
                    whole.extend_from_slice(&rest[..=j]);
                    next_line = parse_chunk(whole, next_line, max_line, &mut batch);
                    carry.extend_from_slice(&rest[j + 1..]);
                }
                None => carry.extend_from_slice(rest),
            }
            if carry.len() > max_line {
                // The unfinished line is already too long: skip the rest of it unread.
                let start = carry[..carry.len().min(TOO_LONG_RAW)].to_vec();
                skipping = Some(Skipping {
                    len: carry.len() as u64,
                    start,
                });
                carry = Vec::new();
            }
        }
        if send.send(batch).is_err() {
            // The writer stopped (and will report why).
            return Ok(input);
        }
        if n == 0 {
            return Ok(input);
        }
    }
}

/// Streams a text log into an Avro object container, one record per accepted line.
///
/// One thread reads and parses chunks of lines while this one encodes and compresses, so
/// memory stays bounded by a few chunks and one Avro block, whatever the input size. Every
/// rejected line goes to `on_reject`, in line order; an error there stops the conversion.
/// Returns the counts, the writer and the reader (e.g. to finish a hash over it).
pub fn convert<R: Read + Send, W: Write>(
    input: R,
    output: W,
    opts: impl Into<ConvertOptions>,
    names: (&Path, &Path),
    on_reject: &mut dyn FnMut(Reject) -> io::Result<()>,
    progress: &dyn Progress,
) -> Result<(ConvertStats, W, R), AvroError> {
    let opts: ConvertOptions = opts.into();
    let codec = opts.codec;
    let max_line = opts.max_line_bytes;
    let (first_line, line_offset) = (opts.first_line, opts.line_offset);
    let (in_path, out_path) = names;
    let avro_err = |e: apache_avro::Error| AvroError::Avro {
        path: out_path.to_owned(),
        source: Box::new(e),
    };
    let mut writer = log_writer(output, codec).map_err(avro_err)?;
    let source_name = in_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    writer
        .add_user_metadata("perx.source".to_owned(), source_name)
        .map_err(avro_err)?;

    let mut stats = ConvertStats::default();
    let (send, recv) = sync_channel::<Batch>(4);
    // One thread reads and parses; this one encodes. The receiver is moved into the
    // encoder, so an encoding error stops the reader at its next send.
    let (input, written) = crate::pipeline::side_by_side(
        move || read_and_parse(input, send, in_path, max_line, first_line),
        || -> Result<(), AvroError> {
            for batch in recv {
                // Accepted lines are valid UTF-8. Checking the whole chunk once is cheaper
                // than checking every field; a chunk holding a rejected non-UTF-8 line falls
                // back to checking the fields.
                let whole = std::str::from_utf8(&batch.data).ok();
                let field = |r: &Range<usize>| -> Result<&str, AvroError> {
                    let text = match whole {
                        Some(t) => t.get(r.clone()),
                        None => std::str::from_utf8(&batch.data[r.clone()]).ok(),
                    };
                    text.ok_or_else(|| AvroError::Io {
                        path: in_path.to_owned(),
                        source: io::Error::other("internal: accepted field is not UTF-8"),
                    })
                };
                for p in &batch.parsed {
                    writer
                        .append_ser(RecordRef {
                            line_no: p.line_no + line_offset,
                            timestamp: p.timestamp,
                            http_method: field(&p.method)?,
                            http_path: field(&p.path)?,
                            user_id: field(&p.user)?,
                        })
                        .map_err(avro_err)?;
                }
                stats.records += batch.parsed.len() as u64;
                stats.rejected += batch.rejects.len() as u64;
                stats.lines += (batch.parsed.len() + batch.rejects.len()) as u64;
                stats.bytes += batch.bytes;
                progress.advance(batch.bytes);
                for r in batch.rejects {
                    on_reject(r).map_err(|source| AvroError::Io {
                        path: out_path.to_owned(),
                        source,
                    })?;
                }
            }
            Ok(())
        },
    );
    written?;
    let input = input?;
    let out = writer.into_inner().map_err(avro_err)?;
    Ok((stats, out, input))
}

/// Converts the text log at `input` into the Avro file `output`, writing its rejects to the
/// sidecar (see [`sidecar_path`]) and handing each to `on_reject` as well. Both files are
/// written under temporary names and moved into place together at the end, so a failed
/// conversion leaves the earlier ones as they were. Returns the counts and the SHA-256 of
/// the text log.
pub fn convert_file(
    input: &Path,
    output: &Path,
    opts: impl Into<ConvertOptions>,
    on_reject: &mut dyn FnMut(&Reject),
    progress: &dyn Progress,
) -> Result<(ConvertStats, String), AvroError> {
    let done = convert_staged(input, output, opts.into(), on_reject, progress);
    match done {
        Ok(d) => {
            super::files::publish(output)?;
            Ok(d)
        }
        Err(e) => {
            super::files::discard(output);
            Err(e)
        }
    }
}

/// Like [`convert_file`], but leaves the result in the staged files of `output` (see
/// [`staged_path`]): a load reads them inside its transaction and publishes them only
/// after the commit, so a failed load never leaves a new Avro copy beside old tables.
pub fn convert_staged(
    input: &Path,
    output: &Path,
    opts: ConvertOptions,
    on_reject: &mut dyn FnMut(&Reject),
    progress: &dyn Progress,
) -> Result<(ConvertStats, String), AvroError> {
    let io_err = |path: &Path| {
        let path = path.to_owned();
        move |source| AvroError::Io { path, source }
    };
    let file = File::open(input).map_err(io_err(input))?;
    let total = file.metadata().map(|m| m.len()).ok();
    progress.start("converting log to Avro", total, Unit::Bytes);
    let (stats, reader) = convert_staged_from(
        HashingReader::new(file),
        input,
        output,
        opts,
        on_reject,
        progress,
    )?;
    progress.finish();
    let (sha256, _) = reader.finish().map_err(io_err(input))?;
    Ok((stats, sha256))
}

/// Like [`convert_staged`], from any reader of text (`input` names it in messages): the
/// staged Avro file of `output` and its rejects sidecar, synced. Returns the counts and
/// the reader.
pub fn convert_staged_from<R: Read + Send>(
    reader: R,
    input: &Path,
    output: &Path,
    opts: ConvertOptions,
    on_reject: &mut dyn FnMut(&Reject),
    progress: &dyn Progress,
) -> Result<(ConvertStats, R), AvroError> {
    let io_err = |path: &Path| {
        let path = path.to_owned();
        move |source| AvroError::Io { path, source }
    };
    let tmp = staged_path(output);
    let out = BufWriter::with_capacity(1 << 20, File::create(&tmp).map_err(io_err(&tmp))?);
    let side = sidecar_path(&tmp);
    let mut rejects = csv::Writer::from_path(&side).map_err(|e| AvroError::Io {
        path: side.clone(),
        source: e.into(),
    })?;
    rejects
        .write_record(["line_no", "reason", "raw"])
        .map_err(io::Error::from)
        .map_err(io_err(&side))?;
    let mut sink = |r: Reject| -> io::Result<()> {
        rejects.write_record([r.line_no.to_string().as_str(), &r.reason, &r.raw])?;
        on_reject(&r);
        Ok(())
    };
    let (stats, out, reader) = convert(reader, out, opts, (input, output), &mut sink, progress)?;
    rejects.flush().map_err(io_err(&side))?;
    let side_file = rejects.into_inner().map_err(|e| AvroError::Io {
        path: side.clone(),
        source: e.into_error(),
    })?;
    side_file.sync_all().map_err(io_err(&side))?;
    let file = out.into_inner().map_err(|e| AvroError::Io {
        path: tmp.clone(),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(io_err(&tmp))?;
    Ok((stats, reader))
}

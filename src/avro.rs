//! The HTTP log's Avro form: streaming conversion from the text log, and reading it back.
//!
//! The schema is `schemas/http_log.avsc` (hand-written, embedded at compile time). Only
//! accepted lines become records; every rejected line goes to the caller's reject sink with
//! its 1-based line number, and the CLI keeps them in a `<file>.rejects.csv` sidecar so a
//! later load of the Avro file still knows them.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::sync::mpsc::{SyncSender, sync_channel};

use apache_avro::{Codec, Reader, Schema, Writer};
use serde::{Deserialize, Serialize};

use crate::core::Reject;
use crate::core::logline::parse_line;
use crate::hashing::HashingReader;
use crate::progress::{Progress, Unit};

/// The schema text, exactly as in `schemas/http_log.avsc`.
pub const SCHEMA_JSON: &str = include_str!("../schemas/http_log.avsc");

/// The parsed schema. `schemas/http_log.avsc` is checked by a unit test, so parsing it
/// cannot fail at run time in a released build.
pub fn schema() -> &'static Schema {
    static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
        // Every Avro read goes through the schema first: set the reader's allocation cap
        // before any file is decoded.
        crate::limits::apply_library_limits();
        Schema::parse_str(SCHEMA_JSON).unwrap_or_else(|e| panic!("schemas/http_log.avsc: {e}"))
    });
    &SCHEMA
}

/// Errors of converting to or reading the Avro file.
#[derive(Debug, thiserror::Error)]
pub enum AvroError {
    /// Reading the text log or writing the Avro file failed.
    #[error("{path}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// The Avro library refused to write or read.
    #[error("{path}: not a readable Avro file")]
    Avro {
        /// The file involved.
        path: PathBuf,
        /// What the Avro library said.
        source: Box<apache_avro::Error>,
    },
    /// The file is Avro but not an HTTP log written by perx.
    #[error(
        "{path}: this Avro file's schema is not perx's http_log schema (schemas/http_log.avsc); \
         convert the text log with `perx convert-log`"
    )]
    WrongSchema {
        /// The file involved.
        path: PathBuf,
    },
    /// The rejects sidecar could not be read.
    #[error("{path}:{line}: rejects sidecar is malformed: {problem}")]
    Sidecar {
        /// The sidecar file.
        path: PathBuf,
        /// Its 1-based line.
        line: u64,
        /// What is wrong.
        problem: String,
    },
}

/// The compression codec of the Avro blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AvroCodec {
    /// No compression: largest file, fastest.
    Null,
    /// Snappy: fast, moderate size.
    Snappy,
    /// Zstandard level 1: deflate's size at several times its speed.
    #[default]
    Zstd,
    /// Deflate: the most widely supported codec.
    Deflate,
}

impl AvroCodec {
    fn to_codec(self) -> Codec {
        match self {
            AvroCodec::Null => Codec::Null,
            AvroCodec::Snappy => Codec::Snappy,
            AvroCodec::Zstd => Codec::Zstandard(apache_avro::ZstandardSettings::new(1)),
            AvroCodec::Deflate => Codec::Deflate(apache_avro::DeflateSettings::default()),
        }
    }
}

/// One record, borrowed from the line being converted.
#[derive(Debug, Serialize)]
struct RecordRef<'a> {
    line_no: i64,
    timestamp: i64,
    http_method: &'a str,
    http_path: &'a str,
    user_id: &'a str,
}

/// One record as read back from an Avro file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HttpLogRecord {
    /// 1-based line number in the source text log.
    pub line_no: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub timestamp: i64,
    /// `GET` or `POST`.
    pub http_method: String,
    /// The path as written.
    pub http_path: String,
    /// The user id as written.
    pub user_id: String,
}

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
const BLOCK_SIZE: usize = 1 << 20;
/// The longest log line accepted by default (`--max-line-bytes`): a real line is under
/// 100 bytes; a longer one is rejected and skipped without being held in memory.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 * 1024;
/// How much of an over-long line is kept as its `raw` text in the rejects.
const TOO_LONG_RAW: usize = 256;

/// How to convert a text log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvertOptions {
    /// Compression of the Avro blocks.
    pub codec: AvroCodec,
    /// Lines longer than this (in bytes, without the newline) are rejected as too long.
    pub max_line_bytes: usize,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            codec: AvroCodec::default(),
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
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
) -> Result<R, AvroError> {
    let io_err = |source| AvroError::Io {
        path: in_path.to_owned(),
        source,
    };
    let mut carry: Vec<u8> = Vec::new();
    let mut skipping: Option<Skipping> = None;
    let mut next_line = 1u64;
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
        move || read_and_parse(input, send, in_path, max_line),
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
                            line_no: p.line_no,
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

/// The rejects sidecar that accompanies `avro` (`<avro>.rejects.csv`).
pub fn sidecar_path(avro: &Path) -> PathBuf {
    let mut s = avro.as_os_str().to_owned();
    s.push(".rejects.csv");
    PathBuf::from(s)
}

/// Where a conversion to `output` is written until [`publish`] moves it into place:
/// `<output>.partial`, and its rejects in `<output>.partial.rejects.csv`.
pub fn staged_path(output: &Path) -> PathBuf {
    let mut s = output.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
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
            publish(output)?;
            Ok(d)
        }
        Err(e) => {
            discard(output);
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
    let reader = HashingReader::new(file);
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
    progress.finish();
    let (sha256, _) = reader.finish().map_err(io_err(input))?;
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
    Ok((stats, sha256))
}

/// Moves the staged Avro file of `output` and its rejects sidecar into place.
pub fn publish(output: &Path) -> Result<(), AvroError> {
    let tmp = staged_path(output);
    for (from, to) in [
        (sidecar_path(&tmp), sidecar_path(output)),
        (tmp, output.to_owned()),
    ] {
        crate::atomic::rename_into_place(&from, &to)
            .map_err(|source| AvroError::Io { path: to, source })?;
    }
    Ok(())
}

/// Removes the staged files of `output`, if any (a failed or in-memory load).
pub fn discard(output: &Path) {
    let tmp = staged_path(output);
    let _ = std::fs::remove_file(sidecar_path(&tmp));
    let _ = std::fs::remove_file(tmp);
}

/// Opens an Avro file written by [`convert`], checking its schema.
pub fn open(
    path: &Path,
) -> Result<impl Iterator<Item = Result<HttpLogRecord, AvroError>>, AvroError> {
    let file = File::open(path).map_err(|source| AvroError::Io {
        path: path.to_owned(),
        source,
    })?;
    open_reader(BufReader::with_capacity(1 << 20, file), path)
}

/// Like [`open`], over any reader (`path` names it in errors).
pub fn open_reader<R: Read>(
    reader: R,
    path: &Path,
) -> Result<impl Iterator<Item = Result<HttpLogRecord, AvroError>>, AvroError> {
    let reader = Reader::new(reader).map_err(|e| AvroError::Avro {
        path: path.to_owned(),
        source: Box::new(e),
    })?;
    if !same_fields(reader.writer_schema(), schema()) {
        return Err(AvroError::WrongSchema {
            path: path.to_owned(),
        });
    }
    let path = path.to_owned();
    Ok(reader.into_deser_iter::<HttpLogRecord>().map(move |r| {
        r.map_err(|e| AvroError::Avro {
            path: path.clone(),
            source: Box::new(e),
        })
    }))
}

/// A writer of log records with the perx schema, `codec` and block size.
fn log_writer<W: Write>(
    out: W,
    codec: AvroCodec,
) -> Result<Writer<'static, W>, apache_avro::Error> {
    Writer::builder()
        .schema(schema())
        .writer(out)
        .codec(codec.to_codec())
        .block_size(BLOCK_SIZE)
        .build()
}

/// The `avro.codec` of an Avro file's header (`null` when absent, as the spec says).
pub fn codec_name(path: &Path) -> Result<String, AvroError> {
    let mut head = Vec::with_capacity(1 << 16);
    File::open(path)
        .and_then(|f| f.take(1 << 16).read_to_end(&mut head))
        .map_err(|source| AvroError::Io {
            path: path.to_owned(),
            source,
        })?;
    // The key as the header's map writes it: its length (10, zig-zag: 0x14), then the
    // bytes, so `avro.codec.compression_level` does not match.
    let key = b"\x14avro.codec";
    let Some(at) = head.windows(key.len()).position(|w| w == key) else {
        return Ok("null".into());
    };
    // The value follows as Avro bytes: a zig-zag varint length, then the bytes.
    let mut i = at + key.len();
    let (mut raw, mut shift) = (0u64, 0);
    while let Some(&b) = head.get(i) {
        raw |= u64::from(b & 0x7f) << shift;
        i += 1;
        shift += 7;
        if b & 0x80 == 0 || shift > 63 {
            break;
        }
    }
    let len = ((raw >> 1) as i64 ^ -((raw & 1) as i64)).max(0) as usize;
    let value = head.get(i..i + len).unwrap_or_default();
    Ok(String::from_utf8_lossy(value).into_owned())
}

/// Rewrites an Avro log written by [`convert`] with another codec (for engines that do not
/// read its codec); returns the records copied.
pub fn transcode(
    input: &Path,
    output: &Path,
    codec: AvroCodec,
    progress: &dyn Progress,
) -> Result<u64, AvroError> {
    let records = open(input)?;
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| AvroError::Io { path: p, source }
    };
    let out = BufWriter::new(File::create(output).map_err(io(output))?);
    let avro_err = |e: apache_avro::Error| AvroError::Avro {
        path: output.to_owned(),
        source: Box::new(e),
    };
    let mut writer = log_writer(out, codec).map_err(avro_err)?;
    progress.start("re-encoding the log", None, Unit::Rows);
    let mut n = 0u64;
    for r in records {
        let r = r?;
        writer
            .append_ser(RecordRef {
                line_no: r.line_no,
                timestamp: r.timestamp,
                http_method: &r.http_method,
                http_path: &r.http_path,
                user_id: &r.user_id,
            })
            .map_err(avro_err)?;
        n += 1;
        if n.is_multiple_of(65_536) {
            progress.advance(65_536);
        }
    }
    let mut out = writer.into_inner().map_err(avro_err)?;
    out.flush().map_err(io(output))?;
    progress.finish();
    Ok(n)
}

/// Whether two schemas describe the same record shape (names and types; docs may differ).
fn same_fields(a: &Schema, b: &Schema) -> bool {
    a.canonical_form() == b.canonical_form()
}

/// Reads a rejects sidecar back (for loading an Avro file converted earlier), handing each
/// reject to `each` as it is read, so memory holds one line whatever the file's size.
pub fn read_sidecar<E: From<AvroError>>(
    path: &Path,
    each: &mut dyn FnMut(Reject) -> Result<(), E>,
) -> Result<(), E> {
    let bad = |line: u64, problem: String| AvroError::Sidecar {
        path: path.to_owned(),
        line,
        problem,
    };
    let file = File::open(path).map_err(|source| AvroError::Io {
        path: path.to_owned(),
        source,
    })?;
    let capped =
        crate::limits::LineCap::new(BufReader::new(file), crate::limits::MAX_CSV_LINE_BYTES);
    let mut rdr = csv::Reader::from_reader(capped);
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(bad(line, e.to_string()).into());
            }
        }
        let line = rec.position().map_or(0, |p| p.line());
        let (Some(n), Some(reason), Some(raw)) = (rec.get(0), rec.get(1), rec.get(2)) else {
            return Err(bad(line, "expected 3 fields: line_no,reason,raw".into()).into());
        };
        let line_no = n
            .parse()
            .map_err(|_| bad(line, format!("line_no {n:?} is not a number")))?;
        each(Reject {
            line_no,
            reason: reason.to_owned(),
            raw: raw.to_owned(),
        })?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    #[test]
    fn schema_file_parses_and_has_docs() {
        let s = schema();
        let json: serde_json::Value = serde_json::from_str(SCHEMA_JSON).unwrap();
        assert!(json["doc"].is_string());
        for f in json["fields"].as_array().unwrap() {
            assert!(f["doc"].is_string(), "field {} has no doc", f["name"]);
        }
        assert!(
            s.canonical_form().contains("timestamp-micros") || s.canonical_form().contains("long")
        );
    }

    #[test]
    fn a_non_utf8_line_does_not_spoil_its_neighbours() {
        let text = b"2019-08-27T00:07:05Z GET /campaigns/1 11\n\xff\xfe bad\n2019-08-27T00:07:06Z POST /rewards/2 12\n";
        let (stats, bytes, _) = convert(
            &text[..],
            Vec::new(),
            AvroCodec::Null,
            (Path::new("in.txt"), Path::new("out.avro")),
            &mut |_| Ok(()),
            &NoProgress,
        )
        .unwrap();
        assert_eq!((stats.records, stats.rejected), (2, 1));
        let recs: Vec<_> = open_reader(&bytes[..], Path::new("out.avro"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(recs[0].user_id, "11");
        assert_eq!(recs[1].http_path, "/rewards/2");
    }

    /// Converts `input` into memory, collecting the rejects.
    fn converted(
        input: impl Read + Send,
        opts: impl Into<ConvertOptions>,
        rejects: &mut Vec<Reject>,
    ) -> (ConvertStats, Vec<u8>) {
        let (stats, bytes, _) = convert(
            input,
            Vec::new(),
            opts,
            (Path::new("in.txt"), Path::new("out.avro")),
            &mut |r| {
                rejects.push(r);
                Ok(())
            },
            &NoProgress,
        )
        .unwrap();
        (stats, bytes)
    }

    /// Hands out its bytes a few at a time, as a pipe might.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn over_long_lines_are_rejected_with_their_length_however_they_arrive() {
        let good = "2019-08-27T00:07:05Z GET /campaigns/1 11";
        let long = format!("2019-08-27T00:07:05Z GET /campaigns/1 {}", "9".repeat(300));
        let text = format!("{good}\n{long}\n{good}\n{}", "x".repeat(500));
        for piece in [1, 3, 64, 100, 1 << 20] {
            let mut rejects = Vec::new();
            let opts = ConvertOptions {
                codec: AvroCodec::Null,
                max_line_bytes: 100,
            };
            let (stats, bytes) = converted(Trickle(text.as_bytes(), piece), opts, &mut rejects);
            assert_eq!(
                (stats.lines, stats.records, stats.rejected),
                (4, 2, 2),
                "{piece}"
            );
            assert_eq!(rejects[0].line_no, 2);
            assert_eq!(
                rejects[0].reason,
                format!(
                    "line-too-long: line too long ({} bytes); the limit is set with --max-line-bytes",
                    long.len()
                )
            );
            assert!(rejects[0].raw.len() <= TOO_LONG_RAW + 3);
            assert_eq!(rejects[1].line_no, 4);
            assert!(rejects[1].reason.contains("(500 bytes)"));
            let recs: Vec<_> = open_reader(&bytes[..], Path::new("out.avro"))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(recs.iter().map(|r| r.line_no).collect::<Vec<_>>(), [1, 3]);
        }
    }

    #[test]
    fn converts_and_reads_back_with_line_numbers() {
        let text = b"2019-08-27T00:07:05+00:00 POST /rewards/1529 2000020076516\n\
                     garbage\n\
                     2019-08-27T08:00:00+08:00 GET /campaigns/11 7\r\n";
        let mut rejects = Vec::new();
        let (stats, bytes) = converted(&text[..], AvroCodec::Zstd, &mut rejects);
        assert_eq!(stats.lines, 3);
        assert_eq!(stats.records, 2);
        assert_eq!(rejects.len(), 1);
        assert_eq!(rejects[0].line_no, 2);
        assert_eq!(rejects[0].raw, "garbage");
        let recs: Vec<_> = open_reader(&bytes[..], Path::new("out.avro"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].line_no, 1);
        assert_eq!(recs[1].line_no, 3);
        assert_eq!(recs[1].timestamp, 1_566_864_000_000_000);
        assert_eq!(recs[1].user_id, "7");
    }

    #[test]
    fn a_zstandard_log_is_re_encoded_record_for_record() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("log.txt");
        std::fs::write(
            &text,
            "2019-08-26T16:00:05+00:00 GET /campaigns/11 007\n\
             bad line\n\
             2019-08-26T16:00:06+00:00 POST /rewards/3 42\n",
        )
        .unwrap();
        let zstd = dir.path().join("z.avro");
        convert_file(&text, &zstd, AvroCodec::Zstd, &mut |_| {}, &NoProgress).unwrap();
        assert_eq!(codec_name(&zstd).unwrap(), "zstandard");
        let snappy = dir.path().join("s.avro");
        assert_eq!(
            transcode(&zstd, &snappy, AvroCodec::Snappy, &NoProgress).unwrap(),
            2
        );
        assert_eq!(codec_name(&snappy).unwrap(), "snappy");
        let read = |p: &Path| open(p).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
        assert_eq!(read(&snappy), read(&zstd));
        assert_eq!(read(&snappy)[0].user_id, "007");
        assert_eq!(read(&snappy)[1].line_no, 3);
        for (codec, name) in [(AvroCodec::Null, "null"), (AvroCodec::Deflate, "deflate")] {
            let p = dir.path().join(format!("{name}.avro"));
            convert_file(&text, &p, codec, &mut |_| {}, &NoProgress).unwrap();
            assert_eq!(codec_name(&p).unwrap(), name);
        }
    }
}

//! The HTTP log's Avro form: streaming conversion from the text log, and reading it back.
//!
//! The schema is `schemas/http_log.avsc` (hand-written, embedded at compile time). Only
//! accepted lines become records; every rejected line goes to the caller's reject sink with
//! its 1-based line number, and the CLI keeps them in a `<file>.rejects.csv` sidecar so a
//! later load of the Avro file still knows them.
//!
//! `convert` is the streaming text → Avro pipeline, `files` the sidecar and the staged
//! files a load publishes after its commit, `recode` a file's codec and re-encoding; this
//! module holds the schema, the record types and reading a file back.

mod convert;
mod files;
mod recode;

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use apache_avro::{Codec, Reader, Schema, Writer};
use serde::{Deserialize, Serialize};

pub use convert::{
    ConvertOptions, ConvertStats, DEFAULT_MAX_LINE_BYTES, convert, convert_file, convert_staged,
    convert_staged_from,
};
pub use files::{discard, publish, read_sidecar, sidecar_path, staged_path};
pub use recode::{codec_name, transcode};

/// The schema text, exactly as in `schemas/http_log.avsc`.
pub const SCHEMA_JSON: &str = include_str!("../../schemas/http_log.avsc");

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
    pub(crate) fn to_codec(self) -> Codec {
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
pub(crate) struct RecordRef<'a> {
    pub(crate) line_no: i64,
    pub(crate) timestamp: i64,
    pub(crate) http_method: &'a str,
    pub(crate) http_path: &'a str,
    pub(crate) user_id: &'a str,
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
pub(crate) fn log_writer<W: Write>(
    out: W,
    codec: AvroCodec,
) -> Result<Writer<'static, W>, apache_avro::Error> {
    Writer::builder()
        .schema(schema())
        .writer(out)
        .codec(codec.to_codec())
        .block_size(convert::BLOCK_SIZE)
        .build()
}

/// Whether two schemas describe the same record shape (names and types; docs may differ).
fn same_fields(a: &Schema, b: &Schema) -> bool {
    a.canonical_form() == b.canonical_form()
}

#[cfg(test)]
mod tests {
    use super::convert::TOO_LONG_RAW;
    use super::*;
    use crate::core::Reject;
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
                ..ConvertOptions::default()
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

//! `perx ingest`: append log files (plain, gzip, zstd) to the database, each file known by
//! its content, and print what was taken of each.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use perx::avro::{self, AvroCodec};
use perx::exit;
use perx::store::Store;
use perx::store::ingest::{FileOutcome, IngestOptions, Place};
use perx::term::visible;

use super::progress::Bar;
use super::{CodecArg, Global};

/// How many rejected lines are shown on stderr (all of them are in `load_reject`).
const SHOWN_REJECTS: usize = 10;

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Log files, or directories: in a directory, the files whose names match --pattern,
    /// oldest first (by modification time, then name).
    #[arg(required_unless_present = "rebuild", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Rebuild the log's tables from their Avro forms instead (the loaded log's copy, then
    /// every batch's archive file in DB.ingest/), in one transaction.
    #[arg(long, conflicts_with = "paths")]
    pub rebuild: bool,
    /// In a directory, which files are the log: a glob on their names (`*`, `?`, `[…]`).
    #[arg(long, value_name = "GLOB", default_value = "http_log*")]
    pub pattern: String,
    /// Compression of the batch's Avro files (the log's archive, DB.ingest/).
    #[arg(long, value_enum, default_value_t)]
    pub codec: CodecArg,
    /// Log lines longer than this many bytes are rejected ("line too long").
    #[arg(long, value_name = "BYTES", default_value_t = avro::DEFAULT_MAX_LINE_BYTES)]
    pub max_line_bytes: usize,
}

fn shown(p: &Path) -> String {
    visible(&p.display().to_string()).into_owned()
}

pub fn ingest(global: &Global, args: &IngestArgs) -> Result<u8> {
    let db = global.db_path();
    if args.rebuild {
        let mut store = Store::open(&db)?;
        let r = store
            .rebuild_log(&Bar::new())
            .with_context(|| format!("rebuilding the log of {}", db.display()))?;
        for f in &r.files {
            outln!("read {}", shown(f))?;
        }
        outln!(
            "rebuilt http_log from {} Avro file(s): {} rows, {} rejected lines recorded",
            r.files.len(),
            r.rows,
            r.rejected
        )?;
        return Ok(exit::OK);
    }
    let places: Vec<Place> = args
        .paths
        .iter()
        .map(|p| Place {
            path: p.clone(),
            pattern: Some(args.pattern.clone()),
        })
        .collect();
    let mut store = Store::open(&db)?;
    let opts = IngestOptions {
        codec: AvroCodec::from(args.codec),
        max_line_bytes: args.max_line_bytes,
        preview: SHOWN_REJECTS,
    };
    let report = store
        .ingest_places(&places, &opts, &Bar::new())
        .with_context(|| format!("ingesting into {}", db.display()))?;
    for f in &report.files {
        match f {
            FileOutcome::Taken {
                path,
                from_line,
                to_line,
                rows,
                rejected,
                grown,
                ..
            } => outln!(
                "{}: lines {from_line}–{to_line}{}: {rows} rows, {rejected} rejected",
                shown(path),
                if *grown {
                    " (it grew since the last ingest)"
                } else {
                    ""
                }
            )?,
            FileOutcome::Skipped { path, why } => outln!("{}: skipped, {why}", shown(path))?,
        }
    }
    if !report.preview.is_empty() {
        errln!(
            "{} line(s) rejected; all are in the load_reject table:",
            report.rejected
        );
        for (source, r) in &report.preview {
            let raw: String = r.raw.chars().take(80).collect();
            errln!(
                "  {}:{}: {} (line: {:?})",
                visible(source),
                r.line_no,
                r.reason,
                raw
            );
        }
    }
    match report.batch {
        Some(b) => {
            outln!(
                "batch {b}: {} rows, {} rejected, in {:.2} s",
                report.rows,
                report.rejected,
                report.seconds
            )?;
            for a in &report.archive {
                outln!("archived {}", shown(a))?;
            }
        }
        None => outln!("nothing new to ingest ({:.2} s)", report.seconds)?,
    }
    if let Some(u) = report.sessions {
        outln!(
            "sessions: {} user(s) sessionised again, {} stored session(s) replaced by {}, in {:.2} s",
            u.users,
            u.replaced,
            u.written,
            u.seconds
        )?;
    }
    if let Some(n) = report.sessions_built {
        outln!("sessions: the table was not current, built from scratch: {n} sessions")?;
    }
    Ok(if report.rejected == 0 {
        exit::OK
    } else {
        exit::DATA_PROBLEMS
    })
}

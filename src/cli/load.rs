//! `perx load` and `perx convert-log`: run the loaders and print what they did.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use comfy_table::{CellAlignment, Table, presets::UTF8_BORDERS_ONLY};
use serde_json::json;

use perx::avro::{self, AvroCodec};
use perx::core::Reject;
use perx::exit;
use perx::store::load::{DataDir, LoadOptions, LoadReport};
use perx::store::{DbPath, Store};

use super::progress::Bar;
use super::{CodecArg, Global, SummaryFormat};

/// How many rejected lines are shown on stderr (all of them are in `load_reject`).
const SHOWN_REJECTS: usize = 10;

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Directory holding the exports [default: ./data, the shipped sample].
    #[arg(long, value_name = "DIR", env = "PERX_DATA")]
    pub data: Option<PathBuf>,
    /// Where a text log's Avro form is written [default: DB.http_log.avro beside the
    /// database file; in the temporary directory for --db :memory:].
    #[arg(long, value_name = "FILE.avro")]
    pub avro: Option<PathBuf>,
    /// Compression of that Avro file.
    #[arg(long, value_enum, default_value_t)]
    pub codec: CodecArg,
    /// Summary format.
    #[arg(long, value_enum, default_value_t)]
    pub format: SummaryFormat,
    /// Log lines longer than this many bytes are rejected ("line too long") and skipped
    /// without being held in memory.
    #[arg(long, value_name = "BYTES", default_value_t = avro::DEFAULT_MAX_LINE_BYTES, value_parser = line_limit)]
    pub max_line_bytes: usize,
}

/// `--max-line-bytes`: at least a minimal log line, at most 1 GiB.
fn line_limit(s: &str) -> std::result::Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of bytes"))?;
    if (64..=1 << 30).contains(&n) {
        Ok(n)
    } else {
        Err("give a number of bytes from 64 to 1073741824".to_owned())
    }
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The text log (`timestamp method path user_id` per line).
    #[arg(value_name = "LOG")]
    pub log: PathBuf,
    /// The Avro file to write; rejected lines go to FILE.rejects.csv beside it.
    #[arg(long, short, value_name = "FILE.avro")]
    pub out: PathBuf,
    /// Compression codec.
    #[arg(long, value_enum, default_value_t)]
    pub codec: CodecArg,
    /// Lines longer than this many bytes are rejected ("line too long") and skipped
    /// without being held in memory.
    #[arg(long, value_name = "BYTES", default_value_t = avro::DEFAULT_MAX_LINE_BYTES, value_parser = line_limit)]
    pub max_line_bytes: usize,
}

/// The data directory used when none is given: `./data` if present, else the sample that
/// ships with the source tree.
pub fn default_data_dir() -> PathBuf {
    let local = PathBuf::from("data");
    if local.is_dir() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
    }
}

pub fn load(global: &Global, args: &LoadArgs) -> Result<u8> {
    let data_dir = args.data.clone().unwrap_or_else(default_data_dir);
    let data = DataDir::discover(&data_dir)?;
    let db = global.db_path();
    // Open first: a mistyped --db directory is an error, not something to create.
    let mut store = Store::open(&db)?;
    if let Some(dir) = args
        .avro
        .as_deref()
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the Avro directory {}", dir.display()))?;
    }
    // The default Avro copy (kept beside a database file, removed after a `:memory:` load),
    // or the one asked for with --avro, which is always kept.
    let mut opts = LoadOptions::for_db(&db);
    if let Some(a) = &args.avro {
        opts.avro_out = a.clone();
        opts.keep_avro = true;
    }
    opts.codec = AvroCodec::from(args.codec);
    opts.preview = SHOWN_REJECTS;
    opts.max_line_bytes = args.max_line_bytes;
    let report = store
        .load(&data, &opts, &Bar::new())
        .with_context(|| format!("loading {} into {}", data_dir.display(), db.display()))?;

    show_rejects(&report, &data);
    // The summary names files and columns from the data: shown through `Visible`.
    let mut out = perx::term::Visible::new(std::io::stdout().lock());
    let printed = match args.format {
        SummaryFormat::Table => print_summary(&mut out, &report, &data, &db),
        SummaryFormat::Json => writeln!(out, "{}", summary_json(&report, &db)),
    };
    // The load itself is done and committed: a reader that stopped early (`| head`) must not
    // hide its outcome, so a broken pipe still gives the load's exit status.
    match printed {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if report.is_clean() {
        exit::OK
    } else {
        exit::DATA_PROBLEMS
    })
}

fn show_rejects(report: &LoadReport, data: &DataDir) {
    let total = report.rejected();
    if total == 0 {
        return;
    }
    let shown = report.preview.len() as u64;
    errln!(
        "{total} line(s) rejected{}; all are in the load_reject table:",
        if shown < total {
            format!(", first {shown} shown")
        } else {
            String::new()
        }
    );
    for (source, r) in &report.preview {
        errln!("  {}", reject_line(&data.dir, source, r));
    }
}

fn reject_line(dir: &Path, source: &str, r: &Reject) -> String {
    let raw: String = r.raw.chars().take(80).collect();
    let more = if raw.len() < r.raw.len() { "…" } else { "" };
    let place = if source.ends_with(".avro") {
        // Rejected when the text log was converted: the number is a line of that text.
        format!("{}: text line {}", dir.join(source).display(), r.line_no)
    } else {
        format!("{}:{}", dir.join(source).display(), r.line_no)
    };
    format!("{place}: {} (line: {raw:?}{more})", r.reason)
}

fn print_summary(
    out: &mut impl Write,
    report: &LoadReport,
    data: &DataDir,
    db: &DbPath,
) -> std::io::Result<()> {
    let mut t = Table::new();
    t.load_style(UTF8_BORDERS_ONLY);
    t.set_header(vec!["source", "table", "rows", "rejected", "seconds"]);
    for s in &report.sources {
        t.add_row(vec![
            s.source.clone(),
            s.table.to_owned(),
            s.rows.to_string(),
            s.rejected.to_string(),
            format!("{:.2}", s.seconds),
        ]);
    }
    for i in 2..5 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    writeln!(
        out,
        "Loaded {} into {} in {:.2} s",
        data.dir.display(),
        db.display(),
        report.seconds
    )?;
    writeln!(out, "{t}")?;
    for s in &report.sources {
        if !s.unknown_columns.is_empty() {
            writeln!(
                out,
                "note: {} has column(s) perx does not use, ignored: {}",
                s.source,
                s.unknown_columns.join(", ")
            )?;
        }
    }
    if let Some(a) = &report.avro {
        writeln!(out, "HTTP log loaded from Avro file {}", a.display())?;
    }
    let missing: Vec<_> = perx::core::records::CsvSource::ALL
        .iter()
        .filter(|s| !data.csvs.iter().any(|(c, _)| c == *s))
        .map(|s| s.file_name())
        .chain(data.log.is_none().then_some("http_log.txt"))
        .collect();
    if !missing.is_empty() {
        writeln!(
            out,
            "not in {} (tables left as they were): {}",
            data.dir.display(),
            missing.join(", ")
        )?;
    }
    if report.warnings.is_empty() {
        writeln!(
            out,
            "Integrity: every foreign key resolves, no duplicate ids."
        )?;
    } else {
        writeln!(
            out,
            "Integrity: {} warning(s) (rows kept; see the load_warning table):",
            report.warnings.len()
        )?;
        for w in report.warnings.iter().take(SHOWN_REJECTS) {
            writeln!(
                out,
                "  {}:{}: {}",
                data.dir.join(&w.source).display(),
                w.line_no,
                w.problem
            )?;
        }
    }
    Ok(())
}

fn summary_json(report: &LoadReport, db: &DbPath) -> serde_json::Value {
    json!({
        "database": db.display(),
        "seconds": report.seconds,
        "avro": report.avro.as_ref().map(|p| p.display().to_string()),
        "sources": report.sources.iter().map(|s| json!({
            "source": s.source,
            "table": s.table,
            "path": s.path.display().to_string(),
            "rows": s.rows,
            "rejected": s.rejected,
            "sha256": s.sha256,
            "seconds": s.seconds,
            "unknown_columns": s.unknown_columns,
        })).collect::<Vec<_>>(),
        "rejected": report.rejected(),
        "warnings": report.warnings.iter().map(|w| json!({
            "source": w.source, "line_no": w.line_no, "problem": w.problem,
        })).collect::<Vec<_>>(),
    })
}

pub fn convert_log(args: &ConvertArgs) -> Result<u8> {
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating output directory {}", dir.display()))?;
    }
    let mut shown = 0usize;
    let dir = args.log.parent().unwrap_or(Path::new(""));
    let source = args
        .log
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stats, _sha) = avro::convert_file(
        &args.log,
        &args.out,
        avro::ConvertOptions {
            codec: AvroCodec::from(args.codec),
            max_line_bytes: args.max_line_bytes,
            ..avro::ConvertOptions::default()
        },
        &mut |r| {
            if shown < SHOWN_REJECTS {
                errln!("  {}", reject_line(dir, &source, r));
                shown += 1;
            }
        },
        &Bar::new(),
    )?;
    errln!(
        "{}: {} lines → {} records in {}; {} rejected (listed in {})",
        args.log.display(),
        stats.lines,
        stats.records,
        args.out.display(),
        stats.rejected,
        avro::sidecar_path(&args.out).display()
    );
    Ok(if stats.rejected == 0 {
        exit::OK
    } else {
        exit::DATA_PROBLEMS
    })
}

//! `perx query`: run SQL on the embedded database, headless (the Query tab's engine).

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use perx::core::sql::statements;
use perx::exit;
use perx::report::RowSink;
use perx::report::output::{CsvSink, JsonSink, TableSink};
use perx::store::provenance::Provenance;
use perx::store::query::QueryError;

use super::Global;
use super::output::Destination;
use super::report::{Format, OutputArgs, choose_format};

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The SQL: one statement, or several separated by `;` (run in order; the rows of the
    /// last one are written).
    #[arg(
        value_name = "SQL",
        required_unless_present_any = ["file", "open"],
        conflicts_with = "file"
    )]
    pub sql: Option<String>,
    /// Read the SQL from FILE (`-` for standard input).
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Open a data file as a view first, named after it (`--open sales.parquet`: the view
    /// `sales`): .csv/.tsv, .parquet, .json/.jsonl (.gz/.zst too) or .avro. Repeatable.
    /// Without SQL, prints the (last) file's rows.
    #[arg(long, value_name = "DATA_FILE")]
    pub open: Vec<PathBuf>,
    /// Allow statements that change the tables perx loaded or keeps (campaign, reward_*,
    /// campaign_reward_mapping, http_log*, ml_*, load_*, ui_*). Without it they are
    /// refused (exit 4); queries, DESCRIBE, SUMMARIZE, EXPLAIN and tables of your own
    /// never need it.
    #[arg(long)]
    pub write: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Runs `perx query`.
pub fn query(global: &Global, args: &QueryArgs) -> Result<u8> {
    let sql = match (&args.sql, &args.file) {
        (Some(s), _) => s.clone(),
        (None, Some(p)) if p.as_os_str() == "-" => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading the SQL from standard input")?;
            s
        }
        (None, Some(p)) => std::fs::read_to_string(p)
            .with_context(|| format!("reading the SQL from {}", p.display()))?,
        (None, None) if !args.open.is_empty() => String::new(),
        (None, None) => anyhow::bail!("give the SQL to run, or -f FILE"),
    };
    let store = global.open_store()?;
    // The files opened as views of this session; their Avro conversions live this long.
    let scratch = perx::store::query::files::scratch_dir()
        .context("creating a folder for the opened files")?;
    let mut last_view = None;
    for path in &args.open {
        let view = store
            .open_file(path, scratch.path())
            .context("opening a data file as a view")?;
        errln!("opened {} as the view {}", path.display(), view.name);
        last_view = Some(view);
    }
    let sql = match (sql.trim().is_empty(), last_view) {
        (true, Some(v)) => v.select,
        _ => sql,
    };
    let parts = statements(&sql);
    let Some((&last, earlier)) = parts.split_last() else {
        anyhow::bail!("the SQL holds no statement (only blanks or comments)");
    };
    let refused = |e: &QueryError| matches!(e, QueryError::Refused(_));
    // Statements before the last run for their effect; what they return is counted.
    for (i, &(a, b)) in earlier.iter().enumerate() {
        let mut discard = Discard;
        match store.run_statement(&at_its_line(&sql, a, b), args.write, &mut discard) {
            Ok(s) => errln!(
                "statement {}: {}, {} row(s), {:.3} s",
                i + 1,
                s.kind.name(),
                s.rows,
                s.seconds
            ),
            Err(e) if refused(&e) => {
                errln!("error: statement {}: {e}", i + 1);
                return Ok(exit::REFUSED);
            }
            Err(e) => return Err(e).with_context(|| format!("statement {} failed", i + 1)),
        }
    }
    let (a, b) = last;
    let text = &sql[a..b];
    let padded = at_its_line(&sql, a, b);
    let format = choose_format(&args.out);
    super::report::refuse_binary_on_terminal(format, &args.out)?;
    let mut dest = Destination::open(args.out.out.as_deref())?;
    let result = {
        let writer = dest.writer(format == Format::Table);
        let mut sink: Box<dyn RowSink + '_> = match format {
            Format::Table => Box::new(TableSink::new(writer)),
            Format::Csv => Box::new(CsvSink::new(writer)),
            Format::Json => Box::new(JsonSink::new(writer)),
            Format::Parquet => Box::new(perx::store::parquet::ParquetSink::new(writer)),
        };
        store.run_statement(&padded, args.write, &mut sink)
    };
    let summary = match result {
        Ok(s) => s,
        Err(e) if refused(&e) => {
            errln!("error: {e}");
            return Ok(exit::REFUSED);
        }
        Err(e) => {
            let what = if parts.len() > 1 {
                format!("statement {} failed", parts.len())
            } else {
                "the statement failed".to_owned()
            };
            return Err(dest.context(anyhow::Error::new(e).context(what)));
        }
    };
    if let (true, Some(path)) = (args.out.provenance, dest.path()) {
        store.write_provenance(path, &Provenance::query(text), summary.rows)?;
    }
    if let Some(path) = dest.commit()? {
        errln!("wrote {} row(s) to {}", summary.rows, path.display());
    }
    Ok(exit::OK)
}

/// Statement `a..b` of `sql` preceded by as many newlines as lines before it, so the
/// `LINE n` of DuckDB's errors is the line of the whole text.
fn at_its_line(sql: &str, a: usize, b: usize) -> String {
    let mut s = "\n".repeat(sql[..a].matches('\n').count());
    s.push_str(&sql[a..b]);
    s
}

/// Keeps nothing (the rows of statements before the last).
struct Discard;

impl RowSink for Discard {
    fn begin(&mut self, _: &[&str]) -> std::io::Result<()> {
        Ok(())
    }
    fn row(&mut self, _: &[perx::report::Cell]) -> std::io::Result<()> {
        Ok(())
    }
    fn end(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

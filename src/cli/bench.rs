//! `perx bench`: speed and peak memory of the heavy paths on a generated log.
//!
//! `bench load` times conversion and load; `bench sessions` times the whole text → Avro →
//! DuckDB → sessions CSV path and compares the sessions step with a plain hand-written
//! DuckDB query. Each stage runs as a child `perx` process so its peak RSS is its own; the
//! child writes its peak (VmHWM) to the file named by `PERX_PEAK_RSS_FILE` on exit.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use perx::report::SessionsQuery;
use perx::report::output::CsvSink;
use perx::sample::{self, SampleOptions};
use perx::store::{DbPath, Store};

const RSS_ENV: &str = "PERX_PEAK_RSS_FILE";

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Convert a generated text log to Avro, then load the Avro file: lines/s, peak RSS.
    Load(BenchArgs),
    /// Load a generated log and write its sessions report to CSV, against a plain query.
    Sessions(BenchArgs),
    /// Train the recommender and time top-10 for every user and for one user; peak RSS.
    Recommend(RecommendBenchArgs),
    /// Daily ingest: generate --days days of --lines lines each and day N+1 gzipped,
    /// ingest the days one by one, then day N+1 into that database and into an empty one:
    /// the cost of a day against the history, peak RSS, the batch's archive size; the
    /// sessions table's update against sessionising the day alone; the Sessions tab's first
    /// view on the whole history.
    Ingest(IngestBenchArgs),
    /// Time the reward model on an already-loaded database (--db; load a 10 M-line log
    /// from `perx gen-sample --log-users` for the goals): reading the log, fitting with
    /// tuning and with the defaults, one user's answer, every user's; peak RSS.
    Rewards(RewardsBenchArgs),
    /// Time the terminal UI on an already-loaded database (--db): the first frame, and
    /// key → next frame for tab switches, calendar moves and a recommendation.
    Ui,
    /// Time the Query tab on an already-loaded database (--db; load a 10 M-line log for
    /// the goals): typing, the first page of `select * from http_log`, scrolling to the
    /// last row, sorting and counting a column; peak RSS of the process.
    Query,
}

#[derive(Debug, Args)]
pub struct RecommendBenchArgs {
    /// A MovieLens directory or ratings file (1M or 100K) [default: the generated sample
    /// in data/movielens].
    #[arg(long, value_name = "DIR", default_value = "data/movielens")]
    pub dir: PathBuf,
    /// Singular vectors kept.
    #[arg(long, value_name = "K", default_value_t = perx::core::recommend::Params::default().factors)]
    pub factors: usize,
    /// Timed repetitions of each step (the best is shown).
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
}

#[derive(Debug, Args)]
pub struct IngestBenchArgs {
    /// Days of history ingested before the measured day.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Lines per day.
    #[arg(long, default_value_t = 1_000_000)]
    pub lines: u64,
    /// Working directory [default: a fresh temporary directory, removed afterwards].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RewardsBenchArgs {
    /// Timed repetitions of each fit (the best is shown).
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
    /// Users whose single answer is timed (spread over the log's users).
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Lines of the generated log.
    #[arg(long, default_value_t = 10_000_000)]
    pub lines: u64,
    /// What the log looks like (`bench load`): the generated platform log, every line
    /// bad, or one giant line without a newline (hostile inputs; memory must stay flat).
    #[arg(long, value_enum, default_value_t = Shape::Clean)]
    pub shape: Shape,
    /// Size of the giant line of `--shape giant-line`, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 500_000_000)]
    pub giant_bytes: u64,
    /// Working directory for the generated files [default: a fresh temporary directory,
    /// removed afterwards].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The log `bench load` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// The generated platform log (a few deliberately bad lines).
    Clean,
    /// `--lines` lines, every one rejected.
    BadLines,
    /// One line of `--giant-bytes` bytes and no newline.
    GiantLine,
}

/// Writes the log of `args.shape` into `text_dir` (the whole generated data set for
/// [`Shape::Clean`], only `http_log.txt` for the hostile shapes).
fn generate_shape(args: &BenchArgs, text_dir: &Path) -> Result<()> {
    if args.shape == Shape::Clean {
        return generate(args.lines, text_dir);
    }
    std::fs::create_dir_all(text_dir)?;
    let path = text_dir.join("http_log.txt");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    match args.shape {
        Shape::Clean => {}
        Shape::BadLines => {
            errln!("writing {} bad lines to {} …", args.lines, path.display());
            for i in 0..args.lines {
                writeln!(out, "2019-08-27 07:05 GET /campaigns/{i} not-a-user")?;
            }
        }
        Shape::GiantLine => {
            errln!(
                "writing one {}-byte line to {} …",
                args.giant_bytes,
                path.display()
            );
            let block = vec![b'7'; 1 << 20];
            out.write_all(b"2019-08-27T00:07:05Z GET /campaigns/")?;
            let mut left = args.giant_bytes;
            while left > 0 {
                let n = left.min(block.len() as u64) as usize;
                out.write_all(&block[..n])?;
                left -= n as u64;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Writes this process's peak RSS to `$PERX_PEAK_RSS_FILE`, when set (used by `bench`).
pub fn report_peak_rss() {
    if let (Some(path), Some(kb)) = (std::env::var_os(RSS_ENV), peak_rss_kb()) {
        // Best effort: a bench child that cannot write just shows no figure.
        let _ = std::fs::write(path, kb.to_string());
    }
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Stage {
    seconds: f64,
    peak_rss_mb: Option<f64>,
    stdout: String,
}

fn run_stage(dir: &Path, name: &str, args: &[&str]) -> Result<Stage> {
    let exe = std::env::current_exe().context("finding the perx executable")?;
    let rss_file = dir.join(format!("{name}.rss"));
    let started = Instant::now();
    let out = Command::new(&exe)
        .args(args)
        .env(RSS_ENV, &rss_file)
        .output()
        .with_context(|| format!("running {name}"))?;
    let seconds = started.elapsed().as_secs_f64();
    // 3 = finished with rejected lines, which the generated log has on purpose.
    if !matches!(out.status.code(), Some(0) | Some(3)) {
        bail!(
            "{name} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let peak_rss_mb = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0);
    Ok(Stage {
        seconds,
        peak_rss_mb,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}

/// The seconds of the sessions update `perx ingest` printed ("sessions: … in X s").
fn session_update_seconds(stdout: &str) -> Option<f64> {
    let line = stdout.lines().find(|l| l.starts_with("sessions: "))?;
    let rest = line.rsplit_once(" in ")?.1;
    rest.strip_suffix(" s")?.trim().parse().ok()
}

fn rss(s: &Stage) -> String {
    s.peak_rss_mb
        .map_or("n/a".to_owned(), |mb| format!("{mb:.0} MB"))
}

pub fn bench(global: &super::Global, cmd: &BenchCommand) -> Result<u8> {
    let args = match cmd {
        BenchCommand::Load(a) | BenchCommand::Sessions(a) => a,
        BenchCommand::Recommend(a) => return bench_recommend(a),
        BenchCommand::Rewards(a) => return bench_rewards(global, a),
        BenchCommand::Ingest(a) => return bench_ingest(a),
        BenchCommand::Ui => return bench_ui(global),
        BenchCommand::Query => return bench_query(global),
    };
    let tmp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::Builder::new()
                .prefix("perx-bench")
                .tempdir()
                .context("creating a temporary directory")?;
            tmp.path().to_owned()
        }
    };
    match cmd {
        BenchCommand::Load(_) => bench_load(args, &dir),
        BenchCommand::Sessions(_) => bench_sessions(args, &dir),
        BenchCommand::Recommend(a) => bench_recommend(a),
        BenchCommand::Rewards(a) => bench_rewards(global, a),
        BenchCommand::Ingest(a) => bench_ingest(a),
        BenchCommand::Ui => bench_ui(global),
        BenchCommand::Query => bench_query(global),
    }
}

fn generate(lines: u64, text_dir: &Path) -> Result<()> {
    errln!("generating a {lines}-line log in {} …", text_dir.display());
    let t = Instant::now();
    sample::generate(
        &SampleOptions {
            seed: 1,
            log_lines: lines,
            log_users: None,
            shape: sample::LogShape::default(),
        },
        text_dir,
    )?;
    errln!("  generated in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

fn bench_sessions(args: &BenchArgs, dir: &Path) -> Result<u8> {
    let text_dir = dir.join("text");
    generate(args.lines, &text_dir)?;
    let db = dir.join("sessions.duckdb");
    let _ = std::fs::remove_file(&db);
    let db_s = db.to_string_lossy().into_owned();
    let load = run_stage(
        dir,
        "load",
        &[
            "--db",
            &db_s,
            "load",
            "--format",
            "json",
            "--data",
            &text_dir.to_string_lossy(),
        ],
    )?;
    let out = dir.join("sessions.csv");
    let report = run_stage(
        dir,
        "report",
        &[
            "--db",
            &db_s,
            "report",
            "sessions",
            "-o",
            &out.to_string_lossy(),
        ],
    )?;
    // The same step in-process, then the plain query, on the same database.
    let store = Store::open(&DbPath::File(db.clone()))?;
    let t = Instant::now();
    let file = std::io::BufWriter::new(std::fs::File::create(dir.join("sessions2.csv"))?);
    let sessions = store.sessions(&SessionsQuery::default(), &mut CsvSink::new(file))?;
    let ours = t.elapsed().as_secs_f64();
    let t = Instant::now();
    store.plain_sessions_baseline(&dir.join("plain.csv"))?;
    let plain = t.elapsed().as_secs_f64();
    outln!(
        "perx bench sessions: {} log lines → {sessions} sessions",
        args.lines
    )?;
    outln!(
        "load (text → Avro → DuckDB)   {:7.2} s  peak RSS {}",
        load.seconds,
        rss(&load)
    )?;
    outln!(
        "report sessions -o csv        {:7.2} s  peak RSS {}",
        report.seconds,
        rss(&report)
    )?;
    outln!(
        "end to end                    {:7.2} s",
        load.seconds + report.seconds
    )?;
    outln!(
        "sessions step in-process      {ours:7.2} s  vs plain DuckDB query {plain:.2} s  (ratio {:.2})",
        ours / plain
    )?;
    Ok(perx::exit::OK)
}

fn bench_load(args: &BenchArgs, dir: &Path) -> Result<u8> {
    let dir = dir.to_owned();
    let text_dir = dir.join("text");
    let avro_dir = dir.join("avro");
    std::fs::create_dir_all(&avro_dir)?;
    generate_shape(args, &text_dir)?;
    let log = text_dir.join("http_log.txt");
    let avro = avro_dir.join("http_log.avro");
    let bytes = std::fs::metadata(&log)?.len();
    let db = dir.join("bench.duckdb");
    let _ = std::fs::remove_file(&db);

    let conv = run_stage(
        &dir,
        "convert-log",
        &[
            "convert-log",
            &log.to_string_lossy(),
            "-o",
            &avro.to_string_lossy(),
        ],
    )?;
    let load = run_stage(
        &dir,
        "load",
        &[
            "--db",
            &db.to_string_lossy(),
            "load",
            "--data",
            &avro_dir.to_string_lossy(),
            "--format",
            "json",
        ],
    )?;
    // What users run: text → Avro → DuckDB in one command.
    let db_text = dir.join("bench-text.duckdb");
    let _ = std::fs::remove_file(&db_text);
    let load_text = run_stage(
        &dir,
        "load-text",
        &[
            "--db",
            &db_text.to_string_lossy(),
            "load",
            "--data",
            &text_dir.to_string_lossy(),
            "--format",
            "json",
        ],
    )?;
    let avro_bytes = std::fs::metadata(&avro)?.len();
    let n = match args.shape {
        Shape::GiantLine => 1.0,
        _ => args.lines as f64,
    };
    outln!(
        "perx bench load ({:?}): {} log lines, {:.0} MB of text",
        args.shape,
        n,
        bytes as f64 / 1e6
    )?;
    outln!(
        "load (text)  {:7.2} s  {:>6.2} M lines/s  {:>6.0} MB/s  peak RSS {}  (goal < 300 MB)",
        load_text.seconds,
        n / load_text.seconds / 1e6,
        bytes as f64 / load_text.seconds / 1e6,
        rss(&load_text)
    )?;
    outln!(
        "convert-log  {:7.2} s  {:>6.2} M lines/s  {:>6.0} MB/s  peak RSS {}  (Avro {:.0} MB)",
        conv.seconds,
        n / conv.seconds / 1e6,
        bytes as f64 / conv.seconds / 1e6,
        rss(&conv),
        avro_bytes as f64 / 1e6
    )?;
    outln!(
        "load (Avro)  {:7.2} s  {:>6.2} M rows/s                peak RSS {}",
        load.seconds,
        n / load.seconds / 1e6,
        rss(&load)
    )?;
    Ok(perx::exit::OK)
}

/// The best of `repeat` timings of `f`, and its last result.
fn best_of<T>(repeat: u32, mut f: impl FnMut() -> Result<T>) -> Result<(f64, T)> {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let v = f()?;
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(v);
    }
    last.map(|v| (best, v)).context("nothing was timed")
}

fn bench_recommend(args: &RecommendBenchArgs) -> Result<u8> {
    use perx::core::eval::Interaction;
    use perx::core::movielens::{parse_ml1m_rating, parse_ml100k_rating};
    use perx::core::recommend::{Model, Params, Recommender};
    use perx::store::movielens::{MlFiles, MlFormat};

    let files = MlFiles::discover(&args.dir)?;
    let t = Instant::now();
    let text = std::fs::read(&files.ratings)
        .with_context(|| format!("reading {}", files.ratings.display()))?;
    let parse = match files.format {
        MlFormat::OneMillion => parse_ml1m_rating,
        MlFormat::HundredK => parse_ml100k_rating,
    };
    let mut ratings = Vec::new();
    for (no, line) in String::from_utf8_lossy(&text).lines().enumerate() {
        let r = parse(line)
            .map_err(|e| anyhow::anyhow!("{}:{}: {}", files.ratings.display(), no + 1, e.0))?;
        ratings.push(Interaction {
            user: r.user_id,
            movie: r.movie_id,
            rating: f32::from(r.stars),
        });
    }
    drop(text);
    let read = t.elapsed().as_secs_f64();
    let params = Params {
        factors: args.factors,
        ..Params::default()
    };
    let (matrix, _) = best_of(args.repeat, || {
        Ok(perx::core::recommend::InteractionMatrix::new(&ratings))
    })?;
    let (fit, model) = best_of(args.repeat, || Ok(Model::fit(&ratings, params, "bench")?))?;
    let (build, rec) = best_of(args.repeat, || Ok(Recommender::new(model.clone())))?;
    let t = Instant::now();
    rec.prepare();
    let dense = t.elapsed().as_secs_f64();
    drop(model);
    let (all, lists) = best_of(args.repeat, || Ok(rec.recommend_all(10)))?;
    let users: Vec<u32> = lists.iter().map(|(u, _)| *u).collect();
    let mut per_user = Vec::with_capacity(users.len());
    for _ in 0..args.repeat.max(1) {
        for &u in &users {
            let t = Instant::now();
            let r = rec.recommend(u, 10)?;
            per_user.push(t.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(r);
        }
    }
    per_user.sort_by(f64::total_cmp);
    let pct = |p: f64| per_user[((per_user.len() - 1) as f64 * p) as usize];
    let mean = per_user.iter().sum::<f64>() / per_user.len().max(1) as f64;
    let m = rec.model().matrix();
    outln!(
        "perx bench recommend: {} ({} ratings, {} users × {} movies), {} factors, {} threads",
        files.ratings.display(),
        m.nnz(),
        m.n_users(),
        m.n_items(),
        rec.model().factors(),
        rayon::current_num_threads()
    )?;
    outln!("read + parse ratings          {read:8.3} s")?;
    outln!("train: matrix from the pairs  {matrix:8.3} s")?;
    outln!("train: matrix + randomized SVD {fit:7.3} s")?;
    outln!("train: item weights from SVD  {build:8.3} s")?;
    outln!(
        "train total                   {:8.3} s   (goal < 1.5 s on ML-1M)",
        fit + build
    )?;
    outln!(
        "top-10 for all {} users     {all:8.3} s   (goal < 0.2 s)",
        users.len()
    )?;
    outln!("B (item × item) for single queries {dense:8.3} s   (built once, on the first query)")?;
    outln!(
        "top-10 for one user           {mean:8.1} µs mean, {:.1} µs median, {:.1} µs p99   (goal < 100 µs)",
        pct(0.5),
        pct(0.99)
    )?;
    match peak_rss_kb() {
        Some(kb) => outln!(
            "peak RSS                      {:8.0} MB   (goal < 300 MB)",
            kb as f64 / 1024.0
        )?,
        None => outln!("peak RSS                      n/a")?,
    }
    // The whole `perx train` process: start, open the database, read the ratings, fit,
    // save the model.
    let tmp = tempfile::tempdir().context("making a temporary directory")?;
    let db = tmp.path().join("bench.duckdb");
    let db = db.to_string_lossy();
    let dir = files.ratings.parent().unwrap_or(Path::new("."));
    run_stage(
        tmp.path(),
        "load",
        &[
            "--db",
            &db,
            "movielens",
            "load",
            "--dir",
            &dir.to_string_lossy(),
        ],
    )?;
    let factors = args.factors.to_string();
    let mut whole = f64::MAX;
    for _ in 0..args.repeat.max(1) {
        let s = run_stage(
            tmp.path(),
            "train",
            &["--db", &db, "train", "--factors", &factors],
        )?;
        whole = whole.min(s.seconds);
    }
    outln!("`perx train`, whole process   {whole:8.3} s   (goal about 0.6 s on ML-1M)")?;
    Ok(perx::exit::OK)
}

/// Writes `lines` (a generated day) shifted by `days` days to `out`, gzipped when `gz`.
fn shifted_day(lines: &[u8], days: i64, out: &Path, gz: bool) -> Result<()> {
    let file = std::io::BufWriter::new(std::fs::File::create(out)?);
    let mut w: Box<dyn std::io::Write> = if gz {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ))
    } else {
        Box::new(file)
    };
    for line in lines.split_inclusive(|b| *b == b'\n') {
        let shifted = std::str::from_utf8(line.get(..25).unwrap_or_default())
            .ok()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t + chrono::Duration::days(days));
        match shifted {
            Some(t) => {
                write!(w, "{}", t.format("%Y-%m-%dT%H:%M:%S%:z"))?;
                w.write_all(&line[25..])?;
            }
            None => w.write_all(line)?,
        }
    }
    w.flush()?;
    Ok(())
}

fn bench_ingest(args: &IngestBenchArgs) -> Result<u8> {
    let tmp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::Builder::new()
                .prefix("perx-bench-ingest")
                .tempdir()
                .context("creating a temporary directory")?;
            tmp.path().to_owned()
        }
    };
    let text_dir = dir.join("text");
    generate(args.lines, &text_dir)?;
    let day0 = std::fs::read(text_dir.join("http_log.txt"))?;
    let days = dir.join("days");
    std::fs::create_dir_all(&days)?;
    errln!("writing {} days of {} lines …", args.days + 1, args.lines);
    let day_file = |d: u32| {
        if d == args.days {
            days.join(format!("day-{:03}.log.gz", d + 1))
        } else {
            days.join(format!("day-{:03}.log", d + 1))
        }
    };
    for d in 0..=args.days {
        shifted_day(&day0, i64::from(d), &day_file(d), d == args.days)?;
    }
    drop(day0);
    // Two databases with the exports: one gets the history, one only the last day.
    let csv = dir.join("csv");
    std::fs::create_dir_all(&csv)?;
    for name in [
        "campaign.csv",
        "reward_campaign.csv",
        "reward_transaction.csv",
        "campaign_reward_mapping.csv",
    ] {
        std::fs::copy(text_dir.join(name), csv.join(name))?;
    }
    let s = |p: &Path| p.display().to_string();
    let (history, empty) = (dir.join("history.duckdb"), dir.join("empty.duckdb"));
    for db in [&history, &empty] {
        run_stage(
            &dir,
            "exports",
            &["--db", &s(db), "load", "--data", &s(&csv)],
        )?;
    }
    let mut day_seconds = Vec::new();
    for d in 0..args.days {
        errln!("ingesting day {} …", d + 1);
        let st = run_stage(
            &dir,
            "day",
            &["--db", &s(&history), "ingest", &s(&day_file(d))],
        )?;
        day_seconds.push(st.seconds);
    }
    let last = day_file(args.days);
    let into_empty = run_stage(&dir, "empty", &["--db", &s(&empty), "ingest", &s(&last)])?;
    let into_history = run_stage(&dir, "last", &["--db", &s(&history), "ingest", &s(&last)])?;
    let again = run_stage(&dir, "again", &["--db", &s(&history), "ingest", &s(&last)])?;
    let archive: u64 = std::fs::read_dir(dir.join("history.duckdb.ingest"))?
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("batch-{:06}-", args.days + 1))
        })
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    // The sessions: the ingest's own update (its line), against sessionising day 31 alone
    // from scratch (the table of the database that holds only that day, built again).
    let update_s = session_update_seconds(&into_history.stdout)
        .context("the ingest into the history printed no sessions update")?;
    let (alone_s, alone_n) = {
        let store = Store::open(&DbPath::File(empty.clone()))?;
        let t = Instant::now();
        let n = store.build_sessions_table(&perx::progress::NoProgress)?;
        (t.elapsed().as_secs_f64(), n)
    };
    // The Sessions tab's first view on the whole history: the count and the first page, as
    // the tab reads them (no build: the table is current), on a store just opened.
    let (first_view_s, warm_s, total) = {
        use perx::store::session_browse::{PageKey, SessionFilter, SessionSort};
        let store = Store::open(&DbPath::File(history.clone()))?;
        if !store.sessions_fresh()? {
            bail!("the sessions table of the history is not current after the ingests (a bug)");
        }
        let f = SessionFilter::default();
        let view = || -> Result<u64> {
            let total = store.session_count(&f)?;
            let page = store.session_page(&f, SessionSort::Report, &PageKey::First, false, 200)?;
            if page.is_empty() && total > 0 {
                bail!("the first page is empty (a bug)");
            }
            Ok(total)
        };
        let t = Instant::now();
        let total = view()?;
        let first = t.elapsed().as_secs_f64();
        let (warm, _) = best_of(5, view)?;
        (first, warm, total)
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "perx bench ingest: {} days × {} lines, then day {} gzipped",
        args.days,
        args.lines,
        args.days + 1
    )?;
    let mean = day_seconds.iter().sum::<f64>() / day_seconds.len().max(1) as f64;
    writeln!(
        out,
        "days 1–{} one by one             mean {mean:6.2} s, first {:.2} s, last {:.2} s",
        args.days,
        day_seconds.first().copied().unwrap_or(0.0),
        day_seconds.last().copied().unwrap_or(0.0)
    )?;
    writeln!(
        out,
        "day {} into an empty database    {:6.2} s, peak RSS {}",
        args.days + 1,
        into_empty.seconds,
        rss(&into_empty)
    )?;
    writeln!(
        out,
        "day {} into the {}-day database  {:6.2} s, peak RSS {}  ({:.2}× the empty one; goal ≤ 1.2×, < 300 MB)",
        args.days + 1,
        args.days,
        into_history.seconds,
        rss(&into_history),
        into_history.seconds / into_empty.seconds.max(1e-9)
    )?;
    writeln!(
        out,
        "the same day again (nothing new) {:6.2} s",
        again.seconds
    )?;
    writeln!(
        out,
        "day {}'s archive (what a sync would send) {:.1} MB",
        args.days + 1,
        archive as f64 / 1e6
    )?;
    writeln!(
        out,
        "sessions: day {} updated in the history {:6.2} s; day {} sessionised alone {:.2} s ({alone_n} sessions)  ({:.2}×; goal ≤ 1.5×)",
        args.days + 1,
        update_s,
        args.days + 1,
        alone_s,
        update_s / alone_s.max(1e-9)
    )?;
    writeln!(
        out,
        "Sessions tab's first view on {} sessions: {:.0} ms just opened, {:.0} ms warm (count and first page; goal < 300 ms, no build)",
        total,
        first_view_s * 1e3,
        warm_s * 1e3
    )?;
    Ok(perx::exit::OK)
}

fn bench_rewards(global: &super::Global, args: &RewardsBenchArgs) -> Result<u8> {
    use perx::core::rewards::by_user;
    use perx::core::rewards::tune::fit_rewards;

    let store = global.open_store()?;
    let t = Instant::now();
    let log = store.reward_events()?;
    let mapping = store.mapping_list()?;
    let read = t.elapsed().as_secs_f64();
    if log.events.is_empty() {
        bail!("the database holds no HTTP log: load one with `perx load --data DIR`");
    }
    let t = Instant::now();
    let grouped = by_user(&log.events);
    let group = t.elapsed().as_secs_f64();
    let (tuned_s, tuned) = best_of(args.repeat, || Ok(fit_rewards(&grouped, &mapping, true)?))?;
    let (defaults_s, _) = best_of(args.repeat, || Ok(fit_rewards(&grouped, &mapping, false)?))?;
    // One user's answer from an in-memory history, and through DuckDB as the CLI does.
    let users = log.users.len();
    let step = (users / args.users.max(1)).max(1);
    let picked: Vec<usize> = (0..users).step_by(step).take(args.users).collect();
    let mut times: Vec<f64> = Vec::with_capacity(picked.len());
    for &u in &picked {
        let h = grouped.history(u as u32);
        let t = Instant::now();
        std::hint::black_box(tuned.recommend(&h, 10));
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
    let mut with_read: Vec<f64> = Vec::new();
    for &u in picked.iter().take(100) {
        let t = Instant::now();
        let h = store.reward_history(&log.users[u])?.unwrap_or_default();
        std::hint::black_box(tuned.recommend(&h, 10));
        with_read.push(t.elapsed().as_secs_f64() * 1e3);
    }
    with_read.sort_by(f64::total_cmp);
    let t = Instant::now();
    for u in 0..users {
        std::hint::black_box(tuned.recommend(&grouped.history(u as u32), 10));
    }
    let all = t.elapsed().as_secs_f64();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "perx bench rewards on {}: {} events, {users} users, {} rewards in the catalog",
        global.db_path().display(),
        log.events.len(),
        tuned.rewards().len()
    )?;
    writeln!(out, "read the log from DuckDB           {read:8.2} s")?;
    writeln!(out, "group by user                      {group:8.2} s")?;
    writeln!(
        out,
        "fit with tuning ({} trials)        {tuned_s:8.2} s   (goals: < 1 s real log, < 10 s 1 M lines, < 30 s 10 M lines)",
        tuned.tuning().trials
    )?;
    writeln!(out, "fit with the defaults              {defaults_s:8.2} s")?;
    writeln!(
        out,
        "one user, history in memory        {mean:8.1} µs mean, {p99:.1} µs p99 ({} users; goal < 1 ms)",
        times.len()
    )?;
    writeln!(
        out,
        "one user, history read from DuckDB {:8.2} ms median ({} users)",
        with_read.get(with_read.len() / 2).copied().unwrap_or(0.0),
        with_read.len()
    )?;
    writeln!(
        out,
        "every user (--all's lists)         {all:8.2} s, {:.0} users/s",
        users as f64 / all.max(1e-9)
    )?;
    writeln!(out, "chosen: {}", tuned.params())?;
    writeln!(out, "        {}", tuned.tuning().describe())?;
    if let Some(kb) = peak_rss_kb() {
        writeln!(
            out,
            "peak RSS                           {:8.0} MB",
            kb as f64 / 1024.0
        )?;
    }
    Ok(perx::exit::OK)
}

fn bench_ui(global: &super::Global) -> Result<u8> {
    use perx::ui::{Action, App};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    let db = global.db_path();
    let t = Instant::now();
    let store = super::tui::ui_store(global)?;
    let mut app = App::new(store);
    let mut term = Terminal::new(TestBackend::new(160, 48))?;
    term.draw(|f| app.render(f))?;
    let first = t.elapsed().as_secs_f64() * 1e3;
    // Written with `?` so that a closed pipe (`| head`) ends the run quietly.
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "perx bench ui on {} (160×48, drawing to a test backend)",
        db.display()
    )?;
    writeln!(
        out,
        "first frame (open, first query, draw)   {first:8.1} ms   (goal < 300 ms)"
    )?;
    let keys: &[(&str, KeyCode)] = &[
        ("tab 2 (weekly report, first time)", KeyCode::Char('2')),
        ("↓ in the weekly table", KeyCode::Down),
        ("tab 1 (engagement)", KeyCode::Char('1')),
        ("d, focus the calendar", KeyCode::Char('d')),
        ("→ in the calendar", KeyCode::Right),
        ("w: last 7 days (re-query)", KeyCode::Char('w')),
        ("c, then ↓: next campaign (re-query)", KeyCode::Char('c')),
        ("", KeyCode::Down),
        (
            "tab 3 (sessions; builds its cache unless one is saved)",
            KeyCode::Char('3'),
        ),
        ("↓ in the sessions table", KeyCode::Down),
        ("End: last page of sessions", KeyCode::End),
        ("s: sort by start (re-query)", KeyCode::Char('s')),
        ("d: reward-driven only (re-query)", KeyCode::Char('d')),
        ("Enter: one session's requests", KeyCode::Enter),
        ("Esc", KeyCode::Esc),
        ("Esc: clear the filters (re-query)", KeyCode::Esc),
        ("PgDn", KeyCode::PageDown),
        ("/: open the user filter", KeyCode::Char('/')),
        ("", KeyCode::Char('5')),
        ("", KeyCode::Char('7')),
        ("", KeyCode::Char('0')),
        ("", KeyCode::Char('8')),
        ("", KeyCode::Char('1')),
        (
            "Enter: filter by a typed user id (re-query)",
            KeyCode::Enter,
        ),
        ("tab 5 (data, first time)", KeyCode::Char('5')),
        ("tab 4 (recommend)", KeyCode::Char('4')),
        ("type 1", KeyCode::Char('1')),
        (
            "Enter: recommend (trains or loads the model the first time)",
            KeyCode::Enter,
        ),
        ("type 0", KeyCode::Char('0')),
        ("Enter: recommend for user 10", KeyCode::Enter),
    ];
    for (what, code) in keys {
        let t = Instant::now();
        app.update(Action::Key(KeyEvent::new(*code, KeyModifiers::NONE)));
        term.draw(|f| app.render(f))?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        // Long work runs in the background: the frame above shows its spinner; wait for
        // the result and time that too.
        let job = if app.busy() {
            app.wait_idle(std::time::Duration::from_secs(3600));
            term.draw(|f| app.render(f))?;
            format!(
                "   then {:.1} ms in the background",
                t.elapsed().as_secs_f64() * 1e3
            )
        } else {
            String::new()
        };
        if !what.is_empty() {
            writeln!(out, "key → frame: {what:<58} {ms:8.1} ms{job}")?;
        }
    }
    if let Some(e) = app.error() {
        bail!("the UI showed an error: {e}");
    }
    Ok(perx::exit::OK)
}

/// `perx bench query`: the Query tab's goals, measured in this process on a test backend.
fn bench_query(global: &super::Global) -> Result<u8> {
    use perx::ui::{Action, App};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    let db = global.db_path();
    let store = super::tui::ui_store(global)?;
    let rows: i64 = {
        let mut sink = perx::report::Collected::default();
        store.run_statement("SELECT count(*) FROM http_log", false, &mut sink)?;
        match sink.rows.first().and_then(|r| r.first()) {
            Some(perx::report::Cell::Int(n)) => *n,
            _ => 0,
        }
    };
    let mut app = App::new(store);
    let mut term = Terminal::new(TestBackend::new(160, 48))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "perx bench query on {} ({rows} rows in http_log; 160×48, test backend)",
        db.display()
    )?;
    // One key, then the next frame; long work is waited for and timed separately.
    let press = |term: &mut Terminal<TestBackend>,
                 app: &mut App,
                 code: KeyCode,
                 mods: KeyModifiers|
     -> Result<(f64, f64)> {
        let t = Instant::now();
        app.update(Action::Key(KeyEvent::new(code, mods)));
        term.draw(|f| app.render(f))?;
        let frame = t.elapsed().as_secs_f64() * 1e3;
        if app.busy() {
            app.wait_idle(std::time::Duration::from_secs(3600));
            term.draw(|f| app.render(f))?;
        }
        Ok((frame, t.elapsed().as_secs_f64() * 1e3))
    };
    let none = KeyModifiers::NONE;
    press(&mut term, &mut app, KeyCode::Char('6'), none)?;
    let mut typing = Vec::new();
    for c in "select * from http_log".chars() {
        typing.push(press(&mut term, &mut app, KeyCode::Char(c), none)?.0);
    }
    let worst = typing.iter().cloned().fold(0.0, f64::max);
    let mean = typing.iter().sum::<f64>() / typing.len() as f64;
    writeln!(
        out,
        "key → frame while typing (22 keys)        mean {mean:6.1} ms, worst {worst:6.1} ms   (goal < 50 ms)"
    )?;
    // Ctrl-J: the first rows come while the rest are stored; as the event loop does,
    // draw on every turn until they are on screen.
    let t = Instant::now();
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('j'),
        KeyModifiers::CONTROL,
    )));
    while app.busy() && app.query_tab().preview_rows().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(1));
        app.tick();
    }
    term.draw(|f| app.render(f))?;
    let first_page = t.elapsed().as_secs_f64() * 1e3;
    app.wait_idle(std::time::Duration::from_secs(3600));
    term.draw(|f| app.render(f))?;
    let stored = t.elapsed().as_secs_f64() * 1e3;
    writeln!(
        out,
        "Ctrl-J → first page on screen             {first_page:8.1} ms   (goal < 300 ms)"
    )?;
    writeln!(
        out,
        "Ctrl-J → whole result stored (scrollable) {stored:8.1} ms"
    )?;
    if let Some(e) = app.query_tab().error() {
        bail!("the query failed: {e}");
    }
    let steps: &[(&str, KeyCode)] = &[
        ("↓ in the grid", KeyCode::Down),
        ("End: the last row", KeyCode::End),
        ("PgUp", KeyCode::PageUp),
        ("Home: the first row", KeyCode::Home),
        ("→ (next column)", KeyCode::Right),
    ];
    for (what, code) in steps {
        let (frame, _) = press(&mut term, &mut app, *code, none)?;
        writeln!(
            out,
            "key → frame: {what:<28}  {frame:8.1} ms   (goal < 50 ms)"
        )?;
    }
    // The user id column: sorted, then counted, in the background.
    let user = app
        .query_tab()
        .columns()
        .iter()
        .position(|c| c == "user_id")
        .unwrap_or(0);
    for _ in 0..user.saturating_sub(1) {
        press(&mut term, &mut app, KeyCode::Right, none)?;
    }
    let (frame, sort) = press(&mut term, &mut app, KeyCode::Char('s'), none)?;
    writeln!(
        out,
        "s: sort by user_id                         frame {frame:6.1} ms, sorted in {sort:8.1} ms   (goal < 2 s)"
    )?;
    for (what, code) in [
        ("End in the sorted view", KeyCode::End),
        ("Home in the sorted view", KeyCode::Home),
    ] {
        let (frame, _) = press(&mut term, &mut app, code, none)?;
        writeln!(
            out,
            "key → frame: {what:<28}  {frame:8.1} ms   (goal < 50 ms)"
        )?;
    }
    press(&mut term, &mut app, KeyCode::Char('s'), none)?;
    press(&mut term, &mut app, KeyCode::Char('s'), none)?;
    let (frame, freq) = press(&mut term, &mut app, KeyCode::Char('F'), none)?;
    writeln!(
        out,
        "F: frequency table of user_id              frame {frame:6.1} ms, counted in {freq:8.1} ms   (goal < 2 s)"
    )?;
    press(&mut term, &mut app, KeyCode::Esc, none)?;
    // D: column summaries, of the text column and of the time column (quantiles and a
    // histogram over every row).
    let (frame, summary) = press(&mut term, &mut app, KeyCode::Char('D'), none)?;
    if app.query_tab().summary().is_none() {
        bail!("D showed no summary");
    }
    writeln!(
        out,
        "D: summary of user_id                      frame {frame:6.1} ms, computed in {summary:8.1} ms   (goal < 1 s)"
    )?;
    press(&mut term, &mut app, KeyCode::Esc, none)?;
    let ts = app
        .query_tab()
        .columns()
        .iter()
        .position(|c| c == "ts")
        .unwrap_or(0);
    press(&mut term, &mut app, KeyCode::Home, none)?;
    for _ in 0..ts {
        press(&mut term, &mut app, KeyCode::Right, none)?;
    }
    let (frame, summary) = press(&mut term, &mut app, KeyCode::Char('D'), none)?;
    writeln!(
        out,
        "D: summary of ts (quantiles, histogram)    frame {frame:6.1} ms, computed in {summary:8.1} ms   (goal < 1 s)"
    )?;
    press(&mut term, &mut app, KeyCode::Esc, none)?;
    // D on a column of unique values (line_no, the first): estimated, not ranked.
    for _ in 0..ts {
        press(&mut term, &mut app, KeyCode::Left, none)?;
    }
    let (frame, summary) = press(&mut term, &mut app, KeyCode::Char('D'), none)?;
    writeln!(
        out,
        "D: summary of line_no (all distinct)       frame {frame:6.1} ms, computed in {summary:8.1} ms   (goal < 1 s)"
    )?;
    press(&mut term, &mut app, KeyCode::Esc, none)?;
    // C: the chart the types suggest (a line over ts), then a bar chart and a histogram.
    for (what, code) in [
        ("C: chart (line of the numbers over ts)", KeyCode::Char('C')),
        ("b: bar chart (a text column by a sum)", KeyCode::Char('b')),
        ("h: histogram (30 bins)", KeyCode::Char('h')),
    ] {
        let (frame, took) = press(&mut term, &mut app, code, none)?;
        let Some(chart) = app.query_tab().chart() else {
            bail!("{what}: no chart shown");
        };
        writeln!(
            out,
            "{what:<42} frame {frame:6.1} ms, computed in {took:8.1} ms   (goal < 1 s; {} points)",
            chart.points.len()
        )?;
    }
    press(&mut term, &mut app, KeyCode::Esc, none)?;
    if let Some(e) = app.error().or(app.query_tab().error()) {
        bail!("the UI showed an error: {e}");
    }
    if let Some(kb) = peak_rss_kb() {
        writeln!(
            out,
            "peak RSS of the process                    {:8.1} MB   (goal < 300 MB)",
            kb as f64 / 1024.0
        )?;
    }
    Ok(perx::exit::OK)
}

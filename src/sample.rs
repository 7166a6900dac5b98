//! The sample-data generator behind `perx gen-sample` and the committed `data/` folder.
//!
//! Deterministic per seed (ChaCha8), same formats and statistical shape as the platform's
//! exports: a few campaigns and rewards, a few thousand transactions over several weeks, a
//! many-to-many mapping with duplicate rows, and an HTTP log of user sessions written out
//! of time order with a handful of deliberately bad lines; plus a small MovieLens-format
//! ratings set in `movielens/` for the recommender. The log streams to its writer,
//! so a 10 M-line benchmark log needs no more memory than a small one.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::core::movielens::ML100K_GENRES;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SampleOptions {
    /// Seed of the random generator: the same seed gives byte-identical files.
    pub seed: u64,
    /// Approximate number of log lines (the exact count is `log_lines`; bad lines included).
    pub log_lines: u64,
    /// A fixed population of this many log users with stable tastes (each prefers one
    /// kind of reward, and kinds run across campaigns), returning session after session;
    /// `None`: the default log, whose users come and go at random.
    pub log_users: Option<u64>,
    /// The shape of that population's log (used only with `log_users`).
    pub shape: LogShape,
}

/// What a campaign view says about its user, in a log with stable tastes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ViewShape {
    /// Any campaign, uniformly: views carry no taste.
    #[default]
    Random,
    /// The popular campaigns far more often (a Zipf-like pick): views carry popularity only.
    Popular,
    /// Campaigns that hold rewards of the user's kind: views carry the user's taste.
    Taste,
}

/// The knobs of a log with stable tastes (`perx gen-sample --log-users N`): the shapes a
/// real platform's log may have, to check that the reward model suits more than one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogShape {
    /// Kinds of reward (a reward's kind is its id modulo this); each user prefers one.
    pub kinds: u64,
    /// The share of a user's rewards chosen by their taste (0: no tastes at all).
    pub taste: f64,
    /// What views say.
    pub views: ViewShape,
    /// The share of users who appear only in the log's last fifth (no history before an
    /// evaluation's cut-off).
    pub new_users: f64,
    /// Each reward in exactly this many campaigns (`None`: the sample's random mapping).
    pub campaigns_per_reward: Option<u32>,
    /// The days the log spans.
    pub days: f64,
}

impl Default for LogShape {
    fn default() -> Self {
        LogShape {
            kinds: 12,
            taste: 0.7,
            views: ViewShape::Random,
            new_users: 0.0,
            campaigns_per_reward: None,
            days: 0.5,
        }
    }
}

/// The seed of the committed `data/` sample.
pub const DEFAULT_SEED: u64 = 20190826;
/// The log size of the committed `data/` sample.
pub const DEFAULT_LOG_LINES: u64 = 20_000;

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            seed: DEFAULT_SEED,
            log_lines: DEFAULT_LOG_LINES,
            log_users: None,
            shape: LogShape::default(),
        }
    }
}

/// The deliberately bad lines of the sample log, one per rejection kind. They are written
/// at fixed line numbers, so tests can name them.
pub const BAD_LINES: &[&str] = &[
    "2019-08-26T25:61:00+00:00 GET /campaigns/11 2000012345678",
    "2019-08-26T18:00:00+00:00 GET /health 2000012345678",
    "2019-08-26T18:00:01+00:00 POST /campaigns/11 2000012345678",
    "2019-08-26T18:00:02+00:00 GET /campaigns/11",
    "",
    "2019-08-26T18:00:03+00:00 GET /campaigns/11 user42",
    "2019-08-26T18:00:04+00:00  GET /campaigns/11 2000012345678",
];

/// Line numbers (1-based) at which [`BAD_LINES`] appear in a log of `total` lines.
/// A log too short to hold them all distinctly (`total` ≤ their count) gets none.
pub fn bad_line_numbers(total: u64) -> Vec<u64> {
    let n = BAD_LINES.len() as u64;
    if total <= n {
        return Vec::new();
    }
    (0..n).map(|i| 1 + (i + 1) * total / (n + 1)).collect()
}

/// Numbers of the sample's shape.
const CAMPAIGNS: i64 = 4;
const REWARDS: i64 = 6;
const TRANSACTIONS: usize = 3_000;
const MAPPING_ROWS: usize = 3_000;
/// Campaign ids seen in the log, and reward ids issued there.
const LOG_CAMPAIGN_IDS: std::ops::Range<i64> = 10..60;
const LOG_REWARD_IDS: std::ops::Range<i64> = 50..400;

/// Writes the five files into `dir` (created if missing).
pub fn generate(opts: &SampleOptions, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let create = |name: &str| File::create(dir.join(name)).map(BufWriter::new);
    write_campaigns(&mut create("campaign.csv")?)?;
    write_reward_campaigns(&mut rng, &mut create("reward_campaign.csv")?)?;
    write_transactions(&mut rng, &mut create("reward_transaction.csv")?)?;
    let mut mapping = mapping_pairs(&mut rng);
    if let (Some(_), Some(n)) = (opts.log_users, opts.shape.campaigns_per_reward) {
        mapping = mapping_with_shares(&mut rng, n);
    }
    let mut w = create("campaign_reward_mapping.csv")?;
    writeln!(w, "campaign_id,reward_id")?;
    for (c, r) in &mapping {
        writeln!(w, "{c},{r}")?;
    }
    w.flush()?;
    let mut log = create("http_log.txt")?;
    let tastes = opts
        .log_users
        .map(|n| Tastes::new(n.max(1), &mapping, opts.shape));
    write_log(
        &mut rng,
        opts.log_lines,
        tastes.as_ref(),
        &mapping,
        &mut log,
    )?;
    log.flush()?;
    // A separate stream, so the platform files do not change when this part does.
    let mut ml_rng = ChaCha8Rng::seed_from_u64(opts.seed ^ MOVIELENS_STREAM);
    write_movielens(&mut ml_rng, &dir.join(MOVIELENS_DIR))
}

/// Where the MovieLens-format sample goes, inside the sample directory.
pub const MOVIELENS_DIR: &str = "movielens";
const MOVIELENS_STREAM: u64 = 0x4d4c_3130_3030_3030;
const ML_USERS: u32 = 300;
const ML_MOVIES: u32 = 400;
/// The genre names of the MovieLens files (100K's list without its "unknown").
const ML_GENRES: &[&str] = ML100K_GENRES.split_at(1).1;

/// A small MovieLens-1M-format data set (`ratings.dat`, `movies.dat` in latin-1,
/// `users.dat`) with real structure: users prefer some genres and popular movies, about a
/// fifth of the timestamps are empty (like the shared ML-1M copy). Not MovieLens data.
fn write_movielens(rng: &mut ChaCha8Rng, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let words = [
        "Night",
        "River",
        "Garden",
        "Signal",
        "Harbor",
        "Winter",
        "Echo",
        "Paper",
        "Summit",
        "Lantern",
        "Orbit",
        "Velvet",
        "Thunder",
        "Mirror",
        "Caf\u{e9}",
        "Atlas",
    ];
    let mut movies: Vec<Vec<usize>> = Vec::new();
    let mut w = BufWriter::new(File::create(dir.join("movies.dat"))?);
    for id in 1..=ML_MOVIES {
        let a = words[rng.random_range(0..words.len())];
        let b = words[rng.random_range(0..words.len())];
        let year = rng.random_range(1950..2001);
        let n = rng.random_range(1..=3);
        let mut genres: Vec<usize> = Vec::new();
        while genres.len() < n {
            let g = rng.random_range(0..ML_GENRES.len());
            if !genres.contains(&g) {
                genres.push(g);
            }
        }
        genres.sort_unstable();
        let names: Vec<&str> = genres.iter().map(|g| ML_GENRES[*g]).collect();
        let line = format!("{id}::The {a} {b} ({year})::{}\n", names.join("|"));
        // movies.dat is latin-1: every char here is below U+0100.
        let bytes: Vec<u8> = line
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect();
        w.write_all(&bytes)?;
        movies.push(genres);
    }
    w.flush()?;
    let mut users = BufWriter::new(File::create(dir.join("users.dat"))?);
    let mut ratings = BufWriter::new(File::create(dir.join("ratings.dat"))?);
    let ages = [1, 18, 25, 35, 45, 50, 56];
    for user in 1..=ML_USERS {
        let gender = if rng.random_bool(0.5) { "F" } else { "M" };
        writeln!(
            users,
            "{user}::{gender}::{}::{}::{:05}",
            ages[rng.random_range(0..ages.len())],
            rng.random_range(0..21),
            rng.random_range(0..100_000)
        )?;
        // Taste: two liked genres; popularity: low movie ids are watched more.
        let liked: Vec<usize> = (0..2)
            .map(|_| rng.random_range(0..ML_GENRES.len()))
            .collect();
        let count = rng.random_range(20..80);
        let mut seen = std::collections::BTreeSet::new();
        while seen.len() < count {
            let skew: f64 = rng.random::<f64>().powi(2);
            let m = 1 + (skew * f64::from(ML_MOVIES - 1)) as u32;
            let fits = movies[(m - 1) as usize].iter().any(|g| liked.contains(g));
            if fits || rng.random_bool(0.05) {
                seen.insert(m);
            }
        }
        let base = 978_300_000 + i64::from(user) * 3_600;
        for m in seen {
            let fits = movies[(m - 1) as usize].iter().any(|g| liked.contains(g));
            let mean = if fits { 4.0 } else { 2.6 };
            let stars = (mean + rng.random_range(-1.5..1.5f64))
                .round()
                .clamp(1.0, 5.0) as u8;
            let ts = if rng.random_bool(0.2) {
                String::new()
            } else {
                (base + rng.random_range(0..86_400)).to_string()
            };
            writeln!(ratings, "{user}::{m}::{stars}::{ts}")?;
        }
    }
    users.flush()?;
    ratings.flush()
}

fn ts_csv(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string()
}

fn write_campaigns(w: &mut impl Write) -> io::Result<()> {
    // The real export's header, capitalised `Id` included.
    writeln!(w, "Id,name,status")?;
    for id in 1..=CAMPAIGNS {
        let status = if id == CAMPAIGNS {
            "inactive"
        } else {
            "active"
        };
        writeln!(w, "{id},Sample Campaign {id},{status}")?;
    }
    w.flush()
}

fn write_reward_campaigns(rng: &mut ChaCha8Rng, w: &mut impl Write) -> io::Result<()> {
    writeln!(w, "id,reward_name,updated_at,campaign_id")?;
    let base = Utc.with_ymd_and_hms(2019, 6, 20, 9, 0, 0).single();
    let base = base.unwrap_or_default();
    for id in 1..=REWARDS {
        let t = base + Duration::milliseconds(rng.random_range(0..10 * 86_400_000));
        let campaign = 1 + (id - 1) % (CAMPAIGNS - 1);
        writeln!(w, "{id},Sample Reward {id},{},{campaign}", ts_csv(t))?;
    }
    w.flush()
}

fn write_transactions(rng: &mut ChaCha8Rng, w: &mut impl Write) -> io::Result<()> {
    writeln!(w, "id,status,updated_at,reward_campaign_id")?;
    // Eight weeks from Monday 2019-07-01 SGT; reward 6 takes a week off in the middle, so
    // the weekly report has a zero week between two busy ones.
    let start = Utc
        .with_ymd_and_hms(2019, 6, 30, 16, 0, 0)
        .single()
        .unwrap_or_default();
    let mut rows: Vec<(DateTime<Utc>, &str, i64)> = Vec::with_capacity(TRANSACTIONS);
    while rows.len() < TRANSACTIONS {
        let reward = rng.random_range(1..=REWARDS);
        let day = rng.random_range(0..56);
        if reward == REWARDS && (21..28).contains(&day) {
            continue;
        }
        // Engagement peaks in the SGT evening (UTC 11:00-14:00).
        let hour = if rng.random_bool(0.4) {
            rng.random_range(11..14)
        } else {
            rng.random_range(0..24)
        };
        let ms = rng.random_range(0..3_600_000);
        let t = start + Duration::days(day) + Duration::hours(hour) + Duration::milliseconds(ms);
        let status = *["redeemed", "redeemed", "redeemed", "issued", "expired"]
            .choose(rng)
            .unwrap_or(&"redeemed");
        rows.push((t, status, reward));
    }
    // Exports are not sorted by time; ids follow insertion order.
    rows.shuffle(rng);
    for (i, (t, status, reward)) in rows.iter().enumerate() {
        writeln!(w, "{},{status},{},{reward}", i + 1, ts_csv(*t))?;
    }
    w.flush()
}

fn mapping_pairs(rng: &mut ChaCha8Rng) -> Vec<(i64, i64)> {
    let mut pairs = Vec::with_capacity(MAPPING_ROWS);
    while pairs.len() < MAPPING_ROWS {
        let pair = (
            rng.random_range(LOG_CAMPAIGN_IDS.start..LOG_CAMPAIGN_IDS.end + 150),
            rng.random_range(LOG_REWARD_IDS.start..LOG_REWARD_IDS.end + 600),
        );
        pairs.push(pair);
        // The real export repeats about four rows in ten.
        if rng.random_bool(0.4) {
            pairs.push(pair);
        }
    }
    pairs.truncate(MAPPING_ROWS);
    pairs.shuffle(rng);
    pairs
}

/// A mapping where every reward of the log's range is in exactly `n` distinct campaigns
/// (`--campaigns-per-reward`).
fn mapping_with_shares(rng: &mut ChaCha8Rng, n: u32) -> Vec<(i64, i64)> {
    let campaigns: Vec<i64> = (LOG_CAMPAIGN_IDS.start..LOG_CAMPAIGN_IDS.end + 150).collect();
    let mut pairs = Vec::new();
    for r in LOG_REWARD_IDS.start..LOG_REWARD_IDS.end + 600 {
        for &c in campaigns.choose_multiple(rng, n as usize) {
            pairs.push((c, r));
        }
    }
    pairs.shuffle(rng);
    pairs
}

/// Users with stable tastes (`--log-users`): each prefers one kind of reward, a reward's
/// kind being its id modulo the number of kinds, so a kind runs across many campaigns
/// and what a user took says what they will take next, whatever campaign they view.
struct Tastes {
    users: u64,
    shape: LogShape,
    /// Each kind's rewards of the mapping, most wanted first.
    by_kind: Vec<Vec<i64>>,
    /// Each kind's campaigns of the log's range that hold a reward of the kind.
    campaigns_by_kind: Vec<Vec<i64>>,
}

impl Tastes {
    fn new(users: u64, mapping: &[(i64, i64)], shape: LogShape) -> Tastes {
        let kinds = shape.kinds.max(1);
        let mut by_kind = vec![Vec::new(); kinds as usize];
        let mut campaigns_by_kind = vec![Vec::new(); kinds as usize];
        let mut rewards: Vec<i64> = mapping.iter().map(|&(_, r)| r).collect();
        rewards.sort_unstable();
        rewards.dedup();
        for r in rewards {
            by_kind[(r.unsigned_abs() % kinds) as usize].push(r);
        }
        let mut pairs = mapping.to_vec();
        pairs.sort_unstable();
        pairs.dedup();
        for (c, r) in pairs {
            if LOG_CAMPAIGN_IDS.contains(&c) {
                campaigns_by_kind[(r.unsigned_abs() % kinds) as usize].push(c);
            }
        }
        for cs in &mut campaigns_by_kind {
            cs.dedup();
        }
        Tastes {
            users,
            shape: LogShape { kinds, ..shape },
            by_kind,
            campaigns_by_kind,
        }
    }

    /// The log id of user `i` of the population.
    fn user(&self, i: u64) -> u64 {
        2_000_000_000_000 + i * 7
    }

    /// A user for a session starting at `at` (0 to 1 through the log): the users past
    /// the first (1 − new_users) of the population only in the log's last fifth.
    fn pick_user(&self, at: f64, rng: &mut ChaCha8Rng) -> u64 {
        let old = ((self.users as f64 * (1.0 - self.shape.new_users)) as u64).max(1);
        let pool = if at < 0.8 { old } else { self.users };
        self.user(rng.random_range(0..pool))
    }

    /// `user`'s kind.
    fn kind(&self, user: u64) -> usize {
        (user / 7 % self.shape.kinds) as usize
    }

    /// A reward of `user`'s kind: the first ones of the kind far more often (a Zipf-like
    /// pick over the kind's first 16).
    fn pick(&self, user: u64, rng: &mut ChaCha8Rng) -> i64 {
        let pool = &self.by_kind[self.kind(user)];
        if pool.is_empty() {
            return rng.random_range(LOG_REWARD_IDS);
        }
        let n = pool.len().min(16);
        let u: f64 = rng.random();
        pool[((u * u * n as f64) as usize).min(n - 1)]
    }

    /// A campaign `user` views.
    fn view(&self, user: u64, rng: &mut ChaCha8Rng) -> i64 {
        let span = LOG_CAMPAIGN_IDS.end - LOG_CAMPAIGN_IDS.start;
        match self.shape.views {
            ViewShape::Random => rng.random_range(LOG_CAMPAIGN_IDS),
            ViewShape::Popular => {
                let u: f64 = rng.random();
                LOG_CAMPAIGN_IDS.start + ((u * u * u * span as f64) as i64).min(span - 1)
            }
            ViewShape::Taste => {
                let pool = &self.campaigns_by_kind[self.kind(user)];
                match pool.choose(rng) {
                    Some(&c) => c,
                    None => rng.random_range(LOG_CAMPAIGN_IDS),
                }
            }
        }
    }
}

/// One request of the log, before formatting.
struct Line {
    ts: DateTime<Utc>,
    reward: bool,
    item: i64,
    user: u64,
}

fn write_line(w: &mut (impl Write + ?Sized), l: &Line) -> io::Result<()> {
    let (method, path) = if l.reward {
        ("POST", "rewards")
    } else {
        ("GET", "campaigns")
    };
    writeln!(
        w,
        "{}+00:00 {method} /{path}/{} {}",
        l.ts.format("%Y-%m-%dT%H:%M:%S"),
        l.item,
        l.user
    )
}

/// Writes a log of exactly `lines` lines: user sessions over the evening of 2019-08-26 UTC,
/// shuffled within windows and with a few very late lines, and [`BAD_LINES`] at
/// [`bad_line_numbers`].
fn write_log(
    rng: &mut ChaCha8Rng,
    lines: u64,
    tastes: Option<&Tastes>,
    mapping: &[(i64, i64)],
    w: &mut impl Write,
) -> io::Result<()> {
    let bad_at = bad_line_numbers(lines);
    // First reward of each campaign in the mapping, for rewards that follow a view.
    let mut reward_of = std::collections::HashMap::new();
    for (c, r) in mapping {
        reward_of.entry(*c).or_insert(*r);
    }
    let good_total = lines.saturating_sub(bad_at.len() as u64);
    let start = Utc
        .with_ymd_and_hms(2019, 8, 26, 16, 0, 0)
        .single()
        .unwrap_or_default();
    // The log spans about 12 hours (or the shape's days) whatever its size; denser logs
    // just have more users.
    let span_s = tastes.map_or(12.0 * 3600.0, |t| t.shape.days * 86_400.0);
    let users = (good_total / 3).max(1);
    let mut written = 0u64;
    let mut produced = 0u64;
    let mut window: Vec<Line> = Vec::with_capacity(4096);
    let mut late: Vec<Line> = Vec::new();
    let emit = |l: Option<&Line>, w: &mut dyn Write, written: &mut u64| -> io::Result<()> {
        loop {
            *written += 1;
            if let Ok(i) = bad_at.binary_search(written) {
                writeln!(w, "{}", BAD_LINES[i])?;
                continue;
            }
            break;
        }
        match l {
            Some(l) => write_line(w, l),
            None => Ok(()),
        }
    };
    let mut session_start = 0.0f64;
    while produced < good_total {
        // Session arrivals spread evenly over the span.
        session_start += span_s / (good_total as f64 / 2.7);
        let user = match tastes {
            Some(t) if t.shape.new_users > 0.0 => t.pick_user(session_start / span_s, rng),
            Some(t) => t.user(rng.random_range(0..t.users)),
            None if rng.random_bool(0.8) => {
                2_000_000_000_000 + rng.random_range(0..users.max(1) * 7)
            }
            None => rng.random_range(10_000..10_000_000),
        };
        let mut t = start + Duration::seconds(session_start as i64);
        let mut viewed: Vec<i64> = Vec::new();
        let events = rng.random_range(1..=5u32);
        for e in 0..events {
            if produced >= good_total {
                break;
            }
            if e > 0 {
                // Mostly quick clicks, sometimes right on the 5-minute edge.
                let gap = match rng.random_range(0..100) {
                    0 => 299,
                    1 => 300,
                    2 => 301,
                    3..=5 => rng.random_range(301..3600),
                    6..=8 => 0,
                    _ => rng.random_range(1..240),
                };
                t += Duration::seconds(gap);
            }
            let reward = rng.random_bool(0.17);
            let taste = tastes.filter(|t| rng.random_bool(t.shape.taste.clamp(0.0, 1.0)));
            let item = if let (true, Some(t)) = (reward, taste) {
                t.pick(user, rng)
            } else if reward {
                // Half of the rewards follow a view of a campaign that contains them.
                let driven = viewed.iter().find_map(|c| reward_of.get(c));
                match driven {
                    Some(&r) if rng.random_bool(0.5) => r,
                    _ => rng.random_range(LOG_REWARD_IDS),
                }
            } else {
                let c = match tastes {
                    Some(t) if t.shape.views != ViewShape::Random => t.view(user, rng),
                    _ => rng.random_range(LOG_CAMPAIGN_IDS),
                };
                viewed.push(c);
                c
            };
            let line = Line {
                ts: t,
                reward,
                item,
                user,
            };
            produced += 1;
            if rng.random_bool(0.0005) {
                late.push(line);
            } else {
                window.push(line);
            }
            if window.len() == window.capacity() {
                window.shuffle(rng);
                for l in window.drain(..) {
                    emit(Some(&l), w, &mut written)?;
                }
            }
        }
    }
    window.shuffle(rng);
    for l in window.drain(..).chain(late.drain(..)) {
        emit(Some(&l), w, &mut written)?;
    }
    // Bad lines that fall after the last good one.
    while written < lines {
        emit(None, w, &mut written)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of(lines: u64, seed: u64) -> Vec<u8> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mapping = mapping_pairs(&mut rng);
        let mut out = Vec::new();
        write_log(&mut rng, lines, None, &mapping, &mut out).unwrap();
        out
    }

    #[test]
    fn log_has_exact_line_count_and_bad_lines_where_promised() {
        for total in [1u64, 7, 8, 100, 1234] {
            let log = log_of(total, 1);
            let lines: Vec<&[u8]> = log.split(|b| *b == b'\n').collect();
            assert_eq!(lines.len() as u64, total + 1, "total {total}");
            let bad = bad_line_numbers(total);
            assert_eq!(bad.len(), if total > 7 { 7 } else { 0 });
            for (i, n) in bad.iter().enumerate() {
                assert_eq!(lines[*n as usize - 1], BAD_LINES[i].as_bytes());
            }
        }
    }

    /// The shape knobs do what they say: every reward in N campaigns, views of the
    /// user's kind, new users only at the end.
    #[test]
    fn the_shape_knobs_shape_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let opts = SampleOptions {
            log_lines: 20_000,
            log_users: Some(500),
            shape: LogShape {
                kinds: 5,
                views: ViewShape::Taste,
                new_users: 0.3,
                campaigns_per_reward: Some(3),
                days: 10.0,
                ..LogShape::default()
            },
            ..SampleOptions::default()
        };
        generate(&opts, dir.path()).unwrap();
        let mapping =
            std::fs::read_to_string(dir.path().join("campaign_reward_mapping.csv")).unwrap();
        let mut per_reward: std::collections::HashMap<i64, std::collections::HashSet<i64>> =
            Default::default();
        for l in mapping.lines().skip(1) {
            let (c, r) = l.split_once(',').unwrap();
            per_reward
                .entry(r.parse().unwrap())
                .or_default()
                .insert(c.parse().unwrap());
        }
        assert!(per_reward.values().all(|cs| cs.len() == 3));
        let kind_of_campaign = |c: i64, kind: i64| {
            per_reward
                .iter()
                .any(|(r, cs)| r % 5 == kind && cs.contains(&c))
        };
        let log = std::fs::read_to_string(dir.path().join("http_log.txt")).unwrap();
        let (mut views, mut of_kind) = (0, 0);
        let mut first_seen: std::collections::HashMap<u64, String> = Default::default();
        let mut times: Vec<String> = Vec::new();
        for l in log.lines() {
            let f: Vec<&str> = l.split(' ').collect();
            let (Some(path), Some(Ok(user))) = (f.get(2), f.get(3).map(|u| u.parse::<u64>()))
            else {
                continue;
            };
            if f[0].len() < 19 {
                continue;
            }
            times.push(f[0][..19].to_owned());
            let e = first_seen
                .entry(user)
                .or_insert_with(|| f[0][..19].to_owned());
            if e.as_str() > &f[0][..19] {
                *e = f[0][..19].to_owned();
            }
            if let Some(c) = path.strip_prefix("/campaigns/") {
                views += 1;
                let kind = (user / 7 % 5) as i64;
                of_kind += usize::from(kind_of_campaign(c.parse().unwrap(), kind));
            }
        }
        assert!(
            of_kind * 10 >= views * 9,
            "{of_kind} of {views} views of the user's kind"
        );
        times.sort();
        let (first, last) = (&times[0], &times[times.len() - 1]);
        assert!(
            first[..10] != last[..10],
            "the log spans days: {first} {last}"
        );
        // New users (the last 30 % of the population) start late: none before 70 % of the
        // span (arrivals before 80 % are the others', a late line aside).
        let start = chrono::NaiveDateTime::parse_from_str(first, "%Y-%m-%dT%H:%M:%S").unwrap();
        let end = chrono::NaiveDateTime::parse_from_str(last, "%Y-%m-%dT%H:%M:%S").unwrap();
        let cut = start + (end - start) * 7 / 10;
        let new_early = first_seen
            .iter()
            .filter(|(u, _)| (**u - 2_000_000_000_000) / 7 >= 350)
            .filter(|(_, t)| {
                chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S").unwrap() < cut
            })
            .count();
        assert!(new_early <= 2, "{new_early} new users seen early");
        assert!(
            first_seen
                .keys()
                .any(|u| (u - 2_000_000_000_000) / 7 >= 350)
        );
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        assert_eq!(log_of(500, 7), log_of(500, 7));
        assert_ne!(log_of(500, 7), log_of(500, 8));
    }

    #[test]
    fn log_is_out_of_order() {
        let log = log_of(5000, 3);
        let ts: Vec<&[u8]> = log
            .split(|b| *b == b'\n')
            .filter(|l| l.len() > 25)
            .map(|l| &l[..19])
            .collect();
        let backwards = ts.windows(2).filter(|w| w[1] < w[0]).count();
        assert!(
            backwards > ts.len() / 4,
            "only {backwards} of {} go back",
            ts.len()
        );
    }
}

//! The flags of `perx train`, `perx recommend` and `perx eval`, shared by both catalogs,
//! and the dispatch to the catalog asked for: `recommend.rs` (MovieLens movies) or
//! `rewards.rs` (the platform's rewards). Neither catalog's module knows the other.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use perx::core::recommend::Params;
use perx::recommender::{Origin, TrainReason, Wanted};

use super::Global;
use super::output::Destination;

/// `perx recommend`, for the catalog asked for.
pub fn recommend(global: &Global, args: &RecommendArgs) -> Result<u8> {
    match args.catalog {
        Catalog::Movies => super::recommend::recommend(global, args),
        Catalog::Rewards => super::rewards::recommend(global, args),
    }
}

/// `perx train`, for the catalog asked for.
pub fn train(global: &Global, args: &TrainArgs) -> Result<u8> {
    match args.catalog {
        Catalog::Movies => {
            if args.no_tune {
                bail!(
                    "--no-tune is for --catalog rewards: the movie model is trained with --factors and --svd-seed"
                );
            }
            super::recommend::train(global, args)
        }
        Catalog::Rewards => super::rewards::train(global, args),
    }
}

/// `perx eval`, for the catalog asked for.
pub fn eval(global: &Global, args: &EvalArgs) -> Result<u8> {
    match args.catalog {
        Catalog::Movies => super::recommend::eval(global, args),
        Catalog::Rewards => super::rewards::eval(global, args),
    }
}

/// Model options shared by train, recommend and eval.
#[derive(Debug, Args, Clone)]
pub struct ModelArgs {
    /// Singular vectors kept (k): more ranks a little better and trains slower
    /// [default: the saved model's, else 512].
    #[arg(long, value_name = "K")]
    pub factors: Option<usize>,
    /// Seed of the randomized SVD [default: the saved model's, else 1].
    #[arg(long = "svd-seed", value_name = "SEED")]
    pub svd_seed: Option<u64>,
}

impl ModelArgs {
    /// What was asked for; the rest is the saved model's.
    pub fn wanted(&self) -> Wanted {
        Wanted {
            factors: self.factors,
            seed: self.svd_seed,
        }
    }

    /// What was asked for over the defaults (training anew, evaluating).
    pub fn params(&self) -> Params {
        self.wanted().applied_to(Params::default())
    }
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// What to train: the movie recommender on the MovieLens ratings, or the reward
    /// model on the platform's log (its parameters tuned on the data unless --no-tune).
    #[arg(long, value_enum, default_value_t = Catalog::Movies)]
    pub catalog: Catalog,
    /// Rewards: keep the default parameters instead of tuning them on the data.
    #[arg(long)]
    pub no_tune: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Where to save the model [default: beside the database, DB.model.bin; the reward
    /// model always goes beside the database, DB.rewards.bin].
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Output format of recommendations.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RecFormat {
    /// Rank, movie id, title, genres and score, for people.
    Table,
    /// user_id,rank,movie_id,score (plus `because` with --explain).
    Csv,
    /// One JSON document with titles, genres, scores and explanations.
    Json,
}

/// What is recommended.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Catalog {
    /// MovieLens movies, for MovieLens user ids.
    #[default]
    Movies,
    /// The platform's rewards, for the user ids of the HTTP log.
    Rewards,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["user", "all"])))]
pub struct RecommendArgs {
    /// What to recommend: MovieLens movies, or the platform's rewards.
    #[arg(long, value_enum, default_value_t = Catalog::Movies)]
    pub catalog: Catalog,
    /// The user id (a MovieLens id for movies, a log user id for rewards).
    #[arg(long, short, value_name = "ID")]
    pub user: Option<String>,
    /// Rewards: recommend a reward already issued to the user, too.
    #[arg(long)]
    pub repeatable: bool,
    /// Rewards: fit with the default parameters instead of tuning them on the data (the
    /// model is tuned by default: the best of 81 parameter sets on the last 7 days of the
    /// log, or its last fifth, fitted on what comes before).
    #[arg(long)]
    pub no_tune: bool,
    /// Recommend for every user (CSV user_id,rank,movie_id; use with -o).
    #[arg(long, conflicts_with_all = ["explain"])]
    pub all: bool,
    /// How many movies.
    #[arg(short, long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub k: u16,
    /// Output format [default: table on a terminal, else csv].
    #[arg(long, value_enum)]
    pub format: Option<RecFormat>,
    /// For each movie, the user's rated movies that contributed most.
    #[arg(long)]
    pub explain: bool,
    /// Write to FILE instead of standard output (`-` is standard output; a symbolic link
    /// is followed, a FIFO or a device written directly, as the shell's `>` does).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Use this model file (it must have been trained on the database's ratings)
    /// [default: DB.model.bin, trained on first use].
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub model_args: ModelArgs,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// What to evaluate: the movie recommender on MovieLens, or the reward recommender on
    /// the log (a time split: the last --cutoff-days of the log are the truth).
    #[arg(long, value_enum, default_value_t = Catalog::Movies)]
    pub catalog: Catalog,
    /// Rewards: the days at the end of the log whose issued rewards are the truth.
    #[arg(long, value_name = "DAYS", default_value_t = 7.0)]
    pub cutoff_days: f64,
    /// Seed of the train/test split.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Seed of the validation split carved out of train for tuning.
    #[arg(long, default_value_t = 7)]
    pub validation_seed: u64,
    /// Cut-off K of the metrics.
    #[arg(short, long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub k: u16,
    /// Skip tuning and evaluate the default parameters.
    #[arg(long)]
    pub no_tune: bool,
    /// Run the whole protocol for each of these split seeds (`1-5`, `1,2,7`) and report
    /// each and the mean ± standard deviation of both models.
    #[arg(long, value_name = "LIST", conflicts_with = "seed")]
    pub seeds: Option<Seeds>,
    /// λ of the EASE reference with --no-tune (without it, EASE's λ and γ are tuned on the
    /// validation split with as many trials as perx).
    #[arg(long, value_name = "LAMBDA", default_value_t = 1500.0)]
    pub ease_lambda: f32,
    /// Leave out the EASE reference (movies: a few seconds on MovieLens 1M; rewards: EASE
    /// on the user × reward issue matrix, λ and γ tuned with as many trials as perx).
    #[arg(long)]
    pub no_ease: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = super::SummaryFormat::Table)]
    pub format: super::SummaryFormat,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Says on stderr that a model was trained (`what`), why and where it was saved; nothing
/// when it was read from its file. `data` names what it was trained on.
pub(super) fn say_trained(what: &str, data: &str, origin: &Origin) {
    if let Origin::Trained {
        seconds,
        saved,
        reason,
    } = origin
    {
        let why = match reason {
            TrainReason::FirstUse => "first use".to_owned(),
            TrainReason::DataChanged => format!("{data} changed since the saved model"),
            TrainReason::ParamsChanged => "the saved model has other parameters".to_owned(),
            TrainReason::Unreadable(e) => format!("the saved model was unusable: {e}"),
            TrainReason::Asked => "asked for".to_owned(),
        };
        let saved = saved
            .as_ref()
            .map_or(String::new(), |p| format!(", saved to {}", p.display()));
        errln!("{what} in {seconds:.2} s ({why}){saved}");
    }
}

/// The format (table on a terminal, else CSV; `--all` writes CSV with `all_columns`) and
/// the destination of recommendations. `-o` is written under a temporary name and moved
/// into place when complete; the table format is for people, so control characters from
/// the data are shown, not obeyed.
pub(super) fn output(args: &RecommendArgs, all_columns: &str) -> Result<(RecFormat, Destination)> {
    let to_stdout = args.output.as_deref().is_none_or(|p| p.as_os_str() == "-");
    let to_terminal = to_stdout && std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if to_terminal {
        RecFormat::Table
    } else {
        RecFormat::Csv
    });
    if args.all && format != RecFormat::Csv {
        bail!("--all writes CSV ({all_columns}): leave out --format or use --format csv");
    }
    Ok((format, Destination::open(args.output.as_deref())?))
}

/// Split seeds: `1-5` or `1,2,7`.
#[derive(Debug, Clone)]
pub struct Seeds(pub Vec<u64>);

impl std::str::FromStr for Seeds {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a list of seeds: write e.g. 1-5 or 1,2,7");
        let mut out = Vec::new();
        for part in s.split(',') {
            match part.trim().split_once('-') {
                Some((a, b)) => {
                    let (a, b): (u64, u64) = (
                        a.trim().parse().map_err(|_| bad())?,
                        b.trim().parse().map_err(|_| bad())?,
                    );
                    if a > b || b - a >= 100 {
                        return Err(format!("{s}: a range runs upwards, 100 seeds at most"));
                    }
                    out.extend(a..=b);
                }
                None => out.push(part.trim().parse().map_err(|_| bad())?),
            }
        }
        if out.is_empty() || out.len() > 100 {
            return Err(bad());
        }
        Ok(Seeds(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_a_range_or_a_list() {
        let p = |s: &str| s.parse::<Seeds>().map(|s| s.0);
        assert_eq!(p("1-5").unwrap(), [1, 2, 3, 4, 5]);
        assert_eq!(p("3").unwrap(), [3]);
        assert_eq!(p("1, 4,9-10").unwrap(), [1, 4, 9, 10]);
        assert!(p("5-1").unwrap_err().contains("upwards"));
        assert!(p("1-500").is_err());
        assert!(p("a").unwrap_err().contains("e.g. 1-5"));
        assert!(p("").is_err());
    }
}

//! `perx train`, and `perx recommend` and `perx eval` of the movie catalog: the movie
//! recommender from the command line (the flags are `catalog.rs`'s).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use perx::core::eval::{Metrics, split};
use perx::core::recommend::ease::EaseGram;
use perx::core::recommend::tune::{
    EaseTrial, PERX_TRIALS, Trial, list_metrics, popularity_metrics, take, tune, tune_ease,
};
use perx::core::recommend::{
    Basis, Model, Params, Recommendation, Recommender, evaluate_recommender,
};
use perx::exit;
use perx::recommender::{self, Wanted};
use perx::store::Store;
use perx::store::recommend::MovieInfo;

use super::Global;
use super::catalog::{EvalArgs, RecFormat, RecommendArgs, TrainArgs, output, say_trained};

pub fn train(global: &Global, args: &TrainArgs) -> Result<u8> {
    let store = global.open_store()?;
    let out = match &args.out {
        Some(p) => p.clone(),
        None => recommender::default_model_path(store.path())
            .context("an in-memory database has no place for the model: give --out FILE")?,
    };
    errln!(
        "training the recommender ({} factors)…",
        args.model.params().factors
    );
    let started = Instant::now();
    let model = recommender::train(&store, args.model.params())?;
    let seconds = started.elapsed().as_secs_f64();
    recommender::save(&out, &model)?;
    let m = model.matrix();
    outln!(
        "Trained on {} ratings ({} users × {} movies), {} factors, in {seconds:.2} s",
        m.nnz(),
        m.n_users(),
        m.n_items(),
        model.factors()
    )?;
    outln!("Saved {} ({})", out.display(), model.data_id)?;
    Ok(exit::OK)
}

/// Opens the model for `recommend`, saying on stderr when it had to be trained.
fn model_for(store: &Store, path: Option<&Path>, wanted: Wanted) -> Result<Model> {
    let (model, origin) = recommender::open_or_train(store, path, wanted)?;
    say_trained("trained the recommender", "the ratings", &origin);
    Ok(model)
}

/// `perx recommend` for MovieLens users.
pub fn recommend(global: &Global, args: &RecommendArgs) -> Result<u8> {
    let store = global.open_store()?;
    let k = usize::from(args.k);
    let (format, mut dest) = output(args, "user_id,rank,movie_id")?;
    let mut out = dest.writer(format == RecFormat::Table);
    if args.all {
        let model = model_for(&store, args.model.as_deref(), args.model_args.wanted())?;
        let rec = Recommender::new(model);
        let started = Instant::now();
        let all = rec.recommend_all(k);
        writeln!(out, "user_id,rank,movie_id")?;
        let mut fallback = 0usize;
        for (user, r) in &all {
            fallback += usize::from(r.basis == Basis::Popularity);
            for (rank, s) in r.items.iter().enumerate() {
                writeln!(out, "{user},{},{}", rank + 1, s.movie)?;
            }
        }
        let flushed = out.flush();
        drop(out);
        flushed.map_err(|e| dest.context(e.into()))?;
        dest.commit()?;
        errln!(
            "{} users, top {k} each, in {:.3} s{}",
            all.len(),
            started.elapsed().as_secs_f64(),
            if fallback > 0 {
                format!(" ({fallback} with too few ratings got the most popular movies)")
            } else {
                String::new()
            }
        );
        return Ok(exit::OK);
    }
    let Some(user) = args.user.as_deref() else {
        bail!("give --user ID or --all");
    };
    let user = perx::core::movielens::parse_user_id(user)
        .map_err(|e| anyhow::anyhow!("{e}; for a platform user id use --catalog rewards"))?;
    if store.ml_data_id()?.is_none() {
        return Err(recommender::ModelError::NoRatings.into());
    }
    if !store.ml_user_known(user)? {
        bail!(
            "user {user} is not in the MovieLens data (ml_user and ml_rating have no such id); \
             user ids run from 1 to 6040 in MovieLens 1M"
        );
    }
    let model = model_for(&store, args.model.as_deref(), args.model_args.wanted())?;
    let rec = Recommender::new(model);
    let result = perx::answers::movie_list(&rec, user, k);
    if result.basis == Basis::Popularity {
        errln!(
            "user {user} has {} rating(s), too few for the model: showing the most popular movies they have not rated",
            result.ratings
        );
    }
    let movies = store.ml_movies()?;
    let explain =
        |movie: u32| perx::answers::movie_because(&rec, user, &result, args.explain, movie);
    write_one(
        &mut out,
        format,
        user,
        &result,
        &movies,
        args.explain,
        &explain,
    )?;
    let flushed = out.flush();
    drop(out);
    flushed.map_err(|e| dest.context(e.into()))?;
    dest.commit()?;
    Ok(exit::OK)
}

fn write_one(
    out: &mut dyn Write,
    format: RecFormat,
    user: u32,
    r: &Recommendation,
    movies: &HashMap<u32, MovieInfo>,
    explain: bool,
    because: &dyn Fn(u32) -> Vec<u32>,
) -> Result<()> {
    let title = |m: u32| movies.get(&m).map(|i| i.title.as_str());
    match format {
        RecFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            let mut header = vec!["user_id", "rank", "movie_id", "score"];
            if explain {
                header.push("because");
            }
            w.write_record(&header)?;
            for (rank, s) in r.items.iter().enumerate() {
                let mut row = vec![
                    user.to_string(),
                    (rank + 1).to_string(),
                    s.movie.to_string(),
                    format!("{:.6}", s.score),
                ];
                if explain {
                    let ids: Vec<String> = because(s.movie).iter().map(u32::to_string).collect();
                    row.push(ids.join(" "));
                }
                w.write_record(&row)?;
            }
            w.flush()?;
        }
        RecFormat::Json => {
            out.write_all(&perx::answers::movies_json(
                user, r, movies, explain, because,
            ))?;
        }
        RecFormat::Table => {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_BORDERS_ONLY);
            // Wraps long titles to the terminal's width.
            t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            let mut header = vec!["rank", "movie_id", "title", "genres", "score"];
            if explain {
                header.push("because you rated");
            }
            t.set_header(header);
            for (rank, s) in r.items.iter().enumerate() {
                let info = movies.get(&s.movie);
                let mut row = vec![
                    (rank + 1).to_string(),
                    s.movie.to_string(),
                    info.map_or("?".to_owned(), |i| i.title.clone()),
                    info.map_or(String::new(), |i| i.genres.join(", ")),
                    format!("{:.3}", s.score),
                ];
                if explain {
                    let names: Vec<String> = because(s.movie)
                        .into_iter()
                        .map(|m| title(m).map_or(m.to_string(), str::to_owned))
                        .collect();
                    row.push(names.join("; "));
                }
                t.add_row(row);
            }
            let basis = match r.basis {
                Basis::Model => "model",
                Basis::Popularity => "most popular (too few ratings)",
            };
            writeln!(
                out,
                "Top {} for user {user} ({} ratings; {basis})",
                r.items.len(),
                r.ratings
            )?;
            writeln!(out, "{t}")?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct EvalReport {
    seed: u64,
    validation_seed: Option<u64>,
    k: usize,
    ratings: usize,
    train: usize,
    test: usize,
    params: Params,
    popularity: Metrics,
    #[serde(skip_serializing_if = "Option::is_none")]
    ease: Option<Metrics>,
    ease_params: Option<EaseParams>,
    model: Metrics,
    train_seconds: f64,
    recommend_all_seconds: f64,
    tuning: Vec<Trial>,
    ease_tuning: Vec<EaseTrial>,
}

#[derive(Serialize, Clone, Copy)]
struct EaseParams {
    lambda: f32,
    popularity: f32,
}

/// `perx eval` of the movie recommender on MovieLens.
pub fn eval(global: &Global, args: &EvalArgs) -> Result<u8> {
    let store = global.open_store()?;
    let ratings = store.ml_interactions()?;
    if ratings.is_empty() {
        bail!(
            "the database has no MovieLens ratings: load them first with `perx movielens load --dir DIR`"
        );
    }
    let Some(seeds) = &args.seeds else {
        let report = eval_seed(&ratings, args.seed, args, true)?;
        match args.format {
            super::SummaryFormat::Json => outln!("{}", serde_json::to_string_pretty(&report)?)?,
            super::SummaryFormat::Table => print_eval(&report)?,
        }
        return Ok(exit::OK);
    };
    let mut reports = Vec::new();
    for (i, &seed) in seeds.0.iter().enumerate() {
        errln!("split seed {seed} ({} of {})…", i + 1, seeds.0.len());
        let r = eval_seed(&ratings, seed, args, false)?;
        errln!(
            "  seed {seed}: NDCG@{} perx {:.4}, EASE {:.4}",
            r.k,
            r.model.ndcg,
            r.ease.as_ref().map_or(f64::NAN, |m| m.ndcg)
        );
        reports.push(r);
    }
    let summary = SeedsSummary::new(&reports);
    match args.format {
        super::SummaryFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "seeds": reports,
                "summary": summary,
            }))?
        )?,
        super::SummaryFormat::Table => print_seeds(&reports, &summary)?,
    }
    Ok(exit::OK)
}

/// One split seed's evaluation: both models tuned on that split's own validation split
/// (unless --no-tune), refitted on its train, scored on its test.
fn eval_seed(
    ratings: &[perx::core::eval::Interaction],
    seed: u64,
    args: &EvalArgs,
    verbose: bool,
) -> Result<EvalReport> {
    let k = usize::from(args.k);
    let s = split(ratings, seed);
    let train = take(ratings, &s.train);
    let test = take(ratings, &s.test);
    let base = args.model.params();
    let tuned = !args.no_tune;
    let (params, tuning) = if tuned {
        if verbose {
            errln!(
                "tuning perx on a validation split of train (seed {}), never on test…",
                args.validation_seed
            );
        }
        tune(&train, base, args.validation_seed, k, &mut |t| {
            if verbose {
                errln!(
                    "  β={:<4} α={:<4} p={:<4} λ={:<4} γ={:<4}  validation NDCG@{k} {:.4}",
                    t.user_exponent,
                    t.item_exponent,
                    t.rating_exponent,
                    t.lambda,
                    t.popularity,
                    t.validation_ndcg
                )
            }
        })?
    } else {
        (base, Vec::new())
    };
    let started = Instant::now();
    let model = Model::fit(&train, params, "evaluation")?;
    let rec = Recommender::new(model);
    let train_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let metrics = evaluate_recommender(&rec, &test, k);
    let recommend_all_seconds = started.elapsed().as_secs_f64();
    let popularity = popularity_metrics(&train, &test, k);
    let (ease, ease_params, ease_tuning) = if args.no_ease {
        (None, None, Vec::new())
    } else {
        let (chosen, trials) = if tuned {
            if verbose {
                errln!(
                    "tuning EASE's λ and γ on the same validation split, {PERX_TRIALS} trials as perx…"
                );
            }
            tune_ease(&train, args.validation_seed, k, &mut |t| {
                if verbose {
                    errln!(
                        "  EASE λ={:<6} γ={:<4}  validation NDCG@{k} {:.4}",
                        t.lambda,
                        t.popularity,
                        t.validation_ndcg
                    )
                }
            })?
        } else {
            ((args.ease_lambda, 0.0), Vec::new())
        };
        if verbose {
            errln!("fitting EASE (λ = {}, γ = {})…", chosen.0, chosen.1);
        }
        let gram = EaseGram::new(&train)?;
        let e = gram.solve(chosen.0, chosen.1)?;
        (
            Some(list_metrics(&e.recommend_all(k), &train, &test, k)),
            Some(EaseParams {
                lambda: chosen.0,
                popularity: chosen.1,
            }),
            trials,
        )
    };
    Ok(EvalReport {
        seed,
        validation_seed: tuned.then_some(args.validation_seed),
        k,
        ratings: ratings.len(),
        train: train.len(),
        test: test.len(),
        params,
        popularity,
        ease,
        ease_params,
        model: metrics,
        train_seconds,
        recommend_all_seconds,
        tuning,
        ease_tuning,
    })
}

/// Mean and sample standard deviation.
fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// Over several split seeds: each metric's mean and spread for both models.
#[derive(Serialize)]
struct SeedsSummary {
    seeds: usize,
    /// (mean, sd) of NDCG@K.
    perx_ndcg: (f64, f64),
    ease_ndcg: Option<(f64, f64)>,
    perx_coverage: (f64, f64),
    ease_coverage: Option<(f64, f64)>,
    /// mean perx NDCG / mean EASE NDCG.
    ratio: Option<f64>,
    /// Seeds where perx's NDCG is above EASE's.
    perx_ahead: usize,
}

impl SeedsSummary {
    fn new(reports: &[EvalReport]) -> SeedsSummary {
        let of = |f: &dyn Fn(&EvalReport) -> Option<f64>| -> Option<(f64, f64)> {
            let v: Option<Vec<f64>> = reports.iter().map(f).collect();
            v.map(|v| mean_sd(&v))
        };
        let perx_ndcg = of(&|r| Some(r.model.ndcg)).unwrap_or_default();
        let ease_ndcg = of(&|r| r.ease.as_ref().map(|m| m.ndcg));
        SeedsSummary {
            seeds: reports.len(),
            perx_ndcg,
            ease_ndcg,
            perx_coverage: of(&|r| Some(r.model.coverage)).unwrap_or_default(),
            ease_coverage: of(&|r| r.ease.as_ref().map(|m| m.coverage)),
            ratio: ease_ndcg.map(|e| perx_ndcg.0 / e.0),
            perx_ahead: reports
                .iter()
                .filter(|r| r.ease.as_ref().is_some_and(|e| r.model.ndcg > e.ndcg))
                .count(),
        }
    }
}

fn print_seeds(reports: &[EvalReport], s: &SeedsSummary) -> std::io::Result<()> {
    let k = reports.first().map_or(10, |r| r.k);
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header(vec![
        "seed".to_owned(),
        format!("perx NDCG@{k}"),
        format!("EASE NDCG@{k}"),
        "ratio".to_owned(),
        format!("perx cov@{k}"),
        format!("EASE cov@{k}"),
        "perx p, λ, γ".to_owned(),
        "EASE λ, γ".to_owned(),
    ]);
    let f = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.4}"));
    for r in reports {
        let e = r.ease.as_ref();
        t.add_row(vec![
            r.seed.to_string(),
            format!("{:.4}", r.model.ndcg),
            f(e.map(|m| m.ndcg)),
            f(e.map(|m| r.model.ndcg / m.ndcg)),
            format!("{:.4}", r.model.coverage),
            f(e.map(|m| m.coverage)),
            format!(
                "{}, {}, {}",
                r.params.rating_exponent, r.params.lambda, r.params.popularity
            ),
            r.ease_params.map_or("-".to_owned(), |p| {
                format!("{}, {}", p.lambda, p.popularity)
            }),
        ]);
    }
    let ms =
        |v: Option<(f64, f64)>| v.map_or("-".to_owned(), |(m, sd)| format!("{m:.4} ± {sd:.4}"));
    t.add_row(vec![
        "mean ± sd".to_owned(),
        ms(Some(s.perx_ndcg)),
        ms(s.ease_ndcg),
        f(s.ratio),
        ms(Some(s.perx_coverage)),
        ms(s.ease_coverage),
        String::new(),
        String::new(),
    ]);
    outln!(
        "{} split seeds; each tuned on its own validation split (seed {}) with {PERX_TRIALS} trials per model",
        s.seeds,
        reports
            .first()
            .and_then(|r| r.validation_seed)
            .map_or("-".to_owned(), |v| v.to_string())
    )?;
    outln!("{t}")?;
    outln!(
        "perx above EASE on {} of {} seeds; mean NDCG ratio {}",
        s.perx_ahead,
        s.seeds,
        f(s.ratio)
    )?;
    Ok(())
}

fn print_eval(r: &EvalReport) -> std::io::Result<()> {
    let k = r.k;
    outln!(
        "Evaluation: {} ratings, split seed {} → {} train / {} test; metrics @{k} over {} users",
        r.ratings,
        r.seed,
        r.train,
        r.test,
        r.model.users
    )?;
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header(vec![
        "model".to_owned(),
        format!("P@{k}"),
        format!("R@{k}"),
        format!("NDCG@{k}"),
        format!("HR@{k}"),
        format!("MRR@{k}"),
        format!("coverage@{k}"),
    ]);
    let ease_name = match (r.ease_params, r.validation_seed) {
        (Some(p), Some(_)) => format!("EASE (tuned λ={}, γ={})", p.lambda, p.popularity),
        (Some(p), None) => format!("EASE λ={}", p.lambda),
        (None, _) => String::new(),
    };
    let rows = [
        Some(("most popular", &r.popularity)),
        r.ease.as_ref().map(|m| (ease_name.as_str(), m)),
        Some(("svd filter (perx)", &r.model)),
    ];
    for (name, m) in rows.into_iter().flatten() {
        t.add_row(vec![
            name.to_owned(),
            format!("{:.4}", m.precision),
            format!("{:.4}", m.recall),
            format!("{:.4}", m.ndcg),
            format!("{:.4}", m.hit_rate),
            format!("{:.4}", m.mrr),
            format!("{:.4}", m.coverage),
        ]);
    }
    outln!("{t}")?;
    let p = &r.params;
    outln!(
        "Parameters{}: factors {}, β (user exponent) {}, α (movie exponent) {}, p (rating exponent) {}, λ {}, τ {}, γ (popularity) {}, oversample {}, power iterations {}, SVD seed {}",
        if r.validation_seed.is_some() {
            " (chosen on validation)"
        } else {
            " (defaults)"
        },
        p.factors,
        p.user_exponent,
        p.item_exponent,
        p.rating_exponent,
        p.lambda,
        p.tail,
        p.popularity,
        p.oversample,
        p.power_iters,
        p.seed
    )?;
    outln!(
        "Training {:.2} s; top-{k} for every user {:.3} s. (A ranking model: it predicts no rating values, so no RMSE/MAE.)",
        r.train_seconds,
        r.recommend_all_seconds
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sample_spread() {
        let (m, sd) = mean_sd(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((sd - 1.290_994).abs() < 1e-6);
        assert_eq!(mean_sd(&[7.0]), (7.0, 0.0));
    }
}

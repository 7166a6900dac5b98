//! `perx recommend --catalog rewards` and `perx eval --catalog rewards`: reward
//! recommendations for the platform's users, from the HTTP log and the campaign–reward
//! mapping (`core::rewards`).

use std::collections::HashSet;
use std::io::Write;
use std::time::Instant;

use anyhow::{Result, bail};
use serde::Serialize;

use perx::core::eval::Metrics;
use perx::core::logline::EventKind;
use perx::core::rewards::tune::{WINDOW_DAYS, ease_rewards, fit_rewards, reward_truth_span};
use perx::core::rewards::{
    Baseline, History, RewardBasis, RewardModel, RewardSource, by_user, evaluate_rewards,
    time_split,
};
use perx::exit;
use perx::recommender::{self, RewardLog, RewardsWanted, SavedRewards};
use perx::store::Store;
use perx::term::visible;

use super::Global;
use super::catalog::{EvalArgs, RecFormat, RecommendArgs, TrainArgs, output, say_trained};

use perx::answers::reward_notice as basis_note;

/// The reward model: the saved one when it is fresh, else fitted on the log (and saved),
/// saying so on stderr with how its parameters were chosen; with the log when `with_log`
/// (read once either way).
fn model_and_log(
    store: &Store,
    wanted: RewardsWanted,
    with_log: bool,
) -> Result<(RewardModel, Option<RewardLog>)> {
    match recommender::saved_rewards(store, wanted)? {
        SavedRewards::Fresh(model, _) => {
            let log = with_log
                .then(|| -> Result<RewardLog> {
                    let log = store.reward_events()?;
                    let grouped = by_user(&log.events);
                    Ok((log, grouped))
                })
                .transpose()?;
            Ok((*model, log))
        }
        SavedRewards::Stale(reason) => {
            let (model, origin, log) = recommender::fit_rewards(store, wanted, reason)?;
            say_trained("fitted the reward model", "the platform data", &origin);
            errln!("  {}", model_words(&model));
            Ok((model, Some(log)))
        }
    }
}

/// The model's parameters and how they were chosen, for people.
fn model_words(model: &RewardModel) -> String {
    format!("{}; {}", model.params(), model.tuning().describe())
}

/// `perx train --catalog rewards`: fits the reward model on the data (tuned unless
/// `--no-tune`) and saves it beside the database, whatever is saved there.
pub fn train(global: &Global, args: &TrainArgs) -> Result<u8> {
    if args.out.is_some() {
        bail!(
            "the reward model is kept beside the database (DB.rewards.bin), where every surface reads it: leave out --out"
        );
    }
    let store = global.open_store()?;
    if store.http_log_rows(1)?.is_empty() {
        bail!("the database holds no HTTP log: load one with `perx load --data DIR`");
    }
    let wanted = RewardsWanted {
        tune: !args.no_tune,
        repeatable: false,
    };
    errln!(
        "fitting the reward model{}…",
        if wanted.tune {
            " (tuning its parameters on the data)"
        } else {
            " with the default parameters"
        }
    );
    let (model, origin, (log, _)) =
        recommender::fit_rewards(&store, wanted, recommender::TrainReason::Asked)?;
    let (seconds, saved) = match origin {
        recommender::Origin::Trained { seconds, saved, .. } => (seconds, saved),
        recommender::Origin::Loaded(p) => (0.0, Some(p)),
    };
    outln!(
        "Fitted on {} events of {} users ({} rewards in the catalog) in {seconds:.2} s",
        log.events.len(),
        log.users.len(),
        model.rewards().len()
    )?;
    outln!("Parameters: {}", model.params())?;
    outln!("How: {}", model.tuning().describe())?;
    if let Some(p) = saved {
        outln!("Saved {}", p.display())?;
    }
    Ok(exit::OK)
}

pub fn recommend(global: &Global, args: &RecommendArgs) -> Result<u8> {
    let store = global.open_store()?;
    let k = usize::from(args.k);
    let started = Instant::now();
    if store.http_log_rows(1)?.is_empty() {
        bail!("the database holds no HTTP log: load one with `perx load --data DIR`");
    }
    let wanted = RewardsWanted {
        tune: !args.no_tune,
        repeatable: args.repeatable,
    };
    let (model, log) = model_and_log(&store, wanted, args.all)?;
    let fitted = started.elapsed().as_secs_f64();
    let (format, mut dest) = output(args, "user_id,rank,reward_id")?;
    let mut out = dest.writer(format == RecFormat::Table);
    if args.all {
        let Some((log, grouped)) = log else {
            bail!("internal: the log was not read for --all");
        };
        writeln!(out, "user_id,rank,reward_id")?;
        let mut cold = 0usize;
        for (i, id) in log.users.iter().enumerate() {
            let h = u32::try_from(i)
                .map(|u| grouped.history(u))
                .unwrap_or_default();
            let r = model.recommend(&h, k);
            cold += usize::from(r.basis != RewardBasis::Model);
            for (rank, reward) in r.ids().enumerate() {
                writeln!(out, "{},{},{reward}", csv_field(id), rank + 1)?;
            }
        }
        let flushed = out.flush();
        drop(out);
        flushed.map_err(|e| dest.context(e.into()))?;
        dest.commit()?;
        errln!(
            "{} users, top {k} rewards each, in {:.3} s (model ready in {fitted:.3} s){}",
            log.users.len(),
            started.elapsed().as_secs_f64(),
            if cold > 0 {
                format!(
                    "; {cold} with too little for the model got the fallback (viewed campaigns' rewards, then the most issued) for some or all of their list"
                )
            } else {
                String::new()
            }
        );
        return Ok(exit::OK);
    }
    let Some(user) = args.user.as_deref() else {
        bail!("give --user ID or --all");
    };
    let history = match store.reward_history(user.trim())? {
        Some(h) => h,
        None => {
            errln!(
                "user {} is not in the HTTP log: showing the most issued rewards",
                visible(user)
            );
            History::default()
        }
    };
    let result = model.recommend(&history, k);
    if let Some(note) = basis_note(result.basis) {
        errln!("{note}");
    }
    let because = |pick| perx::answers::reward_because(&model, &history, pick);
    let explain = args.explain;
    if explain && format == RecFormat::Csv {
        errln!("model: {}", model_words(&model));
    }
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        match format {
            RecFormat::Table => {
                if explain {
                    writeln!(out, "Model: {}", model_words(&model))?;
                }
                writeln!(out, "Rewards for user {}:", visible(user))?;
                for (rank, pick) in result.items.iter().enumerate() {
                    write!(
                        out,
                        "{:>3}  reward {:<8} score {:.4}  {}",
                        rank + 1,
                        pick.reward,
                        pick.score,
                        source_words(pick.source)
                    )?;
                    if explain {
                        write!(out, "  because: {}", because(pick).join("; "))?;
                    }
                    writeln!(out)?;
                }
            }
            RecFormat::Csv => {
                write!(out, "user_id,rank,reward_id,score,source")?;
                writeln!(out, "{}", if explain { ",because" } else { "" })?;
                for (rank, pick) in result.items.iter().enumerate() {
                    write!(
                        out,
                        "{},{},{},{},{}",
                        csv_field(user),
                        rank + 1,
                        pick.reward,
                        pick.score,
                        pick.source.name()
                    )?;
                    if explain {
                        write!(out, ",{}", csv_field(&because(pick).join("; ")))?;
                    }
                    writeln!(out)?;
                }
            }
            RecFormat::Json => {
                // The CLI's model is refitted whenever the data changed: always current.
                out.write_all(&perx::answers::rewards_json(
                    user, &result, &model, &history, explain, None,
                ))?;
            }
        }
        Ok(())
    };
    let written = write(&mut out).and_then(|()| out.flush());
    drop(out);
    written.map_err(|e| dest.context(e.into()))?;
    dest.commit()?;
    Ok(exit::OK)
}

/// An item's source for people.
fn source_words(source: RewardSource) -> &'static str {
    match source {
        RewardSource::Model => "(model)",
        RewardSource::ViewedCampaigns => "(fallback: a viewed campaign's)",
        RewardSource::Popular => "(fallback: most issued)",
    }
}

/// A user id as one CSV field: quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

#[derive(Serialize)]
struct Row {
    name: String,
    metrics: Metrics,
}

pub fn eval(global: &Global, args: &EvalArgs) -> Result<u8> {
    let store = global.open_store()?;
    let k = usize::from(args.k);
    let log = store.reward_events()?;
    let mapping = store.mapping_list()?;
    let Some(newest) = log.events.iter().map(|e| e.ts_micros).max() else {
        bail!("the database holds no HTTP log: load one with `perx load --data DIR`");
    };
    if !args.cutoff_days.is_finite() || args.cutoff_days <= 0.0 {
        bail!("--cutoff-days must be positive");
    }
    let oldest = log
        .events
        .iter()
        .map(|e| e.ts_micros)
        .min()
        .unwrap_or(newest);
    let (span, shortened) = reward_truth_span(oldest, newest, args.cutoff_days);
    // A log shorter than twice the cut-off (the sample spans hours) would leave nothing
    // to train on: its last fifth is the truth then.
    if shortened {
        errln!(
            "the log spans {:.1} hours, less than twice --cutoff-days: its last fifth ({:.1} hours) is the truth",
            (newest - oldest) as f64 / 3.6e9,
            span as f64 / 3.6e9
        );
    }
    let cutoff = newest - span;
    let (train, truth) = time_split(&log.events, cutoff);
    let grouped = by_user(&train);
    // The tuned row is the model users get, fitted on the training part by the same call
    // (`fit_rewards`): tuned on the window at the end of the training part, never on the
    // truth.
    let started = Instant::now();
    let tuned = if args.no_tune {
        None
    } else {
        Some(fit_rewards(&grouped, &mapping, true)?)
    };
    let fit_seconds = started.elapsed().as_secs_f64();
    let defaults = fit_rewards(&grouped, &mapping, false)?;
    let row = |name: &str, metrics| Row {
        name: name.to_owned(),
        metrics,
    };
    let mut rows = Vec::new();
    if let Some(m) = &tuned {
        rows.push(row(
            "perx rewards (tuned on the data: the answers)",
            evaluate_rewards(m, &grouped, &truth, k, None),
        ));
    }
    rows.extend([
        row(
            "perx rewards (default parameters)",
            evaluate_rewards(&defaults, &grouped, &truth, k, None),
        ),
        row(
            "most issued",
            evaluate_rewards(&defaults, &grouped, &truth, k, Some(Baseline::MostIssued)),
        ),
        row(
            "viewed campaigns' rewards, most issued first",
            evaluate_rewards(
                &defaults,
                &grouped,
                &truth,
                k,
                Some(Baseline::ViewedCampaigns),
            ),
        ),
    ]);
    let mut ease_params = None;
    if !args.no_ease {
        let (metrics, (lambda, popularity)) = ease_rewards(&train, &mapping, &truth, k)?;
        ease_params = Some(serde_json::json!({"lambda": lambda, "popularity": popularity}));
        rows.push(Row {
            name: format!("EASE on issues (λ {lambda}, γ {popularity}), then the fallback"),
            metrics,
        });
    }
    let users_with_truth = truth.len();
    let cold = truth
        .keys()
        .filter(|&&u| grouped.get(u).iter().all(|e| e.kind != EventKind::Reward))
        .count();
    let catalog: HashSet<i64> = mapping.iter().map(|&(_, r)| r).collect();
    let model = tuned.as_ref().unwrap_or(&defaults);
    if args.format == super::SummaryFormat::Json {
        let doc = serde_json::json!({
            "catalog": "rewards", "k": k, "cutoff_days": args.cutoff_days,
            "cutoff_us": cutoff,
            "train_events": train.len(), "users_with_truth": users_with_truth,
            "cold_users": cold, "rewards": catalog.len(),
            "tuned": model.params(), "tuning": model.tuning(),
            "fit_seconds": fit_seconds,
            "ease": ease_params, "rows": rows,
        });
        outln!("{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(exit::OK);
    }
    outln!(
        "Rewards, time split: the last {:.1} hour(s) of the log are the truth; {} training events, \
         {users_with_truth} users with issued rewards to find ({cold} with none issued before), \
         {} rewards in the catalog",
        span as f64 / 3.6e9,
        train.len(),
        catalog.len(),
    )?;
    outln!(
        "perx: {}; {} (fitted in {fit_seconds:.2} s, on the training part's last {WINDOW_DAYS} days or fifth)",
        model.params(),
        model.tuning().describe()
    )?;
    outln!(
        "{:<54} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "",
        format!("P@{k}"),
        format!("R@{k}"),
        format!("NDCG@{k}"),
        "HR",
        "MRR",
        "coverage"
    )?;
    for r in &rows {
        let m = r.metrics;
        outln!(
            "{:<54} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>9.4}",
            r.name,
            m.precision,
            m.recall,
            m.ndcg,
            m.hit_rate,
            m.mrr,
            m.coverage
        )?;
    }
    Ok(exit::OK)
}

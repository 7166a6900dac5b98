//! `perx eval`'s tuning and baselines: the grid of (p, λ, γ) tuned on a validation split
//! carved out of train (never test), EASE's (λ, γ) tuned on the same split with the same
//! number of trials, and the metrics of ranked lists and of the popularity baseline; and
//! the reward model's grid, its time split and its tuning on a window before the cut-off.
//! Pure: the CLI parses, calls and prints.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::ease::EaseGram;
use super::{Model, Params, RecommendError, Recommender, evaluate_recommender};
use crate::core::eval::{
    Interaction, Metrics, Popularity, Split, by_user, evaluate_lists, split_holding_out,
};
use crate::core::rewards::{
    Baseline, RewardError, RewardEvent, RewardModel, RewardParams, by_user as rewards_by_user,
    evaluate_reward_lists, evaluate_rewards, time_split,
};

/// The validation split holds out a tenth of each user's train ratings (the test split
/// holds out a fifth of all of them). Fitted on 72 % of the ratings rather than 64 %, a
/// model tuned on it is closer to the final one fitted on 80 %: with 512 factors the choice
/// of λ depends on how much data the spectrum is taken from, and with a fifth validation
/// picked λ 14 on every seed of 1 to 5 while the final fit does better at 7 to 10.
pub const VALIDATION_DIVISOR: usize = 10;

/// The validation split of `train`, the same for perx and EASE.
pub fn validation_split(train: &[Interaction], seed: u64) -> Split {
    split_holding_out(train, seed, VALIDATION_DIVISOR)
}

/// The tuning grid: the spectrum depends on (β, α, p), the filter on (λ, γ). β and α stay at
/// 0.25, where earlier grids over them (β 0 to 0.5, α 0.125 to 0.5) always landed.
pub const TUNE_USER_EXPONENTS: [f32; 1] = [0.25];
pub const TUNE_ITEM_EXPONENTS: [f32; 1] = [0.25];
pub const TUNE_RATING_EXPONENTS: [f32; 3] = [0.25, 0.5, 0.75];
pub const TUNE_LAMBDAS: [f32; 5] = [5.0, 7.0, 10.0, 14.0, 20.0];
pub const TUNE_POPULARITY: [f32; 3] = [0.0, 0.05, 0.1];

/// Trials in perx's grid.
pub const PERX_TRIALS: usize = TUNE_USER_EXPONENTS.len()
    * TUNE_ITEM_EXPONENTS.len()
    * TUNE_RATING_EXPONENTS.len()
    * TUNE_LAMBDAS.len()
    * TUNE_POPULARITY.len();

/// EASE's grid: λ from 100 to 12 800 in steps of √2 (1500, the paper's choice for
/// MovieLens, lies inside), times the same popularity exponents perx tunes. 15 × 3 = 45
/// trials, as many as perx's grid: the same budget.
pub const EASE_LAMBDAS: [f32; 15] = [
    100.0, 141.0, 200.0, 283.0, 400.0, 566.0, 800.0, 1131.0, 1600.0, 2263.0, 3200.0, 4525.0,
    6400.0, 9051.0, 12800.0,
];

// The same budget for both models, checked when perx is built.
const _: () = assert!(EASE_LAMBDAS.len() * TUNE_POPULARITY.len() == PERX_TRIALS);

/// One point of EASE's grid and its validation score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EaseTrial {
    pub lambda: f32,
    pub popularity: f32,
    pub validation_ndcg: f64,
}

/// Tunes EASE's (λ, γ) on the same validation split of `train` as [`tune`] (the same
/// `seed`); returns the best (λ, γ) and every trial, each also handed to `on_trial`.
pub fn tune_ease(
    train: &[Interaction],
    seed: u64,
    k: usize,
    on_trial: &mut dyn FnMut(&EaseTrial),
) -> Result<((f32, f32), Vec<EaseTrial>), RecommendError> {
    let s = validation_split(train, seed);
    let fit = take(train, &s.train);
    let val = take(train, &s.test);
    let gram = EaseGram::new(&fit)?;
    let mut trials = Vec::new();
    let mut best: Option<(f64, (f32, f32))> = None;
    for &lambda in &EASE_LAMBDAS {
        // One factorisation per λ; γ only rescales its columns.
        let plain = gram.solve(lambda, 0.0)?;
        for &popularity in &TUNE_POPULARITY {
            let boosted = (popularity != 0.0).then(|| plain.boosted(popularity));
            let ease = boosted.as_ref().unwrap_or(&plain);
            let ndcg = list_metrics(&ease.recommend_all(k), &fit, &val, k).ndcg;
            let trial = EaseTrial {
                lambda,
                popularity,
                validation_ndcg: ndcg,
            };
            on_trial(&trial);
            trials.push(trial);
            if best.as_ref().is_none_or(|(b, _)| ndcg > *b) {
                best = Some((ndcg, (lambda, popularity)));
            }
        }
    }
    Ok((best.map_or((1500.0, 0.0), |(_, p)| p), trials))
}

/// One point of the grid and its validation score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Trial {
    pub user_exponent: f32,
    pub item_exponent: f32,
    pub rating_exponent: f32,
    pub lambda: f32,
    pub popularity: f32,
    pub validation_ndcg: f64,
}

/// The interactions at `idx`.
pub fn take(ratings: &[Interaction], idx: &[usize]) -> Vec<Interaction> {
    idx.iter().map(|&i| ratings[i]).collect()
}

/// Tunes (β, α, p, λ, γ) on a validation split of `train` (never the test split); returns the
/// best and every trial, each also handed to `on_trial` as it is scored.
pub fn tune(
    train: &[Interaction],
    base: Params,
    seed: u64,
    k: usize,
    on_trial: &mut dyn FnMut(&Trial),
) -> Result<(Params, Vec<Trial>), RecommendError> {
    let s = validation_split(train, seed);
    let fit = take(train, &s.train);
    let val = take(train, &s.test);
    let mut trials = Vec::new();
    let mut best: Option<(f64, Params)> = None;
    let spectra = TUNE_USER_EXPONENTS.iter().flat_map(|&beta| {
        TUNE_ITEM_EXPONENTS
            .iter()
            .flat_map(move |&alpha| TUNE_RATING_EXPONENTS.iter().map(move |&p| (beta, alpha, p)))
    });
    for (beta, alpha, rating_exponent) in spectra {
        let params = Params {
            user_exponent: beta,
            item_exponent: alpha,
            rating_exponent,
            ..base
        };
        let model = Model::fit(&fit, params, "validation")?;
        for &lambda in &TUNE_LAMBDAS {
            for &gamma in &TUNE_POPULARITY {
                let m = model.with_filter(lambda, params.tail, gamma)?;
                let p = m.params;
                let ndcg = evaluate_recommender(&Recommender::new(m), &val, k).ndcg;
                let trial = Trial {
                    user_exponent: beta,
                    item_exponent: alpha,
                    rating_exponent,
                    lambda,
                    popularity: gamma,
                    validation_ndcg: ndcg,
                };
                on_trial(&trial);
                trials.push(trial);
                if best.as_ref().is_none_or(|(b, _)| ndcg > *b) {
                    best = Some((ndcg, p));
                }
            }
        }
    }
    Ok((best.map_or(base, |(_, p)| p), trials))
}

/// The most-popular baseline's metrics on `test`.
pub fn popularity_metrics(train: &[Interaction], test: &[Interaction], k: usize) -> Metrics {
    let model = Popularity::fit(train);
    let seen = by_user(train);
    let empty = HashSet::new();
    let users: HashSet<u32> = test.iter().map(|r| r.user).collect();
    let lists: Vec<(u32, Vec<u32>)> = users
        .into_iter()
        .map(|u| (u, model.recommend(seen.get(&u).unwrap_or(&empty), k)))
        .collect();
    list_metrics(&lists, train, test, k)
}

/// Scores ranked lists against the test items; coverage is over the movies in train.
pub fn list_metrics(
    lists: &[(u32, Vec<u32>)],
    train: &[Interaction],
    test: &[Interaction],
    k: usize,
) -> Metrics {
    let train_movies = train.iter().map(|r| r.movie).collect::<HashSet<_>>().len();
    evaluate_lists(lists, test, k, train_movies)
}

/// The reward model's tuning grid (`perx eval --catalog rewards`): view weight (views off
/// included), half-life, ridge and popularity, 81 trials; the baselines have no parameter.
pub fn reward_grid() -> Vec<RewardParams> {
    let mut out = Vec::new();
    for view_weight in [0.0, 0.25, 1.0] {
        for half_life_days in [3.0, 14.0, 60.0] {
            for ridge in [0.1, 1.0, 10.0] {
                for popularity in [0.0, 0.25, 0.5] {
                    out.push(RewardParams {
                        view_weight,
                        half_life_days,
                        ridge,
                        popularity,
                        ..RewardParams::default()
                    });
                }
            }
        }
    }
    out
}

/// The reward evaluation's time split: the span of time at the end of a log running from
/// `oldest` to `newest` (µs) whose issued rewards are the truth, `cutoff_days` long, or the
/// last fifth of a log shorter than twice that (then `true`: the caller says so).
pub fn reward_truth_span(oldest: i64, newest: i64, cutoff_days: f64) -> (i64, bool) {
    let span = (cutoff_days * 86_400e6) as i64;
    if newest.saturating_sub(oldest) < span.saturating_mul(2) {
        (newest.saturating_sub(oldest) / 5, true)
    } else {
        (span, false)
    }
}

/// The reward model tuned on `train` (everything before `cutoff`): each parameter set of
/// [`reward_grid`] fitted on the events before `cutoff - span` and scored (NDCG@`k`) on the
/// rewards issued in the `span` before `cutoff`, never after it. The best parameters and
/// their score, or `None` when that window holds no issued reward.
pub fn tune_rewards(
    train: &[RewardEvent],
    mapping: &[(i64, i64)],
    cutoff: i64,
    span: i64,
    k: usize,
) -> Result<Option<(RewardParams, f64)>, RewardError> {
    let (fit_part, validation) = time_split(train, cutoff - span);
    if validation.is_empty() {
        return Ok(None);
    }
    let grouped = rewards_by_user(&fit_part);
    let mut best: Option<(RewardParams, f64)> = None;
    // γ only scales the scores: one fit serves every γ of the grid that follows it.
    let fit_of = |p: RewardParams| RewardParams {
        popularity: 0.0,
        ..p
    };
    let mut fitted: Option<RewardModel> = None;
    for p in reward_grid() {
        let m = match fitted.take() {
            Some(m) if fit_of(m.params()) == fit_of(p) => m.with_popularity(p.popularity),
            _ => RewardModel::fit(&grouped, mapping, p)?,
        };
        let score = evaluate_rewards(&m, &grouped, &validation, k, None).ndcg;
        if best.is_none_or(|(_, b)| score > b) {
            best = Some((p, score));
        }
        fitted = Some(m);
    }
    Ok(best)
}

/// EASE's λ on the reward issue matrix, tuned with [`TUNE_POPULARITY`]'s γ: 27 × 3 = 81
/// trials, the budget of [`reward_grid`]. λ is absolute (a count of co-issues): 2^(0.6 i)
/// for i = 0 to 26, from 1 to about 50,000 (a log of 200,000 lines with 10,000 users
/// picked 4,300 on a grid that stopped at 5,000).
pub const REWARD_EASE_LAMBDAS: [f32; 27] = [
    1.0, 1.5, 2.3, 3.5, 5.3, 8.0, 12.1, 18.4, 27.9, 42.2, 64.0, 97.0, 147.0, 223.0, 338.0, 512.0,
    776.0, 1176.0, 1783.0, 2702.0, 4096.0, 6208.0, 9410.0, 14263.0, 21619.0, 32768.0, 49667.0,
];
const _: () = assert!(REWARD_EASE_LAMBDAS.len() * TUNE_POPULARITY.len() == 81);

/// One (λ, γ) of EASE on issues and its metrics.
type EaseTrialMetrics = ((f32, f32), Metrics);

/// The rewards issued in `events`, as EASE's interactions (user, reward, 1).
fn issue_interactions(events: &[RewardEvent]) -> Vec<Interaction> {
    events
        .iter()
        .filter(|e| e.kind == crate::core::logline::EventKind::Reward)
        .filter_map(|e| {
            Some(Interaction {
                user: e.user,
                movie: u32::try_from(e.item).ok()?,
                rating: 1.0,
            })
        })
        .collect()
}

/// The strong baseline of `perx eval --catalog rewards`: EASE on the user × reward issue
/// matrix of `train`, (λ, γ) tuned on the validation window before `cutoff` (fitted on the
/// events before `cutoff - span`, as [`tune_rewards`] does, with as many trials), refitted
/// on `train` and scored on `truth`. A user's list is EASE's (rewards not issued to them
/// yet), filled with the same fallback as perx's (the viewed campaigns' rewards, then the
/// most issued), so that cold users are scored alike. Also returns the (λ, γ) chosen.
pub fn ease_rewards(
    train: &[RewardEvent],
    mapping: &[(i64, i64)],
    truth: &HashMap<u32, HashSet<i64>>,
    cutoff: i64,
    span: i64,
    k: usize,
) -> Result<(Metrics, (f32, f32)), RewardError> {
    // The metrics of every (λ, γ) of `lambdas` × `gammas`, in that order: fitted on
    // `events`, scored on `truth`; one solve per λ, γ only rescales its columns.
    let score = |events: &[RewardEvent],
                 truth: &HashMap<u32, HashSet<i64>>,
                 lambdas: &[f32],
                 gammas: &[f32]|
     -> Result<Vec<EaseTrialMetrics>, RewardError> {
        let grouped = rewards_by_user(events);
        let model = RewardModel::fit(&grouped, mapping, RewardParams::default())?;
        let grid = lambdas
            .iter()
            .flat_map(|&l| gammas.iter().map(move |&g| (l, g)));
        let Ok(gram) = EaseGram::new(&issue_interactions(events)) else {
            // No issue at all: EASE has nothing; its lists are the fallback alone.
            let m = evaluate_rewards(&model, &grouped, truth, k, Some(Baseline::ViewedCampaigns));
            return Ok(grid.map(|p| (p, m)).collect());
        };
        let mut out = Vec::with_capacity(lambdas.len() * gammas.len());
        for &lambda in lambdas {
            let plain = gram.solve(lambda, 0.0)?;
            for &popularity in gammas {
                let boosted = (popularity != 0.0).then(|| plain.boosted(popularity));
                let ease = boosted.as_ref().unwrap_or(&plain);
                // Rewards of some campaign only, as perx recommends.
                let catalog = model.rewards();
                let lists: HashMap<u32, Vec<i64>> = ease
                    .recommend_all(2 * k)
                    .into_iter()
                    .map(|(u, l)| {
                        let l = l
                            .into_iter()
                            .map(i64::from)
                            .filter(|r| catalog.binary_search(r).is_ok())
                            .take(k)
                            .collect();
                        (u, l)
                    })
                    .collect();
                let m = evaluate_reward_lists(&model, &grouped, truth, k, &|user, h| {
                    let mut list: Vec<i64> = lists.get(&user).cloned().unwrap_or_default();
                    for r in model.baseline(h, k, Baseline::ViewedCampaigns) {
                        if list.len() >= k {
                            break;
                        }
                        if !list.contains(&r) {
                            list.push(r);
                        }
                    }
                    list
                });
                out.push(((lambda, popularity), m));
            }
        }
        Ok(out)
    };
    let (fit_part, validation) = time_split(train, cutoff - span);
    let chosen = if validation.is_empty() {
        (REWARD_EASE_LAMBDAS[13], 0.0)
    } else {
        let mut best = ((REWARD_EASE_LAMBDAS[0], 0.0), f64::NEG_INFINITY);
        for (p, m) in score(
            &fit_part,
            &validation,
            &REWARD_EASE_LAMBDAS,
            &TUNE_POPULARITY,
        )? {
            if m.ndcg > best.1 {
                best = (p, m.ndcg);
            }
        }
        best.0
    };
    let metrics = score(train, truth, &[chosen.0], &[chosen.1])?
        .into_iter()
        .next()
        .map(|(_, m)| m)
        .unwrap_or_default();
    Ok((metrics, chosen))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 40 users with overlapping tastes over 30 movies.
    fn overlapping() -> Vec<Interaction> {
        (0..40u32)
            .flat_map(|u| {
                (0..12u32).map(move |j| Interaction::seen(u + 1, (u * 7 + j * 3) % 30 + 1))
            })
            .collect()
    }

    #[test]
    fn tuning_scores_every_grid_point_on_validation_and_keeps_the_best() {
        let ratings = overlapping();
        let base = Params {
            factors: 4,
            oversample: 4,
            ..Params::default()
        };
        let mut seen = 0;
        let (best, trials) = tune(&ratings, base, 7, 5, &mut |_| seen += 1).unwrap();
        assert_eq!((trials.len(), seen), (PERX_TRIALS, PERX_TRIALS));
        let top = trials
            .iter()
            .map(|t| t.validation_ndcg)
            .fold(f64::MIN, f64::max);
        let chosen = trials.iter().find(|t| t.validation_ndcg == top).unwrap();
        assert_eq!(
            (best.rating_exponent, best.lambda, best.popularity),
            (chosen.rating_exponent, chosen.lambda, chosen.popularity)
        );
    }

    #[test]
    fn ease_is_tuned_on_the_same_split_with_as_many_trials_as_perx() {
        let ratings = overlapping();
        let mut seen = 0;
        let (best, trials) = tune_ease(&ratings, 7, 5, &mut |_| seen += 1).unwrap();
        assert_eq!((trials.len(), seen), (PERX_TRIALS, PERX_TRIALS));
        let top = trials
            .iter()
            .map(|t| t.validation_ndcg)
            .fold(f64::MIN, f64::max);
        let chosen = trials.iter().find(|t| t.validation_ndcg == top).unwrap();
        assert_eq!(best, (chosen.lambda, chosen.popularity));
        // The score of a trial is EASE's own at that point.
        let s = validation_split(&ratings, 7);
        let (fit, val) = (take(&ratings, &s.train), take(&ratings, &s.test));
        let gram = EaseGram::new(&fit).unwrap();
        let again = gram.solve(best.0, best.1).unwrap().recommend_all(5);
        assert_eq!(list_metrics(&again, &fit, &val, 5).ndcg, top);
    }

    #[test]
    fn the_reward_truth_window_is_the_cutoff_or_a_fifth_of_a_short_log() {
        let day = 86_400_000_000i64;
        assert_eq!(reward_truth_span(0, 30 * day, 7.0), (7 * day, false));
        assert_eq!(reward_truth_span(0, 10 * day, 7.0), (2 * day, true));
        assert_eq!(reward_grid().len(), 81);
        assert!(reward_grid().iter().any(|p| p.view_weight == 0.0));
    }

    #[test]
    fn ease_on_issues_finds_the_reward_that_goes_with_one_issued() {
        use crate::core::logline::EventKind;
        let day = 86_400_000_000i64;
        let ev = |user: u32, d: i64, item: i64| RewardEvent {
            user,
            ts_micros: d * day,
            kind: EventKind::Reward,
            item,
        };
        let mut train = Vec::new();
        for u in 0..20 {
            train.extend([ev(u, 1, 10), ev(u, 2, 11)]);
        }
        for u in 20..40 {
            train.extend([ev(u, 1, 20), ev(u, 2, 21)]);
        }
        for u in 40..45 {
            train.push(ev(u, 3, 10));
        }
        let mapping = [(1, 10), (1, 11), (2, 20), (2, 21)];
        let truth: HashMap<u32, HashSet<i64>> = (40..45).map(|u| (u, [11].into())).collect();
        let (m, (lambda, _)) = ease_rewards(&train, &mapping, &truth, 5 * day, day, 1).unwrap();
        assert!(REWARD_EASE_LAMBDAS.contains(&lambda));
        assert_eq!(m.users, 5);
        assert_eq!(m.hit_rate, 1.0, "{m:?}");
    }
}

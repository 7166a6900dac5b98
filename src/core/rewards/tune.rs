//! The reward model chooses its parameters on the data in front of it: [`fit_rewards`],
//! what every answer comes from (`perx recommend --catalog rewards`, the TUI, the server)
//! and what `perx eval --catalog rewards` scores, tunes on a validation window at the end
//! of the events it is given (fitted on what comes before it, never on what follows), by a
//! coordinate search of 81 trials from the defaults ([`reward_trials`]), and refits on
//! everything with the winner. EASE on the issue matrix,
//! the strong baseline, is tuned on the same window with as many trials. Pure: no I/O.

use std::collections::{HashMap, HashSet};

use super::{
    Baseline, ByUser, RewardError, RewardEvent, RewardFitter, RewardForm, RewardGram, RewardModel,
    RewardParams, Tuning, TuningStatus, by_user, evaluate_popularities, evaluate_reward_lists,
    evaluate_rewards, time_split,
};
use crate::core::eval::{Interaction, Metrics, split_hash};
use crate::core::logline::EventKind;
use crate::core::recommend::ease::EaseGram;

/// The values the search tries for each parameter (the defaults among them).
pub const VIEW_WEIGHTS: [f64; 5] = [0.0, 0.1, 0.25, 0.5, 1.0];
/// Half-lives, in days.
pub const HALF_LIVES: [f64; 7] = [1.0, 3.0, 7.0, 14.0, 30.0, 60.0, 180.0];
/// Ridges (multiples of the mean diagonal of G).
pub const RIDGES: [f64; 9] = [1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0];
/// The two closed forms of B.
pub const FORMS: [RewardForm; 2] = [RewardForm::Filter, RewardForm::Ease];
/// Popularity exponents γ.
pub const POPULARITIES: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];
/// Reward weight exponents α.
pub const ITEM_EXPONENTS: [f64; 3] = [0.0, 0.25, 0.5];
/// User weight exponents β.
pub const USER_EXPONENTS: [f64; 3] = [0.0, 0.25, 0.5];
/// The search's budget: parameter sets scored, the defaults included (EASE's tuning gets
/// as many).
pub const TRIALS: usize = 81;

/// One parameter the search moves.
#[derive(Debug, Clone, Copy)]
enum Dim {
    Popularity,
    Ridge,
    Form,
    ViewWeight,
    HalfLife,
    ItemExponent,
    UserExponent,
}

/// The order the search goes through the parameters in: the cheap ones first (γ needs
/// no refit, the ridge and the form one solve, the others a Gram matrix).
const DIMS: [Dim; 7] = [
    Dim::Popularity,
    Dim::Ridge,
    Dim::Form,
    Dim::ViewWeight,
    Dim::HalfLife,
    Dim::ItemExponent,
    Dim::UserExponent,
];

impl Dim {
    /// `p` with each value this parameter may take.
    fn candidates(self, p: RewardParams) -> Vec<RewardParams> {
        let each = |values: &[f64], set: fn(&mut RewardParams, f64)| {
            values
                .iter()
                .map(|&v| {
                    let mut q = p;
                    set(&mut q, v);
                    q
                })
                .collect()
        };
        match self {
            Dim::Popularity => each(&POPULARITIES, |q, v| q.popularity = v),
            Dim::Ridge => each(&RIDGES, |q, v| q.ridge = v),
            Dim::Form => FORMS
                .iter()
                .map(|&form| RewardParams { form, ..p })
                .collect(),
            Dim::ViewWeight => each(&VIEW_WEIGHTS, |q, v| q.view_weight = v),
            Dim::HalfLife => each(&HALF_LIVES, |q, v| q.half_life_days = v),
            Dim::ItemExponent => each(&ITEM_EXPONENTS, |q, v| q.item_exponent = v),
            Dim::UserExponent => each(&USER_EXPONENTS, |q, v| q.user_exponent = v),
        }
    }
}

/// The validation window's length, in days (a log shorter than twice this gives its last
/// fifth instead: see [`reward_truth_span`]).
pub const WINDOW_DAYS: f64 = 7.0;
/// The metric tuning maximises is NDCG at this cut-off.
pub const TUNING_K: usize = 10;
/// Fewer users with a reward issued in the window than this and the choice would be
/// noise: the defaults are kept, and the model says so.
pub const MIN_TUNING_USERS: usize = 50;
/// At most this many of the window's users are scored (a fixed sample of them, by a hash
/// of their first event): enough to tell the trials apart, at a cost that does not grow
/// with the log.
pub const MAX_TUNING_USERS: usize = 5_000;

/// The span of time at the end of a log running from `oldest` to `newest` (µs) that a time
/// split holds out, `days` long, or the last fifth of a log shorter than twice that (then
/// `true`: the caller says so).
pub fn reward_truth_span(oldest: i64, newest: i64, days: f64) -> (i64, bool) {
    let span = (days * 86_400e6) as i64;
    if newest.saturating_sub(oldest) < span.saturating_mul(2) {
        (newest.saturating_sub(oldest) / 5, true)
    } else {
        (span, false)
    }
}

/// The validation window of reward tuning, which perx's tuning and EASE's share.
#[derive(Debug, Clone)]
pub struct TuningWindow {
    /// The events before the window: what each trial is fitted on.
    pub fit_part: Vec<RewardEvent>,
    /// The rewards issued in the window to the users scored, by user.
    pub validation: HashMap<u32, HashSet<i64>>,
    /// Users with a reward issued in the window (before sampling).
    pub window_users: usize,
    /// The window's length, µs.
    pub span: i64,
}

/// The validation window at the end of `events`: its last [`WINDOW_DAYS`] (or fifth),
/// with at most [`MAX_TUNING_USERS`] users scored; or, when the events cannot hold one,
/// why, for people. `events` may be in any order.
pub fn tuning_window(events: &[RewardEvent]) -> Result<TuningWindow, String> {
    let (Some(oldest), Some(newest)) = (
        events.iter().map(|e| e.ts_micros).min(),
        events.iter().map(|e| e.ts_micros).max(),
    ) else {
        return Err("the log holds no event to tune on".to_owned());
    };
    let (span, _) = reward_truth_span(oldest, newest, WINDOW_DAYS);
    let (fit_part, mut validation) = time_split(events, newest - span);
    let hours = span as f64 / 3.6e9;
    let window_users = validation.len();
    if window_users < MIN_TUNING_USERS {
        return Err(format!(
            "the last {hours:.1} h of the log hold rewards issued to {window_users} users; \
             tuning needs {MIN_TUNING_USERS} to choose"
        ));
    }
    if !fit_part.iter().any(|e| e.kind == EventKind::Reward) {
        return Err(format!(
            "no reward was issued before the last {hours:.1} h of the log: nothing to fit \
             a trial on"
        ));
    }
    if window_users > MAX_TUNING_USERS {
        // By a hash of each user's first event, so the sample does not depend on how the
        // users are numbered (a log cut at some instant samples the same users).
        let mut first: HashMap<u32, (i64, i64)> = HashMap::new();
        for e in events {
            let f = first.entry(e.user).or_insert((e.ts_micros, e.item));
            *f = (*f).min((e.ts_micros, e.item));
        }
        let key = |u: u32| {
            let (ts, item) = first.get(&u).copied().unwrap_or_default();
            split_hash(TUNING_SAMPLE_SEED ^ ts as u64, 0, item as u32)
        };
        let mut users: Vec<u32> = validation.keys().copied().collect();
        users.sort_unstable_by_key(|&u| (key(u), u));
        let kept: HashSet<u32> = users[..MAX_TUNING_USERS].iter().copied().collect();
        validation.retain(|u, _| kept.contains(u));
    }
    Ok(TuningWindow {
        fit_part,
        validation,
        window_users,
        span,
    })
}

/// The seed of the sample of the window's users.
const TUNING_SAMPLE_SEED: u64 = 0x0072_6577_6172_6473;

/// The search of the reward model's parameters on `window`, each trial fitted on its fit
/// part and scored (NDCG@`k`) on its users: a coordinate search from the defaults, which
/// goes through the parameters ([`DIMS`]) trying each value of one with the others at the
/// best so far, moving on a strict improvement, until a pass changes nothing or
/// [`TRIALS`] parameter sets were scored. Returns every trial in the order tried (the
/// defaults first); the best is the first with the highest score.
pub fn reward_trials(
    window: &TuningWindow,
    mapping: &[(i64, i64)],
    k: usize,
) -> Result<Vec<(RewardParams, f64)>, RewardError> {
    let grouped = by_user(&window.fit_part);
    let fitter = RewardFitter::new(&grouped, mapping)?;
    let mut scorer = Scorer {
        fitter: &fitter,
        grouped: &grouped,
        truth: &window.validation,
        k,
        gram: None,
    };
    let defaults = RewardParams::default();
    let mut trials = vec![(defaults, scorer.score(&[defaults])?[0])];
    let mut best = trials[0];
    'search: loop {
        let mut moved = false;
        for dim in DIMS {
            let mut fresh: Vec<RewardParams> = dim
                .candidates(best.0)
                .into_iter()
                .filter(|p| trials.iter().all(|(t, _)| t != p))
                .collect();
            fresh.truncate(TRIALS - trials.len());
            for (p, score) in fresh.iter().copied().zip(scorer.score(&fresh)?) {
                trials.push((p, score));
                if score > best.1 {
                    best = (p, score);
                    moved = true;
                }
            }
            if trials.len() >= TRIALS {
                break 'search;
            }
        }
        if !moved {
            break;
        }
    }
    Ok(trials)
}

/// Scores parameter sets on a window, keeping the last Gram matrix: consecutive sets that
/// share it are one assembly, and those that differ only in γ one solve and one reading
/// of each user.
struct Scorer<'a> {
    fitter: &'a RewardFitter<'a>,
    grouped: &'a ByUser,
    truth: &'a HashMap<u32, HashSet<i64>>,
    k: usize,
    gram: Option<(RewardParams, RewardGram<'a>)>,
}

impl Scorer<'_> {
    /// NDCG@k of each of `params`, in order.
    fn score(&mut self, params: &[RewardParams]) -> Result<Vec<f64>, RewardError> {
        // What the Gram matrix depends on, and what one solve does.
        let gram_key = |p: RewardParams| RewardParams {
            ridge: 1.0,
            form: RewardForm::Filter,
            popularity: 0.0,
            repeatable: false,
            ..p
        };
        let solve_key = |p: RewardParams| RewardParams {
            popularity: 0.0,
            repeatable: false,
            ..p
        };
        let mut out = Vec::with_capacity(params.len());
        for group in params.chunk_by(|a, b| solve_key(*a) == solve_key(*b)) {
            let p = group[0];
            if self
                .gram
                .as_ref()
                .is_none_or(|(key, _)| *key != gram_key(p))
            {
                self.gram = None;
                self.gram = Some((gram_key(p), self.fitter.gram(p)?));
            }
            let Some((_, gram)) = &self.gram else {
                continue;
            };
            let model = gram.model(p.ridge, p.form, 0.0)?;
            let gammas: Vec<f64> = group.iter().map(|q| q.popularity).collect();
            let metrics = evaluate_popularities(&model, self.grouped, self.truth, self.k, &gammas);
            out.extend(metrics.into_iter().map(|m| m.ndcg));
        }
        Ok(out)
    }
}

/// The reward model every answer comes from: fitted on the events of `grouped` with the parameters
/// chosen on them (`tune`: the best of [`reward_trials`] on [`tuning_window`]; the
/// defaults when the events are too short, and the model says why) or with the defaults
/// (`tune` false). `perx eval --catalog rewards` calls this on
/// its training part, so its figure is the answers'.
pub fn fit_rewards(
    grouped: &ByUser,
    mapping: &[(i64, i64)],
    tune: bool,
) -> Result<RewardModel, RewardError> {
    let defaults = RewardParams::default();
    if !tune {
        return RewardModel::fit(grouped, mapping, defaults);
    }
    let window = match tuning_window(grouped.events()) {
        Ok(w) => w,
        Err(note) => {
            let model = RewardModel::fit(grouped, mapping, defaults)?;
            return Ok(model.with_tuning(Tuning {
                status: TuningStatus::TooShort,
                note,
                ..Tuning::off()
            }));
        }
    };
    let trials = reward_trials(&window, mapping, TUNING_K)?;
    let mut best = (defaults, f64::NEG_INFINITY);
    for &(p, score) in &trials {
        if score > best.1 {
            best = (p, score);
        }
    }
    let at_defaults = trials.first().map(|t| t.1);
    let tuning = Tuning {
        status: TuningStatus::Tuned,
        note: String::new(),
        k: TUNING_K,
        window_hours: window.span as f64 / 3.6e9,
        window_users: window.window_users,
        scored_users: window.validation.len(),
        trials: trials.len(),
        chosen_ndcg: Some(best.1),
        defaults_ndcg: at_defaults,
    };
    Ok(RewardModel::fit(grouped, mapping, best.0)?.with_tuning(tuning))
}

/// EASE's λ on the reward issue matrix, tuned with [`EASE_POPULARITIES`]' γ: 27 × 3 = 81
/// trials, perx's budget ([`TRIALS`]). λ is absolute (a count of co-issues): 2^(0.6 i)
/// for i = 0 to 26, from 1 to about 50,000 (a log of 200,000 lines with 10,000 users
/// picked 4,300 on a grid that stopped at 5,000).
pub const REWARD_EASE_LAMBDAS: [f32; 27] = [
    1.0, 1.5, 2.3, 3.5, 5.3, 8.0, 12.1, 18.4, 27.9, 42.2, 64.0, 97.0, 147.0, 223.0, 338.0, 512.0,
    776.0, 1176.0, 1783.0, 2702.0, 4096.0, 6208.0, 9410.0, 14263.0, 21619.0, 32768.0, 49667.0,
];
const _: () = assert!(REWARD_EASE_LAMBDAS.len() * EASE_POPULARITIES.len() == TRIALS);

/// EASE's γ on rewards: the range of perx's ([`POPULARITIES`]), in three steps.
pub const EASE_POPULARITIES: [f32; 3] = [0.0, 0.5, 1.0];

/// One (λ, γ) of EASE on issues and its metrics.
type EaseTrialMetrics = ((f32, f32), Metrics);

/// The rewards issued in `events`, as EASE's interactions (user, reward, 1).
fn issue_interactions(events: &[RewardEvent]) -> Vec<Interaction> {
    events
        .iter()
        .filter(|e| e.kind == EventKind::Reward)
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
/// matrix of `train`, (λ, γ) tuned on [`tuning_window`] of `train` (perx's window and
/// users, as many trials), refitted on `train` and scored on `truth`. A user's list is
/// EASE's (rewards not issued to them yet), filled with the same fallback as perx's (the
/// viewed campaigns' rewards, then the most issued), so that cold users are scored alike.
/// Also returns the (λ, γ) chosen (λ mid-grid, γ 0 when the window is too short).
pub fn ease_rewards(
    train: &[RewardEvent],
    mapping: &[(i64, i64)],
    truth: &HashMap<u32, HashSet<i64>>,
    k: usize,
) -> Result<(Metrics, (f32, f32)), RewardError> {
    // The metrics of every (λ, γ) of `lambdas` × `gammas`, in that order: fitted on
    // `events`, scored on `truth`; one solve per λ, γ only rescales its columns.
    let score = |events: &[RewardEvent],
                 truth: &HashMap<u32, HashSet<i64>>,
                 lambdas: &[f32],
                 gammas: &[f32]|
     -> Result<Vec<EaseTrialMetrics>, RewardError> {
        let grouped = by_user(events);
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
    let chosen = match tuning_window(train) {
        Err(_) => (REWARD_EASE_LAMBDAS[13], 0.0),
        Ok(window) => {
            let mut best = ((REWARD_EASE_LAMBDAS[0], 0.0), f64::NEG_INFINITY);
            for (p, m) in score(
                &window.fit_part,
                &window.validation,
                &REWARD_EASE_LAMBDAS,
                &EASE_POPULARITIES,
            )? {
                if m.ndcg > best.1 {
                    best = (p, m.ndcg);
                }
            }
            best.0
        }
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
    use crate::core::rewards::tests::{DAY, ev};

    #[test]
    fn the_reward_truth_window_is_the_cutoff_or_a_fifth_of_a_short_log() {
        assert_eq!(reward_truth_span(0, 30 * DAY, 7.0), (7 * DAY, false));
        assert_eq!(reward_truth_span(0, 10 * DAY, 7.0), (2 * DAY, true));
        // Every parameter's default is one of its values; views can be switched off.
        let d = RewardParams::default();
        for dim in DIMS {
            assert!(dim.candidates(d).contains(&d), "{dim:?}");
        }
        assert!(VIEW_WEIGHTS.contains(&0.0));
    }

    /// Two kinds of users (20..35 take rewards 10 then 11; the others 20 then 21), each
    /// viewing campaigns at random (so views carry no taste), over 30 days; `users` of
    /// them.
    fn two_tastes(users: u32) -> Vec<RewardEvent> {
        let mut e = Vec::new();
        for u in 0..users {
            let (a, b) = if u % 2 == 0 { (10, 11) } else { (20, 21) };
            let d = i64::from(u % 30);
            e.extend([
                ev(u, d, EventKind::View, i64::from(u % 3) + 1),
                ev(u, d, EventKind::Reward, a),
                ev(u, d + 1, EventKind::View, i64::from((u + 1) % 3) + 1),
            ]);
            // The second reward of half of them falls late.
            e.push(ev(
                u,
                if u % 4 < 2 { 40 } else { d + 1 },
                EventKind::Reward,
                b,
            ));
        }
        e
    }

    /// Campaigns 1, 2, 3 each hold one reward of both kinds.
    const MAPPING: &[(i64, i64)] = &[(1, 10), (1, 20), (2, 11), (2, 21), (3, 10), (3, 21)];

    #[test]
    fn the_fit_tunes_itself_on_the_window_and_says_so() {
        let events = two_tastes(400);
        let m = fit_rewards(&by_user(&events), MAPPING, true).unwrap();
        let t = m.tuning();
        assert_eq!(t.status, TuningStatus::Tuned, "{t:?}");
        assert_eq!(t.k, TUNING_K);
        assert!(t.trials > 1 && t.trials <= TRIALS, "{t:?}");
        let (chosen, defaults) = (t.chosen_ndcg.unwrap(), t.defaults_ndcg.unwrap());
        assert!(chosen >= defaults, "{t:?}");
        // The choice is the first best trial, recomputed here from the trials, each a
        // distinct parameter set, the defaults first.
        let window = tuning_window(&events).unwrap();
        assert_eq!(window.validation.len(), t.scored_users);
        let trials = reward_trials(&window, MAPPING, TUNING_K).unwrap();
        assert_eq!(
            (trials.len(), trials[0].0),
            (t.trials, RewardParams::default())
        );
        for (i, a) in trials.iter().enumerate() {
            assert!(trials[..i].iter().all(|b| b.0 != a.0), "tried twice: {a:?}");
        }
        let top = trials.iter().map(|t| t.1).fold(f64::MIN, f64::max);
        let first = trials.iter().find(|t| t.1 == top).unwrap().0;
        assert_eq!(m.params(), first);
        assert_eq!(top, chosen);
        // The trial's score is what the model fitted on the window's fit part scores.
        let fit = RewardModel::fit(&by_user(&window.fit_part), MAPPING, first).unwrap();
        let again = evaluate_rewards(
            &fit,
            &by_user(&window.fit_part),
            &window.validation,
            TUNING_K,
            None,
        );
        assert_eq!(again.ndcg, top);
        // Off: the defaults, and it says so.
        let off = fit_rewards(&by_user(&events), MAPPING, false).unwrap();
        assert_eq!(off.params(), RewardParams::default());
        assert_eq!(off.tuning().status, TuningStatus::Off);
    }

    #[test]
    fn a_log_too_short_to_tune_keeps_the_defaults_and_says_why() {
        let events = two_tastes(40);
        let m = fit_rewards(&by_user(&events), MAPPING, true).unwrap();
        assert_eq!(m.params(), RewardParams::default());
        assert_eq!(m.tuning().status, TuningStatus::TooShort);
        assert!(
            m.tuning().note.contains("tuning needs 50"),
            "{:?}",
            m.tuning()
        );
        assert!(
            m.tuning()
                .describe()
                .starts_with("default parameters: the last")
        );
        assert!(fit_rewards(&by_user(&[]), MAPPING, true).is_ok());
    }

    #[test]
    fn ease_on_issues_finds_the_reward_that_goes_with_one_issued() {
        let mut train = Vec::new();
        for u in 0..200 {
            let (a, b) = if u < 100 { (10, 11) } else { (20, 21) };
            train.extend([
                ev(u, i64::from(u % 20), EventKind::Reward, a),
                ev(u, i64::from(u % 20) + 1, EventKind::Reward, b),
            ]);
        }
        for u in 200..205 {
            train.push(ev(u, 3, EventKind::Reward, 10));
        }
        let mapping = [(1, 10), (1, 11), (2, 20), (2, 21)];
        let truth: HashMap<u32, HashSet<i64>> = (200..205).map(|u| (u, [11].into())).collect();
        let (m, (lambda, _)) = ease_rewards(&train, &mapping, &truth, 1).unwrap();
        assert!(REWARD_EASE_LAMBDAS.contains(&lambda));
        assert_eq!(m.users, 5);
        assert_eq!(m.hit_rate, 1.0, "{m:?}");
    }
}

//! Reward recommendations for the platform's own users, from the HTTP log: rewards issued
//! to a user (strong), campaigns the user viewed spread to the rewards they contain
//! through the campaign–reward mapping (weaker), both decayed with age. With `G = XsᵀXs`
//! the Gram matrix of the weighted user × reward matrix, B is the spectral filter
//! `G (G + μI)⁻¹` (each direction of the spectrum kept by σ²/(σ² + μ)) or EASE's closed
//! form `I − P diag(P)⁻¹`, `P = (G + μI)⁻¹`. Scores are `x_u B` scaled by reward
//! popularity^γ. The parameters are tuned on the data by [`tune::fit_rewards`]. Pure: no
//! I/O.

use std::collections::{HashMap, HashSet};

use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, Side};
use rayon::prelude::*;

use serde::{Deserialize, Serialize};

use crate::core::eval::Metrics;
use crate::core::logline::EventKind;

pub mod codec;
pub mod tune;

/// One request of the log, with the user as a dense index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewardEvent {
    /// The user (an index into the caller's list of user ids).
    pub user: u32,
    /// When, µs since the epoch (UTC).
    pub ts_micros: i64,
    /// A campaign view or a reward issue.
    pub kind: EventKind,
    /// The campaign or reward id.
    pub item: i64,
}

/// What shapes the model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RewardParams {
    /// Weight of a campaign view, shared among the campaign's rewards (an issue weighs 1).
    pub view_weight: f64,
    /// Half-life of an event's weight, in days before the newest event.
    pub half_life_days: f64,
    /// μ, as a multiple of the mean diagonal of the Gram matrix.
    pub ridge: f64,
    /// α: rewards are weighted by (weight)^-α.
    pub item_exponent: f64,
    /// β: users are weighted by (weight)^-β.
    pub user_exponent: f64,
    /// γ: scores of reward r are multiplied by (issues of r + 1)^γ.
    pub popularity: f64,
    /// Whether a reward already issued to a user may be recommended again.
    pub repeatable: bool,
    /// What is made of G and μ: the spectral filter or EASE's closed form.
    #[serde(default)]
    pub form: RewardForm,
}

/// The item–item matrix B made of the weighted Gram matrix G and the ridge μ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardForm {
    /// B = G (G + μI)⁻¹: each direction of G's spectrum kept by σ²/(σ² + μ).
    #[default]
    Filter,
    /// EASE's: with P = (G + μI)⁻¹, B = I − P diag(P)⁻¹, zero on the diagonal (a reward
    /// is never its own evidence); each column scaled by 1/P_jj.
    Ease,
}

impl RewardForm {
    /// How the JSON spells it.
    pub fn name(self) -> &'static str {
        match self {
            RewardForm::Filter => "filter",
            RewardForm::Ease => "ease",
        }
    }
}

impl Default for RewardParams {
    fn default() -> Self {
        // What `perx eval --catalog rewards` picks: on the real log the view weight 0.25
        // and a short half-life (it spans hours), on a generated log with tastes no view
        // weight and a long half-life; both pick the heavier ridge.
        RewardParams {
            view_weight: 0.25,
            half_life_days: 60.0,
            ridge: 10.0,
            item_exponent: 0.25,
            user_exponent: 0.25,
            popularity: 0.25,
            repeatable: false,
            form: RewardForm::Filter,
        }
    }
}

impl std::fmt::Display for RewardParams {
    /// `view_weight 0.25, half_life_days 60, …`: the JSON's names, for people.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "view_weight {}, half_life_days {}, ridge {}, form {}, item_exponent {}, \
             user_exponent {}, popularity {}, repeatable {}",
            self.view_weight,
            self.half_life_days,
            self.ridge,
            self.form.name(),
            self.item_exponent,
            self.user_exponent,
            self.popularity,
            self.repeatable
        )
    }
}

/// The smallest model score that counts as a recommendation: below it (zero but for
/// rounding) the history says nothing about the reward.
const MIN_SIGNAL: f64 = 1e-12;

/// What a list was made from (the JSON answers spell it in snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardBasis {
    /// The model, from the user's issues and views: every item.
    Model,
    /// The model had a positive score for fewer than k rewards: those first, then the
    /// fallback (the viewed campaigns' rewards, then the most issued).
    ModelThenFallback,
    /// Nothing from the model (no reward issued yet, or no positive score): the most
    /// issued rewards of the campaigns the user viewed, then the most issued overall.
    ViewedCampaigns,
    /// Nothing from the model and no viewed campaign: the most issued rewards.
    Popular,
}

/// Where one item of a list came from (spelled by [`RewardSource::name`] in the JSON and
/// the CSV alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardSource {
    /// The model's score (positive).
    Model,
    /// A reward of a campaign the user viewed; its score is how often it was issued.
    ViewedCampaigns,
    /// One of the most issued rewards; its score is how often it was issued.
    Popular,
}

impl RewardSource {
    /// How the answers spell it: `model`, `viewed_campaigns`, `popular`.
    pub fn name(self) -> &'static str {
        match self {
            RewardSource::Model => "model",
            RewardSource::ViewedCampaigns => "viewed_campaigns",
            RewardSource::Popular => "popular",
        }
    }
}

impl Serialize for RewardSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// One recommended reward.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RewardPick {
    /// The reward id.
    pub reward: i64,
    /// The model's score, or the reward's issue count for a fallback item.
    pub score: f64,
    /// Where it came from.
    pub source: RewardSource,
}

/// A ranked list of rewards for one user.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardRecommendation {
    /// Best first: the model's positive scores, then the fallback.
    pub items: Vec<RewardPick>,
    /// How it was made.
    pub basis: RewardBasis,
}

impl RewardRecommendation {
    /// The reward ids, best first.
    pub fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.items.iter().map(|p| p.reward)
    }
}

/// A user's history, as the model reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// (campaign, µs) of each view.
    pub views: Vec<(i64, i64)>,
    /// (reward, µs) of each issue.
    pub issues: Vec<(i64, i64)>,
}

/// Why an error.
#[derive(Debug, thiserror::Error)]
pub enum RewardError {
    /// The campaign–reward mapping is empty: nothing can be recommended.
    #[error("the campaign-reward mapping is empty: load campaign_reward_mapping.csv first")]
    NoCatalog,
    /// A parameter out of range.
    #[error("{0}")]
    BadParam(String),
    /// The EASE baseline could not be solved.
    #[error("the EASE baseline: {0}")]
    Ease(#[from] crate::core::recommend::RecommendError),
}

/// How the model's parameters were chosen (saved with it, shown with its answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TuningStatus {
    /// Chosen on this data: the best of the grid on the validation window at its end.
    Tuned,
    /// The defaults: the data are too short to hold a validation window (see the note).
    TooShort,
    /// The parameters given (the defaults unless the caller chose): no tuning was asked for.
    Off,
}

/// How the parameters were chosen, and the evidence: what the chosen ones and the
/// defaults scored on the validation window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tuning {
    /// Tuned, or why not.
    pub status: TuningStatus,
    /// Why the defaults, for people (empty unless `too_short`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The cut-off of the validation metric, NDCG@k.
    pub k: usize,
    /// The validation window: the hours at the end of the data whose issued rewards the
    /// trials are scored on (fitted on what comes before).
    pub window_hours: f64,
    /// Users with a reward issued in the window.
    pub window_users: usize,
    /// Of those, how many were scored (a deterministic sample above a bound).
    pub scored_users: usize,
    /// Parameter sets tried.
    pub trials: usize,
    /// NDCG@k on the window of the chosen parameters.
    pub chosen_ndcg: Option<f64>,
    /// NDCG@k on the window of the default parameters.
    pub defaults_ndcg: Option<f64>,
}

impl Tuning {
    /// Not tuned: the parameters were given.
    pub fn off() -> Tuning {
        Tuning {
            status: TuningStatus::Off,
            note: String::new(),
            k: 0,
            window_hours: 0.0,
            window_users: 0,
            scored_users: 0,
            trials: 0,
            chosen_ndcg: None,
            defaults_ndcg: None,
        }
    }

    /// One sentence for people: how the parameters were chosen and what they scored.
    pub fn describe(&self) -> String {
        match self.status {
            TuningStatus::Tuned => {
                let score = |s: Option<f64>| s.map_or("-".to_owned(), |v| format!("{v:.4}"));
                let sample = if self.scored_users < self.window_users {
                    format!(
                        "{} of its {} users with an issued reward",
                        self.scored_users, self.window_users
                    )
                } else {
                    format!("{} users with an issued reward", self.window_users)
                };
                format!(
                    "tuned on this data: the best of {} parameter sets on the last {:.1} h \
                     ({sample}), NDCG@{} {} there against {} with the defaults",
                    self.trials,
                    self.window_hours,
                    self.k,
                    score(self.chosen_ndcg),
                    score(self.defaults_ndcg)
                )
            }
            TuningStatus::TooShort => format!("default parameters: {}", self.note),
            TuningStatus::Off => "default parameters (tuning was not asked for)".to_owned(),
        }
    }
}

/// The catalog a model works on: the mapping's rewards and campaigns, both ascending (an
/// id's index is its position), and each campaign's rewards.
#[derive(Debug, Clone)]
struct Catalog {
    rewards: Vec<i64>,
    campaigns: Vec<i64>,
    /// Each campaign's rewards (catalog indices, each once), by campaign index.
    campaign_rewards: Vec<Vec<usize>>,
}

impl Catalog {
    fn new(mapping: &[(i64, i64)]) -> Result<Catalog, RewardError> {
        let sorted = |mut v: Vec<i64>| {
            v.sort_unstable();
            v.dedup();
            v
        };
        let rewards = sorted(mapping.iter().map(|&(_, r)| r).collect());
        let campaigns = sorted(mapping.iter().map(|&(c, _)| c).collect());
        if rewards.is_empty() {
            return Err(RewardError::NoCatalog);
        }
        let mut campaign_rewards = vec![Vec::new(); campaigns.len()];
        let mut seen_pairs = HashSet::new();
        for &(c, r) in mapping {
            let found = (campaigns.binary_search(&c), rewards.binary_search(&r));
            if let (true, (Ok(ci), Ok(ri))) = (seen_pairs.insert((c, r)), found) {
                campaign_rewards[ci].push(ri);
            }
        }
        Ok(Catalog {
            rewards,
            campaigns,
            campaign_rewards,
        })
    }

    /// Reward `id`'s index.
    fn reward(&self, id: i64) -> Option<usize> {
        self.rewards.binary_search(&id).ok()
    }

    /// Campaign `id`'s index.
    fn campaign(&self, id: i64) -> Option<usize> {
        self.campaigns.binary_search(&id).ok()
    }
}

/// The fitted model.
#[derive(Debug, Clone)]
pub struct RewardModel {
    params: RewardParams,
    cat: Catalog,
    /// Row-major n × n filter.
    b: Vec<f64>,
    /// M B: each campaign's view spread through the filter (campaigns × rewards).
    mb: Vec<f64>,
    /// Catalog indices, most issued first.
    popular: Vec<usize>,
    /// Issues of each reward in the training events.
    issued: Vec<u64>,
    /// Each reward's score factor, (issues + 1)^γ.
    boost: Vec<f64>,
    /// The newest event, the reference of the decay.
    newest: i64,
    /// How the parameters were chosen.
    tuning: Tuning,
}

/// Microseconds in a day.
const DAY_US: f64 = 86_400e6;

/// The weight of an event at `ts`: half-life decay from `newest`.
fn decay(newest: i64, ts: i64, half_life_days: f64) -> f64 {
    let age_days = (newest - ts).max(0) as f64 / DAY_US;
    (-age_days / half_life_days).exp2()
}

/// Sorts (index, weight) pairs by index and sums the weights of each index.
fn merge(pairs: &mut Vec<(usize, f64)>) {
    pairs.sort_unstable_by_key(|p| p.0);
    pairs.dedup_by(|next, kept| {
        let same = next.0 == kept.0;
        if same {
            kept.1 += next.1;
        }
        same
    });
}

/// (issues + 1)^γ of each reward.
fn boost_of(issued: &[u64], popularity: f64) -> Vec<f64> {
    issued
        .iter()
        .map(|&c| (c as f64 + 1.0).powf(popularity))
        .collect()
}

/// What every fit on the same events and mapping shares: the catalog, the issue counts,
/// the newest event. [`RewardFitter::gram`] assembles the Gram matrix for the parameters
/// that shape it and [`RewardGram::model`] solves it for a ridge, so a tuning grid
/// assembles once per (view weight, half-life) and solves once per ridge.
pub struct RewardFitter<'a> {
    grouped: &'a ByUser,
    cat: Catalog,
    issued: Vec<u64>,
    popular: Vec<usize>,
    newest: i64,
}

impl<'a> RewardFitter<'a> {
    /// The catalog of `mapping` ((campaign, reward) pairs) and the events of `grouped`.
    pub fn new(grouped: &'a ByUser, mapping: &[(i64, i64)]) -> Result<Self, RewardError> {
        let cat = Catalog::new(mapping)?;
        let mut issued = vec![0u64; cat.rewards.len()];
        for e in grouped.events() {
            if let (EventKind::Reward, Some(i)) = (e.kind, cat.reward(e.item)) {
                issued[i] += 1;
            }
        }
        let newest = grouped
            .events()
            .iter()
            .map(|e| e.ts_micros)
            .max()
            .unwrap_or(0);
        Ok(RewardFitter {
            grouped,
            popular: most_issued_first(&issued),
            cat,
            issued,
            newest,
        })
    }

    /// The weighted Gram matrix for `params` (all but the ridge and γ shape it).
    pub fn gram(&self, params: RewardParams) -> Result<RewardGram<'_>, RewardError> {
        if !(params.half_life_days > 0.0 && params.ridge > 0.0 && params.view_weight >= 0.0) {
            return Err(RewardError::BadParam(
                "half-life and ridge must be positive, the view weight not negative".into(),
            ));
        }
        let cat = &self.cat;
        let (n, m) = (cat.rewards.len(), cat.campaigns.len());
        // X = A + C M: A the (decayed) issues, C the (decayed, weighted) views, M the
        // mapping with each campaign's row summing to 1. With the user weights on the
        // left and the reward weights on the right, XsᵀXs is assembled from AᵀA, AᵀC and
        // CᵀC, which cost the square of each user's distinct items, not of the rewards
        // they spread to.
        let mut aa = vec![0f64; n * n];
        let mut ac = vec![0f64; n * m];
        let mut cc = vec![0f64; m * m];
        let (mut col_a, mut col_c) = (vec![0f64; n], vec![0f64; m]);
        let mut issues: Vec<(usize, f64)> = Vec::new();
        let mut views: Vec<(usize, f64)> = Vec::new();
        for group in self.grouped.groups() {
            issues.clear();
            views.clear();
            for e in group {
                let w = decay(self.newest, e.ts_micros, params.half_life_days);
                match e.kind {
                    EventKind::Reward => issues.extend(cat.reward(e.item).map(|i| (i, w))),
                    EventKind::View if params.view_weight > 0.0 => {
                        views.extend(cat.campaign(e.item).map(|c| (c, params.view_weight * w)));
                    }
                    EventKind::View => {}
                }
            }
            merge(&mut issues);
            merge(&mut views);
            let total: f64 =
                issues.iter().map(|x| x.1).sum::<f64>() + views.iter().map(|x| x.1).sum::<f64>();
            if total <= 0.0 {
                continue;
            }
            let s2 = total.powf(-2.0 * params.user_exponent);
            for &(i, w) in &issues {
                col_a[i] += w;
                let (row_a, row_c) = (&mut aa[i * n..(i + 1) * n], &mut ac[i * m..(i + 1) * m]);
                for &(j, v) in &issues {
                    row_a[j] += s2 * w * v;
                }
                for &(c, v) in &views {
                    row_c[c] += s2 * w * v;
                }
            }
            for &(c, w) in &views {
                col_c[c] += w;
                let row = &mut cc[c * m..(c + 1) * m];
                for &(d, v) in &views {
                    row[d] += s2 * w * v;
                }
            }
        }
        // What reaches each reward: its issues, and the views spread to it by M.
        let mut col_x = col_a;
        for (c, rs) in cat.campaign_rewards.iter().enumerate() {
            if col_c[c] != 0.0 {
                for &r in rs {
                    col_x[r] += col_c[c] / rs.len() as f64;
                }
            }
        }
        let scale: Vec<f64> = col_x
            .iter()
            .map(|&w| {
                if w > 0.0 {
                    w.powf(-params.item_exponent)
                } else {
                    0.0
                }
            })
            .collect();
        // A reward no event reaches (never issued, its campaigns never viewed) has a zero
        // row and column in G, so B = G (G + μI)⁻¹ is zero outside the block of the rewards
        // events reach: G is assembled and solved on that block alone (exactly the same B,
        // at the cube of its size; on the real log 773 of 1,462 rewards, 180 without views).
        let active: Vec<usize> = (0..n).filter(|&i| scale[i] > 0.0).collect();
        let na = active.len();
        let mut position = vec![usize::MAX; n];
        for (j, &i) in active.iter().enumerate() {
            position[i] = j;
        }
        // M on the active rewards (campaigns × active).
        let mut m_m = Mat::<f64>::zeros(m, na);
        for (c, rs) in cat.campaign_rewards.iter().enumerate() {
            for &r in rs {
                if position[r] != usize::MAX {
                    m_m[(c, position[r])] += 1.0 / rs.len() as f64;
                }
            }
        }
        let a_a = Mat::<f64>::from_fn(na, na, |i, j| aa[active[i] * n + active[j]]);
        let a_c = Mat::<f64>::from_fn(na, m, |i, c| ac[active[i] * m + c]);
        let c_c = Mat::<f64>::from_fn(m, m, |c, d| cc[c * m + d]);
        let acm = &a_c * &m_m;
        let raw = &a_a + &acm + acm.transpose() + m_m.transpose() * (&c_c * &m_m);
        let g = Mat::<f64>::from_fn(na, na, |i, j| {
            raw[(i, j)] * scale[active[i]] * scale[active[j]]
        });
        // μ is relative to the mean diagonal over the whole catalog.
        let mean_diag = (0..na).map(|i| g[(i, i)]).sum::<f64>() / n as f64;
        Ok(RewardGram {
            fitter: self,
            params,
            active,
            g,
            m_m,
            mean_diag,
        })
    }
}

/// The Gram matrix of one fit on the rewards events reach, ready to solve for any ridge.
pub struct RewardGram<'f> {
    fitter: &'f RewardFitter<'f>,
    params: RewardParams,
    /// The rewards some event reaches (catalog indices, ascending).
    active: Vec<usize>,
    /// G on the active rewards.
    g: Mat<f64>,
    /// M on the active rewards (campaigns × active).
    m_m: Mat<f64>,
    mean_diag: f64,
}

impl RewardGram<'_> {
    /// The model with ridge μ = `ridge` × the mean diagonal, B of `form` and score factor
    /// γ = `popularity`, the other parameters the Gram matrix's.
    pub fn model(
        &self,
        ridge: f64,
        form: RewardForm,
        popularity: f64,
    ) -> Result<RewardModel, RewardError> {
        if ridge.is_nan() || ridge <= 0.0 {
            return Err(RewardError::BadParam("the ridge must be positive".into()));
        }
        let fitter = self.fitter;
        let (n, m) = (fitter.cat.rewards.len(), fitter.cat.campaigns.len());
        let na = self.active.len();
        let mu = ridge * self.mean_diag.max(1e-9);
        let mut b = vec![0f64; n * n];
        let mut mb = vec![0f64; m * n];
        if na > 0 {
            let shifted = Mat::<f64>::from_fn(na, na, |i, j| {
                self.g[(i, j)] + if i == j { mu } else { 0.0 }
            });
            let p = shifted
                .llt(Side::Lower)
                .map_err(|_| RewardError::BadParam("G + μI is not positive definite".into()))?
                .inverse();
            let ba =
                match form {
                    // B = G (G + μI)⁻¹ = I − μ (G + μI)⁻¹: no product needed.
                    RewardForm::Filter => Mat::<f64>::from_fn(na, na, |i, j| {
                        f64::from(u8::from(i == j)) - mu * p[(i, j)]
                    }),
                    RewardForm::Ease => Mat::<f64>::from_fn(na, na, |i, j| {
                        if i == j { 0.0 } else { -p[(i, j)] / p[(j, j)] }
                    }),
                };
            let mba = &self.m_m * &ba;
            for (i, &ai) in self.active.iter().enumerate() {
                for (j, &aj) in self.active.iter().enumerate() {
                    b[ai * n + aj] = ba[(i, j)];
                }
            }
            for c in 0..m {
                for (j, &aj) in self.active.iter().enumerate() {
                    mb[c * n + aj] = mba[(c, j)];
                }
            }
        }
        Ok(RewardModel {
            params: RewardParams {
                ridge,
                form,
                popularity,
                ..self.params
            },
            cat: fitter.cat.clone(),
            b,
            mb,
            popular: fitter.popular.clone(),
            boost: boost_of(&fitter.issued, popularity),
            issued: fitter.issued.clone(),
            newest: fitter.newest,
            tuning: Tuning::off(),
        })
    }
}

/// What the model makes of one user's history: the rewards issued to them (catalog
/// indices, ascending, each once) and, when the history holds an issue, every reward's
/// score x_u B before the popularity factor. One reading serves every γ.
pub(crate) struct Reading {
    issued: Vec<usize>,
    scores: Option<Vec<f64>>,
}

impl RewardModel {
    /// Fits the model on the events of `grouped` (see [`by_user`]), the catalog being the
    /// rewards of `mapping` ((campaign, reward) pairs), with `params` as given.
    pub fn fit(
        grouped: &ByUser,
        mapping: &[(i64, i64)],
        params: RewardParams,
    ) -> Result<RewardModel, RewardError> {
        let fitter = RewardFitter::new(grouped, mapping)?;
        let model = fitter
            .gram(params)?
            .model(params.ridge, params.form, params.popularity)?;
        Ok(model.with_repeatable(params.repeatable))
    }

    /// A model from its parts (as [`codec`] reads them back).
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        params: RewardParams,
        rewards: Vec<i64>,
        campaigns: Vec<i64>,
        campaign_rewards: Vec<Vec<usize>>,
        b: Vec<f64>,
        mb: Vec<f64>,
        issued: Vec<u64>,
        newest: i64,
        tuning: Tuning,
    ) -> RewardModel {
        RewardModel {
            params,
            cat: Catalog {
                rewards,
                campaigns,
                campaign_rewards,
            },
            b,
            mb,
            popular: most_issued_first(&issued),
            boost: boost_of(&issued, params.popularity),
            issued,
            newest,
            tuning,
        }
    }

    /// The same model with another `repeatable` (it does not change the fit).
    pub fn with_repeatable(mut self, repeatable: bool) -> RewardModel {
        self.params.repeatable = repeatable;
        self
    }

    /// The same model saying how its parameters were chosen.
    pub fn with_tuning(mut self, tuning: Tuning) -> RewardModel {
        self.tuning = tuning;
        self
    }

    /// The score factors (issues + 1)^`popularity` of the catalog: what
    /// [`RewardModel::rank`] weighs a reading with for another γ.
    pub(crate) fn boost_for(&self, popularity: f64) -> Vec<f64> {
        boost_of(&self.issued, popularity)
    }

    /// The weight of an event at `ts`.
    fn decay(&self, ts: i64) -> f64 {
        decay(self.newest, ts, self.params.half_life_days)
    }

    /// The catalog: every reward that belongs to a campaign, ascending.
    pub fn rewards(&self) -> &[i64] {
        &self.cat.rewards
    }

    /// The parameters.
    pub fn params(&self) -> RewardParams {
        self.params
    }

    /// How the parameters were chosen.
    pub fn tuning(&self) -> &Tuning {
        &self.tuning
    }

    /// A baseline's top `k` for a user with `history` (rewards already issued left out
    /// unless repeatable): the most issued overall, or the viewed campaigns' rewards,
    /// most issued first, then the most issued overall.
    pub fn baseline(&self, history: &History, k: usize, which: Baseline) -> Vec<i64> {
        let cold = History {
            views: match which {
                Baseline::MostIssued => Vec::new(),
                Baseline::ViewedCampaigns => history.views.clone(),
            },
            issues: Vec::new(),
        };
        let issued: HashSet<i64> = history.issues.iter().map(|(r, _)| *r).collect();
        // The cold path's order, with the user's own issues left out afterwards.
        self.fallback(&cold)
            .map(|(i, _)| self.cat.rewards[i])
            .filter(|r| self.params.repeatable || !issued.contains(r))
            .take(k)
            .collect()
    }

    /// The fallback order for a user with `history`: the rewards of the campaigns they
    /// viewed, most issued first, then the most issued overall (indices, each once).
    fn fallback<'a>(
        &'a self,
        history: &History,
    ) -> impl Iterator<Item = (usize, RewardSource)> + 'a {
        let mut viewed: Vec<usize> = history
            .views
            .iter()
            .filter_map(|&(c, _)| self.cat.campaign(c))
            .flat_map(|c| self.cat.campaign_rewards[c].iter().copied())
            .collect();
        viewed.sort_unstable();
        viewed.dedup();
        let in_viewed = viewed.clone();
        viewed.sort_by(|&a, &b| self.issued[b].cmp(&self.issued[a]).then(a.cmp(&b)));
        viewed
            .into_iter()
            .map(|i| (i, RewardSource::ViewedCampaigns))
            .chain(
                self.popular
                    .iter()
                    .copied()
                    .filter(move |i| in_viewed.binary_search(i).is_err())
                    .map(|i| (i, RewardSource::Popular)),
            )
    }

    /// The top `k` rewards for a user with `history`: the model's positive scores, and
    /// when it has fewer than `k` of them (no reward issued yet, or nothing in the
    /// history that the model links to another reward) the rest from the fallback, each
    /// item saying where it came from. A zero score is no recommendation.
    pub fn recommend(&self, history: &History, k: usize) -> RewardRecommendation {
        self.rank(&self.read(history), history, k, &self.boost)
    }

    /// What the model makes of `history` (see [`Reading`]).
    pub(crate) fn read(&self, history: &History) -> Reading {
        let mut issues: Vec<(usize, f64)> = history
            .issues
            .iter()
            .filter_map(|&(r, t)| Some((self.cat.reward(r)?, self.decay(t))))
            .collect();
        merge(&mut issues);
        let scores = (!history.issues.is_empty()).then(|| {
            let n = self.cat.rewards.len();
            let mut scores = vec![0f64; n];
            let mut add = |row: &[f64], w: f64| {
                for (s, v) in scores.iter_mut().zip(row) {
                    *s += w * v;
                }
            };
            // x_u B = a_u B + c_u (M B).
            for &(i, w) in &issues {
                add(&self.b[i * n..(i + 1) * n], w);
            }
            if self.params.view_weight > 0.0 {
                let mut views: Vec<(usize, f64)> = history
                    .views
                    .iter()
                    .filter_map(|&(c, t)| Some((self.cat.campaign(c)?, self.decay(t))))
                    .collect();
                merge(&mut views);
                for &(c, w) in &views {
                    add(&self.mb[c * n..(c + 1) * n], self.params.view_weight * w);
                }
            }
            scores
        });
        Reading {
            issued: issues.into_iter().map(|(i, _)| i).collect(),
            scores,
        }
    }

    /// The top `k` for a user with `history`, read as `reading`, the model's scores
    /// weighed by `boost` (the model's own in [`RewardModel::recommend`]; tuning tries
    /// others on one reading).
    pub(crate) fn rank(
        &self,
        reading: &Reading,
        history: &History,
        k: usize,
        boost: &[f64],
    ) -> RewardRecommendation {
        let allowed =
            |i: usize| self.params.repeatable || reading.issued.binary_search(&i).is_err();
        let mut items: Vec<RewardPick> = match &reading.scores {
            Some(scores) => self.model_picks(scores, k, &allowed, boost),
            None => Vec::new(),
        };
        let from_model = items.len();
        if from_model < k {
            let fill: Vec<RewardPick> = self
                .fallback(history)
                .filter(|&(i, _)| {
                    allowed(i)
                        && !items[..from_model]
                            .iter()
                            .any(|p| p.reward == self.cat.rewards[i])
                })
                .take(k - from_model)
                .map(|(i, source)| RewardPick {
                    reward: self.cat.rewards[i],
                    score: self.issued[i] as f64,
                    source,
                })
                .collect();
            items.extend(fill);
        }
        let basis = if from_model > 0 && from_model == items.len() {
            RewardBasis::Model
        } else if from_model > 0 {
            RewardBasis::ModelThenFallback
        } else if items
            .iter()
            .any(|p| p.source == RewardSource::ViewedCampaigns)
        {
            RewardBasis::ViewedCampaigns
        } else {
            RewardBasis::Popular
        };
        RewardRecommendation { items, basis }
    }

    /// The best `k` allowed rewards with a positive score, best first.
    fn model_picks(
        &self,
        scores: &[f64],
        k: usize,
        allowed: &dyn Fn(usize) -> bool,
        boost: &[f64],
    ) -> Vec<RewardPick> {
        let mut order: Vec<(usize, f64)> = scores
            .iter()
            .enumerate()
            .filter(|&(i, &s)| s > MIN_SIGNAL && allowed(i))
            .map(|(i, &s)| (i, s * boost[i]))
            .collect();
        let best = |a: &(usize, f64), b: &(usize, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if order.len() > k && k > 0 {
            order.select_nth_unstable_by(k - 1, best);
            order.truncate(k);
        }
        order.sort_by(best);
        order
            .into_iter()
            .take(k)
            .map(|(i, score)| RewardPick {
                reward: self.cat.rewards[i],
                score,
                source: RewardSource::Model,
            })
            .collect()
    }

    /// The campaigns in `history`'s views that hold `reward`, in the order first viewed.
    pub fn viewed_campaigns_with(&self, history: &History, reward: i64) -> Vec<i64> {
        let Some(target) = self.cat.reward(reward) else {
            return Vec::new();
        };
        let mut out: Vec<i64> = Vec::new();
        for &(c, _) in &history.views {
            let holds = self
                .cat
                .campaign(c)
                .is_some_and(|ci| self.cat.campaign_rewards[ci].contains(&target));
            if holds && !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// How many times `reward` was issued in the data the model was fitted on.
    pub fn times_issued(&self, reward: i64) -> u64 {
        self.cat.reward(reward).map_or(0, |i| self.issued[i])
    }

    /// What in `history` drove reward `reward`'s score most: (event kind, item id,
    /// contribution), at most `n`, largest first.
    pub fn explain(&self, history: &History, reward: i64, n: usize) -> Vec<(EventKind, i64, f64)> {
        let Some(target) = self.cat.reward(reward) else {
            return Vec::new();
        };
        let size = self.cat.rewards.len();
        let mut out: Vec<(EventKind, i64, f64)> = Vec::new();
        let mut push = |kind, item, c: f64| match out
            .iter_mut()
            .find(|(k, it, _)| *k == kind && *it == item)
        {
            Some(e) => e.2 += c,
            None => out.push((kind, item, c)),
        };
        for &(r, t) in &history.issues {
            if let Some(i) = self.cat.reward(r) {
                push(
                    EventKind::Reward,
                    r,
                    self.decay(t) * self.b[i * size + target],
                );
            }
        }
        for &(c, t) in &history.views {
            if let Some(ci) = self.cat.campaign(c) {
                let w = self.params.view_weight * self.decay(t);
                push(EventKind::View, c, w * self.mb[ci * size + target]);
            }
        }
        out.sort_by(|a, b| b.2.total_cmp(&a.2));
        out.truncate(n);
        out
    }
}

/// Catalog indices, most issued first (ties by index).
fn most_issued_first(issued: &[u64]) -> Vec<usize> {
    let mut popular: Vec<usize> = (0..issued.len()).collect();
    popular.sort_by(|&a, &b| issued[b].cmp(&issued[a]).then(a.cmp(&b)));
    popular
}

/// Events grouped by user (a counting sort: one pass to count, one to place).
#[derive(Debug, Clone)]
pub struct ByUser {
    events: Vec<RewardEvent>,
    /// `offsets[u]..offsets[u + 1]` are user u's events.
    offsets: Vec<usize>,
}

impl ByUser {
    /// Every event, user by user.
    pub fn events(&self) -> &[RewardEvent] {
        &self.events
    }

    /// User `u`'s events (none for an unknown user).
    pub fn get(&self, u: u32) -> &[RewardEvent] {
        let u = u as usize;
        match (self.offsets.get(u), self.offsets.get(u + 1)) {
            (Some(&a), Some(&b)) => &self.events[a..b],
            _ => &[],
        }
    }

    /// User `u`'s history.
    pub fn history(&self, u: u32) -> History {
        let mut h = History::default();
        for e in self.get(u) {
            match e.kind {
                EventKind::View => h.views.push((e.item, e.ts_micros)),
                EventKind::Reward => h.issues.push((e.item, e.ts_micros)),
            }
        }
        h
    }

    /// Every user's events, user by user.
    pub fn groups(&self) -> impl Iterator<Item = &[RewardEvent]> {
        self.offsets.windows(2).map(|w| &self.events[w[0]..w[1]])
    }
}

/// Groups `events` by user.
pub fn by_user(events: &[RewardEvent]) -> ByUser {
    let users = events
        .iter()
        .map(|e| e.user as usize + 1)
        .max()
        .unwrap_or(0);
    let mut offsets = vec![0usize; users + 1];
    for e in events {
        offsets[e.user as usize + 1] += 1;
    }
    for i in 1..offsets.len() {
        offsets[i] += offsets[i - 1];
    }
    let mut next = offsets.clone();
    let mut placed = vec![
        RewardEvent {
            user: 0,
            ts_micros: 0,
            kind: EventKind::View,
            item: 0
        };
        events.len()
    ];
    for e in events {
        let slot = &mut next[e.user as usize];
        placed[*slot] = *e;
        *slot += 1;
    }
    ByUser {
        events: placed,
        offsets,
    }
}

/// The time split of `perx eval --catalog rewards`: events before `cutoff` train; the
/// rewards issued at or after it are each user's truth.
pub fn time_split(
    events: &[RewardEvent],
    cutoff: i64,
) -> (Vec<RewardEvent>, HashMap<u32, HashSet<i64>>) {
    let mut train = Vec::new();
    let mut truth: HashMap<u32, HashSet<i64>> = HashMap::new();
    for e in events {
        if e.ts_micros < cutoff {
            train.push(*e);
        } else if e.kind == EventKind::Reward {
            truth.entry(e.user).or_default().insert(e.item);
        }
    }
    (train, truth)
}

/// The baselines of `perx eval --catalog rewards`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// The most issued rewards overall.
    MostIssued,
    /// The rewards of the campaigns the user viewed, most issued first, then the others.
    ViewedCampaigns,
}

/// Scores the model (or a baseline) on the users with truth: top-`k` metrics.
pub fn evaluate_rewards(
    model: &RewardModel,
    grouped: &ByUser,
    truth: &HashMap<u32, HashSet<i64>>,
    k: usize,
    baseline: Option<Baseline>,
) -> Metrics {
    evaluate_reward_lists(model, grouped, truth, k, &|_, h| match baseline {
        None => model.recommend(h, k).ids().collect(),
        Some(b) => model.baseline(h, k, b),
    })
}

/// Scores the lists `list_of` makes (from a user and their history) on the users with
/// truth: top-`k` metrics, coverage of `model`'s catalog. Users are scored in parallel.
pub fn evaluate_reward_lists(
    model: &RewardModel,
    grouped: &ByUser,
    truth: &HashMap<u32, HashSet<i64>>,
    k: usize,
    list_of: &(dyn Fn(u32, &History) -> Vec<i64> + Sync),
) -> Metrics {
    let users = users_with_truth(truth);
    let lists: Vec<Vec<u32>> = users
        .par_iter()
        .map(|&user| as_u32(list_of(user, &grouped.history(user))))
        .collect();
    metrics_of(model, &relevant_of(truth), k, &users, &lists)
}

/// The metrics of `model` with each popularity exponent of `gammas` instead of its own,
/// on the users with truth: one reading of each user serves every γ (tuning).
pub(crate) fn evaluate_popularities(
    model: &RewardModel,
    grouped: &ByUser,
    truth: &HashMap<u32, HashSet<i64>>,
    k: usize,
    gammas: &[f64],
) -> Vec<Metrics> {
    let boosts: Vec<Vec<f64>> = gammas.iter().map(|&g| model.boost_for(g)).collect();
    let users = users_with_truth(truth);
    let per_user: Vec<Vec<Vec<u32>>> = users
        .par_iter()
        .map(|&user| {
            let history = grouped.history(user);
            let reading = model.read(&history);
            boosts
                .iter()
                .map(|boost| as_u32(model.rank(&reading, &history, k, boost).ids().collect()))
                .collect()
        })
        .collect();
    // Each γ's lists, user by user (moved, not copied).
    let mut by_gamma: Vec<Vec<Vec<u32>>> = vec![Vec::with_capacity(users.len()); gammas.len()];
    for lists in per_user {
        for (g, list) in lists.into_iter().enumerate() {
            by_gamma[g].push(list);
        }
    }
    let relevant = relevant_of(truth);
    by_gamma
        .iter()
        .map(|lists| metrics_of(model, &relevant, k, &users, lists))
        .collect()
}

/// The users of `truth`, ascending.
fn users_with_truth(truth: &HashMap<u32, HashSet<i64>>) -> Vec<u32> {
    let mut users: Vec<u32> = truth.keys().copied().collect();
    users.sort_unstable();
    users
}

/// `truth` with reward ids as u32, as the shared metrics take it.
fn relevant_of(truth: &HashMap<u32, HashSet<i64>>) -> HashMap<u32, HashSet<u32>> {
    truth
        .iter()
        .map(|(u, rs)| {
            (
                *u,
                rs.iter().filter_map(|r| u32::try_from(*r).ok()).collect(),
            )
        })
        .collect()
}

/// Reward ids as u32 for the shared metrics (ids outside u32 are not rewards of ours).
fn as_u32(ids: Vec<i64>) -> Vec<u32> {
    ids.into_iter()
        .filter_map(|r| u32::try_from(r).ok())
        .collect()
}

/// Top-`k` metrics of `lists` (one per user of `users`) against `relevant`.
fn metrics_of(
    model: &RewardModel,
    relevant: &HashMap<u32, HashSet<u32>>,
    k: usize,
    users: &[u32],
    lists: &[Vec<u32>],
) -> Metrics {
    crate::core::eval::evaluate(
        users.iter().copied().zip(lists.iter().map(Vec::as_slice)),
        relevant,
        k,
        model.cat.rewards.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const DAY: i64 = 86_400_000_000;

    /// An event of `user` on `day`.
    pub(super) fn ev(user: u32, day: i64, kind: EventKind, item: i64) -> RewardEvent {
        RewardEvent {
            user,
            ts_micros: day * DAY,
            kind,
            item,
        }
    }

    /// Campaign 1 holds rewards 10, 11; campaign 2 holds 20, 21; reward 30 is in none.
    const MAPPING: &[(i64, i64)] = &[(1, 10), (1, 11), (2, 20), (2, 21), (1, 10)];

    fn events() -> Vec<RewardEvent> {
        use EventKind::*;
        let mut e = Vec::new();
        // Users 0..20 view campaign 1 and take both of its rewards; 20..40 do so for 2.
        for u in 0..20 {
            e.extend([
                ev(u, 1, View, 1),
                ev(u, 1, Reward, 10),
                ev(u, 2, Reward, 11),
            ]);
        }
        for u in 20..40 {
            e.extend([
                ev(u, 1, View, 2),
                ev(u, 1, Reward, 20),
                ev(u, 2, Reward, 21),
            ]);
        }
        e.push(ev(40, 3, Reward, 30));
        e
    }

    #[test]
    fn a_user_gets_the_rewards_that_go_with_theirs_and_never_one_again() {
        let m = RewardModel::fit(&by_user(&events()), MAPPING, RewardParams::default()).unwrap();
        assert_eq!(
            m.rewards(),
            [10, 11, 20, 21],
            "only rewards of some campaign"
        );
        let h = History {
            views: vec![],
            issues: vec![(10, 3 * DAY)],
        };
        let r = m.recommend(&h, 1);
        assert_eq!(r.basis, RewardBasis::Model);
        assert_eq!(r.items[0].reward, 11, "{r:?}");
        assert!(r.ids().all(|id| id != 10), "issued once: not again");
        let again = RewardModel::fit(
            &by_user(&events()),
            MAPPING,
            RewardParams {
                repeatable: true,
                ..RewardParams::default()
            },
        )
        .unwrap();
        assert!(again.recommend(&h, 4).ids().any(|id| id == 10));
        // Explain: the issue of 10 drove 11.
        let why = m.explain(&h, 11, 3);
        assert_eq!((why[0].0, why[0].1), (EventKind::Reward, 10));
    }

    #[test]
    fn a_viewer_gets_the_viewed_campaigns_rewards_first_and_a_stranger_the_popular_ones() {
        let m = RewardModel::fit(&by_user(&events()), MAPPING, RewardParams::default()).unwrap();
        let viewer = History {
            views: vec![(2, 3 * DAY)],
            issues: vec![],
        };
        let r = m.recommend(&viewer, 4);
        assert_eq!(r.basis, RewardBasis::ViewedCampaigns);
        let first: HashSet<i64> = r.ids().take(2).collect();
        assert_eq!(first, [20, 21].into());
        let r = m.recommend(&History::default(), 4);
        assert_eq!(r.basis, RewardBasis::Popular);
        assert_eq!(r.items.len(), 4);
    }

    /// The model answers only where it has a signal: a user whose history it links to no
    /// other reward gets the fallback, labelled, never zero scores dressed as the model's.
    #[test]
    fn no_signal_is_no_model_answer() {
        let m = RewardModel::fit(&by_user(&events()), MAPPING, RewardParams::default()).unwrap();
        // Reward 10 goes with 11 only: one model item, then the most issued.
        let h = History {
            views: vec![],
            issues: vec![(10, 3 * DAY)],
        };
        let r = m.recommend(&h, 3);
        assert_eq!(r.basis, RewardBasis::ModelThenFallback, "{r:?}");
        assert_eq!(r.items[0].reward, 11);
        assert_eq!(r.items[0].source, RewardSource::Model);
        assert!(r.items[0].score > 0.0);
        assert!(
            r.items[1..]
                .iter()
                .all(|p| p.source == RewardSource::Popular)
        );
        assert_eq!(r.items.len(), 3);
        assert!(r.ids().all(|id| id != 10));
        // Many issues of a reward in no campaign: nothing from the model at all.
        let h = History {
            views: vec![],
            issues: vec![(30, 3 * DAY); 1107],
        };
        let r = m.recommend(&h, 4);
        assert_eq!(r.basis, RewardBasis::Popular, "{r:?}");
        assert_eq!(r.items.len(), 4);
        assert!(r.items.iter().all(|p| p.source == RewardSource::Popular));
        // A view is a signal of its own: the viewed campaign's rewards come from the model.
        let h = History {
            views: vec![(2, 3 * DAY)],
            issues: vec![(30, 3 * DAY); 1107],
        };
        let r = m.recommend(&h, 4);
        assert_eq!(r.basis, RewardBasis::ModelThenFallback, "{r:?}");
        let first: HashSet<i64> = r.ids().take(2).collect();
        assert_eq!(first, [20, 21].into());
        assert!(
            r.items[..2]
                .iter()
                .all(|p| p.source == RewardSource::Model && p.score > 0.0)
        );
    }

    /// A reward no event reaches is outside the solve: its row and column of B are zero,
    /// and the others are what they are without it but for μ's share of the catalog.
    #[test]
    fn a_reward_no_event_reaches_is_left_out_of_the_solve() {
        let mut mapping = MAPPING.to_vec();
        mapping.push((9, 99));
        let m = RewardModel::fit(&by_user(&events()), &mapping, RewardParams::default()).unwrap();
        let n = m.rewards().len();
        let i = m.cat.reward(99).unwrap();
        assert!((0..n).all(|j| m.b[i * n + j] == 0.0 && m.b[j * n + i] == 0.0));
        let h = History {
            views: vec![],
            issues: vec![(10, 3 * DAY)],
        };
        let r = m.recommend(&h, 1);
        assert_eq!((r.items[0].reward, r.basis), (11, RewardBasis::Model));
    }

    #[test]
    fn the_basis_and_sources_are_spelled_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&RewardBasis::ModelThenFallback).unwrap(),
            "\"model_then_fallback\""
        );
        assert_eq!(
            serde_json::to_string(&RewardSource::ViewedCampaigns).unwrap(),
            "\"viewed_campaigns\""
        );
    }

    #[test]
    fn the_time_split_and_the_metrics() {
        let mut all = events();
        // After the cut-off, user 0 takes reward 11 again and user 5 views campaign 2 and
        // takes 20.
        all.push(ev(5, 10, EventKind::Reward, 20));
        let (train, truth) = time_split(&all, 5 * DAY);
        assert_eq!(train.len(), all.len() - 1);
        assert_eq!(truth[&5], [20].into());
        let m = RewardModel::fit(&by_user(&train), MAPPING, RewardParams::default()).unwrap();
        let metrics = evaluate_rewards(&m, &by_user(&train), &truth, 2, None);
        assert_eq!(metrics.users, 1);
        // User 5 took 10 and 11: the model's next best are campaign 2's.
        assert!(metrics.hit_rate > 0.99, "{metrics:?}");
        let d1 = RewardModel::fit(&by_user(&train), MAPPING, RewardParams::default()).unwrap();
        assert_eq!(
            d1.recommend(&History::default(), 4),
            m.recommend(&History::default(), 4),
            "deterministic"
        );
    }

    #[test]
    fn an_empty_catalog_is_an_error() {
        assert!(matches!(
            RewardModel::fit(&by_user(&events()), &[], RewardParams::default()).unwrap_err(),
            RewardError::NoCatalog
        ));
    }
}

//! The answers every surface gives: the JSON that `perx recommend --format json` prints and
//! `perx serve` returns (one function each, so the two are the same bytes), and the words
//! that explain an item, which the CLI's table and CSV and the TUI show too.

use std::collections::HashMap;

use serde::Serialize;

use crate::core::logline::EventKind;
use crate::core::recommend::{Basis, Recommendation, Recommender};
use crate::core::rewards::{
    History, RewardBasis, RewardModel, RewardParams, RewardPick, RewardRecommendation,
    RewardSource, Tuning,
};
use crate::store::recommend::MovieInfo;

#[derive(Serialize)]
struct MovieItem<'a> {
    rank: usize,
    movie_id: u32,
    title: Option<&'a str>,
    genres: Option<&'a [String]>,
    score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    because: Option<Vec<Because<'a>>>,
}

#[derive(Serialize)]
struct Because<'a> {
    movie_id: u32,
    title: Option<&'a str>,
}

#[derive(Serialize)]
struct MovieList<'a> {
    user_id: u32,
    basis: Basis,
    ratings: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<String>,
    items: Vec<MovieItem<'a>>,
}

/// What a user with too few ratings is told.
pub fn movie_notice(r: &Recommendation) -> Option<String> {
    (r.basis == Basis::Popularity).then(|| {
        format!(
            "{} rating(s), too few for the model: the most popular movies not rated yet",
            r.ratings
        )
    })
}

/// `user`'s top `k` movies: the model's, or the most popular movies when the model cannot
/// answer for the user (fewer ratings than it needs, or a user of the database the model
/// was not trained with). The one fallback rule of the movie catalog, for every surface.
pub fn movie_list(rec: &Recommender, user: u32, k: usize) -> Recommendation {
    rec.recommend(user, k)
        .unwrap_or_else(|_| rec.recommend_for(&[], k))
}

/// The rated movies behind `movie` in `user`'s list `r`, when `explain` and the list came
/// from the model (none otherwise).
pub fn movie_because(
    rec: &Recommender,
    user: u32,
    r: &Recommendation,
    explain: bool,
    movie: u32,
) -> Vec<u32> {
    if !(explain && r.basis == Basis::Model) {
        return Vec::new();
    }
    rec.explain(user, movie, 3)
        .map(|v| v.iter().map(|s| s.movie).collect())
        .unwrap_or_default()
}

/// A user's movie list as pretty JSON with a final newline; `because` gives the rated
/// movies behind a recommendation when `explain`.
pub fn movies_json(
    user: u32,
    r: &Recommendation,
    movies: &HashMap<u32, MovieInfo>,
    explain: bool,
    because: &dyn Fn(u32) -> Vec<u32>,
) -> Vec<u8> {
    let title = |m: u32| movies.get(&m).map(|i| i.title.as_str());
    let items = r
        .items
        .iter()
        .enumerate()
        .map(|(rank, s)| MovieItem {
            rank: rank + 1,
            movie_id: s.movie,
            title: title(s.movie),
            genres: movies.get(&s.movie).map(|i| i.genres.as_slice()),
            score: s.score,
            because: explain.then(|| {
                because(s.movie)
                    .into_iter()
                    .map(|m| Because {
                        movie_id: m,
                        title: title(m),
                    })
                    .collect()
            }),
        })
        .collect();
    let doc = MovieList {
        user_id: user,
        basis: r.basis,
        ratings: r.ratings,
        notice: movie_notice(r),
        items,
    };
    pretty(&doc)
}

/// The note of a list that is not the model's alone; `None` when it is.
pub fn reward_notice(basis: RewardBasis) -> Option<&'static str> {
    match basis {
        RewardBasis::Model => None,
        RewardBasis::ModelThenFallback => Some(
            "the model links this user's history to fewer rewards than asked: the rest are the most issued rewards of the campaigns they viewed, then the most issued",
        ),
        RewardBasis::ViewedCampaigns => Some(
            "nothing in this user's history that the model links to a reward: the most issued rewards of the campaigns they viewed, then the most issued",
        ),
        RewardBasis::Popular => Some(
            "nothing in this user's history that the model links to a reward, and no campaign viewed: the most issued rewards",
        ),
    }
}

#[derive(Serialize)]
struct RewardItem {
    rank: usize,
    reward_id: i64,
    score: f64,
    source: RewardSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    because: Option<Vec<String>>,
}

#[derive(Serialize)]
struct RewardList<'a> {
    user_id: &'a str,
    catalog: &'static str,
    basis: RewardBasis,
    notice: Option<&'static str>,
    items: Vec<RewardItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<RewardModelNote<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fitted_on: Option<&'a FittedOn>,
}

/// Which data a served reward model was fitted on, when newer data has been ingested since
/// (`perx serve --ingest` without `--refit-after-ingest`): answers say so.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FittedOn {
    /// The last ingest batch in the data the model was fitted on (none: the load alone).
    pub model_batch: Option<i64>,
    /// The last ingest batch in the database now.
    pub latest_batch: Option<i64>,
    /// The same, for people.
    pub note: String,
}

impl FittedOn {
    /// What to say when the model was fitted on the data up to `model_batch` and the
    /// database holds batches up to `latest_batch`: nothing when they are the same.
    pub fn of(model_batch: Option<i64>, latest_batch: Option<i64>) -> Option<FittedOn> {
        if model_batch == latest_batch {
            return None;
        }
        let upto = match model_batch {
            Some(b) => format!("the data up to ingest batch {b}"),
            None => "the data loaded before any ingest".to_owned(),
        };
        let since = match latest_batch {
            Some(b) => format!("batches up to {b} were ingested since"),
            None => "the data changed since".to_owned(),
        };
        Some(FittedOn {
            model_batch,
            latest_batch,
            note: format!(
                "the reward model was fitted on {upto}; {since} and are not in its answers \
                 until it is refitted (perx serve --refit-after-ingest refits after each ingest)"
            ),
        })
    }
}

/// The reward model's parameters and how they were chosen (`--explain`, `explain=true`,
/// `/readyz`), with a sentence for people.
#[derive(Debug, Serialize)]
pub struct RewardModelNote<'a> {
    params: RewardParams,
    tuning: &'a Tuning,
    summary: String,
}

/// What [`RewardModelNote`] says of `model`.
pub fn reward_model_note(model: &RewardModel) -> RewardModelNote<'_> {
    RewardModelNote {
        params: model.params(),
        tuning: model.tuning(),
        summary: model.tuning().describe(),
    }
}

/// Why `pick` is in the list of a user with `history`, as words: for a model item, the
/// three largest positive causes ("issued reward 7", "viewed campaign 3"); for a fallback
/// item, the viewed campaigns that hold it and how often it was issued.
pub fn reward_because(model: &RewardModel, history: &History, pick: &RewardPick) -> Vec<String> {
    match pick.source {
        RewardSource::Model => model
            .explain(history, pick.reward, 3)
            .into_iter()
            .filter(|(_, _, c)| *c > 0.0)
            .map(|(kind, item, _)| match kind {
                EventKind::Reward => format!("issued reward {item}"),
                EventKind::View => format!("viewed campaign {item}"),
            })
            .collect(),
        RewardSource::ViewedCampaigns => model
            .viewed_campaigns_with(history, pick.reward)
            .into_iter()
            .take(3)
            .map(|c| format!("viewed campaign {c}"))
            .chain([issued_times(model, pick.reward)])
            .collect(),
        RewardSource::Popular => vec![issued_times(model, pick.reward)],
    }
}

fn issued_times(model: &RewardModel, reward: i64) -> String {
    format!("issued {} time(s) in all", model.times_issued(reward))
}

/// A platform user's reward list as pretty JSON with a final newline; with `explain`,
/// each item's `because` ([`reward_because`]).
/// `fitted_on`: which data the model was fitted on, when it is older than the data.
pub fn rewards_json(
    user: &str,
    r: &RewardRecommendation,
    model: &RewardModel,
    history: &History,
    explain: bool,
    fitted_on: Option<&FittedOn>,
) -> Vec<u8> {
    let doc = RewardList {
        user_id: user,
        catalog: "rewards",
        basis: r.basis,
        notice: reward_notice(r.basis),
        items: r
            .items
            .iter()
            .enumerate()
            .map(|(rank, pick)| RewardItem {
                rank: rank + 1,
                reward_id: pick.reward,
                score: pick.score,
                source: pick.source,
                because: explain.then(|| reward_because(model, history, pick)),
            })
            .collect(),
        model: explain.then(|| reward_model_note(model)),
        fitted_on,
    };
    pretty(&doc)
}

/// Pretty JSON and a newline. (Serialising these plain structs cannot fail.)
fn pretty(doc: &impl Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(doc).unwrap_or_default();
    out.push(b'\n');
    out
}

//! The JSON answers that `perx recommend --format json` prints and `perx serve` returns:
//! one function each, so the two are the same bytes.

use std::collections::HashMap;

use serde::Serialize;

use perx::core::logline::EventKind;
use perx::core::recommend::{Basis, Recommendation, Recommender};
use perx::core::rewards::{History, RewardBasis, RewardModel, RewardRecommendation};
use perx::store::recommend::MovieInfo;

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

/// The note of a platform user the reward model has nothing on.
pub fn reward_notice(basis: RewardBasis) -> Option<&'static str> {
    match basis {
        RewardBasis::Model => None,
        RewardBasis::ViewedCampaigns => Some(
            "no reward issued to this user yet: the most issued rewards of the campaigns they viewed",
        ),
        RewardBasis::Popular => Some("no history for this user: the most issued rewards"),
    }
}

#[derive(Serialize)]
struct RewardItem {
    rank: usize,
    reward_id: i64,
    score: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    because: Option<Vec<String>>,
}

#[derive(Serialize)]
struct RewardList<'a> {
    user_id: &'a str,
    catalog: &'static str,
    basis: String,
    notice: Option<&'static str>,
    items: Vec<RewardItem>,
}

/// What drove `reward` for a user with `history`: its three largest positive causes, as
/// words ("issued reward 7", "viewed campaign 3").
pub fn reward_because(model: &RewardModel, history: &History, reward: i64) -> Vec<String> {
    model
        .explain(history, reward, 3)
        .into_iter()
        .filter(|(_, _, c)| *c > 0.0)
        .map(|(kind, item, _)| match kind {
            EventKind::Reward => format!("issued reward {item}"),
            EventKind::View => format!("viewed campaign {item}"),
        })
        .collect()
}

/// A platform user's reward list as pretty JSON with a final newline.
pub fn rewards_json(
    user: &str,
    r: &RewardRecommendation,
    explain: bool,
    because: &dyn Fn(i64) -> Vec<String>,
) -> Vec<u8> {
    let doc = RewardList {
        user_id: user,
        catalog: "rewards",
        basis: format!("{:?}", r.basis),
        notice: reward_notice(r.basis),
        items: r
            .items
            .iter()
            .enumerate()
            .map(|(rank, (reward, score))| RewardItem {
                rank: rank + 1,
                reward_id: *reward,
                score: *score,
                because: explain.then(|| because(*reward)),
            })
            .collect(),
    };
    pretty(&doc)
}

/// Pretty JSON and a newline. (Serialising these plain structs cannot fail.)
fn pretty(doc: &impl Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(doc).unwrap_or_default();
    out.push(b'\n');
    out
}

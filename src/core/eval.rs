//! The offline evaluation protocol of the recommender: a deterministic per-user split and
//! the top-K ranking metrics, plus the most-popular baseline every model must beat.
//!
//! Protocol: for each user, `max(1, floor(0.2 × n))` of their n ratings go to test, the
//! ones with the smallest [`split_hash`] of (seed, user, movie); the rest is train.
//! Candidates for a user are all movies they have no train rating for; relevant items are
//! all their test items. Metrics are averaged over users with test items.

use std::collections::{HashMap, HashSet};

/// A rating reduced to what the protocol and the model need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interaction {
    /// The user.
    pub user: u32,
    /// The movie.
    pub movie: u32,
    /// The rating given (MovieLens: 1 to 5 stars); 1 where only who rated what is known.
    /// The split and the metrics ignore it; the model weighs a pair by rating^p.
    pub rating: f32,
}

impl Interaction {
    /// A pair known only as "rated" (rating 1).
    pub fn seen(user: u32, movie: u32) -> Interaction {
        Interaction {
            user,
            movie,
            rating: 1.0,
        }
    }
}

/// SplitMix64's finaliser: a fixed, documented mixing function, so a split is the same on
/// every machine and every Rust release (std's hashers promise neither).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The deterministic hash that orders a user's ratings for the split.
pub fn split_hash(seed: u64, user: u32, movie: u32) -> u64 {
    mix(seed ^ mix((u64::from(user) << 32) | u64::from(movie)))
}

/// Which of `ratings` (by index) go to train and which to test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Indices into the input of the train ratings, in input order.
    pub train: Vec<usize>,
    /// Indices of the test ratings, in input order.
    pub test: Vec<usize>,
}

/// Splits each user's ratings: `max(1, floor(0.2 × n))` to test, chosen by [`split_hash`].
pub fn split(ratings: &[Interaction], seed: u64) -> Split {
    split_holding_out(ratings, seed, 5)
}

/// Splits each user's ratings: `max(1, floor(n / divisor))` to test, chosen by
/// [`split_hash`] (`divisor` 5 is [`split`]).
pub fn split_holding_out(ratings: &[Interaction], seed: u64, divisor: usize) -> Split {
    let mut by_user: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, r) in ratings.iter().enumerate() {
        by_user.entry(r.user).or_default().push(i);
    }
    let mut is_test = vec![false; ratings.len()];
    for idx in by_user.values_mut() {
        let n_test = (idx.len() / divisor.max(1)).max(1);
        idx.sort_by_key(|&i| (split_hash(seed, ratings[i].user, ratings[i].movie), i));
        for &i in &idx[..n_test] {
            is_test[i] = true;
        }
    }
    let (test, train): (Vec<usize>, Vec<usize>) = (0..ratings.len()).partition(|&i| is_test[i]);
    Split { train, test }
}

/// Top-K metrics, averaged over the users evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Metrics {
    /// Hits in the top K ÷ K.
    pub precision: f64,
    /// Hits in the top K ÷ number of relevant items.
    pub recall: f64,
    /// DCG with binary gains ÷ the ideal DCG over min(K, relevant).
    pub ndcg: f64,
    /// Share of users with at least one hit.
    pub hit_rate: f64,
    /// 1 / rank of the first hit (0 when none), averaged.
    pub mrr: f64,
    /// Distinct recommended movies ÷ movies in train.
    pub coverage: f64,
    /// Users evaluated.
    pub users: usize,
}

/// Scores recommendation lists against each user's relevant (test) items.
///
/// `recommendations` gives each user's ranked list (only its first `k` count); users without
/// relevant items are skipped. `train_movies` is the number of distinct movies in train.
pub fn evaluate<'a>(
    recommendations: impl IntoIterator<Item = (u32, &'a [u32])>,
    relevant: &HashMap<u32, HashSet<u32>>,
    k: usize,
    train_movies: usize,
) -> Metrics {
    let mut m = Metrics::default();
    let mut recommended: HashSet<u32> = HashSet::new();
    for (user, list) in recommendations {
        let Some(rel) = relevant.get(&user).filter(|r| !r.is_empty()) else {
            continue;
        };
        let top = &list[..list.len().min(k)];
        recommended.extend(top.iter().copied());
        let mut hits = 0usize;
        let mut dcg = 0.0;
        let mut first_hit = None;
        for (rank, movie) in top.iter().enumerate() {
            if rel.contains(movie) {
                hits += 1;
                dcg += 1.0 / ((rank + 2) as f64).log2();
                first_hit.get_or_insert(rank + 1);
            }
        }
        let ideal: f64 = (0..rel.len().min(k))
            .map(|rank| 1.0 / ((rank + 2) as f64).log2())
            .sum();
        m.precision += hits as f64 / k as f64;
        m.recall += hits as f64 / rel.len() as f64;
        m.ndcg += dcg / ideal;
        m.hit_rate += f64::from(u8::from(hits > 0));
        m.mrr += first_hit.map_or(0.0, |r| 1.0 / r as f64);
        m.users += 1;
    }
    if m.users > 0 {
        let n = m.users as f64;
        m.precision /= n;
        m.recall /= n;
        m.ndcg /= n;
        m.hit_rate /= n;
        m.mrr /= n;
    }
    m.coverage = if train_movies > 0 {
        recommended.len() as f64 / train_movies as f64
    } else {
        0.0
    };
    m
}

/// Each user's movies, from interactions.
pub fn by_user(interactions: &[Interaction]) -> HashMap<u32, HashSet<u32>> {
    let mut out: HashMap<u32, HashSet<u32>> = HashMap::new();
    for r in interactions {
        out.entry(r.user).or_default().insert(r.movie);
    }
    out
}

/// Scores each user's ranked list against their held-out (`test`) movies with
/// [`evaluate`]; `train_movies` is the number of distinct movies in train.
pub fn evaluate_lists(
    lists: &[(u32, Vec<u32>)],
    test: &[Interaction],
    k: usize,
    train_movies: usize,
) -> Metrics {
    evaluate(
        lists.iter().map(|(u, l)| (*u, l.as_slice())),
        &by_user(test),
        k,
        train_movies,
    )
}

/// The most-popular baseline: movies by number of train ratings, most first (ties by id),
/// from which each user gets the first `k` they have not rated in train.
#[derive(Debug, Clone)]
pub struct Popularity {
    ranked: Vec<u32>,
}

impl Popularity {
    /// Counts the train interactions.
    pub fn fit(train: &[Interaction]) -> Self {
        let mut counts: HashMap<u32, u64> = HashMap::new();
        for r in train {
            *counts.entry(r.movie).or_default() += 1;
        }
        let mut ranked: Vec<(u32, u64)> = counts.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Popularity {
            ranked: ranked.into_iter().map(|(m, _)| m).collect(),
        }
    }

    /// The top `k` movies not in `seen`.
    pub fn recommend(&self, seen: &HashSet<u32>, k: usize) -> Vec<u32> {
        self.ranked
            .iter()
            .filter(|m| !seen.contains(m))
            .take(k)
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ix(user: u32, movie: u32) -> Interaction {
        Interaction::seen(user, movie)
    }

    #[test]
    fn split_takes_a_fifth_at_least_one_and_is_deterministic() {
        let ratings: Vec<Interaction> = (1..=12)
            .map(|m| ix(1, m))
            .chain((1..=3).map(|m| ix(2, m)))
            .collect();
        let s = split(&ratings, 7);
        let test_of = |u: u32| s.test.iter().filter(|&&i| ratings[i].user == u).count();
        assert_eq!(test_of(1), 2, "floor(0.2 × 12)");
        assert_eq!(test_of(2), 1, "at least one");
        assert_eq!(s.train.len() + s.test.len(), ratings.len());
        assert_eq!(split(&ratings, 7), s);
        assert_ne!(
            split(&ratings, 8).test,
            s.test,
            "another seed, another split"
        );
        // A tenth: floor(12 / 10) = 1, and the one is the first of the fifth's two.
        let tenth = split_holding_out(&ratings, 7, 10);
        let of_user_1 = |s: &Split| -> Vec<usize> {
            s.test
                .iter()
                .copied()
                .filter(|&i| ratings[i].user == 1)
                .collect()
        };
        assert_eq!(of_user_1(&tenth).len(), 1);
        assert!(of_user_1(&s).contains(&of_user_1(&tenth)[0]));
    }

    const PINNED_0_1_1: u64 = 8_900_858_891_303_283_264;

    #[test]
    fn split_hash_is_pinned() {
        // Changing the hash would silently change every reported number.
        assert_eq!(mix(0), 0xe220_a839_7b1d_cdaf, "SplitMix64's first output");
        assert_eq!(split_hash(0, 1, 1), PINNED_0_1_1);
    }

    #[test]
    fn metrics_on_a_hand_computed_case() {
        let relevant: HashMap<u32, HashSet<u32>> = [(1, [10, 20].into()), (2, [30].into())].into();
        let recs: Vec<(u32, Vec<u32>)> = vec![(1, vec![20, 5, 10]), (2, vec![1, 2, 3])];
        let m = evaluate(
            recs.iter().map(|(u, l)| (*u, l.as_slice())),
            &relevant,
            3,
            10,
        );
        // user 1: hits at ranks 1 and 3; user 2: none.
        let dcg1 = 1.0 + 1.0 / 4f64.log2();
        let idcg1 = 1.0 + 1.0 / 3f64.log2();
        assert!((m.precision - (2.0 / 3.0) / 2.0).abs() < 1e-12);
        assert!((m.recall - 0.5).abs() < 1e-12);
        assert!((m.ndcg - dcg1 / idcg1 / 2.0).abs() < 1e-12);
        assert!((m.hit_rate - 0.5).abs() < 1e-12);
        assert!((m.mrr - 0.5).abs() < 1e-12);
        assert!((m.coverage - 0.6).abs() < 1e-12, "6 distinct of 10");
        assert_eq!(m.users, 2);
    }

    #[test]
    fn popularity_skips_seen_movies_and_breaks_ties_by_id() {
        let train = [ix(1, 5), ix(2, 5), ix(1, 3), ix(3, 4), ix(2, 9)];
        let p = Popularity::fit(&train);
        assert_eq!(p.recommend(&HashSet::new(), 3), [5, 3, 4]);
        assert_eq!(p.recommend(&[5].into(), 2), [3, 4]);
    }
}

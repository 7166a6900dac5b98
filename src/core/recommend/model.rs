//! The recommender: a spectral filter built on a truncated SVD of the degree-normalised
//! interaction matrix.
//!
//! With `X` the binary user × movie matrix, `S` its stars, `d` the movies' rating counts and
//! `n_u` the users', the model takes the truncated SVD of
//! `Xs = diag(n_u^-β) · (X ∘ S^p) · diag(d^-α)` (the stars as confidence):
//! its top `k` right singular vectors `V` and squared singular values `σ²`. From them it
//! forms the regularised inverse Gram matrix
//!
//! ```text
//! P = V diag(1 / (σ² + λ)) Vᵀ + (I − V Vᵀ) / (τ (σ̄² + λ))
//! ```
//!
//! where σ̄² is the mean of the eigenvalues left out (known from the trace). With all the
//! spectrum and τ = 1 this is `(XsᵀXs + λI)⁻¹`, EASE's closed form, written on the
//! spectrum. From P come the item-to-item weights `B = −P / diag(P)` with a zero diagonal, put
//! back on the original scale: `B_ij = −d_i^-α · P_ij / P_jj · d_j^γ`. A user's scores are
//! the sum of the rows of `B` of the movies they rated; movies they rated are never
//! recommended (a user's row enters as rated / not rated: the stars shape the Gram matrix,
//! not the query). The degree normalisation (α on movies, β on users) and the stars as
//! confidence are what lift the ranking above EASE, and the spectrum is what makes training
//! fast.

use faer::linalg::matmul::matmul;
use std::sync::OnceLock;

use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::kernels::{scale_by, sum_rows, weighted_rows};
use super::matrix::InteractionMatrix;
use super::svd::{Spectrum, SvdError, Weights, top_eigen};
use crate::core::eval::{Interaction, Metrics, evaluate_lists};

/// Users with fewer ratings than this get the most popular movies instead.
pub const MIN_RATINGS: usize = 3;

/// Everything that shapes a model. The defaults are the values `perx eval` chose on the
/// MovieLens 1M validation split.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Singular vectors kept (k).
    pub factors: usize,
    /// Extra random directions in the randomized SVD.
    pub oversample: usize,
    /// Subspace (power) iterations in the randomized SVD.
    pub power_iters: usize,
    /// β: users are weighted by (ratings)^-β.
    pub user_exponent: f32,
    /// α: movies are weighted by (ratings)^-α.
    pub item_exponent: f32,
    /// p: a rating of s stars enters the matrix as s^p (0: who rated what, the stars
    /// ignored).
    pub rating_exponent: f32,
    /// λ, as a multiple of the mean diagonal of the weighted Gram matrix.
    pub lambda: f32,
    /// τ: the directions beyond the k kept are damped by 1 / (τ (σ̄² + λ)), σ̄² being
    /// their mean eigenvalue.
    pub tail: f32,
    /// γ: scores of movie j are multiplied by (ratings of j)^γ.
    pub popularity: f32,
    /// Seed of the randomized SVD.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            factors: 512,
            oversample: 32,
            power_iters: 1,
            user_exponent: 0.25,
            item_exponent: 0.25,
            rating_exponent: 0.25,
            lambda: 10.0,
            tail: 1.0,
            popularity: 0.05,
            seed: 1,
        }
    }
}

/// Why a model could not be trained or asked.
#[derive(Debug, thiserror::Error)]
pub enum RecommendError {
    /// There is nothing to learn from.
    #[error("no ratings to train on: load MovieLens first (perx movielens load --dir DIR)")]
    NoRatings,
    /// A parameter is out of range.
    #[error("invalid parameter: {0}")]
    BadParam(String),
    /// The user id is not in the training data.
    #[error("user {0} is not in the ratings the model was trained on")]
    UnknownUser(u32),
    /// The SVD failed.
    #[error(transparent)]
    Svd(#[from] SvdError),
    /// linfa refused the data (feature `linfa`).
    #[cfg(feature = "linfa")]
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
}

/// A trained model: the training interactions, the spectrum and the parameters.
#[derive(Debug, Clone)]
pub struct Model {
    /// The parameters it was trained with.
    pub params: Params,
    /// Identifies the training data (e.g. the ratings file's sha256), so a model is never
    /// used with other data.
    pub data_id: String,
    pub(crate) matrix: InteractionMatrix,
    pub(crate) spectrum: Spectrum,
}

impl Params {
    fn check(&self) -> Result<(), RecommendError> {
        let finite = [
            self.user_exponent,
            self.item_exponent,
            self.rating_exponent,
            self.lambda,
            self.tail,
            self.popularity,
        ]
        .iter()
        .all(|v| v.is_finite());
        if !finite {
            return Err(RecommendError::BadParam(
                "every exponent and λ must be a finite number".into(),
            ));
        }
        if self.factors == 0 {
            return Err(RecommendError::BadParam(
                "--factors must be at least 1".into(),
            ));
        }
        if self.lambda <= 0.0 || self.tail <= 0.0 {
            return Err(RecommendError::BadParam("λ and τ must be positive".into()));
        }
        Ok(())
    }
}

impl Model {
    /// Trains on interactions (repeats count once).
    pub fn fit(
        interactions: &[Interaction],
        params: Params,
        data_id: &str,
    ) -> Result<Model, RecommendError> {
        Self::fit_matrix(InteractionMatrix::new(interactions), params, data_id)
    }

    /// Trains on a matrix.
    pub fn fit_matrix(
        matrix: InteractionMatrix,
        params: Params,
        data_id: &str,
    ) -> Result<Model, RecommendError> {
        params.check()?;
        if matrix.nnz() == 0 {
            return Err(RecommendError::NoRatings);
        }
        if let Some(bad) = matrix.bad_rating() {
            return Err(RecommendError::BadParam(format!(
                "every rating must be a positive number, found {bad}"
            )));
        }
        let spectrum = top_eigen(
            &matrix,
            &weights(&matrix, &params),
            params.factors,
            params.oversample,
            params.power_iters,
            params.seed,
        )?;
        Ok(Model {
            params,
            data_id: data_id.to_owned(),
            matrix,
            spectrum,
        })
    }

    /// The same spectrum with other filter parameters (λ, τ, γ): no retraining needed.
    pub fn with_filter(
        &self,
        lambda: f32,
        tail: f32,
        popularity: f32,
    ) -> Result<Model, RecommendError> {
        let params = Params {
            lambda,
            tail,
            popularity,
            ..self.params
        };
        params.check()?;
        Ok(Model {
            params,
            ..self.clone()
        })
    }

    /// The training interactions.
    pub fn matrix(&self) -> &InteractionMatrix {
        &self.matrix
    }

    /// Singular vectors actually kept (at most the number of movies).
    pub fn factors(&self) -> usize {
        self.spectrum.values.len()
    }
}

/// Row weights n_u^-β, column weights d^-α and entries stars^p.
fn weights(m: &InteractionMatrix, p: &Params) -> Weights {
    let (row, col) = degree_weights(m, p);
    Weights {
        row,
        col,
        by_row: star_values(m.ratings(), p),
        by_col: star_values(m.ratings_by_col(), p),
    }
}

/// Row weights n_u^-β and column weights d^-α.
fn degree_weights(m: &InteractionMatrix, p: &Params) -> (Vec<f32>, Vec<f32>) {
    let pow = |d: &u32, e: f32| (*d as f32).max(1.0).powf(-e);
    let row = m
        .user_degrees()
        .iter()
        .map(|d| pow(d, p.user_exponent))
        .collect();
    let col = m
        .item_degrees()
        .iter()
        .map(|d| pow(d, p.item_exponent))
        .collect();
    (row, col)
}

/// stars^p for each of `stars`.
fn star_values(stars: &[f32], p: &Params) -> Vec<f32> {
    let e = p.rating_exponent;
    if e == 0.0 {
        return vec![1.0; stars.len()];
    }
    // Star ratings are small whole numbers: their powers come from a table.
    let table: Vec<f32> = (0..=16u8).map(|s| f32::from(s).powf(e)).collect();
    stars
        .iter()
        .map(|&v| {
            if v.fract() == 0.0 && (0.0..=16.0).contains(&v) {
                table[v as usize]
            } else {
                v.powf(e)
            }
        })
        .collect()
}

/// A recommended movie and its score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scored {
    /// MovieLens movie id.
    pub movie: u32,
    /// Higher is better; comparable within one user's list only.
    pub score: f32,
}

/// Where a list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The model's scores.
    Model,
    /// Too few ratings for the model (fewer than [`MIN_RATINGS`]): the most popular movies
    /// the user has not rated.
    Popularity,
}

/// One user's list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// Best first.
    pub items: Vec<Scored>,
    /// How it was made.
    pub basis: Basis,
    /// How many ratings of the user the model knows.
    pub ratings: usize,
}

/// A model ready to answer.
///
/// For a movie j the user has not rated, the score is `−g_j · [(x∘c) V W Vᵀ]_j` (x the
/// user's row, c = d^-α, W = diag(1/(σ²+λ) − 1/λ_tail), g_j = d_j^γ / P_jj): the identity
/// part of P only touches rated movies, which are never recommended. All users at once are
/// scored from the factors by dense products in blocks of users; one user (and an
/// explanation) is faster from the dense item × item matrix `B`, built on first use.
#[derive(Debug)]
pub struct Recommender {
    model: Model,
    n: usize,
    /// V item-major: each movie's k values together.
    v_rows: Vec<f32>,
    /// −diag(g) V: products with it land on final scores.
    vg: Mat<f32>,
    w: Vec<f32>,
    c: Vec<f32>,
    g: Vec<f32>,
    b: OnceLock<Vec<f32>>,
    popular: Vec<u32>,
}

/// Users per dense product in [`Recommender::recommend_all`].
const USER_BLOCK: usize = 256;

impl Recommender {
    /// Prepares the filter from the model's spectrum (cheap: O(n·k)).
    pub fn new(model: Model) -> Recommender {
        let m = &model.matrix;
        let n = m.n_items();
        let p = &model.params;
        let (r, c) = degree_weights(m, p);
        let by_col = star_values(m.ratings_by_col(), p);
        // λ relative to the mean diagonal of XsᵀXs.
        let diag_sum: f64 = (0..n)
            .map(|i| {
                let users: f64 = m
                    .col(i)
                    .iter()
                    .zip(&by_col[m.col_range(i)])
                    .map(|(&u, &e)| (f64::from(r[u as usize]) * f64::from(e)).powi(2))
                    .sum();
                users * f64::from(c[i]).powi(2)
            })
            .sum();
        let lambda = (f64::from(p.lambda) * diag_sum / n.max(1) as f64) as f32;
        let s = &model.spectrum;
        let k = s.values.len();
        // The directions beyond k are not computed; their mean eigenvalue is known from the
        // trace, and stands in for each of them.
        let kept: f64 = s.values.iter().map(|&v| f64::from(v)).sum();
        let tail_mean = if n > k {
            ((diag_sum - kept) / (n - k) as f64).max(0.0) as f32
        } else {
            0.0
        };
        let tail = 1.0 / ((tail_mean + lambda) * p.tail);
        let w: Vec<f32> = s
            .values
            .iter()
            .map(|&v| 1.0 / (v + lambda) - tail)
            .collect();
        let mut v_rows = vec![0f32; n * k];
        for j in 0..k {
            for i in 0..n {
                v_rows[i * k + j] = s.vectors[(i, j)];
            }
        }
        let degrees = m.item_degrees();
        let g: Vec<f32> = (0..n)
            .map(|j| {
                let row = &v_rows[j * k..(j + 1) * k];
                let pjj: f32 = row.iter().zip(&w).map(|(v, w)| v * v * w).sum::<f32>() + tail;
                (degrees[j] as f32).powf(p.popularity) / pjj
            })
            .collect();
        let vg = Mat::from_fn(n, k, |i, j| -g[i] * s.vectors[(i, j)]);
        let mut popular: Vec<u32> = (0..n as u32).collect();
        popular.sort_by(|&a, &b| {
            degrees[b as usize]
                .cmp(&degrees[a as usize])
                .then(a.cmp(&b))
        });
        Recommender {
            model,
            n,
            v_rows,
            vg,
            w,
            c,
            g,
            b: OnceLock::new(),
            popular,
        }
    }

    /// The model behind it.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// `B` row-major: `B_ij = −c_i · (V W Vᵀ)_ij · g_j`, zero diagonal (n²·k flops, once).
    fn b(&self) -> &[f32] {
        self.b.get_or_init(|| {
            let n = self.n;
            let s = &self.model.spectrum;
            let mut vw = s.vectors.clone();
            for (j, &w) in self.w.iter().enumerate() {
                for i in 0..n {
                    vw[(i, j)] *= w;
                }
            }
            let mut b = vec![0f32; n * n];
            matmul(
                MatMut::from_row_major_slice_mut(&mut b, n, n),
                Accum::Replace,
                &vw,
                s.vectors.transpose(),
                1.0,
                Par::rayon(0),
            );
            b.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
                scale_by(row, &self.g, -self.c[i]);
                row[i] = 0.0;
            });
            b
        })
    }

    /// The top `k` movies for a user of the training data.
    pub fn recommend(&self, user: u32, k: usize) -> Result<Recommendation, RecommendError> {
        let row = self
            .model
            .matrix
            .user_row(user)
            .ok_or(RecommendError::UnknownUser(user))?;
        Ok(self.recommend_cols(self.model.matrix.row(row), k))
    }

    /// The top `k` movies for someone who rated `movies` (ids unknown to the model are
    /// ignored): for users outside the training data.
    pub fn recommend_for(&self, movies: &[u32], k: usize) -> Recommendation {
        let mut cols: Vec<u32> = movies
            .iter()
            .filter_map(|&m| self.model.matrix.item_col(m).map(|c| c as u32))
            .collect();
        cols.sort_unstable();
        cols.dedup();
        self.recommend_cols(&cols, k)
    }

    fn popular_for(&self, seen: &[u32], k: usize) -> Recommendation {
        let m = &self.model.matrix;
        let items = self
            .popular
            .iter()
            .filter(|c| seen.binary_search(c).is_err())
            .take(k)
            .map(|&c| Scored {
                movie: m.items()[c as usize],
                score: m.col(c as usize).len() as f32,
            })
            .collect();
        Recommendation {
            items,
            basis: Basis::Popularity,
            ratings: seen.len(),
        }
    }

    fn finish(&self, seen: &[u32], scores: &mut [f32], k: usize) -> Recommendation {
        let items = self.model.matrix.items();
        Recommendation {
            items: top_unseen(scores, seen, k)
                .into_iter()
                .map(|(c, score)| Scored {
                    movie: items[c as usize],
                    score,
                })
                .collect(),
            basis: Basis::Model,
            ratings: seen.len(),
        }
    }

    fn recommend_cols(&self, seen: &[u32], k: usize) -> Recommendation {
        if seen.len() < MIN_RATINGS {
            return self.popular_for(seen, k);
        }
        let mut scores = vec![0f32; self.n];
        let f = self.w.len();
        if seen.len() > f {
            // Summing more rows of B than there are factors reads more memory than the
            // factors themselves: go through (x∘c) V W Vᵀ instead.
            let mut zw = vec![0f32; f];
            weighted_rows(&mut zw, seen, &self.c, &self.v_rows, 1.0);
            scale_by(&mut zw, &self.w, 1.0);
            matmul(
                MatMut::from_column_major_slice_mut(&mut scores, self.n, 1),
                Accum::Replace,
                &self.vg,
                MatRef::from_column_major_slice(&zw, f, 1),
                1.0,
                Par::Seq,
            );
        } else {
            sum_rows(&mut scores, seen, self.b(), self.n);
        }
        self.finish(seen, &mut scores, k)
    }

    /// Builds the item × item matrix now rather than on the first single-user query.
    pub fn prepare(&self) {
        self.b();
    }

    /// Top `k` for every user of the training data, in user-id order.
    ///
    /// The same lists as [`Recommender::recommend`] user by user (up to float rounding in
    /// near-ties), from dense products with the factors instead of `B`.
    pub fn recommend_all(&self, k: usize) -> Vec<(u32, Recommendation)> {
        let m = &self.model.matrix;
        let (n, f) = (self.n, self.w.len());
        let users = m.n_users();
        // Each user's (x∘c) V W, user-major.
        let mut zw = vec![0f32; users * f];
        zw.par_chunks_mut(f).enumerate().for_each(|(u, o)| {
            weighted_rows(o, m.row(u), &self.c, &self.v_rows, 1.0);
            scale_by(o, &self.w, 1.0);
        });
        let firsts: Vec<usize> = (0..users).step_by(USER_BLOCK).collect();
        let blocks: Vec<Vec<(u32, Recommendation)>> = firsts
            .par_iter()
            .map_init(
                || vec![0f32; USER_BLOCK.min(users) * n],
                |scores, &first| {
                    let rows = USER_BLOCK.min(users - first);
                    let block = &mut scores[..rows * n];
                    matmul(
                        MatMut::from_row_major_slice_mut(block, rows, n),
                        Accum::Replace,
                        MatRef::from_row_major_slice(&zw[first * f..(first + rows) * f], rows, f),
                        self.vg.transpose(),
                        1.0,
                        Par::Seq,
                    );
                    block
                        .chunks_mut(n)
                        .enumerate()
                        .map(|(r, s)| {
                            let row = first + r;
                            let seen = m.row(row);
                            let rec = if seen.len() < MIN_RATINGS {
                                self.popular_for(seen, k)
                            } else {
                                self.finish(seen, s, k)
                            };
                            (m.users()[row], rec)
                        })
                        .collect()
                },
            )
            .collect();
        blocks.into_iter().flatten().collect()
    }

    /// The movies the user rated that pushed `movie` up the most, with their contribution
    /// to its score, largest first (at most `n`, positive contributions only).
    pub fn explain(&self, user: u32, movie: u32, n: usize) -> Result<Vec<Scored>, RecommendError> {
        let m = &self.model.matrix;
        let row = m.user_row(user).ok_or(RecommendError::UnknownUser(user))?;
        let Some(j) = m.item_col(movie) else {
            return Ok(Vec::new());
        };
        let b = self.b();
        let mut parts: Vec<Scored> = m
            .row(row)
            .iter()
            .map(|&i| Scored {
                movie: m.items()[i as usize],
                score: b[i as usize * self.n + j],
            })
            .filter(|s| s.score > 0.0)
            .collect();
        parts.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.movie.cmp(&b.movie)));
        parts.truncate(n);
        Ok(parts)
    }

    /// The movie ids a training user rated.
    pub fn rated(&self, user: u32) -> Option<Vec<u32>> {
        let m = &self.model.matrix;
        let row = m.user_row(user)?;
        Some(m.row(row).iter().map(|&c| m.items()[c as usize]).collect())
    }
}

/// The `k` largest finite scores as (index, score), best first; ties go to the lower index.
pub(crate) fn top_k(scores: &[f32], k: usize) -> Vec<(u32, f32)> {
    let mut best: Vec<(u32, f32)> = Vec::with_capacity(k + 1);
    if k == 0 {
        return best;
    }
    for (j, &s) in scores.iter().enumerate() {
        if s == f32::NEG_INFINITY || s.is_nan() {
            continue;
        }
        if best.len() == k && s <= best[k - 1].1 {
            continue;
        }
        let at = best.partition_point(|&(_, b)| b >= s);
        best.insert(at, (j as u32, s));
        best.truncate(k);
    }
    best
}

/// The `k` best movies (column, score) not in `seen`: the seen columns' scores become −∞
/// first.
pub(crate) fn top_unseen(scores: &mut [f32], seen: &[u32], k: usize) -> Vec<(u32, f32)> {
    for &i in seen {
        scores[i as usize] = f32::NEG_INFINITY;
    }
    top_k(scores, k)
}

/// Evaluates a recommender against held-out interactions with the issue's protocol.
pub fn evaluate_recommender(rec: &Recommender, test: &[Interaction], k: usize) -> Metrics {
    let lists: Vec<(u32, Vec<u32>)> = rec
        .recommend_all(k)
        .into_iter()
        .map(|(u, r)| (u, r.items.iter().map(|s| s.movie).collect()))
        .collect();
    evaluate_lists(&lists, test, k, rec.model.matrix.n_items())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ix(user: u32, movie: u32) -> Interaction {
        Interaction::seen(user, movie)
    }

    /// Two taste groups: users 0..20 like movies 0..10, users 20..40 like 10..20; each
    /// user misses a few of their group's movies.
    fn two_groups() -> Vec<Interaction> {
        let mut v = Vec::new();
        for u in 0..40u32 {
            let base = if u < 20 { 0 } else { 10 };
            for m in 0..10u32 {
                if (u + m) % 4 != 0 {
                    v.push(ix(u, base + m));
                }
            }
        }
        v.push(ix(40, 3)); // a user with one rating
        v
    }

    fn small_params() -> Params {
        Params {
            factors: 8,
            oversample: 4,
            ..Params::default()
        }
    }

    #[test]
    fn recommends_unseen_movies_of_the_users_group() {
        let model = Model::fit(&two_groups(), small_params(), "test").unwrap();
        let rec = Recommender::new(model);
        for user in [0u32, 5, 21, 33] {
            let r = rec.recommend(user, 3).unwrap();
            assert_eq!(r.basis, Basis::Model);
            let seen = rec.rated(user).unwrap();
            let group = if user < 20 { 0..10 } else { 10..20 };
            let unseen_in_group = 10 - seen.len();
            assert_eq!(r.items.len(), 3);
            for (rank, s) in r.items.iter().enumerate() {
                assert!(
                    !seen.contains(&s.movie),
                    "user {user} got seen movie {}",
                    s.movie
                );
                // The group's unseen movies come first, then the other group's.
                assert_eq!(
                    group.contains(&s.movie),
                    rank < unseen_in_group,
                    "user {user}: {} at rank {rank}",
                    s.movie
                );
            }
        }
    }

    #[test]
    fn few_ratings_fall_back_to_popularity_and_unknown_users_are_errors() {
        let rec = Recommender::new(Model::fit(&two_groups(), small_params(), "test").unwrap());
        let r = rec.recommend(40, 5).unwrap();
        assert_eq!(r.basis, Basis::Popularity);
        assert_eq!(r.ratings, 1);
        assert!(r.items.iter().all(|s| s.movie != 3));
        assert_eq!(r.items.len(), 5);
        assert!(matches!(
            rec.recommend(99, 5),
            Err(RecommendError::UnknownUser(99))
        ));
        let outsider = rec.recommend_for(&[11, 12, 13, 14, 999], 2);
        assert_eq!(outsider.basis, Basis::Model);
        assert!(outsider.items.iter().all(|s| (10..20).contains(&s.movie)));
    }

    #[test]
    fn explanations_are_rated_movies_with_positive_weight() {
        let rec = Recommender::new(Model::fit(&two_groups(), small_params(), "test").unwrap());
        let top = rec.recommend(1, 1).unwrap().items[0].movie;
        let why = rec.explain(1, top, 3).unwrap();
        assert!(!why.is_empty());
        let seen = rec.rated(1).unwrap();
        assert!(why.iter().all(|s| seen.contains(&s.movie) && s.score > 0.0));
        assert!(why.windows(2).all(|w| w[0].score >= w[1].score));
    }

    /// Movies 10 and 11 are each rated with the same three movies by ten users; 10 by
    /// users who loved all four, 11 by users who disliked them. Counting who rated what
    /// the two tie; with the stars as confidence, 10 comes first.
    #[test]
    fn stars_weigh_the_pairs_when_p_is_positive() {
        let mut ix = Vec::new();
        for u in 0..20u32 {
            let (stars, other) = if u < 10 { (5.0, 10) } else { (1.0, 11) };
            for movie in [1, 2, 3, other] {
                ix.push(Interaction {
                    user: u,
                    movie,
                    rating: stars,
                });
            }
        }
        let score = |p: f32| {
            let params = Params {
                rating_exponent: p,
                ..small_params()
            };
            let rec = Recommender::new(Model::fit(&ix, params, "t").unwrap());
            let list = rec.recommend_for(&[1, 2, 3], 2).items;
            assert_eq!(list.len(), 2);
            (list[0], list[1])
        };
        let (a, b) = score(0.0);
        assert!(
            (a.score - b.score).abs() < 1e-4 * a.score.abs(),
            "{a:?} {b:?}"
        );
        let (a, b) = score(0.5);
        assert_eq!(a.movie, 10, "{a:?} {b:?}");
        assert!(a.score > b.score * 1.01, "{a:?} {b:?}");
        let bad = [Interaction {
            rating: -1.0,
            ..ix[0]
        }];
        assert!(matches!(
            Model::fit(&bad, small_params(), "t"),
            Err(RecommendError::BadParam(_))
        ));
    }

    #[test]
    fn same_seed_same_lists() {
        let a = Recommender::new(Model::fit(&two_groups(), small_params(), "t").unwrap());
        let b = Recommender::new(Model::fit(&two_groups(), small_params(), "t").unwrap());
        assert_eq!(a.recommend_all(5), b.recommend_all(5));
    }

    #[test]
    fn all_users_at_once_equals_one_by_one() {
        // More movies than one panel, so the panel edges are crossed.
        let mut ix = Vec::new();
        for u in 0..70u32 {
            for m in 0..300u32 {
                if (u * 31 + m * 17) % 7 < 2 || (m < 20 && u % 3 == 0) {
                    ix.push(Interaction::seen(u, m));
                }
            }
        }
        ix.push(Interaction::seen(500, 4));
        let rec = Recommender::new(Model::fit(&ix, small_params(), "t").unwrap());
        let all = rec.recommend_all(7);
        assert_eq!(all.len(), 71);
        for (user, r) in &all {
            let one = rec.recommend(*user, 7).unwrap();
            assert_eq!(r.basis, one.basis);
            assert_eq!(r.items.len(), one.items.len());
            // Two ways of computing the same scores: equal up to float rounding.
            for (a, b) in r.items.iter().zip(&one.items) {
                // (Near-ties may swap places, so the scores rank by rank are compared.)
                assert!(
                    (a.score - b.score).abs() <= 1e-4 * (1.0 + b.score.abs()),
                    "user {user}: {a:?} vs {b:?}"
                );
            }
        }
        assert_eq!(all[70].1.basis, Basis::Popularity);
    }

    #[test]
    fn top_k_orders_by_score_then_index_and_skips_seen() {
        let s = [1.0, f32::NEG_INFINITY, 3.0, 3.0, 2.0, f32::NAN];
        assert_eq!(top_k(&s, 3), vec![(2, 3.0), (3, 3.0), (4, 2.0)]);
        assert_eq!(top_k(&s, 0), vec![]);
        assert_eq!(top_k(&s, 10).len(), 4);
    }

    #[test]
    fn bad_parameters_are_refused() {
        let p = Params {
            factors: 0,
            ..Params::default()
        };
        assert!(matches!(
            Model::fit(&two_groups(), p, "t"),
            Err(RecommendError::BadParam(_))
        ));
        assert!(matches!(
            Model::fit(&[], Params::default(), "t"),
            Err(RecommendError::NoRatings)
        ));
    }
}

//! The movie recommender through linfa's traits (cargo feature `linfa`), for code written
//! against that ecosystem: [`Params`] is `Fit` on an interaction matrix held in an
//! `ndarray` array, and the fitted [`Recommender`] is `Predict`, giving every movie's
//! score.
//!
//! Records are users × movies: row `u` is user `u`, column `j` movie `j`, and a nonzero
//! entry means the user rated (or otherwise chose) the movie; its value is the rating (a
//! positive number, weighed as rating^p; 1 where only "rated" is known). The numerics stay
//! perx's own (faer and the hand-written sparse products): this is an adapter, not another
//! model.
//!
//! ```
//! use linfa::prelude::*;
//! use ndarray::Array2;
//! use perx::core::recommend::Params;
//!
//! // 30 users, 10 movies: user u rated the movies j with (u + j) % 3 != 0.
//! let x = Array2::from_shape_fn((30, 10), |(u, j)| f32::from((u + j) % 3 != 0));
//! let params = Params { factors: 4, oversample: 2, ..Params::default() };
//! let model = params.fit(&DatasetBase::from(x.clone())).unwrap();
//! let scores: Array2<f32> = model.predict(&x);
//! // A movie the user rated is never recommended: its score is -inf.
//! assert_eq!(scores[(0, 1)], f32::NEG_INFINITY);
//! assert!(scores[(0, 0)].is_finite());
//! ```

use linfa::dataset::DatasetBase;
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array2, ArrayBase, Data, Ix2};

use crate::core::eval::Interaction;
use crate::core::recommend::{Model, Params, RecommendError, Recommender};

/// The rated columns of each row of `x` (nonzero entries).
fn rated<D: Data<Elem = f32>>(x: &ArrayBase<D, Ix2>) -> impl Iterator<Item = Vec<u32>> + '_ {
    x.rows().into_iter().map(|row| {
        row.iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(j, _)| j as u32)
            .collect()
    })
}

/// The records' nonzero entries as (user = row, movie = column, rating = value).
fn interactions<D: Data<Elem = f32>>(x: &ArrayBase<D, Ix2>) -> Vec<Interaction> {
    x.rows()
        .into_iter()
        .enumerate()
        .flat_map(|(u, row)| {
            row.into_iter()
                .enumerate()
                .filter(|(_, v)| **v != 0.0)
                .map(move |(movie, &rating)| Interaction {
                    user: u as u32,
                    movie: movie as u32,
                    rating,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

impl<D: Data<Elem = f32>, T> Fit<ArrayBase<D, Ix2>, T, RecommendError> for Params {
    type Object = Recommender;

    /// Trains on the records' nonzero entries (users × movies), each value the rating (a
    /// positive number; 1 where only "rated" is known); the targets are unused.
    fn fit(
        &self,
        dataset: &DatasetBase<ArrayBase<D, Ix2>, T>,
    ) -> Result<Recommender, RecommendError> {
        let x = &dataset.records;
        if u32::try_from(x.nrows()).is_err() || u32::try_from(x.ncols()).is_err() {
            return Err(RecommendError::BadParam(
                "more than 4 billion users or movies".into(),
            ));
        }
        let model = Model::fit(&interactions(x), *self, "ndarray")?;
        Ok(Recommender::new(model))
    }
}

impl<D: Data<Elem = f32>> PredictInplace<ArrayBase<D, Ix2>, Array2<f32>> for Recommender {
    /// Each row's scores for every movie column: higher is better, comparable within a row;
    /// `-inf` for a movie the row rated or that training never saw. A row with fewer than
    /// [`crate::core::recommend::MIN_RATINGS`] movies gets the movies' popularity instead,
    /// as `recommend` does.
    fn predict_inplace<'a>(&'a self, x: &'a ArrayBase<D, Ix2>, y: &mut Array2<f32>) {
        let n = x.ncols();
        if y.dim() != x.dim() {
            *y = Array2::from_elem(x.dim(), f32::NEG_INFINITY);
        }
        y.fill(f32::NEG_INFINITY);
        for (mut out, movies) in y.rows_mut().into_iter().zip(rated(x)) {
            for s in self.recommend_for(&movies, n).items {
                if let Some(v) = out.get_mut(s.movie as usize) {
                    *v = s.score;
                }
            }
        }
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array2<f32> {
        Array2::from_elem(x.dim(), f32::NEG_INFINITY)
    }
}

#[cfg(test)]
mod tests {
    use linfa::prelude::*;

    use super::*;

    #[test]
    fn fit_and_predict_through_linfa_give_perx_s_own_lists() {
        let x = Array2::from_shape_fn((40, 12), |(u, j)| f32::from((u * 7 + j * 3) % 5 < 2));
        let params = Params {
            factors: 5,
            oversample: 3,
            ..Params::default()
        };
        let model = params.fit(&DatasetBase::from(x.clone())).unwrap();
        let scores: Array2<f32> = model.predict(&x);
        assert_eq!(scores.dim(), (40, 12));
        let own = Recommender::new(Model::fit(&interactions(&x), params, "ndarray").unwrap());
        for u in 0..40u32 {
            let list = own.recommend(u, 3).unwrap();
            let row = scores.row(u as usize);
            // The best three scores of the row are perx's top 3, in order.
            let mut order: Vec<usize> = (0..12).collect();
            order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
            let top: Vec<u32> = order[..list.items.len()]
                .iter()
                .map(|&j| j as u32)
                .collect();
            let expected: Vec<u32> = list.items.iter().map(|s| s.movie).collect();
            assert_eq!(top, expected, "user {u}");
            for (j, v) in x.row(u as usize).iter().enumerate() {
                if *v != 0.0 {
                    assert_eq!(row[j], f32::NEG_INFINITY);
                }
            }
        }
    }
}

//! EASE (Steck 2019), the reference `perx eval` measures the model against: the exact
//! closed form `P = (XᵀX + λI)⁻¹`, `B = −P / diag(P)` with a zero diagonal, by a dense
//! Cholesky factorisation of the item × item Gram matrix. Cubic in the number of movies,
//! so a baseline for evaluation, not the model perx serves.

use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, Side};
use rayon::prelude::*;

use super::RecommendError;
use super::kernels::{scale_by, sum_rows};
use super::matrix::InteractionMatrix;
use super::model::top_unseen;
use crate::core::eval::Interaction;

/// The Gram matrix `XᵀX` of the training matrix, from which EASE is solved for any λ
/// (tuning solves it for many).
#[derive(Debug)]
pub struct EaseGram {
    matrix: InteractionMatrix,
    /// Row-major n × n.
    gram: Vec<f64>,
}

impl EaseGram {
    /// Counts co-occurrences: row a counts, for every user who rated a, the movies that user
    /// rated (rows in parallel).
    pub fn new(interactions: &[Interaction]) -> Result<EaseGram, RecommendError> {
        let matrix = InteractionMatrix::new(interactions);
        if matrix.nnz() == 0 {
            return Err(RecommendError::NoRatings);
        }
        let n = matrix.n_items();
        let mut gram = vec![0f64; n * n];
        gram.par_chunks_mut(n).enumerate().for_each(|(a, row)| {
            for &u in matrix.col(a) {
                for &b in matrix.row(u as usize) {
                    row[b as usize] += 1.0;
                }
            }
        });
        Ok(EaseGram { matrix, gram })
    }

    /// EASE with regularisation `lambda` (absolute, as in the paper: 1500 is its
    /// MovieLens choice) and scores of movie j multiplied by (ratings of j)^`popularity`
    /// (0: plain EASE). Tuning solves once per λ and calls [`Ease::boosted`] per γ.
    pub fn solve(&self, lambda: f32, popularity: f32) -> Result<Ease<'_>, RecommendError> {
        if !(lambda.is_finite() && lambda > 0.0) {
            return Err(RecommendError::BadParam("EASE's λ must be positive".into()));
        }
        let n = self.matrix.n_items();
        let g = Mat::<f64>::from_fn(n, n, |i, j| {
            self.gram[i * n + j] + if i == j { f64::from(lambda) } else { 0.0 }
        });
        let p = g
            .llt(Side::Lower)
            .map_err(|_| RecommendError::BadParam("XᵀX + λI is not positive definite".into()))?
            .inverse();
        let neg_inv_diag: Vec<f32> = (0..n).map(|j| (-1.0 / p[(j, j)]) as f32).collect();
        let mut b = vec![0f32; n * n];
        b.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
            // P is symmetric: its row i is its column i.
            for (j, v) in row.iter_mut().enumerate() {
                *v = p[(j, i)] as f32;
            }
            scale_by(row, &neg_inv_diag, 1.0);
            row[i] = 0.0;
        });
        let plain = Ease {
            matrix: &self.matrix,
            b,
        };
        Ok(if popularity == 0.0 {
            plain
        } else {
            plain.boosted(popularity)
        })
    }
}

/// A fitted EASE model.
#[derive(Debug)]
pub struct Ease<'a> {
    matrix: &'a InteractionMatrix,
    /// Row-major n × n item weights.
    b: Vec<f32>,
}

impl<'a> Ease<'a> {
    /// The same weights with column j scaled by (ratings of j)^`popularity`: the same
    /// debias as perx's γ.
    pub fn boosted(&self, popularity: f32) -> Ease<'a> {
        let n = self.matrix.n_items();
        let boost: Vec<f32> = self
            .matrix
            .item_degrees()
            .iter()
            .map(|&d| (d.max(1) as f32).powf(popularity))
            .collect();
        let mut b = self.b.clone();
        b.par_chunks_mut(n)
            .for_each(|row| scale_by(row, &boost, 1.0));
        Ease {
            matrix: self.matrix,
            b,
        }
    }

    /// The top `k` movie ids for every user, unrated movies only, in user-id order.
    pub fn recommend_all(&self, k: usize) -> Vec<(u32, Vec<u32>)> {
        let m = self.matrix;
        let n = m.n_items();
        (0..m.n_users())
            .into_par_iter()
            .map_init(
                || vec![0f32; n],
                |scores, row| {
                    let seen = m.row(row);
                    sum_rows(scores, seen, &self.b, n);
                    let list = top_unseen(scores, seen, k)
                        .into_iter()
                        .map(|(c, _)| m.items()[c as usize])
                        .collect();
                    (m.users()[row], list)
                },
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_solve_the_ease_normal_equations() {
        let mut ix = Vec::new();
        for u in 0..30u32 {
            for m in 0..8u32 {
                if (u * 3 + m * 5) % 4 != 0 {
                    ix.push(Interaction::seen(u, m));
                }
            }
        }
        let lambda = 2.0;
        let g = EaseGram::new(&ix).unwrap();
        let e = g.solve(lambda, 0.0).unwrap();
        let n = 8;
        let x = e.matrix;
        let mut g = vec![0f64; n * n];
        for u in 0..x.n_users() {
            for &a in x.row(u) {
                for &b in x.row(u) {
                    g[a as usize * n + b as usize] += 1.0;
                }
            }
        }
        // EASE's optimality: (G + λI) B = G − diagMat(μ) for some μ, i.e. every
        // off-diagonal entry of (G + λI) B − G is zero.
        for i in 0..n {
            for j in 0..n {
                if i == j {
                    continue;
                }
                let gb: f64 = (0..n)
                    .map(|l| {
                        let gl = g[i * n + l] + if i == l { lambda as f64 } else { 0.0 };
                        gl * f64::from(e.b[l * n + j])
                    })
                    .sum();
                assert!(
                    (gb - g[i * n + j]).abs() < 1e-3,
                    "({i},{j}): {gb} vs {}",
                    g[i * n + j]
                );
            }
        }
        let all = e.recommend_all(3);
        assert_eq!(all.len(), 30);
        for (u, list) in all {
            let row = x.user_row(u).unwrap();
            assert!(
                list.iter()
                    .all(|m| !x.row(row).contains(&(x.item_col(*m).unwrap() as u32)))
            );
        }
    }
}

//! A randomized truncated eigendecomposition (Halko, Martinsson & Tropp 2011) of the Gram
//! matrix `XsᵀXs` of a sparse, weighted interaction matrix
//! `Xs = diag(r) · (X ∘ E) · diag(c)`, `E` a value per entry (the confidence the model gives
//! each rating).
//!
//! Equivalently: the top right singular vectors and squared singular values of `Xs`.
//! `Xs` is never formed: every product goes through the sparse matrix, the entries' values
//! and the two weight vectors. Dense blocks in item space are kept "item-major" (`l` values
//! per item, one item after another), so both sparse products are sums of contiguous
//! vectors.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par, Side};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::kernels::valued_rows;
use super::matrix::InteractionMatrix;

/// The top eigenpairs of `XsᵀXs`, largest first.
#[derive(Debug, Clone)]
pub struct Spectrum {
    /// Eigenvalues (squared singular values of `Xs`), non-increasing.
    pub values: Vec<f32>,
    /// Eigenvectors, one column each (items × values.len()).
    pub vectors: Mat<f32>,
}

/// Why a decomposition failed.
#[derive(Debug, thiserror::Error)]
pub enum SvdError {
    /// The eigen solver did not converge.
    #[error("the eigen solver did not converge on the {0}×{0} projected matrix")]
    NoConvergence(usize),
}

/// How `Xs` is made from the sparse matrix: `Xs[u, i] = row[u] · entry · col[i]`, the
/// entries' values given in both of the matrix's orders.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// A factor per user (row).
    pub row: Vec<f32>,
    /// A factor per movie (column).
    pub col: Vec<f32>,
    /// Each entry's value, in row order ([`InteractionMatrix::row`] after another).
    pub by_row: Vec<f32>,
    /// The same values in column order.
    pub by_col: Vec<f32>,
}

/// `out[:, u] = r_u Σ_{i ∈ row u} e_ui c_i t[:, i]`: `Xs · T` for an item-major block `t`
/// (l × n) into a user-major block (l × m).
fn mul_x(x: &InteractionMatrix, w: &Weights, t: &[f32], l: usize) -> Vec<f32> {
    let mut out = vec![0f32; l * x.n_users()];
    out.par_chunks_mut(l).enumerate().for_each(|(u, o)| {
        let e = &w.by_row[x.row_range(u)];
        valued_rows(o, x.row(u), e, &w.col, t, w.row[u]);
    });
    out
}

/// `out[:, i] = c_i Σ_{u ∈ col i} e_ui r_u y[:, u]`: `Xsᵀ · Y` for a user-major block `y`.
fn mul_xt(x: &InteractionMatrix, w: &Weights, y: &[f32], l: usize) -> Vec<f32> {
    let mut out = vec![0f32; l * x.n_items()];
    out.par_chunks_mut(l).enumerate().for_each(|(i, o)| {
        let e = &w.by_col[x.col_range(i)];
        valued_rows(o, x.col(i), e, &w.row, y, w.col[i]);
    });
    out
}

/// Replaces the item-major block `t` (l × n, read as the n × l matrix `tᵀ`) by an
/// orthonormal basis of its column space, in the same layout.
fn orthonormalise(t: &mut [f32], l: usize, n: usize) {
    let a = MatRef::from_column_major_slice(t, l, n).transpose();
    let q = a.qr().compute_thin_Q();
    for i in 0..n {
        for j in 0..l {
            t[i * l + j] = q[(i, j)];
        }
    }
}

/// The `k` largest eigenpairs of `XsᵀXs`, with `oversample` extra directions and
/// `power_iters` subspace iterations for accuracy. Deterministic for a given seed on a
/// given machine.
pub fn top_eigen(
    x: &InteractionMatrix,
    weights: &Weights,
    k: usize,
    oversample: usize,
    power_iters: usize,
    seed: u64,
) -> Result<Spectrum, SvdError> {
    let n = x.n_items();
    let l = (k + oversample).min(n).max(1);
    let k = k.min(l);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Random test matrix: uniform on [−√3, √3] (mean 0, variance 1) works as well as a
    // Gaussian one for the range finder and costs a fraction.
    let half_width = 3f32.sqrt();
    let omega: Vec<f32> = (0..l * n)
        .map(|_| (rng.random::<f32>() * 2.0 - 1.0) * half_width)
        .collect();
    let gram = |t: &[f32]| mul_xt(x, weights, &mul_x(x, weights, t, l), l);
    let mut q = gram(&omega);
    drop(omega);
    // Every step is orthonormalised by QR. (An LU basis for the intermediate steps, as
    // Halko et al. allow, took 22 ms instead of 80 each on MovieLens 1M, but in f32 it
    // blurred the smallest directions kept enough to move the filter tuning picks.)
    for _ in 0..power_iters {
        orthonormalise(&mut q, l, n);
        q = gram(&q);
    }
    orthonormalise(&mut q, l, n);
    // Project: T = Qᵀ Xsᵀ Xs Q = Zᵀ Z with Z = Xs Q (user-major Zt is l × m).
    let zt = mul_x(x, weights, &q, l);
    let zt = MatRef::from_column_major_slice(&zt, l, x.n_users());
    let mut t = Mat::<f32>::zeros(l, l);
    matmul(
        &mut t,
        Accum::Replace,
        zt,
        zt.transpose(),
        1.0,
        Par::rayon(0),
    );
    let eig = t
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| SvdError::NoConvergence(l))?;
    let s = eig.S().column_vector();
    let u = eig.U();
    // Ascending order from the solver: the largest k are the last k columns.
    let values: Vec<f32> = (0..k).map(|j| s[l - 1 - j].max(0.0)).collect();
    let mut top = Mat::<f32>::zeros(l, k);
    for j in 0..k {
        for row in 0..l {
            top[(row, j)] = u[(row, l - 1 - j)];
        }
    }
    let qm = MatRef::from_column_major_slice(&q, l, n).transpose();
    let mut vectors = Mat::<f32>::zeros(n, k);
    matmul(&mut vectors, Accum::Replace, qm, &top, 1.0, Par::rayon(0));
    Ok(Spectrum { values, vectors })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::eval::Interaction;

    /// A small valued matrix whose Gram matrix is computed densely and compared.
    #[test]
    fn randomized_eigenpairs_match_the_dense_gram_matrix() {
        let mut ix = Vec::new();
        for u in 0..40u32 {
            for i in 0..25u32 {
                if (u * 7 + i * 3) % 5 < 2 || (u + i) % 11 == 0 {
                    ix.push(Interaction {
                        user: u,
                        movie: i,
                        rating: (1 + (u * 3 + i) % 5) as f32,
                    });
                }
            }
        }
        let x = InteractionMatrix::new(&ix);
        let n = x.n_items();
        let r: Vec<f32> = x
            .user_degrees()
            .iter()
            .map(|&d| (d as f32).powf(-0.5))
            .collect();
        let c: Vec<f32> = x
            .item_degrees()
            .iter()
            .map(|&d| (d as f32).powf(-0.25))
            .collect();
        let mut g = Mat::<f32>::zeros(n, n);
        for (u, ru) in r.iter().enumerate() {
            for (&a, ea) in x.row(u).iter().zip(x.row_ratings(u)) {
                for (&b, eb) in x.row(u).iter().zip(x.row_ratings(u)) {
                    let (a, b) = (a as usize, b as usize);
                    g[(a, b)] += ru * ru * ea * eb * c[a] * c[b];
                }
            }
        }
        let w = Weights {
            row: r,
            col: c,
            by_row: x.ratings().to_vec(),
            by_col: x.ratings_by_col().to_vec(),
        };
        // Full rank (k = n): exact up to rounding.
        let s = top_eigen(&x, &w, n, 0, 2, 7).unwrap();
        let dense = g.self_adjoint_eigen(Side::Lower).unwrap();
        let ds = dense.S().column_vector();
        for j in 0..n {
            let want = ds[n - 1 - j];
            assert!(
                (s.values[j] - want).abs() < 1e-3 * (1.0 + want),
                "{j}: {} vs {want}",
                s.values[j]
            );
        }
        // G v = σ² v for the leading vectors.
        for j in 0..5 {
            for a in 0..n {
                let gv: f32 = (0..n).map(|b| g[(a, b)] * s.vectors[(b, j)]).sum();
                assert!((gv - s.values[j] * s.vectors[(a, j)]).abs() < 1e-3);
            }
        }
        // Same seed, same answer.
        let again = top_eigen(&x, &w, 6, 4, 2, 7).unwrap();
        let once = top_eigen(&x, &w, 6, 4, 2, 7).unwrap();
        assert_eq!(again.values, once.values);
    }
}

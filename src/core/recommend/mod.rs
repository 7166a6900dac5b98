//! The movie recommender's maths: the interaction matrix, a randomized truncated SVD, the
//! spectral-filter model built on it, and its file format. Pure: no I/O.

pub mod codec;
pub mod ease;
mod kernels;
pub mod matrix;
pub mod model;
pub mod svd;
pub mod tune;

pub use matrix::InteractionMatrix;
pub use model::{
    Basis, MIN_RATINGS, Model, Params, RecommendError, Recommendation, Recommender, Scored,
    evaluate_recommender,
};

//! What the recommender reads from the database: the interactions to train on, the id of
//! the data (to tell whether a saved model still matches it), titles and genres.

use std::collections::HashMap;

use duckdb::arrow::array::{Array, Int8Array, Int32Array};

use super::{SqlContext, Store, StoreError, query_all};
use crate::core::eval::Interaction;

/// A movie's title and genres.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieInfo {
    /// As in the file (latin-1 decoded).
    pub title: String,
    /// Genre names.
    pub genres: Vec<String>,
}

impl Store {
    /// Every (user, movie, stars) of `ml_rating` (read as Arrow batches: a million rows in
    /// a few tens of milliseconds).
    pub fn ml_interactions(&self) -> Result<Vec<Interaction>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(include_str!("../../sql/store/ml_interactions.sql"))
            .ctx("preparing to read ml_rating")?;
        let mut out = Vec::new();
        let unexpected = || {
            StoreError::Invalid(
                "sql/store/ml_interactions.sql returned columns of unexpected types".into(),
            )
        };
        for b in stmt.query_arrow([]).ctx("reading ml_rating")? {
            let col = |i: usize| {
                b.column(i)
                    .as_any()
                    .downcast_ref::<Int32Array>()
                    .ok_or_else(unexpected)
            };
            let (users, movies) = (col(0)?, col(1)?);
            let stars = b
                .column(2)
                .as_any()
                .downcast_ref::<Int8Array>()
                .ok_or_else(unexpected)?;
            out.extend(
                users
                    .values()
                    .iter()
                    .zip(movies.values().iter())
                    .zip(stars.values().iter())
                    .map(|((&u, &m), &s)| Interaction {
                        user: u.max(0) as u32,
                        movie: m.max(0) as u32,
                        rating: f32::from(s),
                    }),
            );
        }
        Ok(out)
    }

    /// Identifies the ratings now in the database: their source file, its sha256 and the
    /// row count; `None` when no ratings were loaded.
    pub fn ml_data_id(&self) -> Result<Option<String>, StoreError> {
        let rows: Vec<String> = query_all(
            &self.conn,
            include_str!("../../sql/store/ml_ratings_source.sql"),
            [],
            "reading load_manifest",
            |r| {
                Ok(format!(
                    "{} sha256:{} rows:{}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?
                ))
            },
        )?;
        Ok(rows.into_iter().next())
    }

    /// Titles and genres by movie id.
    pub fn ml_movies(&self) -> Result<HashMap<u32, MovieInfo>, StoreError> {
        query_all(
            &self.conn,
            include_str!("../../sql/store/ml_movies.sql"),
            [],
            "reading ml_movie",
            |r| {
                let genres: String = r.get(2)?;
                Ok((
                    r.get::<_, i32>(0)?.max(0) as u32,
                    MovieInfo {
                        title: r.get(1)?,
                        genres: genres
                            .split('|')
                            .filter(|g| !g.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    },
                ))
            },
        )
    }

    /// Whether the user id appears in `ml_user` or `ml_rating`.
    pub fn ml_user_known(&self, user: u32) -> Result<bool, StoreError> {
        let known: i32 = self
            .conn
            .query_row(
                include_str!("../../sql/store/ml_user_known.sql"),
                [i64::from(user)],
                |r| r.get(0),
            )
            .ctx("looking up the user")?;
        Ok(known == 1)
    }

    /// Every user id of `ml_user` or `ml_rating` (what [`Store::ml_user_known`] asks one
    /// at a time).
    pub fn ml_user_ids(&self) -> Result<Vec<u32>, StoreError> {
        query_all(
            &self.conn,
            include_str!("../../sql/store/ml_user_ids.sql"),
            [],
            "reading the MovieLens user ids",
            |r| Ok(r.get::<_, i32>(0)?.max(0) as u32),
        )
    }

    /// Whether a campaign id is in the `campaign` table.
    pub fn campaign_exists(&self, id: i64) -> Result<bool, StoreError> {
        let n: i32 = self
            .conn
            .query_row(
                include_str!("../../sql/store/campaign_exists.sql"),
                [id],
                |r| r.get(0),
            )
            .ctx("looking up the campaign")?;
        Ok(n == 1)
    }

    /// One user's (movie, rating) pairs, best rated first.
    pub fn ml_user_ratings(&self, user: u32) -> Result<Vec<(u32, u8)>, StoreError> {
        query_all(
            &self.conn,
            include_str!("../../sql/store/ml_user_ratings.sql"),
            [i64::from(user)],
            "reading the user's ratings",
            |r| {
                Ok((
                    r.get::<_, i32>(0)?.max(0) as u32,
                    r.get::<_, i8>(1)?.max(0) as u8,
                ))
            },
        )
    }
}

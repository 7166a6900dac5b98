//! The user × item interaction matrix, stored both by row (user) and by column (item), with
//! the maps between row/column indices and MovieLens ids and each entry's rating.

use crate::core::eval::Interaction;

/// Who rated what, and the rating.
///
/// Rows are users and columns movies, both sorted by id; a repeated (user, movie) pair
/// counts once, with its highest rating. Both orientations are kept because the SVD
/// multiplies by the matrix and by its transpose.
#[derive(Debug, Clone, PartialEq)]
pub struct InteractionMatrix {
    users: Vec<u32>,
    items: Vec<u32>,
    row_ptr: Vec<usize>,
    col_idx: Vec<u32>,
    /// The ratings in the order of `col_idx`.
    row_val: Vec<f32>,
    col_ptr: Vec<usize>,
    row_idx: Vec<u32>,
    /// The ratings in the order of `row_idx`.
    col_val: Vec<f32>,
}

impl InteractionMatrix {
    /// Builds the matrix from interactions in any order (a repeated pair counts once,
    /// with its highest rating).
    pub fn new(interactions: &[Interaction]) -> Self {
        let users = IdIndex::new(interactions.iter().map(|r| r.user));
        let items = IdIndex::new(interactions.iter().map(|r| r.movie));
        // A counting sort by row, then each row's columns sorted: linear in the pairs but
        // for the rows' own sorts.
        let m = users.ids.len();
        let mut start = vec![0usize; m + 1];
        let keyed: Vec<(u32, u32, f32)> = interactions
            .iter()
            .map(|r| (users.index(r.user), items.index(r.movie), r.rating))
            .collect();
        for &(u, _, _) in &keyed {
            start[u as usize + 1] += 1;
        }
        for k in 0..m {
            start[k + 1] += start[k];
        }
        let mut cols = vec![(0u32, 0f32); keyed.len()];
        let mut next = start.clone();
        for &(u, i, v) in &keyed {
            cols[next[u as usize]] = (i, v);
            next[u as usize] += 1;
        }
        drop(keyed);
        let mut entries: Vec<(u32, u32, f32)> = Vec::with_capacity(cols.len());
        for u in 0..m {
            let row = &mut cols[start[u]..start[u + 1]];
            row.sort_unstable_by_key(|&(i, _)| i);
            let mut last = None;
            for &(i, v) in row.iter() {
                if last == Some(i) {
                    if let Some(e) = entries.last_mut() {
                        e.2 = e.2.max(v);
                    }
                } else {
                    entries.push((u as u32, i, v));
                    last = Some(i);
                }
            }
        }
        Self::from_sorted(users.ids, items.ids, &entries)
    }

    /// Builds the matrix from (row, column, rating) entries sorted by row then column,
    /// without repeats, and the ids of the rows and columns.
    pub(crate) fn from_sorted(
        users: Vec<u32>,
        items: Vec<u32>,
        entries: &[(u32, u32, f32)],
    ) -> Self {
        let (m, n) = (users.len(), items.len());
        let mut row_ptr = vec![0usize; m + 1];
        let mut col_ptr = vec![0usize; n + 1];
        for &(u, i, _) in entries {
            row_ptr[u as usize + 1] += 1;
            col_ptr[i as usize + 1] += 1;
        }
        for k in 0..m {
            row_ptr[k + 1] += row_ptr[k];
        }
        for k in 0..n {
            col_ptr[k + 1] += col_ptr[k];
        }
        let col_idx: Vec<u32> = entries.iter().map(|&(_, i, _)| i).collect();
        let row_val: Vec<f32> = entries.iter().map(|&(_, _, v)| v).collect();
        let mut row_idx = vec![0u32; entries.len()];
        let mut col_val = vec![0f32; entries.len()];
        let mut next = col_ptr.clone();
        for &(u, i, v) in entries {
            row_idx[next[i as usize]] = u;
            col_val[next[i as usize]] = v;
            next[i as usize] += 1;
        }
        InteractionMatrix {
            users,
            items,
            row_ptr,
            col_idx,
            row_val,
            col_ptr,
            row_idx,
            col_val,
        }
    }

    /// Number of users (rows).
    pub fn n_users(&self) -> usize {
        self.users.len()
    }

    /// Number of movies (columns).
    pub fn n_items(&self) -> usize {
        self.items.len()
    }

    /// Number of interactions (non-zeros).
    pub fn nnz(&self) -> usize {
        self.col_idx.len()
    }

    /// User ids, by row.
    pub fn users(&self) -> &[u32] {
        &self.users
    }

    /// Movie ids, by column.
    pub fn items(&self) -> &[u32] {
        &self.items
    }

    /// The row of a user id.
    pub fn user_row(&self, user: u32) -> Option<usize> {
        self.users.binary_search(&user).ok()
    }

    /// The column of a movie id.
    pub fn item_col(&self, movie: u32) -> Option<usize> {
        self.items.binary_search(&movie).ok()
    }

    /// The columns (sorted) a row has interacted with.
    pub fn row(&self, row: usize) -> &[u32] {
        &self.col_idx[self.row_ptr[row]..self.row_ptr[row + 1]]
    }

    /// The rows (sorted) that interacted with a column.
    pub fn col(&self, col: usize) -> &[u32] {
        &self.row_idx[self.col_ptr[col]..self.col_ptr[col + 1]]
    }

    /// Where a row's entries lie in row order.
    pub(crate) fn row_range(&self, row: usize) -> std::ops::Range<usize> {
        self.row_ptr[row]..self.row_ptr[row + 1]
    }

    /// Where a column's entries lie in column order.
    pub(crate) fn col_range(&self, col: usize) -> std::ops::Range<usize> {
        self.col_ptr[col]..self.col_ptr[col + 1]
    }

    /// The ratings of a row, beside [`InteractionMatrix::row`].
    pub fn row_ratings(&self, row: usize) -> &[f32] {
        &self.row_val[self.row_range(row)]
    }

    /// The ratings of a column, beside [`InteractionMatrix::col`].
    pub fn col_ratings(&self, col: usize) -> &[f32] {
        &self.col_val[self.col_range(col)]
    }

    /// The first rating that is not a positive number, if any (the model weighs ratings by
    /// a power of them).
    pub(crate) fn bad_rating(&self) -> Option<f32> {
        self.row_val
            .iter()
            .copied()
            .find(|v| !(v.is_finite() && *v > 0.0))
    }

    /// Every rating in row order (as [`InteractionMatrix::row`] after another).
    pub(crate) fn ratings(&self) -> &[f32] {
        &self.row_val
    }

    /// Every rating in column order.
    pub(crate) fn ratings_by_col(&self) -> &[f32] {
        &self.col_val
    }

    /// How many users interacted with each movie.
    pub fn item_degrees(&self) -> Vec<u32> {
        self.col_ptr
            .windows(2)
            .map(|w| (w[1] - w[0]) as u32)
            .collect()
    }

    /// How many movies each user interacted with.
    pub fn user_degrees(&self) -> Vec<u32> {
        self.row_ptr
            .windows(2)
            .map(|w| (w[1] - w[0]) as u32)
            .collect()
    }

    /// The (row, column, rating) entries in row order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (u32, u32, f32)> + '_ {
        (0..self.n_users()).flat_map(move |u| {
            self.row(u)
                .iter()
                .zip(self.row_ratings(u))
                .map(move |(&i, &v)| (u as u32, i, v))
        })
    }

    /// The interactions (user id, movie id, rating), in row order.
    pub fn interactions(&self) -> impl Iterator<Item = Interaction> + '_ {
        self.entries().map(|(u, i, rating)| Interaction {
            user: self.users[u as usize],
            movie: self.items[i as usize],
            rating,
        })
    }
}

/// Sorted distinct ids and their positions: a table when the ids are small (MovieLens'
/// are), else a binary search.
struct IdIndex {
    ids: Vec<u32>,
    /// `table[id]` is the position of `id`, when ids are at most a few times their count.
    table: Option<Vec<u32>>,
}

impl IdIndex {
    fn new(values: impl Iterator<Item = u32> + Clone) -> IdIndex {
        let (count, max) = values
            .clone()
            .fold((0usize, 0u32), |(n, m), v| (n + 1, m.max(v)));
        let max = max as usize;
        if count > 0 && max < (1 << 24) && max <= count.saturating_mul(4) {
            let mut seen = vec![false; max + 1];
            for v in values {
                seen[v as usize] = true;
            }
            let mut table = vec![0u32; max + 1];
            let mut ids = Vec::new();
            for (v, _) in seen.iter().enumerate().filter(|(_, s)| **s) {
                table[v] = ids.len() as u32;
                ids.push(v as u32);
            }
            return IdIndex {
                ids,
                table: Some(table),
            };
        }
        let mut ids: Vec<u32> = values.collect();
        ids.sort_unstable();
        ids.dedup();
        IdIndex { ids, table: None }
    }

    /// The position of an id given to [`IdIndex::new`].
    fn index(&self, id: u32) -> u32 {
        match &self.table {
            Some(t) => t[id as usize],
            // The search succeeds: the list was built from these very values.
            None => self.ids.binary_search(&id).unwrap_or_default() as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ix(user: u32, movie: u32) -> Interaction {
        Interaction::seen(user, movie)
    }

    #[test]
    fn rows_and_columns_agree_and_repeats_count_once() {
        let m = InteractionMatrix::new(&[ix(7, 30), ix(3, 10), ix(7, 10), ix(7, 30), ix(3, 20)]);
        assert_eq!(m.users(), &[3, 7]);
        assert_eq!(m.items(), &[10, 20, 30]);
        assert_eq!(m.nnz(), 4);
        assert_eq!(m.row(0), &[0, 1]);
        assert_eq!(m.row(1), &[0, 2]);
        assert_eq!(m.col(0), &[0, 1]);
        assert_eq!(m.col(1), &[0]);
        assert_eq!(m.col(2), &[1]);
        assert_eq!(m.item_degrees(), vec![2, 1, 1]);
        assert_eq!(m.user_degrees(), vec![2, 2]);
        assert_eq!(m.user_row(7), Some(1));
        assert_eq!(m.user_row(8), None);
        assert_eq!(m.item_col(30), Some(2));
        let back: Vec<Interaction> = m.interactions().collect();
        assert_eq!(back, vec![ix(3, 10), ix(3, 20), ix(7, 10), ix(7, 30)]);
    }

    #[test]
    fn ratings_follow_their_entries_and_a_repeat_keeps_the_highest() {
        let r = |user, movie, rating| Interaction {
            user,
            movie,
            rating,
        };
        let m = InteractionMatrix::new(&[r(2, 5, 3.0), r(1, 5, 2.0), r(1, 9, 1.0), r(1, 5, 4.0)]);
        assert_eq!(m.row(0), &[0, 1]);
        assert_eq!(m.row_ratings(0), &[4.0, 1.0]);
        assert_eq!(m.row_ratings(1), &[3.0]);
        assert_eq!(m.col_ratings(0), &[4.0, 3.0]);
        assert_eq!(m.col_ratings(1), &[1.0]);
        let back: Vec<f32> = m.interactions().map(|i| i.rating).collect();
        assert_eq!(back, vec![4.0, 1.0, 3.0]);
    }

    #[test]
    fn small_and_large_ids_give_the_same_matrix() {
        // Small ids take the table, the same ids shifted far up the binary search.
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u32
        };
        let small: Vec<Interaction> = (0..5000).map(|_| ix(next() % 300, next() % 200)).collect();
        let shift = 3_000_000_000u32;
        let large: Vec<Interaction> = small
            .iter()
            .map(|r| ix(r.user + shift, r.movie + shift))
            .collect();
        let (a, b) = (
            InteractionMatrix::new(&small),
            InteractionMatrix::new(&large),
        );
        assert!(a.users().len() > 250 && a.nnz() < 5000, "{}", a.nnz());
        assert_eq!(a.nnz(), b.nnz());
        assert_eq!(a.user_degrees(), b.user_degrees());
        for u in 0..a.n_users() {
            assert_eq!(a.row(u), b.row(u));
        }
        for i in 0..a.n_items() {
            assert_eq!(a.col(i), b.col(i));
        }
        let ids: Vec<u32> = b.users().iter().map(|u| u - shift).collect();
        assert_eq!(a.users(), ids.as_slice());
        let mut pairs: Vec<(u32, u32)> = small.iter().map(|r| (r.user, r.movie)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let back: Vec<(u32, u32)> = a.interactions().map(|r| (r.user, r.movie)).collect();
        assert_eq!(back, pairs);
    }
}

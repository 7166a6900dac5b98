//! The binary user × item interaction matrix, stored both by row (user) and by column
//! (item), with the maps between row/column indices and MovieLens ids.

use crate::core::eval::Interaction;

/// Binary interactions: who rated what, the rating value itself ignored.
///
/// Rows are users and columns movies, both sorted by id; a repeated (user, movie) pair
/// counts once. Both orientations are kept because the SVD multiplies by the matrix and by
/// its transpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionMatrix {
    users: Vec<u32>,
    items: Vec<u32>,
    row_ptr: Vec<usize>,
    col_idx: Vec<u32>,
    col_ptr: Vec<usize>,
    row_idx: Vec<u32>,
}

impl InteractionMatrix {
    /// Builds the matrix from interactions in any order.
    pub fn new(interactions: &[Interaction]) -> Self {
        let mut users: Vec<u32> = interactions.iter().map(|r| r.user).collect();
        users.sort_unstable();
        users.dedup();
        let mut items: Vec<u32> = interactions.iter().map(|r| r.movie).collect();
        items.sort_unstable();
        items.dedup();
        let mut pairs: Vec<(u32, u32)> = interactions
            .iter()
            .map(|r| {
                // Both searches succeed: the lists were built from these very values.
                let u = users.binary_search(&r.user).unwrap_or_default() as u32;
                let i = items.binary_search(&r.movie).unwrap_or_default() as u32;
                (u, i)
            })
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        Self::from_sorted_pairs(users, items, &pairs)
    }

    /// Builds the matrix from (row, column) index pairs sorted by row then column, without
    /// repeats, and the ids of the rows and columns.
    pub(crate) fn from_sorted_pairs(
        users: Vec<u32>,
        items: Vec<u32>,
        pairs: &[(u32, u32)],
    ) -> Self {
        let (m, n) = (users.len(), items.len());
        let mut row_ptr = vec![0usize; m + 1];
        let mut col_ptr = vec![0usize; n + 1];
        for &(u, i) in pairs {
            row_ptr[u as usize + 1] += 1;
            col_ptr[i as usize + 1] += 1;
        }
        for k in 0..m {
            row_ptr[k + 1] += row_ptr[k];
        }
        for k in 0..n {
            col_ptr[k + 1] += col_ptr[k];
        }
        let col_idx: Vec<u32> = pairs.iter().map(|&(_, i)| i).collect();
        let mut row_idx = vec![0u32; pairs.len()];
        let mut next = col_ptr.clone();
        for &(u, i) in pairs {
            row_idx[next[i as usize]] = u;
            next[i as usize] += 1;
        }
        InteractionMatrix {
            users,
            items,
            row_ptr,
            col_idx,
            col_ptr,
            row_idx,
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

    /// The (row, column) pairs in row order, for serialisation.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        (0..self.n_users()).flat_map(move |u| self.row(u).iter().map(move |&i| (u as u32, i)))
    }

    /// The interactions as (user id, movie id) pairs, in row order.
    pub fn interactions(&self) -> impl Iterator<Item = Interaction> + '_ {
        self.pairs().map(|(u, i)| Interaction {
            user: self.users[u as usize],
            movie: self.items[i as usize],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ix(user: u32, movie: u32) -> Interaction {
        Interaction { user, movie }
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
}

//! MovieLens loading: the real 1M and 100K copies end to end, and malformed lines.

use perx::progress::NoProgress;
use perx::store::movielens::{MlFiles, MlFormat};

use crate::util::{count, data_dir, memory_store, real_data};

#[test]
fn real_movielens_1m_loads_with_unknown_timestamps_counted() {
    let Some(dir) = real_data(
        "ml-1m",
        "real_movielens_1m_loads_with_unknown_timestamps_counted",
    ) else {
        return;
    };
    let files = MlFiles::discover(&dir).unwrap();
    assert_eq!(files.format, MlFormat::OneMillion);
    assert!(
        files
            .ratings
            .ends_with("ratings.reconstructed-partial-timestamps.dat")
    );
    let mut store = memory_store();
    let report = store.load_movielens(&files, 5, &NoProgress).unwrap();
    assert_eq!(report.rejected(), 0, "{:?}", report.preview);
    assert_eq!(report.unknown_timestamps, 199_435);
    let rows: Vec<u64> = report.sources.iter().map(|s| s.rows).collect();
    assert_eq!(rows, [1_000_209, 3_883, 6_040]);
    assert_eq!(count(&store, "load_reject"), 0);
}

#[test]
fn real_movielens_100k_loads_and_replaces_the_1m_tables() {
    let Some(dir) = real_data(
        "ml-100k",
        "real_movielens_100k_loads_and_replaces_the_1m_tables",
    ) else {
        return;
    };
    let mut store = memory_store();
    // A first load from a fixture with a bad line, then the real 100K replaces it all.
    let fixture = data_dir(&[("ratings.dat", "1::2::3::4\nbad\n")]);
    let first = store
        .load_movielens(&MlFiles::discover(fixture.path()).unwrap(), 5, &NoProgress)
        .unwrap();
    assert_eq!(first.rejected(), 1);
    let files = MlFiles::discover(&dir.join("u.data")).unwrap();
    assert_eq!(files.format, MlFormat::HundredK);
    let report = store.load_movielens(&files, 5, &NoProgress).unwrap();
    let rows: Vec<u64> = report.sources.iter().map(|s| s.rows).collect();
    assert_eq!(rows, [100_000, 1_682, 943]);
    assert_eq!(report.unknown_timestamps, 0);
    assert_eq!(
        count(&store, "load_reject"),
        0,
        "the earlier file's rejects are forgotten"
    );
}

#[test]
fn malformed_lines_are_rejected_with_line_numbers_never_fatal() {
    let dir = data_dir(&[
        (
            "ratings.dat",
            "1::10::5::978300760\n1::11::9::978300761\n2::10::4::\nnot a rating\n2::12::3::978300762\r\n",
        ),
        (
            "movies.dat",
            "10::Toy Story (1995)::Animation|Comedy\n11::::Drama\n",
        ),
        ("users.dat", "1::F::1::10::48067\n2::M::25::16::70072\n"),
    ]);
    let mut store = memory_store();
    let report = store
        .load_movielens(&MlFiles::discover(dir.path()).unwrap(), 10, &NoProgress)
        .unwrap();
    let rows: Vec<u64> = report.sources.iter().map(|s| s.rows).collect();
    assert_eq!(rows, [3, 1, 2]);
    assert_eq!(report.unknown_timestamps, 1);
    let got: Vec<(String, u64)> = report
        .preview
        .iter()
        .map(|(s, r)| (s.clone(), r.line_no))
        .collect();
    assert_eq!(
        got,
        [
            ("ratings.dat".to_owned(), 2),
            ("ratings.dat".to_owned(), 4),
            ("movies.dat".to_owned(), 2)
        ]
    );
    assert!(
        report.preview[0]
            .1
            .reason
            .contains("rating \"9\" is not 1 to 5")
    );
    assert_eq!(count(&store, "load_reject"), 3);
}

#[test]
fn shipped_movielens_format_sample_loads_cleanly() {
    let dir = crate::util::sample_dir().join(perx::sample::MOVIELENS_DIR);
    let mut store = memory_store();
    let report = store
        .load_movielens(&MlFiles::discover(&dir).unwrap(), 5, &NoProgress)
        .unwrap();
    assert_eq!(report.rejected(), 0, "{:?}", report.preview);
    let rows: Vec<u64> = report.sources.iter().map(|s| s.rows).collect();
    assert_eq!(rows[1..], [400, 300]);
    assert!(rows[0] > 10_000, "{rows:?}");
    assert!(
        report.unknown_timestamps > 0,
        "some timestamps are empty, as in ML-1M"
    );
}

/// The protocol reproduces the popularity baseline on ML-1M (NDCG@10 0.204), which
/// checks the split and the metrics together.
#[test]
fn real_movielens_1m_popularity_baseline_matches_the_protocol() {
    use perx::core::eval::{Interaction, Popularity, evaluate, split};
    use perx::core::movielens::parse_ml1m_rating;
    use std::collections::{HashMap, HashSet};

    let Some(dir) = real_data(
        "ml-1m",
        "real_movielens_1m_popularity_baseline_matches_the_protocol",
    ) else {
        return;
    };
    let text =
        std::fs::read_to_string(dir.join("ratings.reconstructed-partial-timestamps.dat")).unwrap();
    let ratings: Vec<Interaction> = text
        .lines()
        .map(|l| parse_ml1m_rating(l).unwrap())
        .map(|r| Interaction {
            user: r.user_id,
            movie: r.movie_id,
            rating: f32::from(r.stars),
        })
        .collect();
    let s = split(&ratings, 42);
    assert_eq!(s.train.len() + s.test.len(), 1_000_209);
    let train: Vec<Interaction> = s.train.iter().map(|&i| ratings[i]).collect();
    let mut seen: HashMap<u32, HashSet<u32>> = HashMap::new();
    for r in &train {
        seen.entry(r.user).or_default().insert(r.movie);
    }
    let mut relevant: HashMap<u32, HashSet<u32>> = HashMap::new();
    for &i in &s.test {
        relevant
            .entry(ratings[i].user)
            .or_default()
            .insert(ratings[i].movie);
    }
    let model = Popularity::fit(&train);
    let empty = HashSet::new();
    let recs: Vec<(u32, Vec<u32>)> = relevant
        .keys()
        .map(|&u| (u, model.recommend(seen.get(&u).unwrap_or(&empty), 10)))
        .collect();
    let train_movies = train.iter().map(|r| r.movie).collect::<HashSet<_>>().len();
    let m = evaluate(
        recs.iter().map(|(u, l)| (*u, l.as_slice())),
        &relevant,
        10,
        train_movies,
    );
    assert_eq!(m.users, 6040);
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "ML-1M most-popular baseline: NDCG@10 {:.4} P@10 {:.4} R@10 {:.4} HR@10 {:.4} MRR@10 {:.4} coverage@10 {:.4}",
        m.ndcg,
        m.precision,
        m.recall,
        m.hit_rate,
        m.mrr,
        m.coverage
    );
    assert!(
        (0.19..0.22).contains(&m.ndcg),
        "popularity NDCG@10 {:.4}, the issue measured 0.204",
        m.ndcg
    );
}

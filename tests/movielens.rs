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

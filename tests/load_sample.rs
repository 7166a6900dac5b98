//! The shipped sample: it is the generator's output, and its bad lines are reported exactly.

use perx::sample::{self, BAD_LINES, SampleOptions, bad_line_numbers};

use crate::util::{count, load, memory_store, sample_dir};

#[test]
fn committed_sample_equals_generator_output() {
    let tmp = tempfile::tempdir().unwrap();
    sample::generate(&SampleOptions::default(), tmp.path()).unwrap();
    for name in [
        "campaign.csv",
        "reward_campaign.csv",
        "reward_transaction.csv",
        "campaign_reward_mapping.csv",
        "http_log.txt",
        "movielens/ratings.dat",
        "movielens/movies.dat",
        "movielens/users.dat",
    ] {
        let fresh = std::fs::read(tmp.path().join(name)).unwrap();
        let committed = std::fs::read(sample_dir().join(name)).unwrap();
        assert!(
            fresh == committed,
            "data/{name} differs from `perx gen-sample --out data`; regenerate it"
        );
    }
}

#[test]
fn sample_load_reports_the_exact_bad_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = memory_store();
    let report = load(&mut store, &sample_dir(), tmp.path());
    let expected = bad_line_numbers(sample::DEFAULT_LOG_LINES);
    assert_eq!(expected.len(), BAD_LINES.len());

    let rejects = store.rejects(Some("http_log.txt")).unwrap();
    let got: Vec<u64> = rejects.iter().map(|(_, r)| r.line_no).collect();
    assert_eq!(got, expected);
    let raws: Vec<&str> = rejects.iter().map(|(_, r)| r.raw.as_str()).collect();
    assert_eq!(raws, BAD_LINES);
    let codes: Vec<&str> = rejects
        .iter()
        .map(|(_, r)| r.reason.split(':').next().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "bad-timestamp",
            "not-tracked",
            "not-tracked",
            "field-count",
            "empty-line",
            "bad-user-id",
            "bad-separator"
        ]
    );
    assert_eq!(report.rejected(), expected.len() as u64);
    assert_eq!(
        count(&store, "http_log") + expected.len() as u64,
        sample::DEFAULT_LOG_LINES,
        "every line is either loaded or rejected"
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(count(&store, "reward_transaction") >= 1000);
    assert!(count(&store, "campaign_reward_mapping") >= 1000);
}

//! Reward recommendations for the log's users, through the binary: a known user, a
//! stranger, every user, the evaluation against both baselines.

use predicates::prelude::*;

use crate::query::{loaded_db, perx};

/// The user with the most issued rewards in the database's log.
pub(crate) fn top_reward_user(db: &std::path::Path) -> String {
    let top = perx(db)
        .args([
            "query",
            "SELECT user_id FROM http_log WHERE event_kind = 'reward' GROUP BY ALL ORDER BY count(*) DESC, user_id LIMIT 1",
            "--format",
            "csv",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(top)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned()
}

/// `perx recommend --catalog rewards --user USER -k K --explain --format json`, parsed.
fn explained_rewards(db: &std::path::Path, user: &str, k: usize) -> serde_json::Value {
    let out = perx(db)
        .args([
            "recommend",
            "--catalog",
            "rewards",
            "--user",
            user,
            "--explain",
        ])
        .args(["-k", &k.to_string(), "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn rewards_are_recommended_to_log_users() {
    let (_dir, db) = loaded_db();
    let user = top_reward_user(&db);
    let issued = perx(&db)
        .args(["query", &format!("SELECT DISTINCT item_id FROM http_log WHERE event_kind = 'reward' AND user_id = '{user}'"), "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let issued: std::collections::HashSet<String> = String::from_utf8(issued)
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect();
    let v = explained_rewards(&db, &user, 5);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    // One spelling (snake_case) for the basis and each item's source.
    assert!(
        v["basis"] == "model" || v["basis"] == "model_then_fallback",
        "{v}"
    );
    assert_eq!(items[0]["source"], "model", "{v}");
    for item in items {
        assert!(item["score"].as_f64().unwrap() > 0.0, "{item}");
        let id = item["reward_id"].to_string();
        assert!(
            !issued.contains(&id),
            "reward {id} was issued to {user} already"
        );
        assert!(
            item["because"].as_array().is_some_and(|b| !b.is_empty()),
            "{item}"
        );
    }
    // A stranger gets the popular rewards and is told so.
    perx(&db)
        .args([
            "recommend",
            "--catalog",
            "rewards",
            "--user",
            "1",
            "--format",
            "csv",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("not in the HTTP log"));
    // Every user: user_id,rank,reward_id.
    let all = db.with_file_name("all.csv");
    perx(&db)
        .args([
            "recommend",
            "--catalog",
            "rewards",
            "--all",
            "-k",
            "3",
            "-o",
        ])
        .arg(&all)
        .assert()
        .success();
    let csv = std::fs::read_to_string(&all).unwrap();
    assert!(csv.starts_with("user_id,rank,reward_id\n"));
    assert!(csv.lines().count() > 1000);
    // The evaluation prints the model and both baselines.
    perx(&db)
        .args(["eval", "--catalog", "rewards"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("most issued")
                .and(predicate::str::contains("viewed campaigns' rewards"))
                .and(predicate::str::contains("perx rewards (tuned)"))
                .and(predicate::str::contains("EASE on issues (λ ")),
        );
}

/// The fitted model is saved beside the database and reused while the platform loads in
/// `load_manifest` are the ones it was fitted on; a new load, a damaged file or other
/// parameters make the next use refit it, with the same answers.
#[test]
fn the_reward_model_is_saved_and_reused_until_the_platform_loads_change() {
    let (_dir, db) = loaded_db();
    let user = top_reward_user(&db);
    let saved = db.with_file_name("q.duckdb.rewards.bin");
    let ask = |extra: &[&str]| {
        let out = perx(&db)
            .args(["recommend", "--catalog", "rewards", "--user", &user])
            .args(["-k", "5", "--format", "csv"])
            .args(extra)
            .assert()
            .success()
            .get_output()
            .clone();
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (first, err) = ask(&[]);
    assert!(
        err.contains("fitted the reward model") && err.contains("(first use)"),
        "{err}"
    );
    assert!(saved.exists(), "no {}", saved.display());
    assert_eq!(first.lines().count(), 6, "{first}");
    let (again, err) = ask(&[]);
    assert_eq!(again, first);
    assert!(
        !err.contains("fitted"),
        "refitted though nothing changed: {err}"
    );
    // Repeatable rewards are a choice made when recommending, not a refit.
    let (_, err) = ask(&["--repeatable"]);
    assert!(!err.contains("fitted"), "{err}");
    // --all reads the saved model too.
    perx(&db)
        .args(["recommend", "--catalog", "rewards", "--all", "-o"])
        .arg(db.with_file_name("all.csv"))
        .assert()
        .success()
        .stderr(predicate::str::contains("fitted").not());
    // A new load of the platform data (the same files) makes it stale.
    perx(&db)
        .args(["load", "--data"])
        .arg(crate::util::sample_dir())
        .assert()
        .code(predicate::in_iter([0, 3]));
    let (reloaded, err) = ask(&[]);
    assert!(err.contains("the platform data changed"), "{err}");
    assert_eq!(reloaded, first);
    let (_, err) = ask(&[]);
    assert!(!err.contains("fitted"), "{err}");
    // A damaged file is refitted and replaced.
    let mut bytes = std::fs::read(&saved).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&saved, bytes).unwrap();
    let (repaired, err) = ask(&[]);
    assert!(err.contains("unusable") && err.contains("damaged"), "{err}");
    assert_eq!(repaired, first);
    let (_, err) = ask(&[]);
    assert!(!err.contains("fitted"), "{err}");
}

/// On a generated log whose users have stable tastes (`gen-sample --log-users`), the model
/// beats both baselines by far (at its default parameters, untuned).
#[test]
fn the_model_beats_both_baselines_on_a_log_with_tastes() {
    use perx::core::rewards::{
        Baseline, RewardModel, RewardParams, by_user, evaluate_rewards, time_split,
    };
    use perx::sample::{SampleOptions, generate};

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    generate(
        &SampleOptions {
            log_lines: 200_000,
            log_users: Some(8_000),
            ..SampleOptions::default()
        },
        &data,
    )
    .unwrap();
    let mut store = crate::util::memory_store();
    crate::util::load(&mut store, &data, dir.path());
    let log = store.reward_events().unwrap();
    let mapping = store.mapping_list().unwrap();
    let newest = log.events.iter().map(|e| e.ts_micros).max().unwrap();
    let oldest = log.events.iter().map(|e| e.ts_micros).min().unwrap();
    let (train, truth) = time_split(&log.events, newest - (newest - oldest) / 5);
    assert!(truth.len() > 1000, "{} users to find", truth.len());
    let train = by_user(&train);
    let model = RewardModel::fit(&train, &mapping, RewardParams::default()).unwrap();
    let ndcg = |b| evaluate_rewards(&model, &train, &truth, 10, b).ndcg;
    let (ours, popular, viewed) = (
        ndcg(None),
        ndcg(Some(Baseline::MostIssued)),
        ndcg(Some(Baseline::ViewedCampaigns)),
    );
    assert!(
        ours > 1.5 * popular.max(viewed),
        "NDCG@10 {ours:.4} vs most issued {popular:.4}, viewed campaigns {viewed:.4}"
    );
}

/// On the real log, a user whose 1,107 issues are all of one reward that the model links
/// to nothing gets the fallback, labelled as such: never ten zero scores called the
/// model's (the lowest reward ids, in id order).
#[test]
fn a_user_the_model_has_nothing_on_gets_the_labelled_fallback() {
    let Some(dir) = crate::util::real_data(
        "perx",
        "a_user_the_model_has_nothing_on_gets_the_labelled_fallback",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("real.duckdb");
    perx(&db)
        .args(["load", "--data"])
        .arg(&dir)
        .assert()
        .code(predicate::in_iter([0, 3]));
    let v = explained_rewards(&db, "2000020076516", 10);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 10, "{v}");
    assert_ne!(v["basis"], "model", "{v}");
    assert!(v["notice"].is_string(), "{v}");
    for item in items {
        let source = item["source"].as_str().unwrap();
        assert!(
            ["model", "viewed_campaigns", "popular"].contains(&source),
            "{item}"
        );
        if source == "model" {
            assert!(item["score"].as_f64().unwrap() > 0.0, "{item}");
        }
        assert!(
            item["because"].as_array().is_some_and(|b| !b.is_empty()),
            "{item}"
        );
    }
    // Not the lowest reward ids in order (what zero scores gave).
    let ids: Vec<i64> = items
        .iter()
        .map(|i| i["reward_id"].as_i64().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_ne!(ids, sorted, "{ids:?}");
}

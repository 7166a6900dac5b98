//! Reward recommendations for the log's users, through the binary: a known user, a
//! stranger, every user, the evaluation against both baselines.

use predicates::prelude::*;

use crate::query::{loaded_db, perx};

#[test]
fn rewards_are_recommended_to_log_users() {
    let (_dir, db) = loaded_db();
    // The user with the most issued rewards in the sample.
    let top = perx(&db)
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
    let user = String::from_utf8(top)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
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
    let out = perx(&db)
        .args([
            "recommend",
            "--catalog",
            "rewards",
            "--user",
            &user,
            "-k",
            "5",
            "--explain",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(v["basis"], "Model");
    for item in items {
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
                .and(predicate::str::contains("perx rewards (tuned)")),
        );
}

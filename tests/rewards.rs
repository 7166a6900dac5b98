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
    // The model says how its parameters were chosen: tuned on this log.
    let tuning = &v["model"]["tuning"];
    assert_eq!(tuning["status"], "tuned", "{v}");
    assert!(
        tuning["chosen_ndcg"].as_f64().unwrap() >= tuning["defaults_ndcg"].as_f64().unwrap(),
        "{v}"
    );
    assert!(
        v["model"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("tuned on this data"),
        "{v}"
    );
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
                .and(predicate::str::contains(
                    "perx rewards (tuned on the data: the answers)",
                ))
                .and(predicate::str::contains(
                    "perx rewards (default parameters)",
                ))
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
    // --no-tune is another model: fitted with the defaults, saved, and kept while asked
    // for; without it the tuned one is fitted again.
    let (_, err) = ask(&["--no-tune"]);
    assert!(
        err.contains("other parameters") && err.contains("tuning was not asked for"),
        "{err}"
    );
    let (_, err) = ask(&["--no-tune"]);
    assert!(!err.contains("fitted"), "{err}");
    let (tuned_again, err) = ask(&[]);
    assert!(
        err.contains("other parameters") && err.contains("tuned on this data"),
        "{err}"
    );
    assert_eq!(tuned_again, first);
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

/// `perx eval --catalog rewards` reports for the tuned model what the answers users get
/// score: the database holding only the lines before the eval's cut-off is given to
/// `perx recommend --all` (which fits and tunes the model by itself, as on first use), and
/// its lists, scored here against the rewards issued after the cut-off by a scorer of the
/// test's own (not perx's metrics), give the eval's NDCG@10 and hit rate.
fn answers_score_what_eval_reports(data: &std::path::Path) {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("full.duckdb");
    perx(&db)
        .args(["load", "--data"])
        .arg(data)
        .assert()
        .code(predicate::in_iter([0, 3]));
    let out = perx(&db)
        .args([
            "eval",
            "--catalog",
            "rewards",
            "--no-ease",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let eval: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let row = eval["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "perx rewards (tuned on the data: the answers)")
        .unwrap_or_else(|| panic!("{eval}"))
        .clone();
    let cutoff = eval["cutoff_us"].as_i64().unwrap();
    // The training part: the same files, the log's lines before the cut-off.
    let train = tmp.path().join("train");
    crate::util::copy_files(data, &train, |n| n != "http_log.txt");
    let log = std::fs::read_to_string(data.join("http_log.txt")).unwrap();
    let before = |line: &str| {
        line.get(..25)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .is_some_and(|t| t.timestamp_micros() < cutoff)
    };
    let kept: String = log
        .lines()
        .filter(|l| before(l))
        .flat_map(|l| [l, "\n"])
        .collect();
    std::fs::write(train.join("http_log.txt"), kept).unwrap();
    let train_db = tmp.path().join("train.duckdb");
    perx(&train_db)
        .args(["load", "--data"])
        .arg(&train)
        .assert()
        .code(predicate::in_iter([0, 3]));
    let all = tmp.path().join("all.csv");
    perx(&train_db)
        .args([
            "recommend",
            "--catalog",
            "rewards",
            "--all",
            "-k",
            "10",
            "-o",
        ])
        .arg(&all)
        .assert()
        .success();
    let mut lists: std::collections::HashMap<String, Vec<String>> = Default::default();
    for line in std::fs::read_to_string(&all).unwrap().lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        lists
            .entry(f[0].to_owned())
            .or_default()
            .push(f[2].to_owned());
    }
    // A user the training part does not hold gets what any stranger gets.
    let stranger = perx(&train_db)
        .args([
            "recommend",
            "--catalog",
            "rewards",
            "--user",
            "1",
            "-k",
            "10",
        ])
        .args(["--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let stranger: Vec<String> = String::from_utf8(stranger)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().to_owned())
        .collect();
    // The truth: rewards issued at or after the cut-off, by user.
    let truth_csv = perx(&db)
        .args([
            "query",
            &format!(
                "SELECT DISTINCT user_id, item_id FROM http_log WHERE event_kind = 'reward' \
                 AND epoch_us(ts) >= {cutoff}"
            ),
            "--format",
            "csv",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let mut truth: std::collections::HashMap<String, std::collections::HashSet<String>> =
        Default::default();
    for line in String::from_utf8(truth_csv).unwrap().lines().skip(1) {
        let (u, r) = line.split_once(',').unwrap();
        truth.entry(u.to_owned()).or_default().insert(r.to_owned());
    }
    assert_eq!(
        truth.len() as u64,
        eval["users_with_truth"].as_u64().unwrap()
    );
    let (mut ndcg, mut hits) = (0.0, 0.0);
    for (user, relevant) in &truth {
        let list = lists.get(user).unwrap_or(&stranger);
        let gain = |rank: usize| 1.0 / ((rank + 2) as f64).log2();
        let dcg: f64 = (0..list.len().min(10))
            .filter(|&i| relevant.contains(&list[i]))
            .map(gain)
            .sum();
        let ideal: f64 = (0..relevant.len().min(10)).map(gain).sum();
        ndcg += dcg / ideal;
        hits += f64::from(u8::from(dcg > 0.0));
    }
    let n = truth.len() as f64;
    let (ndcg, hits) = (ndcg / n, hits / n);
    let reported = &row["metrics"];
    assert!(
        (ndcg - reported["ndcg"].as_f64().unwrap()).abs() < 1e-9
            && (hits - reported["hit_rate"].as_f64().unwrap()).abs() < 1e-9,
        "the answers score NDCG@10 {ndcg}, hit rate {hits}; perx eval reports {reported}"
    );
}

#[test]
fn the_answers_score_what_eval_reports_on_a_generated_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    perx::sample::generate(
        &perx::sample::SampleOptions {
            log_lines: 40_000,
            log_users: Some(2_000),
            shape: perx::sample::LogShape {
                views: perx::sample::ViewShape::Popular,
                days: 20.0,
                ..perx::sample::LogShape::default()
            },
            ..perx::sample::SampleOptions::default()
        },
        &data,
    )
    .unwrap();
    answers_score_what_eval_reports(&data);
}

#[test]
fn the_answers_score_what_eval_reports_on_the_real_log() {
    let Some(dir) = crate::util::real_data(
        "perx",
        "the_answers_score_what_eval_reports_on_the_real_log",
    ) else {
        return;
    };
    answers_score_what_eval_reports(&dir);
}

/// `perx train --catalog rewards` fits on purpose and says how; the flags that do not
/// apply are refused with the reason.
#[test]
fn the_reward_model_is_trained_on_purpose_and_says_how() {
    let (_dir, db) = loaded_db();
    perx(&db)
        .args(["train", "--catalog", "rewards"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Parameters: view_weight ")
                .and(predicate::str::contains(
                    "How: tuned on this data: the best of ",
                ))
                .and(predicate::str::contains("q.duckdb.rewards.bin")),
        );
    // The Data tab's account of it, read from the file's header.
    let note = {
        let store = perx::store::Store::open(&perx::store::DbPath::File(db.clone())).unwrap();
        perx::recommender::saved_rewards_note(&store).unwrap()
    };
    let perx::recommender::SavedRewardsNote::Saved { tuning, fresh, .. } = &note else {
        panic!("{note:?}");
    };
    assert!(*fresh);
    assert_eq!(tuning.status, perx::core::rewards::TuningStatus::Tuned);
    // Used as saved by the next answer.
    let user = top_reward_user(&db);
    perx(&db)
        .args([
            "recommend",
            "--catalog",
            "rewards",
            "--user",
            &user,
            "--explain",
        ])
        .args(["--format", "table"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Model: view_weight "))
        .stderr(predicate::str::contains("fitted").not());
    perx(&db)
        .args(["train", "--catalog", "rewards", "--no-tune"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "How: default parameters (tuning was not asked for)",
        ));
    perx(&db)
        .args(["train", "--catalog", "rewards", "--out", "x.bin"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("kept beside the database"));
    perx(&db)
        .args(["train", "--no-tune"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--no-tune is for --catalog rewards",
        ));
    // The generator's shape knobs need a population with tastes.
    perx(&db)
        .args(["gen-sample", "--out", "x", "--views", "popular"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--log-users"));
    perx(&db)
        .args([
            "gen-sample",
            "--out",
            "x",
            "--log-users",
            "5",
            "--taste",
            "1.5",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a share"));
}

/// A reward taken out of every campaign (a new mapping export without it) is never
/// recommended again, though the log still holds its issues: the saved model goes stale
/// with the load and the refit's catalog is the new mapping's.
#[test]
fn a_reward_that_left_every_campaign_is_never_recommended() {
    let (dir, db) = loaded_db();
    let user = top_reward_user(&db);
    let first = explained_rewards(&db, &user, 10)["items"][0]["reward_id"]
        .as_i64()
        .unwrap();
    let data = dir.path().join("data");
    crate::util::copy_files(&crate::util::sample_dir(), &data, |_| true);
    let mapping = data.join("campaign_reward_mapping.csv");
    let kept: String = std::fs::read_to_string(&mapping)
        .unwrap()
        .lines()
        .filter(|l| !l.ends_with(&format!(",{first}")))
        .flat_map(|l| [l, "\n"])
        .collect();
    std::fs::write(&mapping, kept).unwrap();
    perx(&db)
        .args(["load", "--data"])
        .arg(&data)
        .assert()
        .code(predicate::in_iter([0, 3]));
    let again = explained_rewards(&db, &user, 10);
    let ids: Vec<i64> = again["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reward_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 10);
    assert!(!ids.contains(&first), "{first} in {ids:?}");
    let all = dir.path().join("all.csv");
    perx(&db)
        .args([
            "recommend",
            "--catalog",
            "rewards",
            "--all",
            "--repeatable",
            "-o",
        ])
        .arg(&all)
        .assert()
        .success();
    let csv = std::fs::read_to_string(&all).unwrap();
    assert!(csv.lines().count() > 1000);
    assert!(
        csv.lines().all(|l| !l.ends_with(&format!(",{first}"))),
        "{first} recommended after it left every campaign"
    );
}

/// A user's history is matched by the id as written: "7", "007" and an id beyond 64 bits
/// are three users, each with their own requests in line order, whatever the spelling of
/// the paths.
#[test]
fn a_history_is_the_users_own_as_written() {
    let big = "123456789012345678901234567890";
    let log = format!(
        "2019-08-26T10:00:00+00:00 GET /campaigns/1 7\n\
         2019-08-26T10:00:01+00:00 POST /rewards/10 007\n\
         2019-08-26T10:00:02+00:00 POST /rewards/011 7\n\
         2019-08-26T10:00:03+00:00 GET /campaigns/2 {big}\n\
         2019-08-26T09:00:00+00:00 POST /rewards/12 7\n"
    );
    let dir = crate::util::data_dir(&[
        ("http_log.txt", &log),
        (
            "campaign_reward_mapping.csv",
            "campaign_id,reward_id\n1,10\n1,11\n2,12\n",
        ),
    ]);
    let mut store = crate::util::memory_store();
    crate::util::load(&mut store, dir.path(), dir.path());
    let h = |id: &str| store.reward_history(id).unwrap();
    let seven = h("7").unwrap();
    assert_eq!(seven.views, [(1, 1_566_813_600_000_000)]);
    assert_eq!(
        seven.issues.iter().map(|i| i.0).collect::<Vec<_>>(),
        [11, 12],
        "in line order"
    );
    let zeros = h("007").unwrap();
    assert_eq!((zeros.views.len(), zeros.issues.len()), (0, 1));
    assert_eq!(zeros.issues[0].0, 10);
    let b = h(big).unwrap();
    assert_eq!((b.views.len(), b.issues.len()), (1, 0));
    assert!(h("8").is_none());
    assert!(h("0007").is_none());
}

//! `perx serve`: the real binary on a free 127.0.0.1 port. Every route's answer equals the
//! CLI's JSON; every error status; the limits (header size, slow client, body size, load
//! shedding, timeout); the token; graceful shutdown with requests in flight; reload while
//! requests run.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use predicates::prelude::*;

use crate::cli::perx;
use crate::util::sample_dir;

/// The token of the servers that tests reload over HTTP.
const RELOAD_TOKEN: &str = "reload-token-0123456789";

/// A running `perx serve`, stopped (SIGTERM) when dropped.
struct Server {
    child: Child,
    addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(db: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("perx"))
            .arg("--db")
            .arg(db)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .env_remove("PERX_DB")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("perx serve did not say where it listens");
        let s = Server { child, addr, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        while s.get("/readyz").0 != 200 {
            assert!(Instant::now() < deadline, "not ready: {:?}", s.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into()
    }

    /// (status, body) of a GET.
    fn get(&self, path: &str) -> (u16, String) {
        self.get_with(path, None)
    }

    fn get_with(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let mut req = Self::agent().get(self.url(path));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        match req.call() {
            Ok(mut r) => (
                r.status().as_u16(),
                r.body_mut().read_to_string().unwrap_or_default(),
            ),
            Err(e) => (0, e.to_string()),
        }
    }

    /// A server on `db` with a reload token (written into `dir`), and the token.
    fn with_reload_token(db: &Path, dir: &Path) -> (Server, Option<&'static str>) {
        let token_file = dir.join("token");
        std::fs::write(&token_file, RELOAD_TOKEN).unwrap();
        let s = Server::start(db, &["--token-file", token_file.to_str().unwrap()]);
        (s, Some(RELOAD_TOKEN))
    }

    /// (status, body) of `POST /v1/admin/reload` with the reload token.
    fn reload(&self) -> (u16, String) {
        match Self::agent()
            .post(self.url("/v1/admin/reload"))
            .header("Authorization", format!("Bearer {RELOAD_TOKEN}"))
            .send_empty()
        {
            Ok(mut r) => (r.status().as_u16(), r.body_mut().read_to_string().unwrap()),
            Err(e) => (0, e.to_string()),
        }
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn terminate(&self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.terminate();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
    }
}

/// A database with the sample data and the sample MovieLens set.
fn served_db(dir: &Path, name: &str, seed: Option<&str>) -> PathBuf {
    let db = dir.join(name);
    let data = match seed {
        None => sample_dir(),
        Some(seed) => {
            let d = dir.join(format!("data-{seed}"));
            perx(&db)
                .args(["gen-sample", "--seed", seed, "--log-lines", "3000", "--out"])
                .arg(&d)
                .assert()
                .success();
            d
        }
    };
    perx(&db)
        .args(["load", "--data"])
        .arg(&data)
        .assert()
        .code(predicate::in_iter([0, 3]));
    perx(&db)
        .args(["movielens", "load", "--dir"])
        .arg(sample_dir().join("movielens"))
        .assert()
        .success();
    // Train and fit now, so that the CLI runs below and the server share the models.
    perx(&db).arg("train").assert().success();
    db
}

fn cli_json(db: &Path, args: &[&str]) -> String {
    let out = perx(db)
        .args(args)
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

fn rows(body: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["rows"].clone()
}

#[test]
fn every_route_answers_what_the_cli_prints() {
    let tmp = tempfile::tempdir().unwrap();
    let db = served_db(tmp.path(), "s.duckdb", None);
    let user = crate::rewards::top_reward_user(&db);
    let movies = cli_json(&db, &["recommend", "--user", "5", "-k", "7", "--explain"]);
    let rewards = cli_json(
        &db,
        &[
            "recommend",
            "--catalog",
            "rewards",
            "--user",
            &user,
            "-k",
            "4",
        ],
    );
    let engagement = cli_json(
        &db,
        &[
            "report",
            "engagement",
            "--campaign",
            "1",
            "--from",
            "2019-01-01",
            "--to",
            "2030-12-31",
            "--by",
            "hour-of-day",
        ],
    );
    let weekly = cli_json(&db, &["report", "weekly", "--tz", "UTC"]);
    let sessions = cli_json(&db, &["report", "sessions", "--driven-only"]);
    let one_day = cli_json(
        &db,
        &[
            "report",
            "sessions",
            "--from",
            "2019-08-26",
            "--to",
            "2019-08-26",
            "--tz",
            "UTC",
            "--user",
            &user,
        ],
    );
    let explained_cli = cli_json(
        &db,
        &[
            "recommend",
            "--catalog",
            "rewards",
            "--user",
            &user,
            "-k",
            "12",
            "--explain",
        ],
    );
    let s = Server::start(&db, &[]);
    assert_eq!(s.get("/healthz").0, 200);
    let (status, body) = s.get("/v1/movielens/users/5/recommendations?k=7&explain=true");
    assert_eq!((status, body.as_str()), (200, movies.as_str()));
    let (status, body) = s.get(&format!("/v1/platform/users/{user}/rewards?k=4"));
    assert_eq!((status, body.as_str()), (200, rewards.as_str()));
    // Asked twice: the cached answer is the same.
    assert_eq!(
        s.get(&format!("/v1/platform/users/{user}/rewards?k=4")).1,
        rewards
    );
    let (status, body) =
        s.get("/v1/reports/engagement?campaign=1&from=2019-01-01&to=2030-12-31&by=hour-of-day");
    assert_eq!(status, 200);
    let cli: serde_json::Value = serde_json::from_str(&engagement).unwrap();
    assert!(!cli.as_array().unwrap().is_empty());
    assert_eq!(rows(&body), cli);
    let (status, body) = s.get("/v1/reports/weekly?tz=UTC");
    assert_eq!(status, 200);
    assert_eq!(
        rows(&body),
        serde_json::from_str::<serde_json::Value>(&weekly).unwrap()
    );
    // Sessions, page after page, are the report's rows in its order.
    let mut all = Vec::new();
    let mut path = "/v1/reports/sessions?driven_only=true&page_size=7".to_owned();
    let mut pages = 0;
    loop {
        let (status, body) = s.get(&path);
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        all.extend(v["rows"].as_array().unwrap().iter().cloned());
        pages += 1;
        match v["next_page_token"].as_str() {
            Some(t) => {
                path = format!("/v1/reports/sessions?driven_only=true&page_size=7&page_token={t}")
            }
            None => break,
        }
    }
    let cli: Vec<serde_json::Value> = serde_json::from_str(&sessions).unwrap();
    assert!(pages > 2, "{pages} pages");
    assert_eq!(all, cli);
    // A day in a time zone and a user: the same sessions as the CLI's filters.
    let (status, body) = s.get(&format!(
        "/v1/reports/sessions?from=2019-08-26&to=2019-08-26&tz=UTC&page_size=1000&user={user}"
    ));
    assert_eq!(status, 200, "{body}");
    let one_day: serde_json::Value = serde_json::from_str(&one_day).unwrap();
    assert!(!one_day.as_array().unwrap().is_empty());
    assert_eq!(rows(&body), one_day);
    // The OpenAPI document is served; the answers have the shapes it gives them.
    let (status, doc) = s.get("/openapi.json");
    assert_eq!(status, 200);
    assert!(doc.contains("/v1/reports/sessions"));
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let schema = |path: &str| {
        doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            .clone()
    };
    let explained = s.get(&format!(
        "/v1/platform/users/{user}/rewards?k=12&explain=true"
    ));
    assert_eq!(explained.0, 200);
    // With explain, the model's parameters and how they were chosen, as the CLI says.
    let model = &serde_json::from_str::<serde_json::Value>(&explained.1).unwrap()["model"];
    assert_eq!(
        model,
        &serde_json::from_str::<serde_json::Value>(&explained_cli).unwrap()["model"]
    );
    assert_eq!(model["tuning"]["status"], "tuned", "{model}");
    let ready = s.get("/readyz");
    assert_eq!(ready.0, 200);
    assert_eq!(
        &serde_json::from_str::<serde_json::Value>(&ready.1).unwrap()["reward_model"],
        model
    );
    for (body, path) in [
        (&rewards, "/v1/platform/users/{id}/rewards"),
        (&explained.1, "/v1/platform/users/{id}/rewards"),
        (&movies, "/v1/movielens/users/{id}/recommendations"),
        (&ready.1, "/readyz"),
    ] {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        conforms(&v, &schema(path), &doc, "answer");
    }
    // And every request is logged.
    let log = s.log();
    assert!(
        log.iter()
            .any(|l| l.starts_with("GET /v1/reports/weekly 200 ") && l.ends_with("µs")),
        "{log:?}"
    );
}

/// (status, headers and body) of raw bytes sent on a fresh connection.
fn raw(addr: &str, request: &[u8]) -> String {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn errors_are_json_with_the_right_status() {
    let tmp = tempfile::tempdir().unwrap();
    let db = served_db(tmp.path(), "e.duckdb", None);
    let s = Server::start(&db, &["--header-timeout-ms", "500"]);
    let cases: [(&str, u16, &str); 11] = [
        (
            "/v1/movielens/users/abc/recommendations",
            400,
            "not a MovieLens user id",
        ),
        (
            "/v1/movielens/users/5/recommendations?k=0",
            400,
            "from 1 to 1000",
        ),
        (
            "/v1/movielens/users/5/recommendations?kk=3",
            400,
            "unknown parameter",
        ),
        (
            "/v1/movielens/users/999999/recommendations",
            404,
            "not in the MovieLens data",
        ),
        (
            "/v1/platform/users/12a/rewards",
            400,
            "run of at most 38 digits",
        ),
        ("/v1/platform/users/1/rewards", 404, "not in the HTTP log"),
        (
            "/v1/reports/engagement?campaign=1&from=2019-08-31&to=2019-08-01",
            400,
            "after",
        ),
        (
            "/v1/reports/engagement?campaign=1&from=2019-13-01&to=2019-08-01",
            400,
            "YYYY-MM-DD",
        ),
        (
            "/v1/reports/engagement?campaign=424242&from=2019-08-01&to=2019-08-31",
            404,
            "campaign 424242",
        ),
        ("/v1/reports/sessions?page_token=3.0000", 400, "page_token"),
        ("/v1/nothing/here", 404, "no such route"),
    ];
    for (path, status, text) in cases {
        let (got, body) = s.get(path);
        assert_eq!(got, status, "{path}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(text), "{path}: {message}");
        assert!(v["error"]["code"].is_string());
        assert!(
            !body.contains("/src/") && !body.contains("panicked"),
            "{body}"
        );
    }
    // 405: a route that exists, another method.
    let r = raw(
        &s.addr,
        b"DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(r.starts_with("HTTP/1.1 405"), "{r}");
    assert!(r.contains("\"method_not_allowed\""), "{r}");
    // 413: a body larger than the limit.
    let r = raw(
        &s.addr,
        b"POST /v1/admin/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n",
    );
    assert!(r.starts_with("HTTP/1.1 413"), "{r}");
    // 403: reloading over HTTP without a token configured.
    let r = raw(&s.addr, b"POST /v1/admin/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    assert!(r.starts_with("HTTP/1.1 403"), "{r}");
    // 431: a request head larger than the limit.
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let r = raw(&s.addr, big.as_bytes());
    assert!(r.starts_with("HTTP/1.1 431"), "{r}");
    // A client that never finishes its headers is cut off.
    let mut slow = TcpStream::connect(&s.addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = slow.read_to_end(&mut buf);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(400) && waited < Duration::from_secs(5),
        "closed after {waited:?}"
    );
    // The server still answers.
    assert_eq!(s.get("/healthz").0, 200);
}

#[test]
fn overload_is_shed_with_503_and_slow_answers_time_out() {
    let tmp = tempfile::tempdir().unwrap();
    let db = served_db(tmp.path(), "o.duckdb", None);
    // One request at a time: concurrent ones are refused at once.
    let s = Server::start(&db, &["--concurrency", "1", "--pool", "1"]);
    let statuses: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let s = &s;
                scope.spawn(move || {
                    s.get(&format!(
                        "/v1/reports/sessions?page_size=1000&driven_only={}",
                        i % 2 == 0
                    ))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        statuses.iter().all(|(c, _)| *c == 200 || *c == 503),
        "{statuses:?}"
    );
    let shed: Vec<&(u16, String)> = statuses.iter().filter(|(c, _)| *c == 503).collect();
    assert!(!shed.is_empty(), "nothing was shed");
    assert!(shed[0].1.contains("\"overloaded\""), "{}", shed[0].1);
    let r = raw(
        &s.addr,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    drop(s);
    // Connections beyond --max-connections are answered 503 and closed.
    let s = Server::start(&db, &["--max-connections", "2"]);
    // The readiness checks' connection is closed; the server must see it go first.
    std::thread::sleep(Duration::from_millis(500));
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(&s.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let r = raw(&s.addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(r.starts_with("HTTP/1.1 503"), "{r}");
    assert!(
        r.contains("too many connections") && r.to_ascii_lowercase().contains("retry-after: 1"),
        "{r}"
    );
    drop(held);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(s.get("/healthz").0, 200);
    drop(s);
    // An answer slower than --timeout-ms is a 503 saying so.
    let s = Server::start(&db, &["--timeout-ms", "1"]);
    let (status, body) = s.get("/v1/reports/sessions?page_size=1000");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"timeout\""), "{body}");
    let r = raw(
        &s.addr,
        b"GET /v1/reports/sessions?page_size=999 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(r.to_ascii_lowercase().contains("retry-after: 1"), "{r}");
}

#[test]
fn the_token_guards_every_v1_route() {
    let tmp = tempfile::tempdir().unwrap();
    let db = served_db(tmp.path(), "t.duckdb", None);
    let token_file = tmp.path().join("token");
    std::fs::write(&token_file, "0123456789abcdef0123\n").unwrap();
    perx(&db)
        .args(["serve", "--token-file"])
        .arg(tmp.path().join("missing"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("reading the token file"));
    let short = tmp.path().join("short");
    std::fs::write(&short, "abc").unwrap();
    perx(&db)
        .args(["serve", "--token-file"])
        .arg(&short)
        .assert()
        .failure()
        .stderr(predicate::str::contains("at least 16 characters"));
    let s = Server::start(&db, &["--token-file", token_file.to_str().unwrap()]);
    let path = "/v1/reports/weekly";
    assert_eq!(s.get(path).0, 401);
    assert_eq!(s.get_with(path, Some("0123456789abcdef012")).0, 401);
    assert_eq!(s.get_with(path, Some("0123456789abcdef01234")).0, 401);
    assert_eq!(s.get_with(path, Some("0123456789abcdef0123")).0, 200);
    assert_eq!(s.get("/healthz").0, 200);
    let r = raw(
        &s.addr,
        b"GET /v1/reports/weekly HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        r.to_ascii_lowercase().contains("www-authenticate: bearer"),
        "{r}"
    );
}

#[test]
fn shutdown_finishes_the_requests_in_flight_and_refuses_new_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let db = served_db(tmp.path(), "g.duckdb", None);
    // One connection to the database: the requests queue for it, in flight.
    let mut s = Server::start(&db, &["--pool", "1"]);
    let addr = s.addr.clone();
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..24)
            .map(|i| {
                let s = &s;
                scope.spawn(move || {
                    s.get(&format!(
                        "/v1/reports/sessions?page_size=1000&driven_only={}&tz=UTC&from=2019-01-0{}&to=2030-01-01",
                        i % 2 == 0,
                        1 + i % 9
                    ))
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(30));
        s.terminate();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(code) = s.child.try_wait().unwrap() {
            break code;
        }
        assert!(Instant::now() < deadline, "still running: {:?}", s.log());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(code.success(), "{code:?}");
    assert!(TcpStream::connect(&addr).is_err(), "still accepting");
    assert!(
        s.log().iter().any(|l| l.contains("SIGTERM")),
        "{:?}",
        s.log()
    );
}

#[test]
fn reload_serves_a_database_moved_into_place_while_requests_run() {
    let tmp = tempfile::tempdir().unwrap();
    let db = served_db(tmp.path(), "r.duckdb", None);
    let (s, token) = Server::with_reload_token(&db, tmp.path());
    let before = s.get_with("/v1/reports/weekly?tz=UTC", token).1;
    // Nothing new: nothing reloaded.
    let post = |s: &Server| s.reload();
    let (status, body) = post(&s);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"reloaded\":false"), "{body}");
    // Other data loaded into a new file, moved over the served one.
    let other = served_db(tmp.path(), "other.duckdb", Some("99"));
    let expected = cli_json(&other, &["report", "weekly", "--tz", "UTC"]);
    assert_ne!(
        rows(&before),
        serde_json::from_str::<serde_json::Value>(&expected).unwrap()
    );
    for suffix in ["", ".model.bin", ".rewards.bin"] {
        let from = PathBuf::from(format!("{}{suffix}", other.display()));
        if from.exists() {
            std::fs::rename(from, format!("{}{suffix}", db.display())).unwrap();
        }
    }
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (statuses, reload) = std::thread::scope(|scope| {
        let hammer = scope.spawn(|| {
            let mut seen = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                seen.push(s.get_with("/v1/reports/weekly?tz=UTC", token).0);
            }
            seen
        });
        std::thread::sleep(Duration::from_millis(50));
        let reload = post(&s);
        std::thread::sleep(Duration::from_millis(50));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (hammer.join().unwrap(), reload)
    });
    assert_eq!(reload.0, 200, "{}: {:?}", reload.1, s.log());
    assert!(reload.1.contains("\"reloaded\":true"), "{}", reload.1);
    assert!(
        statuses.len() > 5 && statuses.iter().all(|c| *c == 200),
        "{statuses:?}"
    );
    let after = s.get_with("/v1/reports/weekly?tz=UTC", token).1;
    assert_eq!(
        rows(&after),
        serde_json::from_str::<serde_json::Value>(&expected).unwrap()
    );
    // SIGHUP does the same (nothing new now).
    let _ = Command::new("kill")
        .args(["-HUP", &s.child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !s.log().iter().any(|l| l.contains("SIGHUP")) {
        assert!(Instant::now() < deadline, "{:?}", s.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(s.get_with("/v1/reports/weekly?tz=UTC", token).0, 200);
}

fn sha(path: &Path) -> String {
    use sha2::Digest as _;
    format!("{:x}", sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// A model trained with other parameters (`perx train --factors 16`) is used as it is by the
/// server and the CLI, never judged stale and trained over with the defaults.
#[test]
fn a_custom_model_is_served_not_retrained() {
    let tmp = tempfile::tempdir().unwrap();
    let db = served_db(tmp.path(), "c.duckdb", None);
    perx(&db)
        .args(["train", "--factors", "16"])
        .assert()
        .success();
    let model = PathBuf::from(format!("{}.model.bin", db.display()));
    let before = sha(&model);
    let cli = cli_json(&db, &["recommend", "--user", "5", "-k", "5"]);
    assert_eq!(sha(&model), before, "the CLI kept the model");
    let s = Server::start(&db, &[]);
    let (status, body) = s.get("/v1/movielens/users/5/recommendations?k=5");
    assert_eq!((status, body.as_str()), (200, cli.as_str()));
    // Whatever loading said came before "models ready" (the log is read as it comes).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !s.log().iter().any(|l| l.contains("models ready")) {
        assert!(Instant::now() < deadline, "{:?}", s.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !s.log().iter().any(|l| l.contains("trained")),
        "{:?}",
        s.log()
    );
    drop(s);
    assert_eq!(sha(&model), before, "the server kept the model");
    // Asking for other parameters still retrains.
    perx(&db)
        .args(["recommend", "--user", "5", "--factors", "8"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "the saved model has other parameters",
        ));
    assert_ne!(sha(&model), before);
}

/// A reload that finds the file gone, or a file that is not a perx database, keeps serving
/// what it served and says why: 409 with a JSON error, and a log line.
#[test]
fn a_reload_onto_a_missing_or_foreign_file_keeps_the_served_data() {
    let tmp = tempfile::tempdir().unwrap();
    let db = served_db(tmp.path(), "m.duckdb", None);
    let (s, token) = Server::with_reload_token(&db, tmp.path());
    let before = s.get_with("/v1/reports/weekly?tz=UTC", token);
    assert_eq!(before.0, 200);
    let post = || s.reload();
    let moved = tmp.path().join("moved.duckdb");
    std::fs::rename(&db, &moved).unwrap();
    let (status, body) = post();
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("\"reload_refused\""), "{body}");
    assert!(body.contains("m.duckdb"), "{body}");
    assert!(!db.exists(), "no empty database was made in its place");
    assert_eq!(s.get_with("/v1/reports/weekly?tz=UTC", token), before);
    // The log is read from the process's stderr as it comes.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !s.log().iter().any(|l| l.contains("reload refused")) {
        assert!(Instant::now() < deadline, "{:?}", s.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    // Not a database at all.
    std::fs::write(&db, "not a database\n").unwrap();
    let (status, body) = post();
    assert_eq!(status, 409, "{body}");
    assert_eq!(s.get_with("/v1/reports/weekly?tz=UTC", token), before);
    assert_eq!(std::fs::read_to_string(&db).unwrap(), "not a database\n");
}

/// Requests that time out give their connection back with their permit: under a 1 ms
/// timeout every answer is 200 or 503 (never a 500 for a missing connection), and the
/// pool is whole afterwards.
#[test]
fn timeouts_leave_the_pool_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let db = served_db(tmp.path(), "p.duckdb", None);
    let user = crate::rewards::top_reward_user(&db);
    let s = Server::start(
        &db,
        &["--timeout-ms", "1", "--pool", "2", "--concurrency", "64"],
    );
    let paths = [
        "/v1/reports/sessions?page_size=1000".to_owned(),
        "/v1/reports/weekly?tz=UTC".to_owned(),
        format!("/v1/reports/sessions?page_size=500&user={user}"),
        "/v1/reports/engagement?campaign=1&from=2019-01-01&to=2030-12-31".to_owned(),
    ];
    let statuses: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (s, paths) = (&s, &paths);
                scope.spawn(move || {
                    (0..25)
                        .map(|i| s.get(&paths[(t + i) % paths.len()]))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let bad: Vec<&(u16, String)> = statuses
        .iter()
        .filter(|(c, _)| *c != 200 && *c != 503)
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = s.get("/readyz");
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let pool = &v["pool"];
        if pool["idle"] == 2 && pool["free_permits"] == 2 && pool["size"] == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "pool not whole: {body}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Asserts that `v` has the shape `schema` gives (objects: required keys present, no key
/// the schema does not name; enums; arrays item by item; `$ref`s followed).
fn conforms(v: &serde_json::Value, schema: &serde_json::Value, doc: &serde_json::Value, at: &str) {
    if v.is_null() && schema["nullable"] == true {
        return;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let mut target = doc;
        for part in r.trim_start_matches("#/").split('/') {
            target = &target[part];
        }
        return conforms(v, target, doc, at);
    }
    if v.is_null() {
        assert!(
            schema["nullable"] == true,
            "{at}: null where {schema} is not nullable"
        );
        return;
    }
    if let Some(values) = schema["enum"].as_array() {
        assert!(values.contains(v), "{at}: {v} not one of {values:?}");
    }
    match schema["type"].as_str() {
        Some("object") => {
            let obj = v
                .as_object()
                .unwrap_or_else(|| panic!("{at}: {v} is not an object"));
            let props = schema["properties"].as_object();
            for req in schema["required"].as_array().into_iter().flatten() {
                let k = req.as_str().unwrap();
                assert!(obj.contains_key(k), "{at}: {k} missing");
            }
            if let Some(props) = props {
                for (k, val) in obj {
                    let p = props
                        .get(k)
                        .unwrap_or_else(|| panic!("{at}: {k} is not in the document"));
                    conforms(val, p, doc, &format!("{at}.{k}"));
                }
            }
        }
        Some("array") => {
            for (i, item) in v.as_array().unwrap().iter().enumerate() {
                conforms(item, &schema["items"], doc, &format!("{at}[{i}]"));
            }
        }
        Some("string") => assert!(v.is_string(), "{at}: {v} is not a string"),
        Some("integer") => assert!(v.is_i64() || v.is_u64(), "{at}: {v} is not an integer"),
        Some("number") => assert!(v.is_number(), "{at}: {v} is not a number"),
        _ => {}
    }
}

/// The API is a library: its router answers without the binary or a socket, the same
/// bytes as the CLI's JSON.
#[test]
fn the_api_answers_from_the_library() {
    use tower::ServiceExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let db = served_db(tmp.path(), "lib.duckdb", None);
    let weekly = cli_json(&db, &["report", "weekly", "--tz", "UTC"]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        fn quiet(_: String) {}
        let served = Arc::new(perx::server::Served::new(
            perx::store::DbPath::File(db.clone()),
            2,
        ));
        served.start(quiet).await.unwrap();
        let app = Arc::new(perx::server::App {
            served,
            limits: perx::server::Limits {
                timeout: Duration::from_secs(30),
                max_body: 4096,
                token: None,
                access_log: false,
            },
            in_flight: Arc::new(tokio::sync::Semaphore::new(8)),
            log: quiet,
            access: quiet,
        });
        let get = |path: &str| {
            axum::http::Request::get(path)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let router = perx::server::router(app);
        let r = router
            .clone()
            .oneshot(get("/v1/reports/weekly?tz=UTC"))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body = axum::body::to_bytes(r.into_body(), 1 << 24).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v["rows"],
            serde_json::from_str::<serde_json::Value>(&weekly).unwrap()
        );
        let r = router
            .oneshot(get("/v1/reports/weekly?tz=Nowhere"))
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
    });
}

/// A database in `dir` with the sample's exports loaded and the first 12,000 lines of its
/// log ingested from `logs/http_log.txt.1`; the database, the logs folder and every line
/// of the sample log (each with its newline).
fn ingested_db(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, Vec<String>) {
    let db = dir.join("w.duckdb");
    let lines: Vec<String> = std::fs::read_to_string(sample_dir().join("http_log.txt"))
        .unwrap()
        .lines()
        .map(|l| format!("{l}\n"))
        .collect();
    let logs = dir.join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(logs.join("http_log.txt.1"), lines[..12_000].concat()).unwrap();
    let csv = dir.join("csv");
    crate::util::copy_files(&sample_dir(), &csv, |n| n.ends_with(".csv"));
    perx(&db)
        .args(["load", "--data"])
        .arg(&csv)
        .assert()
        .success();
    perx(&db)
        .arg("ingest")
        .arg(&logs)
        .assert()
        .code(predicate::in_iter([0, 3]));
    (db, logs, lines)
}

/// `perx serve --ingest DIR` ingests the files that appear there while a request loop
/// runs: every answer is 200, and the answers move to the new data (the sessions of a
/// user who appears only in the new file, the batch in /readyz, the refitted model).
#[test]
fn serve_ingests_new_files_while_answering() {
    let tmp = tempfile::tempdir().unwrap();
    let (db, logs, lines) = ingested_db(tmp.path());
    let dir = logs.display().to_string();
    let s = Server::start(
        &db,
        &[
            "--ingest",
            &dir,
            "--ingest-every",
            "0.2",
            "--refit-after-ingest",
        ],
    );
    let ready =
        |s: &Server| -> serde_json::Value { serde_json::from_str(&s.get("/readyz").1).unwrap() };
    assert_eq!(ready(&s)["ingest"]["last_batch"], 1);
    // A user of the new lines only.
    let newcomer = "2000099999993";
    let mut extra: Vec<String> = lines[12_000..].to_vec();
    extra.push(format!(
        "2019-08-27T05:00:00+00:00 GET /campaigns/11 {newcomer}\n"
    ));
    extra.push(format!(
        "2019-08-27T05:01:00+00:00 POST /rewards/62 {newcomer}\n"
    ));
    let path = format!("/v1/reports/sessions?user={newcomer}&page_size=10");
    let before: serde_json::Value = serde_json::from_str(&s.get(&path).1).unwrap();
    assert!(before["rows"].as_array().unwrap().is_empty(), "{before}");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let statuses = std::thread::scope(|scope| {
        let looping = scope.spawn(|| {
            let mut seen = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                seen.push(s.get("/v1/reports/weekly?tz=UTC").0);
                seen.push(s.get(&path).0);
            }
            seen
        });
        // The new file appears (written under another name, then moved into place).
        let staged = tmp.path().join("http_log.txt.partial");
        std::fs::write(&staged, extra.concat()).unwrap();
        std::fs::rename(&staged, logs.join("http_log.txt")).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while ready(&s)["ingest"]["last_batch"] != 2 {
            assert!(Instant::now() < deadline, "no ingest: {:?}", s.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        looping.join().unwrap()
    });
    assert!(statuses.len() > 2);
    assert!(statuses.iter().all(|&c| c == 200), "{statuses:?}");
    let after: serde_json::Value = serde_json::from_str(&s.get(&path).1).unwrap();
    assert_eq!(after["rows"].as_array().unwrap().len(), 1, "{after}");
    let r = ready(&s);
    assert_eq!(r["ingest"]["reward_model_batch"], 2, "{r}");
    assert!(
        s.log().iter().any(|l| l.contains("ingested batch 2:")),
        "{:?}",
        s.log()
    );
    // Nothing new: no batch 3.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(ready(&s)["ingest"]["last_batch"], 2);
}

/// Without `--refit-after-ingest`, the reward answers after an ingest come from the model
/// fitted before it, and say so (`fitted_on`, in the OpenAPI document's shape); the
/// sessions table is updated by the ingest itself, not rebuilt.
#[test]
fn answers_say_which_batch_the_model_was_fitted_on() {
    let tmp = tempfile::tempdir().unwrap();
    let (db, logs, lines) = ingested_db(tmp.path());
    let dir = logs.display().to_string();
    let s = Server::start(&db, &["--ingest", &dir, "--ingest-every", "0.2"]);
    let ready =
        |s: &Server| -> serde_json::Value { serde_json::from_str(&s.get("/readyz").1).unwrap() };
    let user = lines[0].split_whitespace().last().unwrap().to_owned();
    let answer = |s: &Server| -> serde_json::Value {
        let (status, body) = s.get(&format!("/v1/platform/users/{user}/rewards?k=5"));
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    assert!(
        answer(&s).get("fitted_on").is_none(),
        "fitted on the data served"
    );
    std::fs::write(logs.join("http_log.txt"), lines[12_000..].concat()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while ready(&s)["ingest"]["last_batch"] != 2 {
        assert!(Instant::now() < deadline, "no ingest: {:?}", s.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let after = answer(&s);
    assert_eq!(after["fitted_on"]["model_batch"], 1, "{after}");
    assert_eq!(after["fitted_on"]["latest_batch"], 2, "{after}");
    assert!(
        after["fitted_on"]["note"]
            .as_str()
            .unwrap()
            .contains("--refit-after-ingest"),
        "{after}"
    );
    let doc: serde_json::Value = serde_json::from_str(&s.get("/openapi.json").1).unwrap();
    let schema = doc["paths"]["/v1/platform/users/{id}/rewards"]["get"]["responses"]["200"]
        ["content"]["application/json"]["schema"]
        .clone();
    conforms(&after, &schema, &doc, "answer");
    let log = s.log();
    assert!(
        log.iter()
            .any(|l| l.contains("sessions: ") && l.contains("replaced by")),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|l| l.contains("built the sessions table")),
        "{log:?}"
    );
}

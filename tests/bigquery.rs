//! The BigQuery sync, checked against a real local emulator (`scripts/bq-emulator.sh`,
//! started by each test on a free 127.0.0.1 port): sync, row counts, `perx verify bigquery`,
//! idempotent re-sync, an interrupted sync that a rerun resumes, clear errors; and the
//! service-account JWT flow against a mocked token endpoint (no emulator needed).
//!
//! Without an installed emulator the emulator tests say plainly that they were skipped,
//! unless PERX_REQUIRE_BQ_EMULATOR is set (`.ci/run` sets it after installing one): then
//! they fail.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command as Std;
use std::sync::atomic::{AtomicBool, Ordering};

use assert_cmd::Command;
use perx::bigquery::client::Client;
use perx::bigquery::sync::{SyncPlan, TABLES, sync};
use perx::bigquery::{Credentials, Endpoint};
use perx::progress::{NoProgress, Progress, Unit};
use perx::report::{Collected, SessionsQuery};
use perx::store::{DbPath, Store};

use crate::util::{real_data, sample_dir};

const PROJECT: &str = "test-proj";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bq-emulator.sh")
}

/// A running emulator, stopped on drop.
struct Emulator {
    pid: String,
    port: u16,
}

impl Emulator {
    /// Starts one (persistent in `data` when given), or says why the test is skipped.
    fn start(test: &str, data: Option<&Path>) -> Option<Emulator> {
        let installed = Std::new(script()).arg("path").output();
        if !installed.is_ok_and(|o| o.status.success()) {
            assert!(
                std::env::var_os("PERX_REQUIRE_BQ_EMULATOR").is_none(),
                "{test}: PERX_REQUIRE_BQ_EMULATOR is set but the emulator is not installed"
            );
            crate::util::skip(
                test,
                "no BigQuery emulator installed (scripts/bq-emulator.sh install)",
            );
            return None;
        }
        let port = free_port();
        Some(Emulator::on(port, data))
    }

    fn on(port: u16, data: Option<&Path>) -> Emulator {
        let mut cmd = Std::new(script());
        cmd.arg("start").arg(port.to_string());
        if let Some(d) = data {
            cmd.arg(d);
        }
        let out = cmd.output().expect("run scripts/bq-emulator.sh");
        assert!(
            out.status.success(),
            "emulator did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Emulator {
            pid: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            port,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn client(&self) -> Client {
        Client::new(Endpoint::new(&self.endpoint(), PROJECT), Credentials::None)
    }

    fn stop(&self) {
        let _ = Std::new(script()).arg("stop").arg(&self.pid).status();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `perx --db DB …` with no BigQuery settings inherited from the environment.
fn perx(db: &Path) -> Command {
    let mut c = Command::cargo_bin("perx").unwrap();
    c.arg("--db").arg(db);
    for v in [
        "GOOGLE_APPLICATION_CREDENTIALS",
        "BIGQUERY_EMULATOR_HOST",
        "BIGQUERY_ACCESS_TOKEN",
        "BIGQUERY_PROJECT",
        "BIGQUERY_DATASET",
    ] {
        c.env_remove(v);
    }
    c
}

fn bq_args<'a>(c: &'a mut Command, emu: &Emulator, dataset: &str) -> &'a mut Command {
    c.args(["--project", PROJECT, "--dataset", dataset, "--endpoint"])
        .arg(emu.endpoint())
}

/// A database file holding `data`, loaded by the binary (so its Avro file sits beside it).
fn loaded_db(dir: &Path, data: &Path) -> PathBuf {
    let db = dir.join("perx.duckdb");
    let out = perx(&db)
        .arg("load")
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

fn local_counts(db: &Path) -> Vec<(String, u64)> {
    let store = Store::open(&DbPath::File(db.to_owned())).unwrap();
    let counts = store.table_counts().unwrap();
    TABLES
        .iter()
        .map(|t| {
            let n = counts.iter().find(|(c, _)| c == t).map_or(0, |(_, n)| *n);
            (t.to_string(), n)
        })
        .collect()
}

fn remote_counts(emu: &Emulator, dataset: &str) -> Vec<(String, u64)> {
    let client = emu.client();
    TABLES
        .iter()
        .map(|t| {
            let n = client
                .table_rows(dataset, t)
                .unwrap()
                .expect("table exists");
            (t.to_string(), n)
        })
        .collect()
}

/// Sync, counts, verify, idempotent re-sync, on one data folder.
fn sync_and_verify(test: &str, data: &Path) {
    let Some(emu) = Emulator::start(test, None) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let db = loaded_db(tmp.path(), data);
    let out = bq_args(perx(&db).args(["sync", "bigquery"]), &emu, "perx")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("synced 5 table(s)"), "{err}");
    let local = local_counts(&db);
    assert!(local.iter().all(|(_, n)| *n > 0), "{local:?}");
    assert_eq!(remote_counts(&emu, "perx"), local);

    // Both engines give the same rows for every report.
    let out = bq_args(perx(&db).args(["verify", "bigquery"]), &emu, "perx")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(" 0 with differences"), "{text}");
    assert!(text.contains("same       weekly"), "{text}");
    assert!(text.contains("same       sessions"), "{text}");
    assert!(text.matches("same       engagement").count() >= 3, "{text}");

    // Results read in many pages are the same rows as in one.
    let store = Store::open(&DbPath::File(db.clone())).unwrap();
    let (mut paged, mut local_rows) = (Collected::default(), Collected::default());
    let q = SessionsQuery::default();
    let client = emu.client().with_page_rows(1000);
    perx::bigquery::reports::sessions(&client, "perx", &q, &mut paged).unwrap();
    store.sessions(&q, &mut local_rows).unwrap();
    drop(store);
    assert!(local_rows.rows.len() > 1000, "several pages");
    assert_eq!(paged, local_rows);

    // Synced again: nothing changed, nothing sent; forced: replaced, not duplicated.
    let out = bq_args(perx(&db).args(["sync", "bigquery"]), &emu, "perx")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.matches("skipped").count(), 5, "{err}");
    let out = bq_args(
        perx(&db).args(["sync", "bigquery", "--force"]),
        &emu,
        "perx",
    )
    .output()
    .unwrap();
    assert!(out.status.success());
    assert_eq!(remote_counts(&emu, "perx"), local);

    // A report run in BigQuery prints exactly what the DuckDB run prints.
    let duck = perx(&db)
        .args(["report", "weekly", "--format", "csv"])
        .output()
        .unwrap();
    let bq = bq_args(
        perx(&db).args([
            "report", "weekly", "--format", "csv", "--engine", "bigquery",
        ]),
        &emu,
        "perx",
    )
    .output()
    .unwrap();
    assert!(
        bq.status.success(),
        "{}",
        String::from_utf8_lossy(&bq.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&bq.stdout),
        String::from_utf8_lossy(&duck.stdout)
    );

    // Its provenance names the engine, the SQL that ran there, the dataset and the syncs
    // the remote tables came from (it recorded the DuckDB SQL and the local loads before).
    let out_csv = tmp.path().join("weekly-bq.csv");
    let run = bq_args(
        perx(&db)
            .args([
                "report",
                "weekly",
                "--engine",
                "bigquery",
                "--provenance",
                "-o",
            ])
            .arg(&out_csv),
        &emu,
        "perx",
    )
    .output()
    .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("weekly-bq.csv.meta.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["engine"], "bigquery");
    assert_eq!(meta["sql_file"], "sql/bigquery/weekly.sql");
    assert_eq!(meta["bigquery"]["project"], PROJECT);
    assert_eq!(meta["bigquery"]["dataset"], "perx");
    let synced = meta["bigquery"]["sync_state"].as_array().unwrap();
    assert_eq!(synced.len(), 5, "{synced:?}");
    assert!(
        meta.get("sources").is_none(),
        "no local manifest for a remote run"
    );
}

#[test]
fn the_sample_syncs_and_both_engines_agree() {
    sync_and_verify("the_sample_syncs_and_both_engines_agree", &sample_dir());
}

#[test]
fn the_real_data_syncs_and_both_engines_agree() {
    let test = "the_real_data_syncs_and_both_engines_agree";
    if let Some(dir) = real_data("perx", test) {
        sync_and_verify(test, &dir);
    }
}

/// Stops the emulator when the log's upload has sent its first chunk.
struct KillDuringUpload<'a> {
    emu: &'a Emulator,
    uploading: AtomicBool,
    killed: AtomicBool,
}

impl Progress for KillDuringUpload<'_> {
    fn start(&self, label: &str, _total: Option<u64>, _unit: Unit) {
        self.uploading
            .store(label.starts_with("http_log (uploading)"), Ordering::SeqCst);
    }
    fn advance(&self, _delta: u64) {
        if self.uploading.load(Ordering::SeqCst) && !self.killed.swap(true, Ordering::SeqCst) {
            self.emu.stop();
        }
    }
    fn finish(&self) {}
}

#[test]
fn an_interrupted_sync_names_the_table_and_a_rerun_resumes() {
    let test = "an_interrupted_sync_names_the_table_and_a_rerun_resumes";
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("emulator");
    let Some(emu) = Emulator::start(test, Some(&state)) else {
        return;
    };
    let db = loaded_db(tmp.path(), &sample_dir());
    let store = Store::open(&DbPath::File(db.clone())).unwrap();
    let plan = SyncPlan {
        dataset: "perx".into(),
        location: "US".into(),
        tables: TABLES.iter().map(|t| t.to_string()).collect(),
        avro: Some(tmp.path().join("perx.http_log.avro")),
        force: false,
    };
    // 256 KiB chunks: the sample's log takes several, and the emulator dies after the first.
    let client = emu.client().with_chunk(256 * 1024);
    let killer = KillDuringUpload {
        emu: &emu,
        uploading: AtomicBool::new(false),
        killed: AtomicBool::new(false),
    };
    let err = sync(&client, &store, &plan, &killer, &mut |_| {}).unwrap_err();
    assert!(
        killer.killed.load(Ordering::SeqCst),
        "the upload was interrupted"
    );
    assert_eq!(err.table, "http_log");
    assert_eq!(err.done.len(), 4, "the CSV tables went up first");
    let message = format!("{err}: {}", err.source);
    assert!(
        message.contains("syncing table http_log failed"),
        "{message}"
    );
    assert!(message.contains("rerun to resume"), "{message}");

    // Same port, same state: the rerun skips what is in place and sends the log.
    let emu2 = Emulator::on(emu.port, Some(&state));
    let mut seen = Vec::new();
    let done = sync(&emu2.client(), &store, &plan, &NoProgress, &mut |s| {
        seen.push((s.table.clone(), s.skipped))
    })
    .unwrap();
    assert_eq!(done.len(), 5);
    let skipped: Vec<&str> = seen.iter().filter(|s| s.1).map(|s| s.0.as_str()).collect();
    assert_eq!(skipped, &TABLES[..4], "{seen:?}");
    drop(store);
    assert_eq!(remote_counts(&emu2, "perx"), local_counts(&db));
}

#[test]
fn query_errors_reported_in_a_200_answer_are_errors() {
    let Some(emu) = Emulator::start("query_errors_reported_in_a_200_answer_are_errors", None)
    else {
        return;
    };
    let client = emu.client();
    client.ensure_dataset("perx", "US").unwrap();
    let err = client
        .query("perx", "SELECT * FROM {dataset}.no_such_table", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("no_such_table"), "{err}");
    let err = client
        .query("bad-name;", "SELECT 1", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a BigQuery dataset id"), "{err}");
}

/// `perx sync bigquery` of `db` to project p, dataset d at `endpoint`.
pub(crate) fn sync_to(db: &Path, endpoint: &str) -> Command {
    let mut c = perx(db);
    c.args([
        "sync",
        "bigquery",
        "--project",
        "p",
        "--dataset",
        "d",
        "--endpoint",
        endpoint,
    ]);
    c
}

#[test]
fn unreachable_endpoints_and_bad_credentials_fail_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let db = loaded_db(tmp.path(), &sample_dir());
    // Nothing listens on a port we just freed.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let out = sync_to(&db, &closed).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot reach BigQuery"), "{err}");
    // No endpoint and no credentials.
    let out = perx(&db)
        .args(["verify", "bigquery", "--project", "p", "--dataset", "d"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("no BigQuery credentials"), "{err}");
    assert!(err.contains("GOOGLE_APPLICATION_CREDENTIALS"), "{err}");
    // A key file that is not one.
    let bad = tmp.path().join("key.json");
    std::fs::write(&bad, "{\"type\": \"authorized_user\"}").unwrap();
    let out = perx(&db)
        .args([
            "report",
            "weekly",
            "--engine",
            "bigquery",
            "--project",
            "p",
            "--dataset",
            "d",
        ])
        .env("GOOGLE_APPLICATION_CREDENTIALS", &bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("key.json"), "{err}");
    // A token is never printed, even when the call fails.
    let out = sync_to(&db, &closed)
        .args(["--access-token", "s3cr3t-t0ken"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("s3cr3t"));
}

/// One HTTP request read by the mock server.
struct Request {
    line: String,
    headers: Vec<(String, String)>,
    body: String,
}

fn read_request(stream: &mut TcpStream) -> Request {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_lowercase(), v.trim().to_owned()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    Request {
        line: line.trim_end().to_owned(),
        headers,
        body: String::from_utf8(body).unwrap(),
    }
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
}

fn form_value<'a>(form: &'a str, key: &str) -> Option<&'a str> {
    form.split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
}

/// The throw-away test key (made for these tests only, never used anywhere else).
const TEST_KEY: &str = include_str!("fixtures/test-service-account-key.pem");

/// A service-account key file for `email` whose tokens come from `root`/token.
fn key_file(dir: &Path, email: &str, root: &str, project: Option<&str>) -> PathBuf {
    let key = serde_json::json!({
        "type": "service_account",
        "project_id": project,
        "private_key_id": "kid-1",
        "private_key": TEST_KEY,
        "client_email": email,
        "token_uri": format!("{root}/token"),
    });
    let path = dir.join("sa.json");
    std::fs::write(&path, key.to_string()).unwrap();
    path
}

#[test]
fn a_service_account_key_gets_a_token_by_a_signed_jwt() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::sha2::Sha256;
    use rsa::signature::Verifier;

    let pem = TEST_KEY;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let root = format!("http://{}", listener.local_addr().unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let key_file = key_file(
        tmp.path(),
        "perx-test@from-key.iam.gserviceaccount.com",
        &root,
        Some("from-key"),
    );

    let public = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
        .unwrap()
        .to_public_key();
    let server = std::thread::spawn(move || {
        // 1: the token request, with a JWT signed by the key.
        let (mut s, _) = listener.accept().unwrap();
        let token_req = read_request(&mut s);
        assert!(
            token_req.line.starts_with("POST /token"),
            "{}",
            token_req.line
        );
        assert_eq!(
            form_value(&token_req.body, "grant_type"),
            Some("urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer")
        );
        let jwt = form_value(&token_req.body, "assertion").unwrap().to_owned();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let signature =
            Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
        VerifyingKey::<Sha256>::new(public)
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .expect("the JWT is signed with the service account's key");
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        respond(
            &mut s,
            "200 OK",
            r#"{"access_token":"tok-123","expires_in":3599,"token_type":"Bearer"}"#,
        );
        // 2: an API call over plain http: no credentials at all.
        let (mut s, _) = listener.accept().unwrap();
        let api = read_request(&mut s);
        let auth = api
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.clone());
        respond(&mut s, "200 OK", r#"{"kind":"bigquery#dataset"}"#);
        (claims, api.line, auth)
    });

    let credentials = Credentials::from_key_file(&key_file).unwrap();
    assert_eq!(credentials.project(), Some("from-key"));
    assert!(!format!("{credentials:?}").contains("PRIVATE KEY"));
    // The token exchange with the key's (loopback) token_uri.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    assert_eq!(
        credentials.header(&agent).unwrap().as_deref(),
        Some("Bearer tok-123")
    );
    let client = Client::new(Endpoint::new(&root, "from-key"), credentials);
    assert!(client.credentials_ignored());
    client.ensure_dataset("perx", "US").unwrap();
    let (claims, line, auth) = server.join().unwrap();
    assert_eq!(claims["iss"], "perx-test@from-key.iam.gserviceaccount.com");
    assert_eq!(claims["aud"], format!("{root}/token"));
    assert_eq!(claims["scope"], "https://www.googleapis.com/auth/bigquery");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );
    assert!(
        line.starts_with("GET /bigquery/v2/projects/from-key/datasets/perx"),
        "{line}"
    );
    assert_eq!(auth, None, "a bearer token never goes over plain http");
}

#[test]
fn a_refused_token_request_is_a_clear_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let root = format!("http://{}", listener.local_addr().unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let key_file = key_file(tmp.path(), "revoked@p.iam.gserviceaccount.com", &root, None);
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let _ = read_request(&mut s);
        respond(
            &mut s,
            "400 Bad Request",
            r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
        );
    });
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let err = Credentials::from_key_file(&key_file)
        .unwrap()
        .header(&agent)
        .unwrap_err()
        .to_string();
    server.join().unwrap();
    assert!(err.contains("revoked@p.iam.gserviceaccount.com"), "{err}");
    assert!(err.contains("Invalid JWT Signature"), "{err}");
    assert!(!err.contains("PRIVATE KEY"), "{err}");
}

/// The log goes to BigQuery by increments: after `perx ingest`, a sync sends only the new
/// batch's Avro file (WRITE_APPEND; the bytes are that file's), the tables agree and
/// `perx verify bigquery` finds no difference; after a full `perx load`, the next sync
/// replaces the log and sends everything again.
#[test]
fn the_log_is_synced_by_increments_after_each_ingest() {
    let Some(emu) = Emulator::start("the_log_is_synced_by_increments_after_each_ingest", None)
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let lines: Vec<String> = std::fs::read_to_string(sample.join("http_log.txt"))
        .unwrap()
        .lines()
        .map(|l| format!("{l}\n"))
        .collect();
    // The exports and the first part of the log, loaded.
    let data = tmp.path().join("data");
    crate::util::copy_files(&sample, &data, |_| true);
    std::fs::write(data.join("http_log.txt"), lines[..12_000].concat()).unwrap();
    let db = loaded_db(tmp.path(), &data);
    let sync = |db: &Path| -> String {
        let out = bq_args(perx(db).args(["sync", "bigquery"]), &emu, "inc")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        err
    };
    let verify = |db: &Path| {
        let out = bq_args(perx(db).args(["verify", "bigquery"]), &emu, "inc")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains(" 0 with differences"), "{text}");
    };
    sync(&db);
    assert_eq!(remote_counts(&emu, "inc"), local_counts(&db));
    // Two days ingested, each synced: only its batch goes up.
    for (day, range) in [(1, 12_000..16_000), (2, 16_000..lines.len())] {
        let file = tmp.path().join(format!("day{day}.log"));
        std::fs::write(&file, lines[range].concat()).unwrap();
        let out = perx(&db).arg("ingest").arg(&file).output().unwrap();
        assert!(out.status.code() == Some(0) || out.status.code() == Some(3));
        let batch = tmp
            .path()
            .join(format!("perx.duckdb.ingest/batch-{day:06}-1.avro"));
        let err = sync(&db);
        // The log's line says what went up: the batch's bytes (re-encoded with snappy
        // when zstandard, so no bigger than the file's order of size), not the whole log.
        let log_line = err
            .lines()
            .find(|l| l.contains("http_log"))
            .unwrap_or_else(|| panic!("{err}"));
        assert!(!log_line.contains("skipped"), "{err}");
        let words: Vec<&str> = log_line.split_whitespace().collect();
        let mb = words.iter().position(|w| *w == "MB").expect("a size in MB");
        let sent: f64 = words[mb - 1].parse().unwrap();
        assert!(sent > 0.0, "{log_line}");
        let whole = std::fs::metadata(tmp.path().join("perx.http_log.avro"))
            .unwrap()
            .len() as f64
            / 1e6;
        assert!(batch.exists());
        assert!(
            sent < whole,
            "{log_line}: sent {sent} MB, the loaded log is {whole} MB"
        );
        assert_eq!(err.matches("skipped").count(), 4, "{err}");
        assert_eq!(remote_counts(&emu, "inc"), local_counts(&db));
        verify(&db);
    }
    // Nothing new: everything skipped.
    let err = sync(&db);
    assert_eq!(err.matches("skipped").count(), 5, "{err}");
    // A full load replaces the log locally; the next sync replaces it remotely.
    std::fs::write(data.join("http_log.txt"), lines[..5_000].concat()).unwrap();
    let out = perx(&db)
        .args(["load", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.code() == Some(0) || out.status.code() == Some(3));
    sync(&db);
    assert_eq!(remote_counts(&emu, "inc"), local_counts(&db));
    verify(&db);
}

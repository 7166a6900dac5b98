//! A small client of the BigQuery v2 REST API over ureq: datasets, tables, load jobs fed by
//! resumable uploads in chunks, job polling, and queries with named parameters read page by
//! page. Errors are looked for in both places BigQuery puts them: the HTTP status with an
//! `error` object, and a 200 answer with `errors` or `status.errorResult`.

use std::io::Read;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::auth::Credentials;
use super::{BigQueryError, Endpoint};
use crate::progress::{Progress, Unit};

/// Bytes per upload request: a multiple of 256 KiB, as the resumable protocol requires.
pub const CHUNK: usize = 8 * 1024 * 1024;
/// Rows asked for per result page, by default.
const PAGE_ROWS: u32 = 10_000;
/// How long a job may run before perx gives up waiting.
const JOB_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// One column of a table schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Column name.
    pub name: String,
    /// BigQuery type (`INT64`, `STRING`, `TIMESTAMP`, `BOOL`, `FLOAT64`, `DATE`).
    pub kind: String,
    /// `NULLABLE` or `REQUIRED`.
    pub required: bool,
}

impl Field {
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.kind,
            "mode": if self.required { "REQUIRED" } else { "NULLABLE" },
        })
    }
}

/// The format of an uploaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// Avro, logical types honoured (`timestamp-micros` → TIMESTAMP).
    Avro,
    /// One JSON object per line.
    NdJson,
}

/// A named query parameter; `value` `None` is SQL NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Name without `@`.
    pub name: &'static str,
    /// BigQuery type.
    pub kind: &'static str,
    /// The value as BigQuery reads it (`2024-01-01 00:00:00+00` for TIMESTAMP).
    pub value: Option<String>,
}

impl Param {
    /// A parameter.
    pub fn new(name: &'static str, kind: &'static str, value: Option<String>) -> Param {
        Param { name, kind, value }
    }

    fn to_json(&self) -> Value {
        let value = match &self.value {
            Some(v) => json!({ "value": v }),
            None => json!({}),
        };
        json!({"name": self.name, "parameterType": {"type": self.kind}, "parameterValue": value})
    }
}

/// One page of a query's result: the (name, type) of the columns, and the rows as
/// BigQuery's strings (`None` is NULL).
pub type PageFn<'a> =
    dyn FnMut(&[(String, String)], Vec<Vec<Option<String>>>) -> Result<(), BigQueryError> + 'a;

/// A query's result: column names and types, and the rows as BigQuery's strings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    /// (name, type) per column.
    pub fields: Vec<(String, String)>,
    /// Cells; `None` is NULL.
    pub rows: Vec<Vec<Option<String>>>,
}

/// A BigQuery REST client for one project.
pub struct Client {
    agent: ureq::Agent,
    endpoint: Endpoint,
    credentials: Credentials,
    chunk: usize,
    page_rows: u32,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credentials)
            .finish()
    }
}

/// Where and how [`Client::load`] loads.
#[derive(Debug, Clone, Copy)]
pub struct LoadTarget<'a> {
    /// The dataset.
    pub dataset: &'a str,
    /// The table (replaced, unless `append`).
    pub table: &'a str,
    /// The format of the data sent.
    pub format: SourceFormat,
    /// The table's columns (NDJSON loads send them as the schema).
    pub fields: &'a [Field],
    /// Add the rows to the table's (WRITE_APPEND) instead of replacing them.
    pub append: bool,
}

/// The HTTP verbs used.
#[derive(Debug, Clone, Copy)]
enum Method {
    Get,
    Post,
    Put,
}

impl Client {
    /// A client of `endpoint` authorised by `credentials`.
    pub fn new(endpoint: Endpoint, credentials: Credentials) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A resumable upload answers 308 "resume incomplete", which is not a redirect.
            .max_redirects(0)
            // Connect and idle timeouts, not a total: a large upload or result may take
            // minutes, but a connection that stays silent this long is dead.
            .timeout_connect(Some(Duration::from_secs(20)))
            .timeout_per_read(Some(IDLE_TIMEOUT))
            .timeout_per_write(Some(IDLE_TIMEOUT))
            .build()
            .into();
        Client {
            agent,
            endpoint,
            credentials,
            chunk: CHUNK,
            page_rows: PAGE_ROWS,
        }
    }

    /// Reads query results `rows` at a time instead of 10,000.
    pub fn with_page_rows(mut self, rows: u32) -> Client {
        self.page_rows = rows.max(1);
        self
    }

    /// Uploads in chunks of about `bytes` (rounded up to a multiple of 256 KiB, as the
    /// resumable protocol requires) instead of [`CHUNK`].
    pub fn with_chunk(mut self, bytes: usize) -> Client {
        const QUANTUM: usize = 256 * 1024;
        self.chunk = bytes.max(1).div_ceil(QUANTUM) * QUANTUM;
        self
    }

    /// Whether a request to `url` may carry the credentials: `url` is https and on the
    /// endpoint's own origin (scheme, host and port).
    fn may_authorize(&self, url: &str) -> bool {
        url.starts_with("https://")
            && origin(url).is_some_and(|o| Some(o) == origin(&self.endpoint.root))
    }

    /// True when credentials were given but will not be sent, because the endpoint is not
    /// https (an emulator): the CLI says so once.
    pub fn credentials_ignored(&self) -> bool {
        !matches!(self.credentials, Credentials::None)
            && !self.endpoint.root.starts_with("https://")
    }

    /// The project.
    pub fn project(&self) -> &str {
        &self.endpoint.project
    }

    /// Sends one request; returns the status, the `Location` header and the body.
    fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<(u16, Option<String>, String), BigQueryError> {
        let shown = url.split('?').next().unwrap_or(url).to_owned();
        let mut req = ureq::http::Request::builder()
            .uri(url)
            .method(match method {
                Method::Get => "GET",
                Method::Post => "POST",
                Method::Put => "PUT",
            });
        // Credentials go only to the API's own https origin: never over plain http (an
        // emulator), never to a URL a server handed back that points elsewhere.
        if self.may_authorize(url)
            && let Some(auth) = self.credentials.header(&self.agent)?
        {
            req = req.header("Authorization", auth);
        }
        for (k, v) in headers {
            req = req.header(*k, v.as_str());
        }
        let req = req.body(body).map_err(|e| BigQueryError::Protocol {
            what: shown.clone(),
            detail: e.to_string(),
        })?;
        let mut response = self
            .agent
            .run(req)
            .map_err(|e| BigQueryError::Unreachable {
                url: shown.clone(),
                reason: e.to_string(),
            })?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response
            .body_mut()
            .with_config()
            .limit(crate::limits::MAX_HTTP_BODY_BYTES)
            .read_to_string()
            .map_err(|e| BigQueryError::Unreachable {
                url: shown,
                reason: e.to_string(),
            })?;
        Ok((status, location, text))
    }

    /// A JSON call; HTTP errors and 200 answers carrying errors become `Err`. `None` for a
    /// 404 when `missing_ok`.
    fn call(
        &self,
        method: Method,
        url: &str,
        what: &str,
        body: Option<&Value>,
        missing_ok: bool,
    ) -> Result<Option<Value>, BigQueryError> {
        let (headers, bytes) = match body {
            Some(b) => (
                vec![("content-type", "application/json".to_owned())],
                b.to_string().into_bytes(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let (status, _, text) = self.send(method, url, &headers, bytes)?;
        if status == 404 && missing_ok {
            return Ok(None);
        }
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            return Err(BigQueryError::Http {
                what: what.to_owned(),
                status,
                message: error_message(&json).unwrap_or_else(|| snippet(&text)),
            });
        }
        if let Some(message) = body_errors(&json) {
            return Err(BigQueryError::Job {
                what: what.to_owned(),
                message,
            });
        }
        Ok(Some(json))
    }

    /// `` `project`.dataset ``, for `{dataset}` in the SQL of `sql/bigquery/`; the names are
    /// checked against BigQuery's rules first, so nothing else can reach the SQL text.
    fn qualified(&self, dataset: &str) -> Result<String, BigQueryError> {
        let project_ok = !self.project().is_empty()
            && self
                .project()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '_'));
        if !project_ok {
            return Err(BigQueryError::Input(format!(
                "{:?} is not a Google Cloud project id (letters, digits, - . :)",
                self.project()
            )));
        }
        check_dataset(dataset)?;
        Ok(format!("`{}`.{dataset}", self.project()))
    }

    /// Creates the dataset unless it exists.
    pub fn ensure_dataset(&self, dataset: &str, location: &str) -> Result<(), BigQueryError> {
        let body = json!({
            "datasetReference": {"projectId": self.project(), "datasetId": dataset},
            "location": location,
        });
        self.ensure(
            &format!("datasets/{dataset}"),
            "datasets",
            &format!("dataset {dataset}"),
            &body,
        )
    }

    /// Creates the table with `fields` unless it exists.
    pub fn ensure_table(
        &self,
        dataset: &str,
        table: &str,
        fields: &[Field],
    ) -> Result<(), BigQueryError> {
        self.ensure_table_laid_out(dataset, table, fields, None)
    }

    /// Creates the table with `fields` unless it exists, partitioned by day on the
    /// TIMESTAMP field `by_day` and clustered by the fields `cluster` (the log's layout:
    /// a day's rows and one user's rows are read together).
    pub fn ensure_partitioned_table(
        &self,
        dataset: &str,
        table: &str,
        fields: &[Field],
        by_day: &str,
        cluster: &[&str],
    ) -> Result<(), BigQueryError> {
        self.ensure_table_laid_out(dataset, table, fields, Some((by_day, cluster)))
    }

    fn ensure_table_laid_out(
        &self,
        dataset: &str,
        table: &str,
        fields: &[Field],
        layout: Option<(&str, &[&str])>,
    ) -> Result<(), BigQueryError> {
        let mut body = json!({
            "tableReference": {"projectId": self.project(), "datasetId": dataset, "tableId": table},
            "schema": {"fields": fields.iter().map(Field::to_json).collect::<Vec<_>>()},
        });
        if let Some((by_day, cluster)) = layout {
            body["timePartitioning"] = json!({"type": "DAY", "field": by_day});
            body["clustering"] = json!({"fields": cluster});
        }
        self.ensure(
            &format!("datasets/{dataset}/tables/{table}"),
            &format!("datasets/{dataset}/tables"),
            &format!("table {dataset}.{table}"),
            &body,
        )
    }

    /// GETs the resource at `path`; when it is missing, POSTs `body` to `collection`.
    fn ensure(
        &self,
        path: &str,
        collection: &str,
        what: &str,
        body: &Value,
    ) -> Result<(), BigQueryError> {
        let api = self.endpoint.api();
        if self
            .call(Method::Get, &format!("{api}/{path}"), what, None, true)?
            .is_some()
        {
            return Ok(());
        }
        let creating = format!("creating {what}");
        self.call(
            Method::Post,
            &format!("{api}/{collection}"),
            &creating,
            Some(body),
            false,
        )?;
        Ok(())
    }

    /// The table's row count, or `None` if it does not exist.
    pub fn table_rows(&self, dataset: &str, table: &str) -> Result<Option<u64>, BigQueryError> {
        let url = format!(
            "{}/datasets/{}/tables/{}",
            self.endpoint.api(),
            encode(dataset),
            encode(table)
        );
        let t = self.call(
            Method::Get,
            &url,
            &format!("table {dataset}.{table}"),
            None,
            true,
        )?;
        Ok(t.map(|t| {
            t.get("numRows")
                .and_then(|n| n.as_str())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        }))
    }

    /// Replaces the rows of `target` (WRITE_TRUNCATE; WRITE_APPEND adds them when
    /// `target.append`) with the `size` bytes of `data`, sent
    /// through a resumable upload in chunks ([`CHUNK`] by default); waits for the load job;
    /// returns the rows it loaded.
    pub fn load(
        &self,
        target: &LoadTarget<'_>,
        data: &mut dyn Read,
        size: u64,
        progress: &dyn Progress,
    ) -> Result<u64, BigQueryError> {
        let LoadTarget {
            dataset,
            table,
            format,
            fields,
            append,
        } = *target;
        let what = format!("loading {dataset}.{table}");
        let mut load = json!({
            "destinationTable": {"projectId": self.project(), "datasetId": dataset, "tableId": table},
            "writeDisposition": if append { "WRITE_APPEND" } else { "WRITE_TRUNCATE" },
            "createDisposition": "CREATE_IF_NEEDED",
        });
        match format {
            // Avro describes itself; the table was created with the matching schema.
            SourceFormat::Avro => {
                load["sourceFormat"] = json!("AVRO");
                load["useAvroLogicalTypes"] = json!(true);
            }
            SourceFormat::NdJson => {
                load["sourceFormat"] = json!("NEWLINE_DELIMITED_JSON");
                load["schema"] =
                    json!({"fields": fields.iter().map(Field::to_json).collect::<Vec<_>>()});
            }
        }
        let config = json!({"configuration": {"load": load}});
        let url = format!("{}/jobs?uploadType=resumable", self.endpoint.upload());
        let (status, location, text) = self.send(
            Method::Post,
            &url,
            &[
                ("content-type", "application/json".to_owned()),
                (
                    "X-Upload-Content-Type",
                    "application/octet-stream".to_owned(),
                ),
                ("X-Upload-Content-Length", size.to_string()),
            ],
            config.to_string().into_bytes(),
        )?;
        if !(200..300).contains(&status) {
            let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            return Err(BigQueryError::Http {
                what: format!("starting the upload for {dataset}.{table}"),
                status,
                message: error_message(&json).unwrap_or_else(|| snippet(&text)),
            });
        }
        let session = location.ok_or_else(|| BigQueryError::Protocol {
            what: what.clone(),
            detail: "no Location header for the upload session".into(),
        })?;
        progress.start(&format!("{table} (uploading)"), Some(size), Unit::Bytes);
        let mut sent: u64 = 0;
        let mut buf = vec![0u8; self.chunk];
        let job = loop {
            let n = read_full(data, &mut buf).map_err(|source| BigQueryError::Io {
                path: table.into(),
                source,
            })?;
            let last = sent + n as u64 >= size;
            let range = if n == 0 {
                format!("bytes */{size}")
            } else {
                format!("bytes {}-{}/{size}", sent, sent + n as u64 - 1)
            };
            let (status, _, text) = self.send(
                Method::Put,
                &session,
                &[("Content-Range", range)],
                buf[..n].to_vec(),
            )?;
            sent += n as u64;
            progress.advance(n as u64);
            match status {
                308 if !last => continue,
                200 | 201 => break serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
                _ => {
                    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    return Err(BigQueryError::Http {
                        what: format!("uploading {dataset}.{table} at byte {sent} of {size}"),
                        status,
                        message: error_message(&json).unwrap_or_else(|| snippet(&text)),
                    });
                }
            }
        };
        progress.finish();
        let job = self.wait_for_job(job, &what)?;
        Ok(job
            .pointer("/statistics/load/outputRows")
            .and_then(|v| v.as_str())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Polls a job until it is DONE; its `errorResult` becomes `Err`.
    fn wait_for_job(&self, mut job: Value, what: &str) -> Result<Value, BigQueryError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            if let Some(message) = body_errors(&job) {
                return Err(BigQueryError::Job {
                    what: what.to_owned(),
                    message,
                });
            }
            if job.pointer("/status/state").and_then(|s| s.as_str()) == Some("DONE") {
                return Ok(job);
            }
            if started.elapsed() > JOB_TIMEOUT {
                return Err(BigQueryError::Timeout {
                    what: what.to_owned(),
                    seconds: JOB_TIMEOUT.as_secs(),
                });
            }
            let id = job
                .pointer("/jobReference/jobId")
                .and_then(|v| v.as_str())
                .ok_or_else(|| BigQueryError::Protocol {
                    what: what.to_owned(),
                    detail: "the job has no jobReference.jobId".into(),
                })?;
            let location = job
                .pointer("/jobReference/location")
                .and_then(|v| v.as_str())
                .map(|l| format!("?location={}", encode(l)))
                .unwrap_or_default();
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(2));
            let url = format!("{}/jobs/{}{location}", self.endpoint.api(), encode(id));
            job = self
                .call(Method::Get, &url, what, None, false)?
                .unwrap_or(Value::Null);
        }
    }

    /// Runs `sql` (standard SQL) with named `params`, tables resolved in `dataset`, and
    /// reads every page of the result.
    pub fn query(
        &self,
        dataset: &str,
        sql: &str,
        params: &[Param],
    ) -> Result<QueryResult, BigQueryError> {
        let mut out = QueryResult::default();
        self.query_pages(dataset, sql, params, &mut |fields, rows| {
            if out.fields.is_empty() {
                out.fields = fields.to_vec();
            }
            out.rows.extend(rows);
            Ok(())
        })?;
        Ok(out)
    }

    /// Like [`Client::query`], handing each page of rows to `page` as it arrives (with the
    /// columns), so memory holds one page whatever the size of the result. `page` is called
    /// at least once, with no rows for an empty result.
    pub fn query_pages(
        &self,
        dataset: &str,
        sql: &str,
        params: &[Param],
        on_page: &mut PageFn<'_>,
    ) -> Result<(), BigQueryError> {
        let what = "the query";
        let sql = sql.replace("{dataset}", &self.qualified(dataset)?);
        let body = json!({
            "query": sql,
            "useLegacySql": false,
            "parameterMode": "NAMED",
            "queryParameters": params.iter().map(Param::to_json).collect::<Vec<_>>(),
            "defaultDataset": {"projectId": self.project(), "datasetId": dataset},
            "maxResults": self.page_rows,
            "timeoutMs": 20_000,
            "formatOptions": {"useInt64Timestamp": true},
        });
        let url = format!("{}/queries", self.endpoint.api());
        let mut page = self
            .call(Method::Post, &url, what, Some(&body), false)?
            .unwrap_or(Value::Null);
        let id = page
            .pointer("/jobReference/jobId")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let location = page
            .pointer("/jobReference/location")
            .and_then(|v| v.as_str())
            .map(|l| format!("&location={}", encode(l)))
            .unwrap_or_default();
        let results = |token: Option<&str>| -> Result<Value, BigQueryError> {
            let Some(id) = &id else {
                return Err(BigQueryError::Protocol {
                    what: what.into(),
                    detail: "no jobReference.jobId to read the results with".into(),
                });
            };
            let token = token
                .map(|t| format!("&pageToken={}", encode(t)))
                .unwrap_or_default();
            let url = format!(
                "{}/queries/{}?maxResults={}&timeoutMs=20000&formatOptions.useInt64Timestamp=true{location}{token}",
                self.endpoint.api(),
                encode(id),
                self.page_rows
            );
            Ok(self
                .call(Method::Get, &url, what, None, false)?
                .unwrap_or(Value::Null))
        };
        let started = Instant::now();
        while page.get("jobComplete").and_then(|v| v.as_bool()) == Some(false) {
            if started.elapsed() > JOB_TIMEOUT {
                return Err(BigQueryError::Timeout {
                    what: what.into(),
                    seconds: JOB_TIMEOUT.as_secs(),
                });
            }
            page = results(None)?;
        }
        let fields: Vec<(String, String)> = page
            .pointer("/schema/fields")
            .and_then(|f| f.as_array())
            .map(|f| {
                f.iter()
                    .map(|f| {
                        let s = |k: &str| f.get(k).and_then(|v| v.as_str()).unwrap_or("");
                        (s("name").to_owned(), s("type").to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        loop {
            let mut rows = Vec::new();
            if let Some(list) = page.get("rows").and_then(|r| r.as_array()) {
                rows.reserve(list.len());
                for r in list {
                    let cells = r.get("f").and_then(|f| f.as_array()).ok_or_else(|| {
                        BigQueryError::Protocol {
                            what: what.into(),
                            detail: "a row without its f array".into(),
                        }
                    })?;
                    rows.push(
                        cells
                            .iter()
                            .map(|c| match c.get("v") {
                                Some(Value::String(s)) => Some(s.clone()),
                                Some(Value::Null) | None => None,
                                Some(other) => Some(other.to_string()),
                            })
                            .collect(),
                    );
                }
            }
            on_page(&fields, rows)?;
            match page.get("pageToken").and_then(|t| t.as_str()) {
                Some(token) if !token.is_empty() => {
                    let token = token.to_owned();
                    page = results(Some(&token))?;
                }
                _ => break,
            }
        }
        Ok(())
    }
}

/// A dataset id is letters, digits and underscores, at most 1024 of them.
pub fn check_dataset(dataset: &str) -> Result<(), BigQueryError> {
    let ok = !dataset.is_empty()
        && dataset.len() <= 1024
        && dataset
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(BigQueryError::Input(format!(
            "{dataset:?} is not a BigQuery dataset id: use letters, digits and underscores"
        )))
    }
}

/// Reads until `buf` is full or the input ends.
/// How long a connection may stay silent (no byte read or written) before it is dropped.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// `scheme://host:port` of a URL, lower-cased; `None` when it has no scheme.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // Userinfo (`user@host`) is not part of the origin.
    let host = authority.rsplit('@').next().unwrap_or(authority);
    Some(format!("{}://{}", scheme, host).to_ascii_lowercase())
}

/// Percent-encodes a value from a response (a job id, a location, a page token) so it is
/// one URL component whatever it holds.
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// `error.message` (with the reasons of `error.errors`) of an HTTP error body.
fn error_message(json: &Value) -> Option<String> {
    let e = json.get("error")?;
    let message = e
        .get("message")
        .and_then(|m| m.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| e.to_string());
    Some(message)
}

/// The errors a 200 answer can carry: `status.errorResult` of a job, or a top-level
/// `errors` array.
fn body_errors(json: &Value) -> Option<String> {
    if let Some(r) = json.pointer("/status/errorResult") {
        let message = r.get("message").and_then(|m| m.as_str()).unwrap_or("");
        let reason = r.get("reason").and_then(|m| m.as_str()).unwrap_or("error");
        return Some(format!("{reason}: {message}"));
    }
    let errors = json.get("errors").and_then(|e| e.as_array())?;
    if errors.is_empty() {
        return None;
    }
    Some(
        errors
            .iter()
            .map(|e| {
                e.get("message")
                    .and_then(|m| m.as_str())
                    .map_or_else(|| e.to_string(), str::to_owned)
            })
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// The start of a non-JSON body, for a message.
fn snippet(text: &str) -> String {
    let t: String = text.chars().take(200).collect();
    if t.is_empty() {
        "(empty answer)".into()
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_found_in_both_places() {
        let http = json!({"error": {"code": 400, "message": "Syntax error at [1:1]"}});
        assert_eq!(error_message(&http).unwrap(), "Syntax error at [1:1]");
        let job = json!({"status": {"state": "DONE", "errorResult": {"reason": "invalid", "message": "bad row"}}});
        assert_eq!(body_errors(&job).unwrap(), "invalid: bad row");
        let query = json!({"errors": [{"message": "no such table"}], "jobComplete": true});
        assert_eq!(body_errors(&query).unwrap(), "no such table");
        assert_eq!(body_errors(&json!({"errors": []})), None);
        assert_eq!(body_errors(&json!({"status": {"state": "DONE"}})), None);
    }

    #[test]
    fn values_from_responses_are_one_url_component() {
        assert_eq!(encode("job_1-a.b~"), "job_1-a.b~");
        assert_eq!(encode("a/../b?x=1&y#z"), "a%2F..%2Fb%3Fx%3D1%26y%23z");
        assert_eq!(encode("tok en+/="), "tok%20en%2B%2F%3D");
    }

    #[test]
    fn credentials_go_only_to_the_https_api_origin() {
        let client = |root: &str| {
            Client::new(
                crate::bigquery::Endpoint::new(root, "p"),
                Credentials::Token("t".into()),
            )
        };
        let google = client("https://bigquery.googleapis.com");
        assert!(google.may_authorize("https://bigquery.googleapis.com/bigquery/v2/projects/p"));
        assert!(google.may_authorize("https://BigQuery.googleapis.com/upload/x?y=1"));
        assert!(!google.may_authorize("http://bigquery.googleapis.com/bigquery/v2"));
        assert!(!google.may_authorize("https://evil.example/upload"));
        assert!(!google.may_authorize("https://bigquery.googleapis.com.evil.example/x"));
        assert!(!google.may_authorize("https://bigquery.googleapis.com:8443/x"));
        assert!(!google.may_authorize("https://user@evil.example/x"));
        assert!(!google.credentials_ignored());
        let emulator = client("127.0.0.1:9050");
        assert!(!emulator.may_authorize("http://127.0.0.1:9050/bigquery/v2/projects/p"));
        assert!(emulator.credentials_ignored());
    }

    #[test]
    fn null_parameters_have_no_value() {
        let p = Param::new("user_id", "STRING", None).to_json();
        assert_eq!(p["parameterValue"], json!({}));
        let p = Param::new("campaign_id", "INT64", Some("3".into())).to_json();
        assert_eq!(p["parameterValue"]["value"], "3");
    }
}

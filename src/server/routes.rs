//! The routes of `perx serve`, their parameters and errors, and the middleware every
//! request goes through (load shedding, timeout, token, body size, access log).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use chrono_tz::Tz;

use perx::core::timerange::{DEFAULT_TZ, LocalDateRange, parse_tz};
use perx::report::output::JsonSink;
use perx::report::{Bucket, EngagementQuery, ReportRow, SessionRow, WeeklyQuery};
use perx::store::session_browse::{SessionFilter, SessionSort};

use super::state::{Data, Served};
use crate::cli::recommend::movielens_user_arg;
use crate::cli::report::{date_arg, user_id_arg};

/// Every route: (method, path as in the OpenAPI document). The router is built from the
/// same handlers and a test checks the document lists exactly these.
pub const ROUTES: [(&str, &str); 8] = [
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/openapi.json"),
    ("get", "/v1/movielens/users/{id}/recommendations"),
    ("get", "/v1/platform/users/{id}/rewards"),
    ("get", "/v1/reports/engagement"),
    ("get", "/v1/reports/weekly"),
    ("get", "/v1/reports/sessions"),
];

/// The admin route (token required).
pub const ADMIN_RELOAD: &str = "/v1/admin/reload";

/// The OpenAPI document.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The limits and settings the middleware applies.
#[derive(Debug, Clone)]
pub struct Limits {
    pub timeout: Duration,
    pub max_body: u64,
    pub token: Option<Arc<[u8]>>,
    pub access_log: bool,
}

/// Shared by every handler.
pub struct App {
    pub served: Arc<Served>,
    pub limits: Limits,
    /// Requests being answered at most; more are shed with 503.
    pub in_flight: Arc<tokio::sync::Semaphore>,
}

/// An error answer: `{"error": {"code", "message"}}` with its status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_parameter", message)
    }

    fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// A failure of ours: logged in full, answered without internals.
    fn internal(e: impl std::fmt::Display) -> ApiError {
        errln!("perx serve: internal error: {e}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the request failed inside perx; the server log says why",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        let mut r = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

type Answer = Result<Response, ApiError>;

/// A JSON body.
fn json(body: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// The query parameters, refusing unknown names (a typo must not silently change the
/// answer) and repeats.
fn params(raw: Option<String>, allowed: &[&str]) -> Result<HashMap<String, String>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| ApiError::bad("the query string is not valid URL encoding"))?;
    let mut out = HashMap::new();
    for (k, v) in pairs {
        if !allowed.contains(&k.as_str()) {
            return Err(ApiError::bad(format!(
                "unknown parameter {:?}; this route takes: {}",
                perx::term::visible(&k),
                allowed.join(", ")
            )));
        }
        if out.insert(k.clone(), v).is_some() {
            return Err(ApiError::bad(format!("parameter {k} is given twice")));
        }
    }
    Ok(out)
}

fn date(p: &HashMap<String, String>, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    p.get(name)
        .map(|s| date_arg(s).map_err(|e| ApiError::bad(format!("{name}: {e}"))))
        .transpose()
}

fn tz(p: &HashMap<String, String>) -> Result<Tz, ApiError> {
    match p.get("tz") {
        Some(s) => parse_tz(s).map_err(|e| ApiError::bad(format!("tz: {e}"))),
        None => Ok(DEFAULT_TZ),
    }
}

fn boolean(p: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    match p.get(name).map(String::as_str) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") | Some("") => Ok(true),
        Some(other) => Err(ApiError::bad(format!(
            "{name}={:?}: write true or false",
            perx::term::visible(other)
        ))),
    }
}

fn k_param(p: &HashMap<String, String>) -> Result<usize, ApiError> {
    match p.get("k") {
        None => Ok(10),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|k| (1..=1000).contains(k))
            .ok_or_else(|| {
                ApiError::bad(format!(
                    "k={:?}: a number from 1 to 1000",
                    perx::term::visible(s)
                ))
            }),
    }
}

fn user_id(id: &str) -> Result<(), ApiError> {
    user_id_arg(id).map_err(|e| ApiError::bad(format!("user id {e}")))
}

/// The state being served, or 503 while it loads.
fn data(app: &App) -> Result<Arc<Data>, ApiError> {
    app.served.current().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "starting",
            "the models are still loading; retry shortly",
        )
    })
}

/// Runs `f` on a pooled connection (on a blocking thread); its failure, or the pool's, is
/// an internal error.
async fn on_store<T, E>(
    d: &Data,
    f: impl FnOnce(&perx::store::Store) -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    d.pool
        .run(f)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// The answer of the routes that need the HTTP log when none is loaded.
fn no_log() -> ApiError {
    ApiError::not_found("the database holds no HTTP log: load one with `perx load --data DIR`")
}

/// A report written by the CLI's JSON sink, as `{"rows": [...]}` (plus `extra` fields).
fn rows_body<R: ReportRow>(
    rows: impl FnOnce(&mut dyn perx::report::ReportSink<R>) -> Result<(), String>,
    extra: &str,
) -> Result<Bytes, String> {
    let mut out = b"{\"rows\": ".to_vec();
    {
        let mut sink = JsonSink::new(&mut out);
        rows(&mut sink)?;
    }
    while out.last() == Some(&b'\n') {
        out.pop();
    }
    out.extend_from_slice(extra.as_bytes());
    out.extend_from_slice(b"}\n");
    Ok(Bytes::from(out))
}

async fn healthz() -> Response {
    json(Bytes::from_static(b"{\"status\": \"up\"}\n"))
}

async fn readyz(State(app): State<Arc<App>>) -> Answer {
    let d = data(&app)?;
    let body = serde_json::json!({
        "status": "ready",
        "movies": d.movies.is_some(),
        "rewards": d.rewards.is_some(),
    });
    Ok(json(Bytes::from(body.to_string())))
}

async fn openapi() -> Response {
    json(Bytes::from_static(OPENAPI.as_bytes()))
}

async fn movie_recommendations(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Answer {
    let p = params(q, &["k", "explain"])?;
    let user = movielens_user_arg(&id).map_err(ApiError::bad)?;
    let k = k_param(&p)?;
    let explain = boolean(&p, "explain")?;
    let d = data(&app)?;
    let key = format!("m/{user}/{k}/{explain}");
    if let Some(body) = d.cached(&key) {
        return Ok(json(body));
    }
    let movies = d.movies.as_ref().ok_or_else(|| {
        ApiError::not_found(
            "the database has no MovieLens ratings: load them with `perx movielens load --dir DIR`",
        )
    })?;
    if !movies.known.contains(&user) {
        return Err(ApiError::not_found(format!(
            "user {user} is not in the MovieLens data; user ids run from 1 to 6040 in MovieLens 1M"
        )));
    }
    let rec = &movies.rec;
    let result = rec
        .recommend(user, k)
        .unwrap_or_else(|_| rec.recommend_for(&[], k));
    let because =
        |movie: u32| crate::cli::answers::movie_because(rec, user, &result, explain, movie);
    let body = Bytes::from(crate::cli::answers::movies_json(
        user,
        &result,
        &movies.titles,
        explain,
        &because,
    ));
    d.keep(key, body.clone());
    Ok(json(body))
}

async fn platform_rewards(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Answer {
    let p = params(q, &["k", "explain"])?;
    user_id(&id)?;
    let k = k_param(&p)?;
    let explain = boolean(&p, "explain")?;
    let d = data(&app)?;
    let key = format!("r/{id}/{k}/{explain}");
    if let Some(body) = d.cached(&key) {
        return Ok(json(body));
    }
    if d.rewards.is_none() {
        return Err(no_log());
    }
    let who = id.clone();
    let history = on_store(&d, move |s| s.reward_history(&who))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user {id} is not in the HTTP log")))?;
    let model = d
        .rewards
        .as_ref()
        .ok_or_else(|| ApiError::internal("no model"))?;
    let result = model.recommend(&history, k);
    let because = |reward: i64| crate::cli::answers::reward_because(model, &history, reward);
    let explain = explain && result.basis == perx::core::rewards::RewardBasis::Model;
    let body = Bytes::from(crate::cli::answers::rewards_json(
        &id, &result, explain, &because,
    ));
    d.keep(key, body.clone());
    Ok(json(body))
}

async fn engagement(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let p = params(q, &["campaign", "from", "to", "tz", "by", "status"])?;
    let campaign: i64 = p
        .get("campaign")
        .ok_or_else(|| ApiError::bad("campaign is required (a campaign id)"))?
        .parse()
        .map_err(|_| ApiError::bad("campaign: a campaign id is a number"))?;
    let (Some(from), Some(to)) = (date(&p, "from")?, date(&p, "to")?) else {
        return Err(ApiError::bad(
            "from and to are required: whole days YYYY-MM-DD in tz, both inclusive",
        ));
    };
    let tz = tz(&p)?;
    let range = LocalDateRange::new(from, to, tz).map_err(|e| ApiError::bad(e.to_string()))?;
    let by = match p.get("by").map(String::as_str) {
        None | Some("date-hour") => Bucket::DateHour,
        Some("hour-of-day") => Bucket::HourOfDay,
        Some("weekday-hour") => Bucket::WeekdayHour,
        Some(other) => {
            return Err(ApiError::bad(format!(
                "by={:?}: one of date-hour, hour-of-day, weekday-hour",
                perx::term::visible(other)
            )));
        }
    };
    let q = EngagementQuery {
        campaign_id: campaign,
        range,
        status: p.get("status").cloned(),
        by,
    };
    let d = data(&app)?;
    let key = format!("e/{campaign}/{from}/{to}/{tz}/{:?}/{:?}", q.by, q.status);
    if let Some(body) = d.cached(&key) {
        return Ok(json(body));
    }
    let body = on_store(&d, move |s| -> Result<Option<Bytes>, String> {
        if !s.campaign_exists(campaign).map_err(|e| e.to_string())? {
            return Ok(None);
        }
        rows_body(
            |sink| {
                s.engagement(&q, sink)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            },
            "",
        )
        .map(Some)
    })
    .await?
    .ok_or_else(|| ApiError::not_found(format!("campaign {campaign} is not in the data")))?;
    d.keep(key, body.clone());
    Ok(json(body))
}

async fn weekly(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let p = params(q, &["tz", "reward"])?;
    let q = WeeklyQuery {
        tz: tz(&p)?,
        reward: p.get("reward").cloned(),
    };
    let d = data(&app)?;
    let key = format!("w/{}/{:?}", q.tz, q.reward);
    if let Some(body) = d.cached(&key) {
        return Ok(json(body));
    }
    let body = on_store(&d, move |s| {
        rows_body(
            |sink| s.weekly(&q, sink).map(|_| ()).map_err(|e| e.to_string()),
            "",
        )
    })
    .await?;
    d.keep(key, body.clone());
    Ok(json(body))
}

/// Sessions per page by default, and at most.
const PAGE: u64 = 100;
const MAX_PAGE: u64 = 1000;

/// A page token: the position after the last session of the page, marked with the loads
/// it belongs to (a token from before a reload is refused rather than misread).
fn page_token(d: &Data, key: i64) -> String {
    use sha2::Digest as _;
    let mark = sha2::Sha256::digest(d.loads.as_bytes());
    format!(
        "{key}.{:02x}{:02x}{:02x}{:02x}",
        mark[0], mark[1], mark[2], mark[3]
    )
}

fn read_token(d: &Data, token: &str) -> Result<i64, ApiError> {
    let bad = || {
        ApiError::bad(
            "page_token is not one this server gave, or the data was reloaded since: start again without it",
        )
    };
    let (key, _) = token.split_once('.').ok_or_else(bad)?;
    let key: i64 = key.parse().map_err(|_| bad())?;
    if page_token(d, key) != token {
        return Err(bad());
    }
    Ok(key)
}

async fn sessions(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let p = params(
        q,
        &[
            "user",
            "from",
            "to",
            "tz",
            "driven_only",
            "page_token",
            "page_size",
        ],
    )?;
    if let Some(u) = p.get("user") {
        user_id(u)?;
    }
    let span = match (date(&p, "from")?, date(&p, "to")?) {
        (Some(f), Some(t)) => Some(
            LocalDateRange::new(f, t, tz(&p)?)
                .map_err(|e| ApiError::bad(e.to_string()))?
                .to_utc(),
        ),
        (None, None) => None,
        _ => return Err(ApiError::bad("from and to go together")),
    };
    let size = match p.get("page_size") {
        None => PAGE,
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| ApiError::bad(format!("page_size: a number from 1 to {MAX_PAGE}")))?,
    };
    let filter = SessionFilter {
        user_id: p.get("user").cloned(),
        driven_only: boolean(&p, "driven_only")?,
        span,
        ..SessionFilter::default()
    };
    let d = data(&app)?;
    if d.rewards.is_none() {
        return Err(no_log());
    }
    let after = match p.get("page_token") {
        Some(t) => read_token(&d, t)?,
        None => 0,
    };
    let dd = Arc::clone(&d);
    let body = on_store(&d, move |s| -> Result<Bytes, String> {
        let mut page = s
            .session_page(&filter, SessionSort::Report, after, false, size + 1)
            .map_err(|e| e.to_string())?;
        let more = page.len() as u64 > size;
        page.truncate(size as usize);
        let next = match (more, page.last()) {
            (true, Some(last)) => {
                format!(", \"next_page_token\": \"{}\"", page_token(&dd, last.key))
            }
            _ => ", \"next_page_token\": null".to_owned(),
        };
        rows_body::<SessionRow>(
            |sink| {
                sink.begin(SessionRow::columns(()))
                    .and_then(|()| page.iter().try_for_each(|b| sink.row(&b.session)))
                    .and_then(|()| sink.end())
                    .map_err(|e| e.to_string())
            },
            &next,
        )
    })
    .await?;
    Ok(json(body))
}

async fn reload(State(app): State<Arc<App>>) -> Answer {
    if app.limits.token.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "no_token",
            "reloading over HTTP needs --token-file; send SIGHUP to the process instead",
        ));
    }
    let r = app
        .served
        .reload(super::log_line)
        .await
        .map_err(|e| ApiError::internal(format!("{e:#}")))?;
    Ok(json(Bytes::from(
        serde_json::to_string(&r).unwrap_or_default() + "\n",
    )))
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route; GET /openapi.json lists them")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; GET /openapi.json lists them",
    )
}

/// Whether `given` is `Bearer <token>`, compared in constant time.
fn authorised(token: &[u8], given: Option<&HeaderValue>) -> bool {
    use subtle::ConstantTimeEq as _;
    let Some(v) = given.and_then(|v| v.as_bytes().strip_prefix(b"Bearer ")) else {
        return false;
    };
    v.len() == token.len() && bool::from(v.ct_eq(token))
}

/// Every request: health checks pass straight through; the rest are shed with 503 when
/// `in_flight` are being answered, checked for the token, the body size and time, and
/// logged (method, path, status, µs) to stderr.
async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let response = if path == "/healthz" || path == "/readyz" {
        next.run(req).await
    } else {
        guarded(&app, req, next).await
    };
    if app.limits.access_log {
        errln!(
            "{method} {} {} {}µs",
            perx::term::visible(&path),
            response.status().as_u16(),
            started.elapsed().as_micros()
        );
    }
    response
}

async fn guarded(app: &App, req: Request, next: Next) -> Response {
    let Ok(_permit) = Arc::clone(&app.in_flight).try_acquire_owned() else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "too many requests in flight; retry after a second",
        )
        .into_response();
    };
    // With a token, every route but the document needs it; without one, the admin route
    // answers 403 itself.
    if req.uri().path() != "/openapi.json"
        && let Some(token) = &app.limits.token
        && !authorised(token, req.headers().get(header::AUTHORIZATION))
    {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            "send the token: Authorization: Bearer <token>",
        )
        .into_response();
    }
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    if length.is_some_and(|n| n > app.limits.max_body) || chunked {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "request bodies are limited to {} bytes (and must give their length)",
                app.limits.max_body
            ),
        )
        .into_response();
    }
    let req = req.map(|b| {
        Body::new(http_body_util::Limited::new(
            b,
            app.limits.max_body as usize,
        ))
    });
    match tokio::time::timeout(app.limits.timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "the answer took longer than {} ms; retry, or narrow the request",
                app.limits.timeout.as_millis()
            ),
        )
        .into_response(),
    }
}

/// The router.
pub fn router(app: Arc<App>) -> Router {
    let r = Router::new()
        .route(ROUTES[0].1, get(healthz))
        .route(ROUTES[1].1, get(readyz))
        .route(ROUTES[2].1, get(openapi))
        .route(ROUTES[3].1, get(movie_recommendations))
        .route(ROUTES[4].1, get(platform_rewards))
        .route(ROUTES[5].1, get(engagement))
        .route(ROUTES[6].1, get(weekly))
        .route(ROUTES[7].1, get(sessions))
        .route(ADMIN_RELOAD, post(reload))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    r.layer(axum::middleware::from_fn_with_state(
        Arc::clone(&app),
        guard,
    ))
    .with_state(app)
}

/// The methods a route answers, for the OpenAPI check.
#[cfg(test)]
fn methods() -> Vec<(axum::http::Method, &'static str)> {
    ROUTES
        .iter()
        .map(|(m, p)| {
            let m = axum::http::Method::from_bytes(m.to_uppercase().as_bytes());
            (m.unwrap_or(axum::http::Method::GET), *p)
        })
        .chain([(axum::http::Method::POST, ADMIN_RELOAD)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_lists_exactly_the_routes() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        let mut documented: Vec<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, ops)| {
                ops.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| (m.to_uppercase(), path.clone()))
            })
            .collect();
        documented.sort();
        let mut served: Vec<(String, String)> = methods()
            .into_iter()
            .map(|(m, p)| (m.to_string(), p.to_owned()))
            .collect();
        served.sort();
        assert_eq!(documented, served);
    }

    #[test]
    fn the_token_must_match_whole() {
        let t = b"s3cret";
        let h = |s: &str| HeaderValue::from_str(s).unwrap();
        assert!(authorised(t, Some(&h("Bearer s3cret"))));
        assert!(!authorised(t, Some(&h("Bearer s3cre"))));
        assert!(!authorised(t, Some(&h("Bearer s3cret2"))));
        assert!(!authorised(t, Some(&h("s3cret"))));
        assert!(!authorised(t, None));
    }

    #[test]
    fn unknown_and_repeated_parameters_are_refused() {
        assert!(params(Some("k=3".into()), &["k"]).is_ok());
        let e = params(Some("kk=3".into()), &["k"]).unwrap_err();
        assert!(e.message.contains("unknown parameter"), "{}", e.message);
        let e = params(Some("k=3&k=4".into()), &["k"]).unwrap_err();
        assert!(e.message.contains("twice"));
    }
}

//! The routes of the HTTP API: one table ([`ROUTES`]) of method, path, query parameters
//! and handler, which the router is built from and the OpenAPI document is checked against;
//! the handlers; and the middleware every request goes through (load shedding, timeout,
//! token, body size, access log).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};

use super::Log;
use super::error::{ApiError, Logged};
use super::params::{Params, user_id};
use super::state::{Data, Served};
use crate::report::output::JsonSink;
use crate::report::{Bucket, EngagementQuery, ReportRow, ReportSink, SessionRow, WeeklyQuery};
use crate::store::Store;
use crate::store::session_browse::{PageKey, ReportKey, SessionFilter, SessionSort};

/// One route: what it answers to, the query parameters it takes, and its handler.
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path, as in the OpenAPI document (`{id}` for a path parameter).
    pub path: &'static str,
    /// The query parameters it takes (any other is a 400).
    pub params: &'static [&'static str],
    /// The handler.
    handler: fn() -> MethodRouter<Arc<App>>,
}

const NO_PARAMS: &[&str] = &[];
const LIST_PARAMS: &[&str] = &["k", "explain"];
const ENGAGEMENT_PARAMS: &[&str] = &["campaign", "from", "to", "tz", "by", "status"];
const WEEKLY_PARAMS: &[&str] = &["tz", "reward"];
const SESSIONS_PARAMS: &[&str] = &[
    "user",
    "from",
    "to",
    "tz",
    "driven_only",
    "page_token",
    "page_size",
];

/// The admin route (token required).
pub const ADMIN_RELOAD: &str = "/v1/admin/reload";

/// Every route. A new route is a row here, its handler, and its test.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        path: "/healthz",
        params: NO_PARAMS,
        handler: || get(healthz),
    },
    Route {
        method: Method::GET,
        path: "/readyz",
        params: NO_PARAMS,
        handler: || get(readyz),
    },
    Route {
        method: Method::GET,
        path: "/openapi.json",
        params: NO_PARAMS,
        handler: || get(openapi),
    },
    Route {
        method: Method::GET,
        path: "/v1/movielens/users/{id}/recommendations",
        params: LIST_PARAMS,
        handler: || get(movie_recommendations),
    },
    Route {
        method: Method::GET,
        path: "/v1/platform/users/{id}/rewards",
        params: LIST_PARAMS,
        handler: || get(platform_rewards),
    },
    Route {
        method: Method::GET,
        path: "/v1/reports/engagement",
        params: ENGAGEMENT_PARAMS,
        handler: || get(engagement),
    },
    Route {
        method: Method::GET,
        path: "/v1/reports/weekly",
        params: WEEKLY_PARAMS,
        handler: || get(weekly),
    },
    Route {
        method: Method::GET,
        path: "/v1/reports/sessions",
        params: SESSIONS_PARAMS,
        handler: || get(sessions),
    },
    Route {
        method: Method::POST,
        path: ADMIN_RELOAD,
        params: NO_PARAMS,
        handler: || post(reload),
    },
];

/// The OpenAPI document.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The limits and settings the middleware applies.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest time for one answer (then 503, and its query is interrupted).
    pub timeout: Duration,
    /// Largest request body.
    pub max_body: u64,
    /// The bearer token every `/v1` route needs, if any.
    pub token: Option<Arc<[u8]>>,
    /// One line per request through `log`.
    pub access_log: bool,
}

/// Shared by every handler.
pub struct App {
    /// The state answers come from, replaced whole by a reload.
    pub served: Arc<Served>,
    /// The limits.
    pub limits: Limits,
    /// Requests being answered at most; more are shed with 503.
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// Where the server's lines go (failures, reloads).
    pub log: Log,
    /// Where the access log's lines go (`GET /v1/reports/weekly 200 412µs`).
    pub access: Log,
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

/// The state being served, or 503 while it loads.
fn data(app: &App) -> Result<Arc<Data>, ApiError> {
    app.served.current().ok_or(ApiError::Starting)
}

/// Runs `f` on a pooled connection (on a blocking thread); its error converts to the
/// API's by kind.
async fn on_store<T, E>(
    d: &Data,
    f: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    d.pool.run(f).await?.map_err(Into::into)
}

/// The answer of the routes that need the HTTP log when none is loaded.
fn no_log() -> ApiError {
    ApiError::NotFound(
        "the database holds no HTTP log: load one with `perx load --data DIR`".into(),
    )
}

/// A report written by the CLI's JSON sink, as `{"rows": [...]}` (plus `extra` fields).
fn rows_body<R: ReportRow, E>(
    rows: impl FnOnce(&mut dyn ReportSink<R>) -> Result<(), E>,
    extra: &str,
) -> Result<Bytes, E> {
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
    let (idle, free, size) = d.pool.status();
    let body = serde_json::json!({
        "status": "ready",
        "movies": d.movies.is_some(),
        "rewards": d.rewards.is_some(),
        "reward_model": d.rewards.as_ref().map(crate::answers::reward_model_note),
        "ingest": {"last_batch": d.batches.0, "reward_model_batch": d.batches.1},
        "pool": {"size": size, "idle": idle, "free_permits": free},
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
    let p = Params::parse(q, LIST_PARAMS)?;
    let user = crate::core::movielens::parse_user_id(&id).map_err(ApiError::BadParameter)?;
    let k = p.k()?;
    let explain = p.boolean("explain")?;
    let d = data(&app)?;
    let key = format!("m/{user}/{k}/{explain}");
    if let Some(body) = d.cached(&key) {
        return Ok(json(body));
    }
    let movies = d.movies.as_ref().ok_or_else(|| {
        ApiError::NotFound(
            "the database has no MovieLens ratings: load them with `perx movielens load --dir DIR`"
                .into(),
        )
    })?;
    if !movies.known.contains(&user) {
        return Err(ApiError::NotFound(format!(
            "user {user} is not in the MovieLens data; user ids run from 1 to 6040 in MovieLens 1M"
        )));
    }
    let rec = &movies.rec;
    let result = crate::answers::movie_list(rec, user, k);
    let because = |movie: u32| crate::answers::movie_because(rec, user, &result, explain, movie);
    let body = Bytes::from(crate::answers::movies_json(
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
    let p = Params::parse(q, LIST_PARAMS)?;
    user_id(&id)?;
    let k = p.k()?;
    let explain = p.boolean("explain")?;
    let d = data(&app)?;
    let key = format!("r/{id}/{k}/{explain}");
    if let Some(body) = d.cached(&key) {
        return Ok(json(body));
    }
    let Some(model) = d.rewards.as_ref() else {
        return Err(no_log());
    };
    let who = id.clone();
    let history = on_store(&d, move |s| s.reward_history(&who))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {id} is not in the HTTP log")))?;
    let result = model.recommend(&history, k);
    let fitted_on = crate::answers::FittedOn::of(d.batches.1, d.batches.0);
    let body = Bytes::from(crate::answers::rewards_json(
        &id,
        &result,
        model,
        &history,
        explain,
        fitted_on.as_ref(),
    ));
    d.keep(key, body.clone());
    Ok(json(body))
}

async fn engagement(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let p = Params::parse(q, ENGAGEMENT_PARAMS)?;
    let campaign: i64 = p
        .get("campaign")
        .ok_or_else(|| ApiError::BadParameter("campaign is required (a campaign id)".into()))?
        .parse()
        .map_err(|_| ApiError::BadParameter("campaign: a campaign id is a number".into()))?;
    let range = p.range()?.ok_or_else(|| {
        ApiError::BadParameter(
            "from and to are required: whole days YYYY-MM-DD in tz, both inclusive".into(),
        )
    })?;
    let by = match p.get("by") {
        None | Some("date-hour") => Bucket::DateHour,
        Some("hour-of-day") => Bucket::HourOfDay,
        Some("weekday-hour") => Bucket::WeekdayHour,
        Some(other) => {
            return Err(ApiError::BadParameter(format!(
                "by={:?}: one of date-hour, hour-of-day, weekday-hour",
                crate::term::visible(other)
            )));
        }
    };
    let q = EngagementQuery {
        campaign_id: campaign,
        range,
        status: p.get("status").map(str::to_owned),
        by,
    };
    let d = data(&app)?;
    let key = format!(
        "e/{campaign}/{}/{}/{}/{}/{:?}",
        q.range.from(),
        q.range.to(),
        q.range.tz(),
        q.by.as_str(),
        q.status
    );
    if let Some(body) = d.cached(&key) {
        return Ok(json(body));
    }
    let body = on_store(&d, move |s| -> Result<Option<Bytes>, ApiError> {
        if !s.campaign_exists(campaign)? {
            return Ok(None);
        }
        let body = rows_body(|sink| s.engagement(&q, sink).map(|_| ()), "")?;
        Ok(Some(body))
    })
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("campaign {campaign} is not in the data")))?;
    d.keep(key, body.clone());
    Ok(json(body))
}

async fn weekly(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let p = Params::parse(q, WEEKLY_PARAMS)?;
    let q = WeeklyQuery {
        tz: p.tz()?,
        reward: p.get("reward").map(str::to_owned),
    };
    let d = data(&app)?;
    let key = format!("w/{}/{:?}", q.tz, q.reward);
    if let Some(body) = d.cached(&key) {
        return Ok(json(body));
    }
    let body = on_store(&d, move |s| {
        rows_body(|sink| s.weekly(&q, sink).map(|_| ()), "")
    })
    .await?;
    d.keep(key, body.clone());
    Ok(json(body))
}

/// Sessions per page by default, and at most.
const PAGE: u64 = 100;
const MAX_PAGE: u64 = 1000;

/// A page token: the key of the last session of the page (its user's order, the user id
/// and its start), marked with the loads it belongs to (a token from before a reload or
/// an ingest is refused rather than misread).
fn page_token(d: &Data, key: &ReportKey) -> String {
    use sha2::Digest as _;
    let mark = sha2::Sha256::digest(d.loads.as_bytes());
    format!(
        "{}_{}_{}_{}.{:02x}{:02x}{:02x}{:02x}",
        key.user_num,
        u8::from(key.spelled),
        key.start_us,
        key.user_id,
        mark[0],
        mark[1],
        mark[2],
        mark[3]
    )
}

fn read_token(d: &Data, token: &str) -> Result<ReportKey, ApiError> {
    let bad = || {
        ApiError::BadParameter(
            "page_token is not one this server gave, or the data was reloaded since: start again without it"
                .into(),
        )
    };
    let (key, _) = token.split_once('.').ok_or_else(bad)?;
    let mut parts = key.splitn(4, '_');
    let mut next = || parts.next().ok_or_else(bad);
    let user_num: i128 = next()?.parse().map_err(|_| bad())?;
    let spelled = match next()? {
        "0" => false,
        "1" => true,
        _ => return Err(bad()),
    };
    let start_us: i64 = next()?.parse().map_err(|_| bad())?;
    let user_id = next()?.to_owned();
    let key = ReportKey {
        user_num,
        spelled,
        user_id,
        start_us,
    };
    if page_token(d, &key) != token {
        return Err(bad());
    }
    Ok(key)
}

async fn sessions(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Answer {
    let p = Params::parse(q, SESSIONS_PARAMS)?;
    if let Some(u) = p.get("user") {
        user_id(u)?;
    }
    let span = p.range()?.map(|r| r.to_utc());
    let size = p.count("page_size", PAGE, MAX_PAGE)?;
    let filter = SessionFilter {
        user_id: p.get("user").map(str::to_owned),
        driven_only: p.boolean("driven_only")?,
        span,
        ..SessionFilter::default()
    };
    let d = data(&app)?;
    if d.rewards.is_none() {
        return Err(no_log());
    }
    let after = match p.get("page_token") {
        Some(t) => PageKey::Report(read_token(&d, t)?),
        None => PageKey::First,
    };
    let dd = Arc::clone(&d);
    let body = on_store(&d, move |s| -> Result<Bytes, ApiError> {
        let mut page = s.session_page(&filter, SessionSort::Report, &after, false, size + 1)?;
        let more = page.len() as u64 > size;
        page.truncate(usize::try_from(size).unwrap_or(usize::MAX));
        let next = match (more, page.last()) {
            (true, Some(last)) => format!(
                ", \"next_page_token\": \"{}\"",
                page_token(&dd, &ReportKey::of(&last.session))
            ),
            _ => ", \"next_page_token\": null".to_owned(),
        };
        let body = rows_body::<SessionRow, std::io::Error>(
            |sink| {
                sink.begin(SessionRow::columns(()))?;
                page.iter().try_for_each(|b| sink.row(&b.session))?;
                sink.end()
            },
            &next,
        )
        .map_err(|e| ApiError::Internal(format!("writing the sessions page: {e}")))?;
        Ok(body)
    })
    .await?;
    Ok(json(body))
}

async fn reload(State(app): State<Arc<App>>) -> Answer {
    if app.limits.token.is_none() {
        return Err(ApiError::NoToken);
    }
    let r = app.served.reload(app.log).await.map_err(|e| {
        let message = crate::error_chain(&e);
        (app.log)(format!("POST {ADMIN_RELOAD}: {message}"));
        if e.is_refused() {
            ApiError::ReloadRefused(message)
        } else {
            ApiError::Internal(message)
        }
    })?;
    let body = serde_json::to_string(&r)
        .map_err(|e| ApiError::Internal(format!("writing the reload's answer: {e}")))?;
    Ok(json(Bytes::from(body + "\n")))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; GET /openapi.json lists them".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// The router: every row of [`ROUTES`], behind the middleware.
pub fn router(app: Arc<App>) -> Router {
    let r = ROUTES
        .iter()
        .fold(Router::new(), |r, route| {
            r.route(route.path, (route.handler)())
        })
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    r.layer(axum::middleware::from_fn_with_state(
        Arc::clone(&app),
        guard,
    ))
    .with_state(app)
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
/// logged (method, path, status, µs), with the cause of a failure of ours.
async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let response = if path == "/healthz" || path == "/readyz" {
        next.run(req).await
    } else {
        guarded(&app, req, next).await
    };
    if let Some(Logged(why)) = response.extensions().get::<Logged>() {
        (app.log)(format!(
            "internal error: {method} {}: {why}",
            crate::term::visible(&path)
        ));
    }
    if app.limits.access_log {
        (app.access)(format!(
            "{method} {} {} {}µs",
            crate::term::visible(&path),
            response.status().as_u16(),
            started.elapsed().as_micros()
        ));
    }
    response
}

async fn guarded(app: &App, req: Request, next: Next) -> Response {
    let Ok(_permit) = Arc::clone(&app.in_flight).try_acquire_owned() else {
        return ApiError::Overloaded.into_response();
    };
    // With a token, every route but the document needs it; without one, the admin route
    // answers 403 itself.
    if req.uri().path() != "/openapi.json"
        && let Some(token) = &app.limits.token
        && !authorised(token, req.headers().get(header::AUTHORIZATION))
    {
        return ApiError::Unauthorised.into_response();
    }
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    if length.is_some_and(|n| n > app.limits.max_body) || chunked {
        return ApiError::TooLarge(app.limits.max_body).into_response();
    }
    let limit = usize::try_from(app.limits.max_body).unwrap_or(usize::MAX);
    let req = req.map(|b| Body::new(http_body_util::Limited::new(b, limit)));
    match tokio::time::timeout(app.limits.timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::Timeout(app.limits.timeout.as_millis()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> serde_json::Value {
        serde_json::from_str(OPENAPI).unwrap()
    }

    /// The document lists exactly the routes of the table, and each route's query
    /// parameters are the ones its handler takes.
    #[test]
    fn the_openapi_document_lists_exactly_the_routes_and_their_parameters() {
        let doc = document();
        let mut documented: Vec<(String, String, Vec<String>)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, ops)| {
                ops.as_object().unwrap().iter().map(move |(m, op)| {
                    let mut params: Vec<String> = op["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|p| p["in"] == "query")
                        .map(|p| p["name"].as_str().unwrap().to_owned())
                        .collect();
                    params.sort();
                    (m.to_uppercase(), path.clone(), params)
                })
            })
            .collect();
        documented.sort();
        let mut served: Vec<(String, String, Vec<String>)> = ROUTES
            .iter()
            .map(|r| {
                let mut params: Vec<String> = r.params.iter().map(|p| p.to_string()).collect();
                params.sort();
                (r.method.to_string(), r.path.to_owned(), params)
            })
            .collect();
        served.sort();
        assert_eq!(documented, served);
    }

    /// The document's enums are serde's spellings of every variant (one spelling, snake
    /// case, in the answers and the document alike).
    #[test]
    fn the_openapi_enums_are_the_answers_spellings() {
        use crate::core::recommend::Basis;
        use crate::core::rewards::{RewardBasis, RewardSource};
        fn spelled<T: serde::Serialize>(all: &[T]) -> Vec<serde_json::Value> {
            all.iter()
                .map(|v| serde_json::to_value(v).unwrap())
                .collect()
        }
        // Exhaustive matches: a new variant fails to compile here until it is listed.
        let reward_bases = [
            RewardBasis::Model,
            RewardBasis::ModelThenFallback,
            RewardBasis::ViewedCampaigns,
            RewardBasis::Popular,
        ];
        for b in reward_bases {
            match b {
                RewardBasis::Model
                | RewardBasis::ModelThenFallback
                | RewardBasis::ViewedCampaigns
                | RewardBasis::Popular => {}
            }
        }
        let sources = [
            RewardSource::Model,
            RewardSource::ViewedCampaigns,
            RewardSource::Popular,
        ];
        for s in sources {
            match s {
                RewardSource::Model | RewardSource::ViewedCampaigns | RewardSource::Popular => {}
            }
        }
        let movie_bases = [Basis::Model, Basis::Popularity];
        for b in movie_bases {
            match b {
                Basis::Model | Basis::Popularity => {}
            }
        }
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let en = |v: &serde_json::Value| v["enum"].as_array().unwrap().clone();
        assert_eq!(
            en(&schemas["RewardList"]["properties"]["basis"]),
            spelled(&reward_bases)
        );
        assert_eq!(
            en(&schemas["RewardList"]["properties"]["items"]["items"]["properties"]["source"]),
            spelled(&sources)
        );
        assert_eq!(
            en(&schemas["MovieList"]["properties"]["basis"]),
            spelled(&movie_bases)
        );
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
}

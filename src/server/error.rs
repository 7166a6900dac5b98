//! The API's errors: one variant per way a request can fail, each with its status and its
//! code in the JSON answer `{"error": {"code", "message"}}`. The store's, the reports' and
//! the recommender's errors convert into them, so a handler says `?` and the status follows
//! from what went wrong: a bad parameter is 400, something missing 404, a failure of ours
//! 500 (logged in full by the access log, answered without internals).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::recommender::ModelError;
use crate::store::StoreError;
use crate::store::reports::ReportError;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A parameter is missing, unknown, repeated or not well formed.
    #[error("{0}")]
    BadParameter(String),
    /// The route, the user, the campaign or the data asked for is not there.
    #[error("{0}")]
    NotFound(String),
    /// A `/v1` route without the right bearer token.
    #[error("send the token: Authorization: Bearer <token>")]
    Unauthorised,
    /// `POST /v1/admin/reload` on a server started without a token.
    #[error("reloading over HTTP needs --token-file; send SIGHUP to the process instead")]
    NoToken,
    /// A method the route does not take.
    #[error("this route does not take that method; GET /openapi.json lists them")]
    MethodNotAllowed,
    /// A request body over the limit (or without a length).
    #[error("request bodies are limited to {0} bytes (and must give their length)")]
    TooLarge(u64),
    /// The models are still loading.
    #[error("the models are still loading; retry shortly")]
    Starting,
    /// More requests in flight than `--concurrency`.
    #[error("too many requests in flight; retry after a second")]
    Overloaded,
    /// The answer took longer than `--timeout-ms` (its query was interrupted).
    #[error("the answer took longer than {0} ms; retry, or narrow the request")]
    Timeout(u128),
    /// A reload found no perx database at the path: the old data are still served.
    #[error("{0}")]
    ReloadRefused(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A report failed (an unknown campaign or reward is a 404).
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A model could not be read or trained.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Anything else that is ours (a database task that panicked, the pool).
    #[error("{0}")]
    Internal(String),
}

/// What the access log prints for a failure of ours (kept out of the answer).
#[derive(Debug, Clone)]
pub struct Logged(pub String);

impl ApiError {
    /// The HTTP status and the code in the JSON answer.
    fn kind(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadParameter(_) => (StatusCode::BAD_REQUEST, "bad_parameter"),
            ApiError::NotFound(_)
            | ApiError::Report(
                ReportError::UnknownCampaign { .. } | ReportError::UnknownReward { .. },
            ) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Unauthorised => (StatusCode::UNAUTHORIZED, "unauthorised"),
            ApiError::NoToken => (StatusCode::FORBIDDEN, "no_token"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::Starting => (StatusCode::SERVICE_UNAVAILABLE, "starting"),
            ApiError::Overloaded => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
            ApiError::Timeout(_) => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            ApiError::ReloadRefused(_) => (StatusCode::CONFLICT, "reload_refused"),
            ApiError::Store(_)
            | ApiError::Report(_)
            | ApiError::Model(_)
            | ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.kind().0
    }

    /// The code in the JSON answer.
    pub fn code(&self) -> &'static str {
        self.kind().1
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let internal = status == StatusCode::INTERNAL_SERVER_ERROR;
        let message = if internal {
            "the request failed inside perx; the server log says why".to_owned()
        } else {
            self.to_string()
        };
        let body = serde_json::json!({"error": {"code": self.code(), "message": message}});
        let mut r = (status, axum::Json(body)).into_response();
        if internal {
            r.extensions_mut().insert(Logged(crate::error_chain(&self)));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_has_its_status() {
        let unknown = ApiError::from(ReportError::UnknownCampaign {
            id: 9,
            known: "1, 2".into(),
        });
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        assert_eq!(unknown.code(), "not_found");
        let store = ApiError::from(StoreError::Invalid("disk on fire".into()));
        assert_eq!(store.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let r = store.into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let logged = r.extensions().get::<Logged>().unwrap();
        assert!(logged.0.contains("disk on fire"), "{logged:?}");
        assert_eq!(
            ApiError::BadParameter("k".into()).status(),
            StatusCode::BAD_REQUEST
        );
        let busy = ApiError::Overloaded.into_response();
        assert_eq!(busy.headers()[header::RETRY_AFTER], "1");
    }
}

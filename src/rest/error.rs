//! Connect's error body `{"error_code": N, "message": "..."}` for every failure, and the JSON
//! body extractor that maps bad requests to it (415, 400, 413) instead of axum's plain text.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;

use crate::herder::HerderError;

/// A failed request, rendered as Connect's ErrorMessage.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// A distributed worker that cannot serve the request: where it should go instead
    /// (`super::forward`); `Some(None)` when no target is known (409).
    pub forward: Option<Option<String>>,
}

/// Put on a response whose request must be forwarded (`super::forward` reads it).
#[derive(Debug, Clone)]
pub struct ForwardTo(pub Option<String>);

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            forward: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// What Connect (Jersey) answers for a path it does not serve.
    pub fn no_route() -> Self {
        Self::not_found("HTTP 404 Not Found")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error_code": self.status.as_u16(),
            "message": self.message,
        });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(target) = self.forward {
            response.extensions_mut().insert(ForwardTo(target));
        }
        response
    }
}

impl From<HerderError> for ApiError {
    fn from(e: HerderError) -> Self {
        let status = match &e {
            HerderError::NotFound(_) => StatusCode::NOT_FOUND,
            HerderError::AlreadyExists(_) => StatusCode::CONFLICT,
            HerderError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HerderError::Storage(_)
            | HerderError::Join(_)
            | HerderError::Kafka(_)
            | HerderError::Secrets(_) => StatusCode::INTERNAL_SERVER_ERROR,
            HerderError::Forward { .. } => StatusCode::CONFLICT,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "request failed");
        }
        let forward = match &e {
            HerderError::Forward { url } => Some(url.clone()),
            _ => None,
        };
        ApiError {
            forward,
            ..ApiError::new(status, e.to_string())
        }
    }
}

/// A JSON request body; failures answer in Connect's error shape.
pub struct ConnectJson<T>(pub T);

impl<S, T> FromRequest<S> for ConnectJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ConnectJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "HTTP 415 Unsupported Media Type",
        ),
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(format!(
            "Malformed JSON in the request body: {}",
            e.body_text()
        )),
        JsonRejection::JsonDataError(e) => ApiError::bad_request(format!(
            "Unexpected JSON in the request body: {}",
            e.body_text()
        )),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "HTTP 413 Payload Too Large: the request body exceeds {} bytes",
                super::BODY_LIMIT
            ),
        ),
        other => ApiError::new(other.status(), other.body_text()),
    }
}

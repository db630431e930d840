//! Request forwarding between the workers of a cluster (Connect's `HerderRequestHandler`): a
//! write this worker cannot make (the herder's `HerderError::Forward`) is sent again, same
//! method, path, query and body, to the leader or the task's owner, with `forward=true` on
//! the first hop and `forward=false` on the second; a request that arrived with
//! `forward=false`, or with no known target (a rebalance under way), is answered 409. Only
//! the `Authorization` header travels with it, as in Connect.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, ForwardTo};
use super::{RestState, BODY_LIMIT};

/// How long a forwarded request may take (Connect's `REQUEST_TIMEOUT_MS`, 90 s).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(90);

fn conflict() -> Response {
    ApiError::new(
        StatusCode::CONFLICT,
        "Cannot complete request because of a conflicting operation (e.g. worker rebalance)",
    )
    .into_response()
}

/// The middleware: runs the handler, and forwards when its answer says so.
pub async fn forward(State(state): State<RestState>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("HTTP 413 Payload Too Large: the request body exceeds {BODY_LIMIT} bytes"),
            )
            .into_response()
        }
    };
    let response = next
        .run(Request::from_parts(
            parts.clone(),
            Body::from(bytes.clone()),
        ))
        .await;
    let Some(ForwardTo(target)) = response.extensions().get::<ForwardTo>().cloned() else {
        return response;
    };
    let pairs: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let forward_flag = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "forward")
        .map(|(_, v)| v.eq_ignore_ascii_case("true"));
    let Some(target) = target else {
        return conflict();
    };
    if forward_flag == Some(false) {
        // The second hop could not serve it either: the cluster is changing.
        return conflict();
    }
    let query = {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.iter().filter(|(k, _)| k != "forward") {
            query.append_pair(k, v);
        }
        // Only a request that came from a user (no flag) may be forwarded once more.
        query.append_pair(
            "forward",
            if forward_flag.is_none() {
                "true"
            } else {
                "false"
            },
        );
        query.finish()
    };
    let url = format!(
        "{}{}?{query}",
        target.trim_end_matches('/'),
        parts.uri.path()
    );
    tracing::debug!(%url, method = %parts.method, "forwarding the request");
    let client = state.forward_client();
    let mut out = client
        .request(parts.method.clone(), &url)
        .timeout(FORWARD_TIMEOUT)
        .body(bytes.to_vec());
    for name in [header::AUTHORIZATION, header::CONTENT_TYPE] {
        if let Some(v) = parts.headers.get(&name) {
            out = out.header(name, v);
        }
    }
    match out.send().await {
        Ok(answer) => {
            let status = answer.status();
            let mut response = Response::builder().status(status.as_u16());
            for name in [header::CONTENT_TYPE, header::LOCATION] {
                if let Some(v) = answer.headers().get(&name) {
                    response = response.header(name, v);
                }
            }
            for v in answer.headers().get_all("warning") {
                response = response.header("warning", v);
            }
            let body = answer.bytes().await.unwrap_or_default();
            response
                .body(Body::from(body))
                .unwrap_or_else(|_| conflict())
        }
        Err(e) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("IO Error trying to forward REST request: {e}"),
        )
        .into_response(),
    }
}

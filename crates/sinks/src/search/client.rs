//! The engine's HTTP API through `reqwest`: the URLs of `connection.url` taken in turn, basic
//! authentication, gzip request bodies (`connection.compression`), and retries of what may pass
//! (connection errors, timeouts, 429 and 5xx) `max.retries` times with a doubling, jittered
//! backoff from `retry.backoff.ms`, as Confluent's `RetryUtil` does.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use cdc_core::Secret;
use reqwest::{Method, StatusCode};

use super::config::SearchSinkConfig;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Still failing after every retry, for a reason that may pass (the engine away, busy).
    #[error("{what} failed after {attempts} attempts: {last}")]
    Exhausted {
        what: String,
        attempts: u32,
        last: String,
    },
    /// The engine refused the request itself.
    #[error("{what} was refused with HTTP {status}: {reason}")]
    Refused {
        what: String,
        status: u16,
        reason: String,
    },
}

/// A client of one engine (several URLs of the same cluster).
pub struct SearchClient {
    http: reqwest::Client,
    urls: Vec<reqwest::Url>,
    next: AtomicUsize,
    user: Option<(String, Option<Secret>)>,
    compression: bool,
    max_retries: u32,
    backoff: Duration,
}

impl SearchClient {
    pub fn new(config: &SearchSinkConfig) -> Result<SearchClient, String> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connection_timeout)
            .read_timeout(config.read_timeout.max(Duration::from_millis(1)))
            .pool_idle_timeout(config.max_idle);
        if config.read_timeout.is_zero() {
            builder = builder.read_timeout(Duration::from_secs(24 * 3600));
        }
        let http = builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(SearchClient {
            http,
            urls: config.urls.clone(),
            next: AtomicUsize::new(0),
            user: config
                .username
                .clone()
                .map(|u| (u, config.password.clone())),
            compression: config.compression,
            max_retries: config.max_retries,
            backoff: config.retry_backoff,
        })
    }

    /// Sends a request to `path` (relative to a URL of `connection.url`), retrying what may
    /// pass; returns the status and body of any answer that is not a 429 or 5xx.
    pub async fn send(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Option<(&[u8], &'static str)>,
    ) -> Result<(StatusCode, Bytes), RequestError> {
        let body = match body {
            Some((b, ct)) if self.compression => Some((Bytes::from(gzip(b)), ct)),
            Some((b, ct)) => Some((Bytes::copy_from_slice(b), ct)),
            None => None,
        };
        let mut attempt = 0;
        loop {
            let url = self.url(path);
            let mut req = self.http.request(method.clone(), url);
            if let Some((user, password)) = &self.user {
                req = req.basic_auth(user, password.as_ref().map(Secret::expose));
            }
            if let Some((b, ct)) = &body {
                req = req.header("content-type", *ct).body(b.clone());
                if self.compression {
                    req = req.header("content-encoding", "gzip");
                }
            }
            let last = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    match resp.bytes().await {
                        Ok(bytes)
                            if status != StatusCode::TOO_MANY_REQUESTS
                                && !status.is_server_error() =>
                        {
                            return Ok((status, bytes))
                        }
                        Ok(bytes) => format!("HTTP {status}: {}", error_type(&bytes)),
                        Err(e) => format!("reading the answer failed: {e}"),
                    }
                }
                Err(e) => format!("{e}"),
            };
            attempt += 1;
            if attempt > self.max_retries {
                return Err(RequestError::Exhausted {
                    what: what.to_owned(),
                    attempts: attempt,
                    last,
                });
            }
            let delay = self.delay(attempt);
            tracing::warn!(what, attempt, retry_in_ms = delay.as_millis() as u64, error = %last,
                "search engine request failed; retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// Like [`SearchClient::send`], and an answer other than 2xx is an error.
    pub async fn send_ok(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Option<(&[u8], &'static str)>,
    ) -> Result<Bytes, RequestError> {
        let (status, bytes) = self.send(what, method, path, body).await?;
        if status.is_success() {
            Ok(bytes)
        } else {
            Err(RequestError::Refused {
                what: what.to_owned(),
                status: status.as_u16(),
                reason: error_type(&bytes),
            })
        }
    }

    /// `max.retries`.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    fn url(&self, path: &str) -> reqwest::Url {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.urls.len();
        let base = &self.urls[i];
        let mut url = base.clone();
        let prefix = base.path().trim_end_matches('/');
        let (p, q) = path
            .split_once('?')
            .map_or((path, None), |(p, q)| (p, Some(q)));
        url.set_path(&format!("{prefix}/{}", p.trim_start_matches('/')));
        url.set_query(q);
        url
    }

    /// The wait before retry `attempt` (1-based): `retry.backoff.ms` doubled per attempt, with
    /// jitter in its upper half, at most a day.
    fn delay(&self, attempt: u32) -> Duration {
        let base = self.backoff.as_millis() as u64;
        let max = base
            .saturating_mul(1u64 << attempt.min(30))
            .min(24 * 3600 * 1000);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::from(d.subsec_nanos()));
        let half = max / 2;
        Duration::from_millis(half + if half > 0 { nanos % (half + 1) } else { 0 })
    }
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(b).expect("writing to a Vec");
    enc.finish().expect("writing to a Vec")
}

/// The `error.type` and `error.reason` of an engine's error answer (or its first bytes).
pub fn error_type(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(j) if j["error"].is_object() => format!(
            "{}: {}",
            j["error"]["type"].as_str().unwrap_or("unknown"),
            j["error"]["reason"].as_str().unwrap_or("")
        ),
        _ => String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
    }
}

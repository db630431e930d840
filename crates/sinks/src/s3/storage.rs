//! The bucket: uploads of whole objects over HTTP, signed with AWS Signature V4 by `rusty-s3`
//! (presigned URLs, sans-IO) and sent with `reqwest`.
//!
//! An object no larger than `s3.part.size` is one `PUT`; a larger one is a multipart upload in
//! parts of `s3.part.size` bytes (the last smaller), completed in one request, and aborted when
//! a part fails. Writing an object under a name that exists replaces it: a replay rewrites the
//! same bytes under the same names.

use std::time::Duration;

use cdc_core::{ConnectorError, Retry};
use reqwest::{StatusCode, Url};
use rusty_s3::actions::{CreateMultipartUpload, S3Action as _};
use rusty_s3::{Bucket, Credentials, UrlStyle};
use tracing::{debug, warn};

use super::config::StoreConfig;
use super::spool::Object;

/// How long a signed request stays valid.
const SIGNED_FOR: Duration = Duration::from_secs(15 * 60);

/// A failed request to the bucket.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("bucket {bucket:?} does not exist at {url}")]
    NoBucket { bucket: String, url: String },
    #[error("{operation} {key:?} was refused: HTTP {status}: {body}")]
    Refused {
        operation: &'static str,
        key: String,
        status: u16,
        body: String,
    },
    #[error("{operation} {key:?} failed: HTTP {status}: {body}")]
    Server {
        operation: &'static str,
        key: String,
        status: u16,
        body: String,
    },
    #[error("{operation} {key:?} could not reach the bucket")]
    Connection {
        operation: &'static str,
        key: String,
        #[source]
        cause: reqwest::Error,
    },
    #[error("the answer to {operation} {key:?} could not be read: {why}")]
    Answer {
        operation: &'static str,
        key: String,
        why: String,
    },
    #[error("store.url {url:?} with bucket {bucket:?} is not a usable endpoint: {why}")]
    Endpoint {
        url: String,
        bucket: String,
        why: String,
    },
}

impl StorageError {
    fn retry(&self) -> Retry {
        match self {
            StorageError::Server { .. } | StorageError::Connection { .. } => Retry::Transient,
            StorageError::NoBucket { .. }
            | StorageError::Refused { .. }
            | StorageError::Answer { .. }
            | StorageError::Endpoint { .. } => Retry::Fatal,
        }
    }

    pub fn into_connector_error(self) -> ConnectorError {
        ConnectorError::new(self.retry(), self)
    }
}

/// The bucket the sink writes to.
pub struct Storage {
    http: reqwest::Client,
    bucket: Bucket,
    credentials: Option<Credentials>,
    part_size: usize,
    retries: u32,
    backoff: Duration,
}

impl Storage {
    /// Opens nothing: checks the endpoint and makes the HTTP client.
    pub fn new(config: &StoreConfig) -> Result<Self, StorageError> {
        let endpoint_error = |why: String| StorageError::Endpoint {
            url: config.url.clone(),
            bucket: config.bucket.clone(),
            why,
        };
        let url: Url = config
            .url
            .parse()
            .map_err(|e| endpoint_error(format!("{e}")))?;
        let style = if config.path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let bucket = Bucket::new(url, style, config.bucket.clone(), config.region.clone())
            .map_err(|e| endpoint_error(format!("{e:?}")))?;
        let credentials = config
            .credentials
            .as_ref()
            .map(|(key, secret, token)| match token {
                Some(t) => Credentials::new_with_token(key.clone(), secret.expose(), t.expose()),
                None => Credentials::new(key.clone(), secret.expose()),
            });
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| endpoint_error(format!("cannot make an HTTP client: {e}")))?;
        Ok(Storage {
            http,
            bucket,
            credentials,
            part_size: config.part_size,
            retries: config.part_retries,
            backoff: Duration::from_millis(config.retry_backoff_ms),
        })
    }

    /// Checks that the bucket exists (`HEAD` on it).
    pub async fn check_bucket(&self) -> Result<(), StorageError> {
        let url = self
            .bucket
            .head_bucket(self.credentials.as_ref())
            .sign(SIGNED_FOR);
        let answer = self
            .send("HEAD bucket", "", || self.http.head(url.clone()))
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(StorageError::Refused { status: 404, .. }) => Err(StorageError::NoBucket {
                bucket: self.bucket.name().to_owned(),
                url: self.bucket.base_url().to_string(),
            }),
            Err(e) => Err(e),
        }
    }

    /// Writes `object` as `key` (one PUT, or a multipart upload above `s3.part.size`). An
    /// object in a scratch file is streamed from it, never read whole into memory.
    pub async fn upload(&self, key: &str, object: &Object) -> Result<(), StorageError> {
        let len = object.len();
        if len <= self.part_size as u64 {
            let url = self
                .bucket
                .put_object(self.credentials.as_ref(), key)
                .sign(SIGNED_FOR);
            self.send("PUT", key, || {
                self.http
                    .put(url.clone())
                    .header(reqwest::header::CONTENT_LENGTH, len)
                    .body(body(object, 0, len))
            })
            .await?;
            return Ok(());
        }
        self.multipart(key, object).await
    }

    async fn multipart(&self, key: &str, object: &Object) -> Result<(), StorageError> {
        let create = self
            .bucket
            .create_multipart_upload(self.credentials.as_ref(), key);
        let url = create.sign(SIGNED_FOR);
        let answer = self
            .send("CreateMultipartUpload", key, || self.http.post(url.clone()))
            .await?;
        let created =
            CreateMultipartUpload::parse_response(&answer).map_err(|e| StorageError::Answer {
                operation: "CreateMultipartUpload",
                key: key.to_owned(),
                why: e.to_string(),
            })?;
        let upload_id = created.upload_id().to_owned();
        let parts = self.upload_parts(key, &upload_id, object).await;
        let etags = match parts {
            Ok(etags) => etags,
            Err(e) => {
                let abort = self
                    .bucket
                    .abort_multipart_upload(self.credentials.as_ref(), key, &upload_id)
                    .sign(SIGNED_FOR);
                if let Err(a) = self
                    .send("AbortMultipartUpload", key, || {
                        self.http.delete(abort.clone())
                    })
                    .await
                {
                    warn!(error = %a, key, "could not abort a failed multipart upload");
                }
                return Err(e);
            }
        };
        let complete = self.bucket.complete_multipart_upload(
            self.credentials.as_ref(),
            key,
            &upload_id,
            etags.iter().map(String::as_str),
        );
        let url = complete.sign(SIGNED_FOR);
        let body = complete.body();
        let answer = self
            .send("CompleteMultipartUpload", key, || {
                self.http.post(url.clone()).body(body.clone())
            })
            .await?;
        // S3 may answer 200 with an error document when completing fails late.
        if answer.contains("<Error>") {
            return Err(StorageError::Server {
                operation: "CompleteMultipartUpload",
                key: key.to_owned(),
                status: 200,
                body: answer,
            });
        }
        debug!(key, parts = etags.len(), "multipart upload completed");
        Ok(())
    }

    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        object: &Object,
    ) -> Result<Vec<String>, StorageError> {
        let mut etags = Vec::new();
        let mut start = 0u64;
        let mut number: u16 = 1;
        let total = object.len();
        while start < total {
            let len = (self.part_size as u64).min(total - start);
            let url = self
                .bucket
                .upload_part(self.credentials.as_ref(), key, number, upload_id)
                .sign(SIGNED_FOR);
            let etag = self
                .send_for_etag("UploadPart", key, || {
                    self.http
                        .put(url.clone())
                        .header(reqwest::header::CONTENT_LENGTH, len)
                        .body(body(object, start, len))
                })
                .await?;
            etags.push(etag);
            start += len;
            number = number.checked_add(1).ok_or_else(|| StorageError::Refused {
                operation: "UploadPart",
                key: key.to_owned(),
                status: 0,
                body: "more than 65535 parts: raise s3.part.size".into(),
            })?;
        }
        Ok(etags)
    }

    /// Sends a request (made anew for each attempt), retrying server errors and lost
    /// connections `s3.part.retries` times; the answer's body.
    async fn send(
        &self,
        operation: &'static str,
        key: &str,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<String, StorageError> {
        self.attempts(operation, key, request)
            .await
            .map(|(body, _)| body)
    }

    async fn send_for_etag(
        &self,
        operation: &'static str,
        key: &str,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<String, StorageError> {
        let (_, etag) = self.attempts(operation, key, request).await?;
        etag.ok_or_else(|| StorageError::Answer {
            operation,
            key: key.to_owned(),
            why: "no ETag header".into(),
        })
    }

    async fn attempts(
        &self,
        operation: &'static str,
        key: &str,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(String, Option<String>), StorageError> {
        let mut attempt = 0;
        let mut delay = self.backoff;
        loop {
            let result = self.once(operation, key, request()).await;
            match result {
                Err(e) if e.retry() == Retry::Transient && attempt < self.retries => {
                    attempt += 1;
                    debug!(error = %e, attempt, "S3 request failed; trying again");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
                other => return other,
            }
        }
    }

    async fn once(
        &self,
        operation: &'static str,
        key: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<(String, Option<String>), StorageError> {
        let connection = |cause| StorageError::Connection {
            operation,
            key: key.to_owned(),
            cause,
        };
        let response = request.send().await.map_err(connection)?;
        let status = response.status();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.map_err(connection)?;
        if status.is_success() {
            return Ok((body, etag));
        }
        let body: String = body.chars().take(500).collect();
        let transient = status.is_server_error()
            || status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::REQUEST_TIMEOUT;
        Err(if transient {
            StorageError::Server {
                operation,
                key: key.to_owned(),
                status: status.as_u16(),
                body,
            }
        } else {
            StorageError::Refused {
                operation,
                key: key.to_owned(),
                status: status.as_u16(),
                body,
            }
        })
    }
}

/// A request body of `len` bytes of `object` from `start`: the bytes themselves when in
/// memory, else read from the scratch file in chunks of 1 MiB as the request goes out.
fn body(object: &Object, start: u64, len: u64) -> reqwest::Body {
    const CHUNK: u64 = 1 << 20;
    match object {
        Object::Memory(b) => {
            let from = (start as usize).min(b.len());
            let to = from.saturating_add(len as usize).min(b.len());
            reqwest::Body::from(b.slice(from..to))
        }
        Object::File { .. } => {
            let object = object.clone();
            let end = start + len;
            let chunks = futures::stream::unfold(start, move |at| {
                let object = object.clone();
                async move {
                    if at >= end {
                        return None;
                    }
                    let n = CHUNK.min(end - at);
                    let read = tokio::task::spawn_blocking(move || object.read(at, n as usize))
                        .await
                        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
                    Some((read, at + n))
                }
            });
            reqwest::Body::wrap_stream(chunks)
        }
    }
}

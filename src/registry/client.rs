//! The converters' view of a schema registry: the embedded [`Registry`] called in-process, or a
//! Confluent-compatible registry over HTTP (`schema.registry.url`, basic auth). Calls block the
//! calling thread (conversion runs on the blocking pool); the converter caches ids, so they
//! happen once per schema, not per record.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use base64::Engine as _;
use serde_json::{json, Value as Json};

use super::{normalize, Registry, RegistryError, VersionRef};
use crate::log::EmbeddedLog;

/// What a converter asks of a registry.
pub trait RegistryClient: Send + Sync {
    /// Registers (or finds) `schema` under `subject`; its id.
    fn register(&self, subject: &str, schema: &str) -> Result<u32, RegistryError>;
    /// The id of `schema` under `subject`, without registering it.
    fn lookup(&self, subject: &str, schema: &str) -> Result<u32, RegistryError>;
    /// The latest version of `subject`: (id, schema text).
    fn latest(&self, subject: &str) -> Result<(u32, String), RegistryError>;
    /// The schema with this id.
    fn schema(&self, id: u32) -> Result<String, RegistryError>;
    /// Where it is, for messages.
    fn describe(&self) -> String;
}

impl RegistryClient for Registry {
    fn register(&self, subject: &str, schema: &str) -> Result<u32, RegistryError> {
        Registry::register(self, subject, schema)
    }
    fn lookup(&self, subject: &str, schema: &str) -> Result<u32, RegistryError> {
        Registry::lookup(self, subject, schema, false).map(|v| v.id)
    }
    fn latest(&self, subject: &str) -> Result<(u32, String), RegistryError> {
        let v = self.version(subject, VersionRef::Latest, false)?;
        Ok((v.id, v.schema.to_string()))
    }
    fn schema(&self, id: u32) -> Result<String, RegistryError> {
        Registry::schema(self, id).map(|s| s.to_string())
    }
    fn describe(&self) -> String {
        "the embedded schema registry".into()
    }
}

/// Registries of the logs open in this process, one per data directory (two instances over
/// one log would hand out the same ids twice).
static EMBEDDED: OnceLock<Mutex<HashMap<PathBuf, Weak<super::Inner>>>> = OnceLock::new();

impl Registry {
    /// The embedded registry of `log`'s data directory, shared by everyone in this process.
    pub fn of(log: &EmbeddedLog) -> Result<Registry, RegistryError> {
        let map = EMBEDDED.get_or_init(Default::default);
        let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
        map.retain(|_, w| w.strong_count() > 0);
        if let Some(inner) = map.get(log.dir()).and_then(Weak::upgrade) {
            return Ok(Registry { inner });
        }
        let r = Registry::open(log.clone())?;
        map.insert(log.dir().to_owned(), Arc::downgrade(&r.inner));
        Ok(r)
    }
}

/// Basic auth for a remote registry (`basic.auth.credentials.source`, `basic.auth.user.info`).
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BasicAuth({}:[hidden])", self.user)
    }
}

/// A Confluent-compatible registry over HTTP. The first URL that answers is used.
pub struct HttpRegistry {
    urls: Vec<String>,
    auth: Option<BasicAuth>,
    http: reqwest::Client,
}

impl HttpRegistry {
    pub fn new(urls: Vec<String>, auth: Option<BasicAuth>) -> HttpRegistry {
        HttpRegistry {
            urls: urls
                .into_iter()
                .map(|u| u.trim_end_matches('/').to_owned())
                .collect(),
            auth,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
        }
    }

    /// One request, trying each URL in turn; Confluent's error body becomes the error.
    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Json>,
    ) -> Result<Json, RegistryError> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| RegistryError::Remote {
            url: self.describe(),
            message: "no async runtime to make the request on".into(),
        })?;
        let mut last = None;
        for url in &self.urls {
            let mut req = self
                .http
                .request(method.clone(), format!("{url}{path}"))
                .header("Accept", super::api::CONTENT_TYPE);
            if let Some(a) = &self.auth {
                let token = base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", a.user, a.password));
                req = req.header("Authorization", format!("Basic {token}"));
            }
            if let Some(b) = &body {
                req = req
                    .header("Content-Type", super::api::CONTENT_TYPE)
                    .body(b.to_string());
            }
            let result = handle.block_on(async move {
                let resp = req.send().await?;
                let status = resp.status();
                let text = resp.text().await?;
                Ok::<_, reqwest::Error>((status, text))
            });
            match result {
                Ok((status, text)) => {
                    let json: Json = serde_json::from_str(&text).unwrap_or(Json::String(text));
                    if status.is_success() {
                        return Ok(json);
                    }
                    return Err(remote_error(url, status.as_u16(), &json));
                }
                Err(e) => {
                    last = Some(RegistryError::Unavailable {
                        url: url.clone(),
                        message: format!("request failed: {e}"),
                    })
                }
            }
        }
        Err(last.unwrap_or_else(|| RegistryError::Remote {
            url: String::new(),
            message: "no schema.registry.url".into(),
        }))
    }
}

/// Confluent's `{"error_code", "message"}` back into an error: not-found codes map to their
/// variants (the converter tells them apart), the rest keep the remote's message.
fn remote_error(url: &str, status: u16, body: &Json) -> RegistryError {
    let code = body["error_code"].as_u64().unwrap_or(u64::from(status));
    let message = body["message"].as_str().unwrap_or("").to_owned();
    match code {
        40401 => RegistryError::SubjectNotFound(message),
        40403 => RegistryError::SchemaNotFound(message),
        409 => RegistryError::Incompatible {
            subject: String::new(),
            details: vec![message],
        },
        _ if status >= 500 || status == 408 || status == 429 => RegistryError::Unavailable {
            url: url.to_owned(),
            message: format!("HTTP {status}, error_code {code}: {message}"),
        },
        _ => RegistryError::Remote {
            url: url.to_owned(),
            message: format!("HTTP {status}, error_code {code}: {message}"),
        },
    }
}

fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl RegistryClient for HttpRegistry {
    fn register(&self, subject: &str, schema: &str) -> Result<u32, RegistryError> {
        let body = self.call(
            reqwest::Method::POST,
            &format!("/subjects/{}/versions", encode(subject)),
            Some(json!({"schema": schema})),
        )?;
        id_of(&body)
    }
    fn lookup(&self, subject: &str, schema: &str) -> Result<u32, RegistryError> {
        let body = self.call(
            reqwest::Method::POST,
            &format!("/subjects/{}", encode(subject)),
            Some(json!({"schema": schema})),
        )?;
        id_of(&body)
    }
    fn latest(&self, subject: &str) -> Result<(u32, String), RegistryError> {
        let body = self.call(
            reqwest::Method::GET,
            &format!("/subjects/{}/versions/latest", encode(subject)),
            None,
        )?;
        let schema = body["schema"].as_str().unwrap_or_default().to_owned();
        Ok((id_of(&body)?, schema))
    }
    fn schema(&self, id: u32) -> Result<String, RegistryError> {
        let body = self.call(reqwest::Method::GET, &format!("/schemas/ids/{id}"), None)?;
        Ok(body["schema"].as_str().unwrap_or_default().to_owned())
    }
    fn describe(&self) -> String {
        self.urls.join(",")
    }
}

fn id_of(body: &Json) -> Result<u32, RegistryError> {
    body["id"]
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| RegistryError::Remote {
            url: String::new(),
            message: format!("the answer has no schema id: {body}"),
        })
}

/// Whether two schema texts are the same schema once normalized.
pub fn same_schema(a: &str, b: &str) -> bool {
    match (normalize(a), normalize(b)) {
        (Ok((a, _)), Ok((b, _))) => a == b,
        _ => false,
    }
}

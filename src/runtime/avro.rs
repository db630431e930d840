//! Confluent's `io.confluent.connect.avro.AvroConverter`: its settings from Kafka Connect's
//! property names, and the conversion of a key or value to Confluent's wire format (magic byte
//! 0, the schema id big-endian, the Avro datum), with the schema registered under the subject
//! its subject-name strategy gives.
//!
//! Schema ids are cached per (Connect schema, topic), so the registry is asked once per table
//! schema and topic; a new column gives a new Connect schema, which registers a new version.

use std::collections::HashMap;
use std::sync::Arc;

use cdc_core::avro::{self, AvroDataError};
use cdc_core::{ConfigReader, Data, Schema};

use super::retry::TransientRetry;
use crate::registry::client::{same_schema, BasicAuth, HttpRegistry, RegistryClient};
use crate::registry::{Registry, RegistryError};

/// Confluent's Avro converter class.
pub const AVRO_CONVERTER: &str = "io.confluent.connect.avro.AvroConverter";

const TOPIC_NAME_STRATEGY: &str = "io.confluent.kafka.serializers.subject.TopicNameStrategy";
const RECORD_NAME_STRATEGY: &str = "io.confluent.kafka.serializers.subject.RecordNameStrategy";
const TOPIC_RECORD_NAME_STRATEGY: &str =
    "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy";

/// How the subject of a key or value schema is named (`key.subject.name.strategy`,
/// `value.subject.name.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubjectNameStrategy {
    /// `<topic>-key` / `<topic>-value`
    #[default]
    Topic,
    /// the record's full name
    Record,
    /// `<topic>-<record full name>`
    TopicRecord,
}

impl SubjectNameStrategy {
    pub fn subject(self, topic: &str, is_key: bool, schema: &Schema) -> String {
        match self {
            SubjectNameStrategy::Topic => {
                format!("{topic}-{}", if is_key { "key" } else { "value" })
            }
            SubjectNameStrategy::Record => avro::record_full_name(schema),
            SubjectNameStrategy::TopicRecord => {
                format!("{topic}-{}", avro::record_full_name(schema))
            }
        }
    }
}

/// An AvroConverter's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroSettings {
    /// `schema.registry.url` (comma-separated); empty: the worker's embedded registry.
    pub registry_urls: Vec<String>,
    pub auth: Option<BasicAuth>,
    /// `auto.register.schemas` (true).
    pub auto_register: bool,
    /// `use.latest.version` (false): use the subject's latest schema id instead of registering;
    /// the latest schema must be the record's own.
    pub use_latest_version: bool,
    pub strategy: SubjectNameStrategy,
}

/// Reads `<prefix>.converter.*` for an AvroConverter (`prefix` is `key` or `value`).
pub fn settings(r: &mut ConfigReader<'_>, prefix: &str) -> AvroSettings {
    let class = format!("{prefix}.converter");
    let url_prop = format!("{class}.schema.registry.url");
    let mut urls = Vec::new();
    let mut url_auth = None;
    for url in r.list(&url_prop) {
        match split_user_info(&url) {
            Some((clean, auth)) => {
                if auth.is_some() {
                    url_auth = auth;
                }
                urls.push(clean);
            }
            None => r.problem(
                &url_prop,
                format!("{url:?} is not an http:// or https:// URL"),
            ),
        }
    }
    let source = r.one_of(
        &format!("{class}.basic.auth.credentials.source"),
        "URL",
        &["URL", "USER_INFO", "SASL_INHERIT"],
    );
    let info_prop = format!("{class}.basic.auth.user.info");
    let info = r.secret(&info_prop);
    let auth = match source.as_str() {
        "USER_INFO" => match info.as_ref().map(|s| s.expose().to_owned()) {
            Some(i) => match i.split_once(':') {
                Some((user, password)) => Some(BasicAuth {
                    user: user.to_owned(),
                    password: password.to_owned(),
                }),
                None => {
                    r.problem(&info_prop, "must be <user>:<password>");
                    None
                }
            },
            None => {
                r.problem(
                    &info_prop,
                    "is required when basic.auth.credentials.source is USER_INFO",
                );
                None
            }
        },
        "SASL_INHERIT" => {
            r.problem(
                &format!("{class}.basic.auth.credentials.source"),
                "SASL_INHERIT is not supported; use URL or USER_INFO",
            );
            None
        }
        _ => url_auth,
    };
    let auto_register = r.bool(&format!("{class}.auto.register.schemas"), true);
    let use_latest_version = r.bool(&format!("{class}.use.latest.version"), false);
    let strategy_prop = format!("{class}.{prefix}.subject.name.strategy");
    let strategy = match r.string(&strategy_prop, TOPIC_NAME_STRATEGY).as_str() {
        TOPIC_NAME_STRATEGY => SubjectNameStrategy::Topic,
        RECORD_NAME_STRATEGY => SubjectNameStrategy::Record,
        TOPIC_RECORD_NAME_STRATEGY => SubjectNameStrategy::TopicRecord,
        _ => {
            r.problem(
                &strategy_prop,
                format!("must be one of: {TOPIC_NAME_STRATEGY}, {RECORD_NAME_STRATEGY}, {TOPIC_RECORD_NAME_STRATEGY}"),
            );
            SubjectNameStrategy::Topic
        }
    };
    AvroSettings {
        registry_urls: urls,
        auth,
        auto_register,
        use_latest_version,
        strategy,
    }
}

/// `http://user:pass@host:8081/` → (`http://host:8081/`, credentials); `None` if not http(s).
fn split_user_info(url: &str) -> Option<(String, Option<BasicAuth>)> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((info, host)) => {
            let (user, password) = info.split_once(':').unwrap_or((info, ""));
            Some((
                format!("{scheme}://{host}{path}"),
                Some(BasicAuth {
                    user: user.to_owned(),
                    password: password.to_owned(),
                }),
            ))
        }
        None => Some((url.to_owned(), None)),
    }
}

/// Why a record could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum AvroConvertError {
    #[error(transparent)]
    Data(#[from] AvroDataError),
    #[error("schema registry ({registry}) refused the schema of subject {subject:?}")]
    Registry {
        registry: String,
        subject: String,
        #[source]
        source: RegistryError,
    },
    #[error("the AvroConverter has no schema.registry.url and this worker has no embedded schema registry")]
    NoRegistry,
    #[error("use.latest.version is set, but the latest schema of subject {subject:?} (id {id}) is not the record's schema; Tributary writes records with their own schema only")]
    LatestDiffers { subject: String, id: u32 },
}

/// One side (key or value) of an AvroConverter at work.
pub struct AvroSide {
    settings: AvroSettings,
    is_key: bool,
    embedded: Option<Registry>,
    client: Option<Arc<dyn RegistryClient>>,
    /// Wire-format header (magic byte, schema id) by (Connect schema address, topic); the entry
    /// holds the schema so the address cannot be reused while cached.
    ids: HashMap<(usize, Arc<str>), CachedId>,
    retry: TransientRetry,
}

/// A cached schema (kept so its address stays unique) and its wire-format header.
type CachedId = (Arc<Schema>, Arc<[u8]>);

/// Cached (schema, topic) pairs before the cache starts over.
const ID_CACHE_ENTRIES: usize = 4096;

impl AvroSide {
    pub fn new(settings: AvroSettings, is_key: bool, embedded: Option<Registry>) -> Self {
        AvroSide {
            settings,
            is_key,
            embedded,
            client: None,
            ids: HashMap::new(),
            retry: TransientRetry::default(),
        }
    }

    /// Retries a registry that cannot be reached (or answers 5xx) as `retry` says.
    pub fn with_retry(mut self, retry: TransientRetry) -> Self {
        self.retry = retry;
        self
    }

    fn client(&mut self) -> Result<Arc<dyn RegistryClient>, AvroConvertError> {
        if let Some(c) = &self.client {
            return Ok(c.clone());
        }
        let c: Arc<dyn RegistryClient> = if self.settings.registry_urls.is_empty() {
            Arc::new(self.embedded.clone().ok_or(AvroConvertError::NoRegistry)?)
        } else {
            Arc::new(HttpRegistry::new(
                self.settings.registry_urls.clone(),
                self.settings.auth.clone(),
            ))
        };
        self.client = Some(c.clone());
        Ok(c)
    }

    fn header(
        &mut self,
        topic: &Arc<str>,
        schema: &Arc<Schema>,
    ) -> Result<Arc<[u8]>, AvroConvertError> {
        let key = (Arc::as_ptr(schema) as usize, topic.clone());
        if let Some((_, header)) = self.ids.get(&key) {
            return Ok(header.clone());
        }
        let subject = self.settings.strategy.subject(topic, self.is_key, schema);
        let text = avro::avro_schema(schema).to_string();
        let client = self.client()?;
        let registry_error = |source| AvroConvertError::Registry {
            registry: client.describe(),
            subject: subject.clone(),
            source,
        };
        // A registry outage is waited out (the conversion runs on a blocking thread).
        let started = std::time::Instant::now();
        let mut attempt = 0;
        let asked = loop {
            let asked = if self.settings.use_latest_version {
                client
                    .latest(&subject)
                    .map(|(id, latest)| (id, Some(latest)))
            } else if self.settings.auto_register {
                client.register(&subject, &text).map(|id| (id, None))
            } else {
                client.lookup(&subject, &text).map(|id| (id, None))
            };
            match asked {
                Err(e) if e.is_transient() && self.retry.retries_after(started.elapsed()) => {
                    let wait = self.retry.delay(attempt);
                    tracing::warn!(subject = %subject, error = %e, attempt = attempt + 1, wait_ms = wait.as_millis() as u64, "schema registry unavailable, asking again");
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                other => break other.map_err(registry_error)?,
            }
        };
        let id = match asked {
            (id, Some(latest)) if !same_schema(&latest, &text) => {
                return Err(AvroConvertError::LatestDiffers { subject, id });
            }
            (id, _) => id,
        };
        if self.ids.len() >= ID_CACHE_ENTRIES {
            self.ids.clear();
        }
        let mut header = Vec::with_capacity(5);
        avro::write_header(&mut header, id);
        let header: Arc<[u8]> = header.into();
        self.ids.insert(key, (schema.clone(), header.clone()));
        Ok(header)
    }

    /// Appends the Avro datum of `data` to `out`; returns the wire-format header (magic byte
    /// and schema id) that goes in front of it.
    pub fn encode_into(
        &mut self,
        topic: &Arc<str>,
        data: &Data,
        out: &mut Vec<u8>,
    ) -> Result<Arc<[u8]>, AvroConvertError> {
        let header = self.header(topic, &data.schema)?;
        avro::write_datum(out, &data.schema, &data.value)?;
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_in_the_url_becomes_basic_auth() {
        let (url, auth) = split_user_info("https://fred:s3cr:et@reg.example:8081/api").unwrap();
        assert_eq!(url, "https://reg.example:8081/api");
        let auth = auth.unwrap();
        assert_eq!(
            (auth.user.as_str(), auth.password.as_str()),
            ("fred", "s3cr:et")
        );
        assert_eq!(
            split_user_info("http://h:8081").unwrap(),
            ("http://h:8081".into(), None)
        );
        assert!(split_user_info("ftp://h").is_none());
    }

    #[test]
    fn subject_name_strategies_name_subjects_as_confluent() {
        let s = Schema::structure("p.public.t.Value");
        assert_eq!(
            SubjectNameStrategy::Topic.subject("p.public.t", false, &s),
            "p.public.t-value"
        );
        assert_eq!(
            SubjectNameStrategy::Topic.subject("p.public.t", true, &s),
            "p.public.t-key"
        );
        assert_eq!(
            SubjectNameStrategy::Record.subject("x", false, &s),
            "p.public.t.Value"
        );
        assert_eq!(
            SubjectNameStrategy::TopicRecord.subject("x", false, &s),
            "x-p.public.t.Value"
        );
    }

    // --- the converter against a registry over HTTP, with basic auth ----------------------

    use axum::http::StatusCode;
    use cdc_core::{ConfigMap, Value};

    use crate::log::EmbeddedLog;
    use crate::runtime::{Converter, Converters, RecordConverter};

    /// Our registry's REST API behind basic auth (`fred:secret`), as an external registry.
    async fn external_registry() -> (tempfile::TempDir, Registry, String) {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(EmbeddedLog::open(dir.path()).unwrap()).unwrap();
        let router =
            crate::registry::api::router(registry.clone()).layer(axum::middleware::from_fn(
                |req: axum::extract::Request, next: axum::middleware::Next| async move {
                    let expected = format!(
                        "Basic {}",
                        base64::Engine::encode(
                            &base64::engine::general_purpose::STANDARD,
                            "fred:secret"
                        )
                    );
                    let ok = req
                        .headers()
                        .get("authorization")
                        .is_some_and(|v| v.as_bytes() == expected.as_bytes());
                    if ok {
                        next.run(req).await
                    } else {
                        axum::response::IntoResponse::into_response(StatusCode::UNAUTHORIZED)
                    }
                },
            ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        (dir, registry, url)
    }

    fn converters(pairs: &[(&str, &str)]) -> Result<Converters, cdc_core::ConfigErrors> {
        let map: ConfigMap = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Converters::from_config(&map, &ConfigMap::new())
    }

    fn row(columns: usize) -> Data {
        let mut s = Schema::structure("p.public.t.Value");
        let mut values = Vec::new();
        for i in 0..columns {
            s = s.field(format!("c{i}"), Schema::int32().optional());
            values.push(Value::Int32(i as i32));
        }
        Data::new(Arc::new(s), Value::Struct(values))
    }

    async fn convert(
        rc: RecordConverter,
        data: Data,
    ) -> (RecordConverter, Result<Vec<u8>, String>) {
        tokio::task::spawn_blocking(move || {
            let mut rc = rc;
            let topic: Arc<str> = "p.public.t".into();
            let out = rc
                .value(&topic, Some(&data))
                .map(|b| b.unwrap())
                .map_err(|e| {
                    let mut chain = e.to_string();
                    let mut cause = std::error::Error::source(&e);
                    while let Some(c) = cause {
                        chain.push_str(&format!(": {c}"));
                        cause = c.source();
                    }
                    chain
                });
            (rc, out)
        })
        .await
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_external_registry_with_basic_auth_gets_each_schema_once() {
        let (_dir, registry, url) = external_registry().await;
        let c = converters(&[
            ("value.converter", AVRO_CONVERTER),
            ("value.converter.schema.registry.url", &url),
            ("value.converter.basic.auth.credentials.source", "USER_INFO"),
            ("value.converter.basic.auth.user.info", "fred:secret"),
        ])
        .unwrap();
        let rc = RecordConverter::new(c);
        let (rc, bytes) = convert(rc, row(1)).await;
        let bytes = bytes.unwrap();
        assert_eq!(&bytes[..5], &[0, 0, 0, 0, 1], "magic byte and schema id 1");
        assert_eq!(
            registry.versions("p.public.t-value", false).unwrap(),
            vec![1]
        );
        // A new column: a new Connect schema, a new version.
        let (rc, bytes) = convert(rc, row(2)).await;
        assert_eq!(&bytes.unwrap()[..5], &[0, 0, 0, 0, 2]);
        assert_eq!(
            registry.versions("p.public.t-value", false).unwrap(),
            vec![1, 2]
        );
        // Cached: the registry is not asked again for a schema it gave an id to, even when
        // it is gone.
        registry.delete_subject("p.public.t-value", false).unwrap();
        let data = row(2);
        let (rc, first) = convert(rc, data.clone()).await;
        assert!(first.is_ok(), "{first:?}");
        let (_, again) = convert(rc, data).await;
        assert!(again.is_ok(), "{again:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn credentials_come_from_the_url_and_wrong_ones_fail_naming_the_subject() {
        let (_dir, registry, url) = external_registry().await;
        let with_user = url.replace("http://", "http://fred:secret@");
        let c = converters(&[
            ("value.converter", AVRO_CONVERTER),
            ("value.converter.schema.registry.url", &with_user),
        ])
        .unwrap();
        let (_, ok) = convert(RecordConverter::new(c), row(1)).await;
        assert!(ok.is_ok(), "{ok:?}");
        let c = converters(&[
            ("value.converter", AVRO_CONVERTER),
            ("value.converter.schema.registry.url", &url),
        ])
        .unwrap();
        let (_, err) = convert(RecordConverter::new(c), row(1)).await;
        let err = err.unwrap_err();
        assert!(
            err.contains("p.public.t-value") && err.contains("401"),
            "{err}"
        );
        assert_eq!(
            registry.versions("p.public.t-value", false).unwrap(),
            vec![1]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_auto_registration_the_schema_must_exist_and_latest_must_match() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(EmbeddedLog::open(dir.path()).unwrap()).unwrap();
        let strict = converters(&[
            ("value.converter", AVRO_CONVERTER),
            ("value.converter.auto.register.schemas", "false"),
            (
                "value.converter.value.subject.name.strategy",
                RECORD_NAME_STRATEGY,
            ),
        ])
        .unwrap()
        .with_embedded_registry(registry.clone());
        let (_, err) = convert(RecordConverter::new(strict.clone()), row(1)).await;
        assert!(
            err.unwrap_err().contains("p.public.t.Value"),
            "record name strategy"
        );
        let text = cdc_core::avro::avro_schema(&row(1).schema).to_string();
        let id = registry.register("p.public.t.Value", &text).unwrap();
        let (_, ok) = convert(RecordConverter::new(strict), row(1)).await;
        assert_eq!(&ok.unwrap()[1..5], &id.to_be_bytes());

        let latest = converters(&[
            ("value.converter", AVRO_CONVERTER),
            ("value.converter.use.latest.version", "true"),
            (
                "value.converter.value.subject.name.strategy",
                TOPIC_RECORD_NAME_STRATEGY,
            ),
        ])
        .unwrap()
        .with_embedded_registry(registry.clone());
        registry
            .register("p.public.t-p.public.t.Value", &text)
            .unwrap();
        let (rc, ok) = convert(RecordConverter::new(latest), row(1)).await;
        assert!(ok.is_ok(), "{ok:?}");
        let (_, differs) = convert(rc, row(2)).await;
        assert!(differs.unwrap_err().contains("use.latest.version"));
    }

    #[test]
    fn bad_avro_settings_name_the_property() {
        let err = converters(&[
            ("value.converter", AVRO_CONVERTER),
            ("value.converter.schema.registry.url", "ftp://x"),
            ("value.converter.basic.auth.credentials.source", "USER_INFO"),
            ("value.converter.value.subject.name.strategy", "Nope"),
        ])
        .unwrap_err();
        let props: Vec<&str> = err.0.iter().map(|p| p.property.as_str()).collect();
        assert_eq!(
            props,
            vec![
                "value.converter.schema.registry.url",
                "value.converter.basic.auth.user.info",
                "value.converter.value.subject.name.strategy"
            ]
        );
        let ok = converters(&[("value.converter", AVRO_CONVERTER)]).unwrap();
        assert!(matches!(ok.value, Converter::Avro(ref a) if a.registry_urls.is_empty()));
        assert!(ok.needs_embedded_registry());
    }
}

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
    /// Schema id by (Connect schema address, topic); the entry holds the schema so the address
    /// cannot be reused while cached.
    ids: HashMap<(usize, Arc<str>), (Arc<Schema>, u32)>,
}

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
        }
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

    fn schema_id(
        &mut self,
        topic: &Arc<str>,
        schema: &Arc<Schema>,
    ) -> Result<u32, AvroConvertError> {
        let key = (Arc::as_ptr(schema) as usize, topic.clone());
        if let Some((_, id)) = self.ids.get(&key) {
            return Ok(*id);
        }
        let subject = self.settings.strategy.subject(topic, self.is_key, schema);
        let text = avro::avro_schema(schema).to_string();
        let client = self.client()?;
        let registry_error = |source| AvroConvertError::Registry {
            registry: client.describe(),
            subject: subject.clone(),
            source,
        };
        let id = if self.settings.use_latest_version {
            let (id, latest) = client.latest(&subject).map_err(registry_error)?;
            if !same_schema(&latest, &text) {
                return Err(AvroConvertError::LatestDiffers { subject, id });
            }
            id
        } else if self.settings.auto_register {
            client.register(&subject, &text).map_err(registry_error)?
        } else {
            client.lookup(&subject, &text).map_err(registry_error)?
        };
        if self.ids.len() >= ID_CACHE_ENTRIES {
            self.ids.clear();
        }
        self.ids.insert(key, (schema.clone(), id));
        Ok(id)
    }

    /// The wire-format bytes of `data` for `topic`.
    pub fn to_bytes(&mut self, topic: &Arc<str>, data: &Data) -> Result<Vec<u8>, AvroConvertError> {
        let id = self.schema_id(topic, &data.schema)?;
        let mut out = Vec::with_capacity(256);
        avro::write_header(&mut out, id);
        avro::write_datum(&mut out, &data.schema, &data.value)?;
        Ok(out)
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
}

//! Kafka Connect worker properties (`worker.properties`), read with Connect's property names.
//!
//! [`WorkerConfig::from_map`] is pure: it turns the flat map into typed settings and reports every
//! problem at once. [`WorkerConfig::load`] reads the file, then also opens what the settings name
//! (certificates, keys, the basic-auth credentials file) so that a bad path or a bad PEM is
//! reported before anything starts, together with the other problems.
//!
//! One deliberate difference from Connect: without `listeners`, Connect binds all interfaces
//! (`http://:8083`); Tributary binds loopback only (`http://127.0.0.1:8083`, DESIGN.md §6). Write
//! `listeners=http://0.0.0.0:8083` (or `http://:8083`) to listen on every interface.

use std::fmt;
use std::path::{Path, PathBuf};

use cdc_core::{ConfigErrors, ConfigMap, ConfigProblem, ConfigReader};
use tracing::{debug, info, warn};

use crate::connector_file::parse_properties;

mod security;

use security::{basic_auth, tls_settings};
pub use security::{
    BasicAuthSettings, ClientAuth, PemSource, TlsSettings, BASIC_AUTH_EXTENSION, HTTPS_PREFIX,
    JAAS_CONFIG, USERS_FILE,
};

/// The listener used when `listeners` is not set (loopback, unlike Connect: see the module docs).
pub const DEFAULT_LISTENER: &str = "http://127.0.0.1:8083";

/// Properties this module understands; everything else stays in `raw` and is logged at debug.
const KNOWN: &[&str] = &[
    "listeners",
    "rest.host.name",
    "rest.port",
    "rest.advertised.host.name",
    "rest.advertised.port",
    "rest.advertised.listener",
    "offset.storage.file.filename",
    "tributary.data.dir",
    "key.converter",
    "value.converter",
    "key.converter.schemas.enable",
    "value.converter.schemas.enable",
    "plugin.path",
    "schema.registry.listeners",
    "bootstrap.servers",
    "rest.extension.classes",
    "topic.creation.enable",
    "connector.client.config.override.policy",
    JAAS_CONFIG,
    USERS_FILE,
    crate::secrets::KEY_FILE_PROPERTY,
    crate::secrets::PREVIOUS_KEY_FILE_PROPERTY,
    crate::plugins::file_access::ALLOWED_PATHS,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn parse(s: &str) -> Option<Scheme> {
        match s.to_ascii_lowercase().as_str() {
            "http" => Some(Scheme::Http),
            "https" => Some(Scheme::Https),
            _ => None,
        }
    }
}

/// One entry of `listeners`: `scheme://host:port`. An empty host means every interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub scheme: Scheme,
    /// As written, without IPv6 brackets; empty for "all interfaces".
    pub host: String,
    /// 0 asks the operating system for a free port (tests).
    pub port: u16,
}

impl Listener {
    /// The host to bind: `0.0.0.0` when the listener names none, as Connect does.
    pub fn bind_host(&self) -> &str {
        if self.host.is_empty() {
            "0.0.0.0"
        } else {
            &self.host
        }
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(
                f,
                "{}://[{}]:{}",
                self.scheme.as_str(),
                self.host,
                self.port
            )
        } else {
            write!(f, "{}://{}:{}", self.scheme.as_str(), self.host, self.port)
        }
    }
}

/// `rest.advertised.host.name`, `rest.advertised.port`, `rest.advertised.listener`: the URL other
/// workers should use (kept for distributed mode; standalone only reports them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Advertised {
    pub host_name: Option<String>,
    pub port: Option<u16>,
    pub listener: Option<Scheme>,
}

/// The worker-level converter settings; connectors may override them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConverterSettings {
    pub key_converter: Option<String>,
    pub value_converter: Option<String>,
    pub key_schemas_enable: Option<bool>,
    pub value_schemas_enable: Option<bool>,
}

/// A worker's settings. `raw` keeps every property as written (unknown ones included), for the
/// code that reads more of them (converters, config providers).
#[derive(Clone)]
pub struct WorkerConfig {
    pub listeners: Vec<Listener>,
    pub advertised: Advertised,
    /// From `tributary.data.dir`, else the directory of `offset.storage.file.filename` (where
    /// Connect's standalone mode keeps offsets); `None` leaves it to the command line.
    pub data_dir: Option<PathBuf>,
    pub converters: ConverterSettings,
    /// `config.providers` and every `config.providers.*` property, for the config-provider code.
    pub config_providers: ConfigMap,
    /// Set when at least one listener is `https`.
    pub tls: Option<TlsSettings>,
    pub basic_auth: Option<BasicAuthSettings>,
    /// `plugin.path`: accepted and ignored (plugins are built in).
    pub plugin_path: Option<String>,
    /// `bootstrap.servers`: when set, topics are Kafka topics (`crate::kafka`).
    pub bootstrap_servers: Option<String>,
    /// `log.retention.*`: the embedded log's topic retention defaults (Kafka's broker ones).
    pub retention: crate::log::RetentionDefaults,
    /// `log.cleaner.delete.retention.ms`, `log.cleaner.min.compaction.lag.ms`: compacted
    /// topics' defaults.
    pub cleaner: crate::log::CleanerDefaults,
    pub raw: ConfigMap,
}

impl fmt::Debug for WorkerConfig {
    /// Prints the property names of `raw`, never its values (an inline key may be among them).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerConfig")
            .field("listeners", &self.listeners)
            .field("advertised", &self.advertised)
            .field("data_dir", &self.data_dir)
            .field("converters", &self.converters)
            .field("config_providers", &self.config_providers.keys())
            .field("tls", &self.tls)
            .field("basic_auth", &self.basic_auth)
            .field("plugin_path", &self.plugin_path)
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("retention", &self.retention)
            .field("raw", &self.raw.keys())
            .finish()
    }
}

impl Default for WorkerConfig {
    /// What an empty `worker.properties` gives.
    fn default() -> Self {
        WorkerConfig::from_map(ConfigMap::new(), None).expect("the empty config is valid")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerConfigError {
    #[error("cannot read worker config {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("worker config {path} is invalid:{}", list(errors))]
    Invalid { path: PathBuf, errors: ConfigErrors },
}

impl WorkerConfigError {
    /// Every problem found, when the file could be read.
    pub fn problems(&self) -> &[ConfigProblem] {
        match self {
            WorkerConfigError::Read { .. } => &[],
            WorkerConfigError::Invalid { errors, .. } => &errors.0,
        }
    }
}

fn list(errors: &ConfigErrors) -> String {
    errors.0.iter().map(|p| format!("\n  {p}")).collect()
}

impl WorkerConfig {
    /// Reads a worker properties file and everything it points to (certificates, keys, the
    /// credentials file), reporting every problem at once. `KAFKA_OPTS` is consulted for
    /// `-Djava.security.auth.login.config`.
    pub fn load(path: &Path) -> Result<WorkerConfig, WorkerConfigError> {
        WorkerConfig::load_as(path, false)
    }

    /// [`WorkerConfig::load`] for a worker of a distributed cluster (`group.id` expected).
    pub fn load_distributed(path: &Path) -> Result<WorkerConfig, WorkerConfigError> {
        WorkerConfig::load_as(path, true)
    }

    fn load_as(path: &Path, distributed: bool) -> Result<WorkerConfig, WorkerConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| WorkerConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let kafka_opts = std::env::var("KAFKA_OPTS").ok();
        let invalid = |errors| WorkerConfigError::Invalid {
            path: path.to_owned(),
            errors,
        };
        let config =
            WorkerConfig::from_map_as(parse_properties(&text), kafka_opts.as_deref(), distributed)
                .map_err(invalid)?;
        crate::listener::check(&config).map_err(invalid)?;
        Ok(config)
    }

    /// Turns the flat property map into typed settings without any I/O. `kafka_opts` is the
    /// value of `KAFKA_OPTS`, where Connect users set the JAAS file.
    pub fn from_map(
        map: ConfigMap,
        kafka_opts: Option<&str>,
    ) -> Result<WorkerConfig, ConfigErrors> {
        WorkerConfig::from_map_as(map, kafka_opts, false)
    }

    /// [`WorkerConfig::from_map`]; a `distributed` worker's properties carry `group.id` and
    /// the internal topics (read by `connect_group::DistributedSettings`).
    pub fn from_map_as(
        map: ConfigMap,
        kafka_opts: Option<&str>,
        distributed: bool,
    ) -> Result<WorkerConfig, ConfigErrors> {
        let mut r = ConfigReader::new(&map);
        // Problems whose value must not be echoed (inline private keys).
        let mut hidden: Vec<ConfigProblem> = Vec::new();

        let listeners = listeners(&mut r, &map);
        let advertised = Advertised {
            host_name: r.optional_string("rest.advertised.host.name"),
            port: r.optional_string("rest.advertised.port").and_then(|_| {
                u16::try_from(r.int("rest.advertised.port", 0, 1, 65535))
                    .ok()
                    .filter(|p| *p != 0)
            }),
            listener: r.optional_string("rest.advertised.listener").and_then(|_| {
                Scheme::parse(&r.one_of("rest.advertised.listener", "http", &["http", "https"]))
            }),
        };

        let data_dir = match r.optional_string("tributary.data.dir") {
            Some(dir) => Some(PathBuf::from(dir)),
            None => r.optional_string("offset.storage.file.filename").map(|f| {
                match Path::new(&f).parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                    _ => PathBuf::from("."),
                }
            }),
        };

        let converters = ConverterSettings {
            key_converter: r.optional_string("key.converter"),
            value_converter: r.optional_string("value.converter"),
            key_schemas_enable: r
                .optional_string("key.converter.schemas.enable")
                .map(|_| r.bool("key.converter.schemas.enable", true)),
            value_schemas_enable: r
                .optional_string("value.converter.schemas.enable")
                .map(|_| r.bool("value.converter.schemas.enable", true)),
        };

        let config_providers: ConfigMap = map
            .iter()
            .filter(|(k, _)| *k == "config.providers" || k.starts_with("config.providers."))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();

        let tls = if listeners.iter().any(|l| l.scheme == Scheme::Https) {
            tls_settings(&mut r, &mut hidden, &map)
        } else {
            None
        };
        let basic_auth = basic_auth(&mut r, kafka_opts);

        let plugin_path = r.optional_string("plugin.path");
        if let Some(p) = &plugin_path {
            info!(plugin.path = %p, "plugin.path is ignored: Tributary's connectors are built in");
        }
        let retention = crate::log::RetentionDefaults::read(&mut r);
        let cleaner = crate::log::CleanerDefaults::read(&mut r);
        let bootstrap_servers = r.optional_string("bootstrap.servers");
        if let Some(b) = &bootstrap_servers {
            if distributed {
                info!(bootstrap.servers = %b,
                    "topics, connector configs, offsets and statuses are in Kafka");
            } else {
                info!(bootstrap.servers = %b,
                    "topics are Kafka topics; source offsets and connector configs stay in the data directory");
            }
        }
        // A distributed worker's properties: several workers sharing the group would each run
        // every connector they are given, side by side, instead of sharing them out.
        if map.contains_key("group.id") && !distributed {
            r.problem(
                "group.id",
                "is a distributed worker's property: run `tributary distributed <worker.properties>` (as connect-distributed) to join the cluster, or remove group.id (and config.storage.topic, offset.storage.topic, status.storage.topic) to run this worker on its own with its configs and offsets in its data directory",
            );
        }
        if map.contains_key("admin.listeners") {
            warn!(
                "admin.listeners is not supported yet: the admin endpoints are served on listeners"
            );
        }
        for key in map.keys() {
            if !is_known(key) {
                debug!(property = %key, "worker property kept but not used");
            }
        }

        let result = r.finish();
        let mut problems = result.err().map(|e| e.0).unwrap_or_default();
        problems.extend(hidden);
        if !problems.is_empty() {
            return Err(ConfigErrors(problems));
        }
        Ok(WorkerConfig {
            listeners,
            advertised,
            data_dir,
            converters,
            config_providers,
            tls,
            basic_auth,
            plugin_path,
            bootstrap_servers,
            retention,
            cleaner,
            raw: map,
        })
    }

    /// The listener to advertise: `rest.advertised.*` over the first matching listener.
    pub fn advertised_url(&self) -> Option<String> {
        let listener = match self.advertised.listener {
            Some(s) => self.listeners.iter().find(|l| l.scheme == s),
            None => self.listeners.first(),
        }?;
        let host = self
            .advertised
            .host_name
            .clone()
            .unwrap_or_else(|| listener.bind_host().to_owned());
        let port = self.advertised.port.unwrap_or(listener.port);
        Some(format!("{}://{host}:{port}/", listener.scheme.as_str()))
    }
}

fn is_known(key: &str) -> bool {
    KNOWN.contains(&key)
        || crate::log::retention::WORKER_PROPERTIES.contains(&key)
        || key.starts_with("config.providers")
        || key.starts_with("producer.")
        || key.starts_with("ssl.")
        || key.starts_with(HTTPS_PREFIX)
}

/// `listeners` (comma-separated `scheme://host:port`); before it, Connect had `rest.host.name`
/// and `rest.port`, still accepted when `listeners` is absent.
fn listeners(r: &mut ConfigReader<'_>, map: &ConfigMap) -> Vec<Listener> {
    let items = r.list("listeners");
    if items.is_empty() {
        if map.contains_key("rest.port") || map.contains_key("rest.host.name") {
            warn!("rest.host.name and rest.port are deprecated in Kafka Connect; use listeners");
            let port = r.int("rest.port", 8083, 0, 65535) as u16;
            let host = r.string("rest.host.name", "127.0.0.1");
            return vec![Listener {
                scheme: Scheme::Http,
                host,
                port,
            }];
        }
        return vec![parse_listener(DEFAULT_LISTENER).expect("the default listener is valid")];
    }
    let mut out = Vec::new();
    for item in items {
        match parse_listener(&item) {
            Ok(l) => out.push(l),
            Err(why) => r.problem(
                "listeners",
                format!("{item:?} {why}; expected a comma-separated list of http://host:port or https://host:port"),
            ),
        }
    }
    out
}

fn parse_listener(s: &str) -> Result<Listener, &'static str> {
    let (scheme, rest) = s.split_once("://").ok_or("has no scheme")?;
    let scheme = Scheme::parse(scheme).ok_or("has a scheme other than http or https")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (host, port) = v6.split_once("]:").ok_or("has a malformed IPv6 address")?;
        (host, port)
    } else {
        rest.rsplit_once(':').ok_or("has no port")?
    };
    if host.contains(['/', '?', '#', '@']) {
        return Err("has a malformed host");
    }
    let port = port
        .parse::<u16>()
        .map_err(|_| "has a port outside 0-65535")?;
    Ok(Listener {
        scheme,
        host: host.to_owned(),
        port,
    })
}

#[cfg(test)]
mod tests;

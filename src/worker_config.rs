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

use cdc_core::{ConfigErrors, ConfigMap, ConfigProblem, ConfigReader, Secret};
use tracing::{debug, info, warn};

use crate::connector_file::parse_properties;

/// The listener used when `listeners` is not set (loopback, unlike Connect: see the module docs).
pub const DEFAULT_LISTENER: &str = "http://127.0.0.1:8083";

/// The REST extension Connect uses for basic authentication; the one extension Tributary knows.
pub const BASIC_AUTH_EXTENSION: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";

/// Tributary's simpler alternative to a JAAS file: a `user: password` properties file.
pub const USERS_FILE: &str = "tributary.rest.basic.auth.users.file";

/// The JVM system property naming the JAAS file; accepted in the worker properties, or found in
/// `KAFKA_OPTS` as `-Djava.security.auth.login.config=...` as Connect's scripts pass it.
pub const JAAS_CONFIG: &str = "java.security.auth.login.config";

/// Connect's TLS properties for the REST listener may carry this prefix; when any property does,
/// only prefixed ones are used (Connect's `valuesWithPrefixAllOrNothing`), else the plain `ssl.*`.
pub const HTTPS_PREFIX: &str = "listeners.https.";

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
    "bootstrap.servers",
    "rest.extension.classes",
    JAAS_CONFIG,
    USERS_FILE,
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

/// Where a PEM value comes from: inline in the properties (Kafka's PEM keystore) or a file.
#[derive(Clone, PartialEq, Eq)]
pub enum PemSource {
    Inline { property: String, pem: Secret },
    File { property: String, path: PathBuf },
}

impl PemSource {
    /// The property the value was set with, for error messages.
    pub fn property(&self) -> &str {
        match self {
            PemSource::Inline { property, .. } | PemSource::File { property, .. } => property,
        }
    }
}

impl fmt::Debug for PemSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemSource::Inline { property, .. } => write!(f, "Inline({property}: [hidden])"),
            PemSource::File { property, path } => {
                write!(f, "File({property}: {})", path.display())
            }
        }
    }
}

/// `ssl.client.auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    #[default]
    None,
    Requested,
    Required,
}

/// TLS for the `https` listeners: a PEM certificate chain and key, optionally client certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub certificate_chain: PemSource,
    pub private_key: PemSource,
    pub client_auth: ClientAuth,
    /// CA certificates client certificates must chain to; set when `client_auth` is not `None`.
    pub truststore: Option<PemSource>,
}

/// Where the basic-auth users and passwords are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BasicAuthSettings {
    /// Connect's way: `rest.extension.classes=...BasicAuthSecurityRestExtension` and a JAAS file
    /// whose `KafkaConnect` entry uses `PropertyFileLoginModule` with `file="..."`.
    Jaas { jaas_file: PathBuf },
    /// `tributary.rest.basic.auth.users.file`: a `user: password` properties file.
    UsersFile { path: PathBuf },
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
    /// `bootstrap.servers`: accepted; Kafka is not supported yet, the embedded log is used.
    pub bootstrap_servers: Option<String>,
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
        let text = std::fs::read_to_string(path).map_err(|source| WorkerConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let kafka_opts = std::env::var("KAFKA_OPTS").ok();
        let invalid = |errors| WorkerConfigError::Invalid {
            path: path.to_owned(),
            errors,
        };
        let config = WorkerConfig::from_map(parse_properties(&text), kafka_opts.as_deref())
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
        let bootstrap_servers = r.optional_string("bootstrap.servers");
        if let Some(b) = &bootstrap_servers {
            warn!(bootstrap.servers = %b,
                "Kafka is not supported yet: topics and offsets stay on the embedded log in the data directory");
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
        || key.starts_with("config.providers")
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

/// Reads Connect's REST TLS properties. Kafka's default keystore type is JKS; only PEM is
/// supported, inline (`ssl.keystore.certificate.chain` + `ssl.keystore.key`) or as one file
/// holding both (`ssl.keystore.location`).
fn tls_settings(
    r: &mut ConfigReader<'_>,
    hidden: &mut Vec<ConfigProblem>,
    map: &ConfigMap,
) -> Option<TlsSettings> {
    let prefix = if map.keys().any(|k| k.starts_with(HTTPS_PREFIX)) {
        HTTPS_PREFIX
    } else {
        ""
    };
    let name = |n: &str| format!("{prefix}{n}");
    let (type_p, location_p, chain_p, key_p) = (
        name("ssl.keystore.type"),
        name("ssl.keystore.location"),
        name("ssl.keystore.certificate.chain"),
        name("ssl.keystore.key"),
    );
    let location = r.optional_string(&location_p);
    let chain = r.optional_string(&chain_p);
    let key = map.get(&key_p).filter(|k| !k.trim().is_empty()).cloned();
    let mut ok = check_store_type(r, &type_p, location.is_some(), "keystore");
    if map
        .get(&name("ssl.key.password"))
        .is_some_and(|p| !p.is_empty())
    {
        hidden.push(ConfigProblem {
            property: name("ssl.key.password"),
            value: Some(cdc_core::config::HIDDEN.to_owned()),
            message: "encrypted private keys are not supported: store the key unencrypted \
                      (openssl pkcs8 -topk8 -nocrypt) and protect the file instead"
                .into(),
        });
        ok = false;
    }
    let (certificate_chain, private_key) = match (location, chain, key) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            r.problem(
                &location_p,
                format!("set either {location_p} or {chain_p} and {key_p}, not both"),
            );
            return None;
        }
        (Some(path), None, None) => {
            let file = |property: &str| PemSource::File {
                property: property.to_owned(),
                path: PathBuf::from(&path),
            };
            (file(&location_p), file(&location_p))
        }
        (None, Some(chain), Some(key)) => (
            PemSource::Inline {
                property: chain_p.clone(),
                pem: Secret::new(chain),
            },
            PemSource::Inline {
                property: key_p.clone(),
                pem: Secret::new(key),
            },
        ),
        (None, Some(_), None) => {
            hidden.push(ConfigProblem {
                property: key_p.clone(),
                value: None,
                message: format!("is required with {chain_p}: the PEM private key"),
            });
            return None;
        }
        (None, None, Some(_)) => {
            r.problem(
                &chain_p,
                format!("is required with {key_p}: the PEM certificate chain"),
            );
            return None;
        }
        (None, None, None) => {
            r.problem(
                "listeners",
                format!(
                    "an https listener needs a certificate: set {chain_p} and {key_p} (inline \
                     PEM) or {location_p} (a PEM file with the key and the chain) with {type_p}=PEM"
                ),
            );
            return None;
        }
    };

    let client_auth = match r
        .one_of(
            &name("ssl.client.auth"),
            "none",
            &["none", "requested", "required"],
        )
        .as_str()
    {
        "requested" => ClientAuth::Requested,
        "required" => ClientAuth::Required,
        _ => ClientAuth::None,
    };
    let truststore = if client_auth == ClientAuth::None {
        None
    } else {
        let (ttype_p, tlocation_p, tcerts_p) = (
            name("ssl.truststore.type"),
            name("ssl.truststore.location"),
            name("ssl.truststore.certificates"),
        );
        let location = r.optional_string(&tlocation_p);
        let certs = r.optional_string(&tcerts_p);
        ok &= check_store_type(r, &ttype_p, location.is_some(), "truststore");
        match (location, certs) {
            (Some(_), Some(_)) => {
                r.problem(
                    &tlocation_p,
                    format!("set either {tlocation_p} or {tcerts_p}, not both"),
                );
                None
            }
            (Some(path), None) => Some(PemSource::File {
                property: tlocation_p,
                path: PathBuf::from(path),
            }),
            (None, Some(pem)) => Some(PemSource::Inline {
                property: tcerts_p,
                pem: Secret::new(pem),
            }),
            (None, None) => {
                r.problem(
                    &name("ssl.client.auth"),
                    format!("client certificates need trusted CA certificates: set {tcerts_p} (inline PEM) or {tlocation_p} (a PEM file) with {ttype_p}=PEM"),
                );
                ok = false;
                None
            }
        }
    };
    ok.then_some(TlsSettings {
        certificate_chain,
        private_key,
        client_auth,
        truststore,
    })
}

/// Only PEM stores are supported. Without a type, Kafka assumes JKS for a file; inline PEM
/// values imply PEM.
fn check_store_type(
    r: &mut ConfigReader<'_>,
    type_p: &str,
    has_location: bool,
    what: &str,
) -> bool {
    match r.optional_string(type_p) {
        Some(t) if t.eq_ignore_ascii_case("PEM") => true,
        Some(t) => {
            r.problem(
                type_p,
                format!(
                    "{what} type {t} is not supported, only PEM: convert it (e.g. openssl pkcs12 \
                     -in {what}.p12 -nodes, or keytool -importkeystore to PKCS12 first) and set \
                     {type_p}=PEM"
                ),
            );
            false
        }
        None if has_location => {
            r.problem(
                type_p,
                format!(
                    "is not set, so the {what} file is read as JKS (Kafka's default), which is \
                     not supported: use a PEM file and set {type_p}=PEM"
                ),
            );
            false
        }
        None => true,
    }
}

/// `rest.extension.classes` with Connect's basic-auth extension (and a JAAS file), or
/// `tributary.rest.basic.auth.users.file`.
fn basic_auth(r: &mut ConfigReader<'_>, kafka_opts: Option<&str>) -> Option<BasicAuthSettings> {
    let mut jaas = false;
    for class in r.list("rest.extension.classes") {
        if class == BASIC_AUTH_EXTENSION {
            jaas = true;
        } else {
            r.problem(
                "rest.extension.classes",
                format!(
                    "{class} is not supported: Java REST extensions cannot be loaded; the one \
                     supported extension is {BASIC_AUTH_EXTENSION}"
                ),
            );
        }
    }
    let users_file = r.optional_string(USERS_FILE);
    match (jaas, users_file) {
        (true, Some(_)) => {
            r.problem(
                USERS_FILE,
                format!("set either {USERS_FILE} or rest.extension.classes={BASIC_AUTH_EXTENSION}, not both"),
            );
            None
        }
        (false, Some(path)) => Some(BasicAuthSettings::UsersFile {
            path: PathBuf::from(path),
        }),
        (true, None) => match r
            .optional_string(JAAS_CONFIG)
            .or_else(|| kafka_opts.and_then(jaas_from_kafka_opts))
        {
            Some(path) => Some(BasicAuthSettings::Jaas {
                jaas_file: PathBuf::from(path),
            }),
            None => {
                r.problem(
                    "rest.extension.classes",
                    format!(
                        "{BASIC_AUTH_EXTENSION} needs a JAAS file: set {JAAS_CONFIG} in the \
                         worker properties, or -D{JAAS_CONFIG}=... in KAFKA_OPTS"
                    ),
                );
                None
            }
        },
        (false, None) => None,
    }
}

/// `-Djava.security.auth.login.config=/path` in a `KAFKA_OPTS` value (quotes stripped).
fn jaas_from_kafka_opts(opts: &str) -> Option<String> {
    let flag = format!("-D{JAAS_CONFIG}=");
    opts.split_whitespace()
        .find_map(|w| w.strip_prefix(&flag))
        .map(|p| p.trim_matches(['"', '\'']).to_owned())
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> ConfigMap {
        parse_properties(text)
    }

    #[test]
    fn empty_file_gives_loopback_8083() {
        let c = WorkerConfig::from_map(ConfigMap::new(), None).unwrap();
        assert_eq!(c.listeners.len(), 1);
        assert_eq!(c.listeners[0].to_string(), "http://127.0.0.1:8083");
        assert_eq!(c.data_dir, None);
        assert!(c.tls.is_none() && c.basic_auth.is_none());
        assert_eq!(c.advertised_url().unwrap(), "http://127.0.0.1:8083/");
    }

    #[test]
    fn listeners_and_connect_properties() {
        let c = WorkerConfig::from_map(
            map("listeners=http://:8083, HTTPS://[::1]:8443\n\
                 listeners.https.ssl.keystore.type=PEM\n\
                 listeners.https.ssl.keystore.location=/etc/tributary/rest.pem\n\
                 rest.advertised.host.name=connect-1\nrest.advertised.port=18083\n\
                 rest.advertised.listener=https\n\
                 offset.storage.file.filename=/var/lib/connect/connect.offsets\n\
                 key.converter=org.apache.kafka.connect.json.JsonConverter\n\
                 key.converter.schemas.enable=false\n\
                 config.providers=file\n\
                 config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider\n\
                 plugin.path=/usr/share/java\nsomething.else=1\n"),
            None,
        )
        .unwrap();
        assert_eq!(c.listeners[0].bind_host(), "0.0.0.0");
        assert_eq!(c.listeners[1].scheme, Scheme::Https);
        assert_eq!(c.listeners[1].host, "::1");
        assert_eq!(c.listeners[1].to_string(), "https://[::1]:8443");
        assert_eq!(c.advertised_url().unwrap(), "https://connect-1:18083/");
        assert_eq!(c.data_dir, Some(PathBuf::from("/var/lib/connect")));
        assert_eq!(c.converters.key_schemas_enable, Some(false));
        assert_eq!(c.converters.value_schemas_enable, None);
        assert_eq!(c.config_providers.len(), 2);
        assert_eq!(c.raw["something.else"], "1");
        let tls = c.tls.unwrap();
        assert!(
            matches!(tls.private_key, PemSource::File { ref path, .. } if path == Path::new("/etc/tributary/rest.pem"))
        );
        assert_eq!(tls.client_auth, ClientAuth::None);
    }

    #[test]
    fn tributary_data_dir_wins_and_plain_ssl_properties_apply_without_the_prefix() {
        let c = WorkerConfig::from_map(
            map(
                "tributary.data.dir=/data\noffset.storage.file.filename=/tmp/x.offsets\n\
                 listeners=https://127.0.0.1:0\n\
                 ssl.keystore.certificate.chain=-----BEGIN CERTIFICATE-----\n\
                 ssl.keystore.key=-----BEGIN PRIVATE KEY-----\n\
                 ssl.client.auth=required\nssl.truststore.type=PEM\n\
                 ssl.truststore.location=/ca.pem\n",
            ),
            None,
        )
        .unwrap();
        assert_eq!(c.data_dir, Some(PathBuf::from("/data")));
        let tls = c.tls.unwrap();
        assert_eq!(tls.private_key.property(), "ssl.keystore.key");
        assert_eq!(tls.client_auth, ClientAuth::Required);
        assert_eq!(
            tls.truststore.unwrap().property(),
            "ssl.truststore.location"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once_and_keys_are_not_echoed() {
        let errors = WorkerConfig::from_map(
            map("listeners=http://127.0.0.1:8083,ftp://x:1,https://h:99999,https://127.0.0.1:8443\n\
                 listeners.https.ssl.keystore.type=JKS\n\
                 listeners.https.ssl.keystore.location=/k.jks\n\
                 listeners.https.ssl.key.password=sekrit\n\
                 listeners.https.ssl.client.auth=sometimes\n\
                 rest.advertised.port=0\nrest.advertised.listener=gopher\n\
                 value.converter.schemas.enable=maybe\n\
                 rest.extension.classes=com.example.Auth\n"),
            None,
        )
        .unwrap_err();
        let text = errors
            .0
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        for expected in [
            "\"ftp://x:1\" has a scheme other than http or https",
            "\"https://h:99999\" has a port outside 0-65535",
            "keystore type JKS is not supported, only PEM",
            "encrypted private keys are not supported",
            "listeners.https.ssl.client.auth: must be one of: none, requested, required",
            "rest.advertised.port: must be between 1 and 65535",
            "rest.advertised.listener: must be one of: http, https",
            "value.converter.schemas.enable: must be true or false",
            "com.example.Auth is not supported",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        assert!(!text.contains("sekrit"), "{text}");
        assert_eq!(errors.0.len(), 9, "{text}");
    }

    #[test]
    fn a_keystore_file_without_a_type_is_jks_and_refused() {
        let errors = WorkerConfig::from_map(
            map("listeners=https://127.0.0.1:8443\nssl.keystore.location=/k.jks\n"),
            None,
        )
        .unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert_eq!(errors.0[0].property, "ssl.keystore.type");
        assert!(errors.0[0].message.contains("JKS"));
        let errors =
            WorkerConfig::from_map(map("listeners=https://127.0.0.1:8443\n"), None).unwrap_err();
        assert!(errors.0[0].message.contains("needs a certificate"));
        let errors = WorkerConfig::from_map(
            map("listeners=https://127.0.0.1:8443\nssl.keystore.certificate.chain=x\n"),
            None,
        )
        .unwrap_err();
        assert_eq!(errors.0[0].property, "ssl.keystore.key");
    }

    #[test]
    fn basic_auth_from_jaas_or_users_file() {
        let ext = format!("rest.extension.classes={BASIC_AUTH_EXTENSION}\n");
        let c = WorkerConfig::from_map(
            map(&format!("{ext}{JAAS_CONFIG}=/etc/connect_jaas.conf\n")),
            None,
        )
        .unwrap();
        assert_eq!(
            c.basic_auth,
            Some(BasicAuthSettings::Jaas {
                jaas_file: "/etc/connect_jaas.conf".into()
            })
        );
        let c = WorkerConfig::from_map(
            map(&ext),
            Some("-Xmx1g -Djava.security.auth.login.config=\"/opt/jaas.conf\" -Dx=y"),
        )
        .unwrap();
        assert_eq!(
            c.basic_auth,
            Some(BasicAuthSettings::Jaas {
                jaas_file: "/opt/jaas.conf".into()
            })
        );
        let errors = WorkerConfig::from_map(map(&ext), None).unwrap_err();
        assert!(errors.0[0].message.contains("needs a JAAS file"));
        let c = WorkerConfig::from_map(map(&format!("{USERS_FILE}=/etc/users\n")), None).unwrap();
        assert_eq!(
            c.basic_auth,
            Some(BasicAuthSettings::UsersFile {
                path: "/etc/users".into()
            })
        );
    }

    #[test]
    fn deprecated_rest_port() {
        let c = WorkerConfig::from_map(map("rest.port=9000\n"), None).unwrap();
        assert_eq!(c.listeners[0].to_string(), "http://127.0.0.1:9000");
    }
}

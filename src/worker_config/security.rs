//! The REST security properties: TLS for the `https` listeners (Connect's `listeners.https.ssl.*`
//! and `ssl.*`, PEM only) and basic auth (Connect's JAAS extension or a users file).

use std::fmt;
use std::path::PathBuf;

use cdc_core::{ConfigMap, ConfigProblem, ConfigReader, Secret};

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

/// Reads Connect's REST TLS properties. Kafka's default keystore type is JKS; only PEM is
/// supported, inline (`ssl.keystore.certificate.chain` + `ssl.keystore.key`) or as one file
/// holding both (`ssl.keystore.location`).
pub(super) fn tls_settings(
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
pub(super) fn basic_auth(
    r: &mut ConfigReader<'_>,
    kafka_opts: Option<&str>,
) -> Option<BasicAuthSettings> {
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

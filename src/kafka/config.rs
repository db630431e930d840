//! The producer's librdkafka properties, from Kafka Connect's worker and connector properties.
//!
//! In order, later ones win:
//!
//! 1. Tributary's defaults ([`DEFAULTS`]): idempotent, `acks=all`, lz4, 5 ms linger, 1 MiB
//!    batches, a 64 MiB send queue, no delivery timeout (a broker that is away is waited for, as
//!    Connect's producer with `delivery.timeout.ms=Integer.MAX_VALUE`), and Java's partitioner
//!    for keyed records so a key lands on the partition a Java producer would pick.
//! 2. The worker's `bootstrap.servers` and `producer.*` properties.
//! 3. The connector's `producer.override.*` properties, where the worker's
//!    `connector.client.config.override.policy` allows them (`All` by default, as Connect ≥ 3.0).
//!
//! Java client names librdkafka does not know are translated ([`translate`]); serializer
//! settings are ignored (records are bytes already). `enable.idempotence` and `acks` cannot be
//! weakened: offsets are committed on acknowledgements, so they must mean "durable".

use std::collections::BTreeMap;

use cdc_core::{ConfigErrors, ConfigMap, ConfigProblem};
use tracing::{debug, warn};

/// The worker property that names the override policy.
pub const OVERRIDE_POLICY: &str = "connector.client.config.override.policy";

/// Tributary's producer defaults (librdkafka names).
pub const DEFAULTS: &[(&str, &str)] = &[
    ("enable.idempotence", "true"),
    ("acks", "all"),
    ("compression.type", "lz4"),
    ("linger.ms", "5"),
    ("batch.size", "1048576"),
    ("batch.num.messages", "10000"),
    ("message.timeout.ms", "0"),
    ("partitioner", "murmur2_random"),
    ("queue.buffering.max.kbytes", "65536"),
    ("queue.buffering.max.messages", "100000"),
];

/// Properties of the Java producer that have no meaning here.
const IGNORED: &[&str] = &[
    "key.serializer",
    "value.serializer",
    "max.block.ms",
    "interceptor.classes",
    "metric.reporters",
    "partitioner.class",
];

/// What `Principal` lets a connector override (Connect's `PrincipalConnectorClientConfigOverridePolicy`).
const PRINCIPAL: &[&str] = &["sasl.jaas.config", "sasl.mechanism", "security.protocol"];

/// `connector.client.config.override.policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverridePolicy {
    None,
    Principal,
    All,
}

impl OverridePolicy {
    pub fn parse(value: &str) -> Option<OverridePolicy> {
        let short = value
            .strip_prefix("org.apache.kafka.connect.connector.policy.")
            .and_then(|v| v.strip_suffix("ConnectorClientConfigOverridePolicy"))
            .unwrap_or(value);
        match short {
            "None" => Some(OverridePolicy::None),
            "Principal" => Some(OverridePolicy::Principal),
            "All" => Some(OverridePolicy::All),
            _ => None,
        }
    }

    fn allows(self, property: &str) -> bool {
        match self {
            OverridePolicy::None => false,
            OverridePolicy::Principal => PRINCIPAL.contains(&property),
            OverridePolicy::All => true,
        }
    }
}

/// The librdkafka properties of one task's producer (or a sink task's consumer). `Debug` hides
/// secret values.
#[derive(Clone, PartialEq, Eq)]
pub struct ProducerProperties(pub BTreeMap<String, String>);

impl std::fmt::Debug for ProducerProperties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| {
                let shown = if cdc_core::config::is_secret(k) {
                    "[hidden]"
                } else {
                    v.as_str()
                };
                (k, shown)
            }))
            .finish()
    }
}

impl ProducerProperties {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

/// The worker's `bootstrap.servers`, when it runs on Kafka.
pub fn bootstrap_servers(worker: &ConfigMap) -> Option<&str> {
    worker
        .get("bootstrap.servers")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
}

/// The producer properties of connector `connector`'s task `task`; every problem at once.
pub fn producer_properties(
    worker: &ConfigMap,
    connector_config: &ConfigMap,
    connector: &str,
    task: u32,
) -> Result<ProducerProperties, ConfigErrors> {
    let mut problems = Vec::new();
    let mut props: BTreeMap<String, String> = DEFAULTS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    props.insert(
        "client.id".into(),
        format!("connector-producer-{connector}-{task}"),
    );
    match bootstrap_servers(worker) {
        Some(b) => {
            props.insert("bootstrap.servers".into(), b.to_owned());
        }
        None => problems.push(problem(
            "bootstrap.servers",
            "a value is required to run on Kafka",
        )),
    }
    for (key, value) in worker {
        if let Some(p) = key.strip_prefix("producer.") {
            if p.starts_with("override.") {
                continue;
            }
            set(&mut props, &mut problems, key, p, value);
        }
    }

    let policy = match worker.get(OVERRIDE_POLICY) {
        None => OverridePolicy::All,
        Some(v) => OverridePolicy::parse(v.trim()).unwrap_or_else(|| {
            problems.push(problem(
                OVERRIDE_POLICY,
                format!("invalid value {v:?}: must be one of All, None, Principal (or their class names)"),
            ));
            OverridePolicy::None
        }),
    };
    for (key, value) in connector_config {
        let Some(p) = key.strip_prefix("producer.override.") else {
            continue;
        };
        if !policy.allows(p) {
            problems.push(problem(
                key,
                format!(
                    "overriding the producer's {p} is not allowed by the worker's {OVERRIDE_POLICY} ({policy:?}){}",
                    match policy {
                        OverridePolicy::Principal => "; Principal allows only sasl.jaas.config, sasl.mechanism and security.protocol",
                        _ => "",
                    }
                ),
            ));
            continue;
        }
        set(&mut props, &mut problems, key, p, value);
    }

    for (key, required) in [("enable.idempotence", "true"), ("acks", "all")] {
        let v = props.get(key).map(String::as_str).unwrap_or_default();
        let ok = match key {
            "acks" => v == "all" || v == "-1",
            _ => v == required,
        };
        if !ok {
            problems.push(problem(
                format!("producer.{key}"),
                format!("must be {required}: source offsets are committed when the broker acknowledges records, so an acknowledgement must mean the records are durable"),
            ));
        }
    }
    if problems.is_empty() {
        debug!(connector, properties = ?ProducerProperties(props.clone()), "producer properties");
        Ok(ProducerProperties(props))
    } else {
        Err(ConfigErrors(problems))
    }
}

/// Java consumer properties the runtime handles itself: records are read as bytes, and the
/// sink runtime bounds its batches with `max.poll.records`.
const CONSUMER_HANDLED: &[&str] = &[
    "key.deserializer",
    "value.deserializer",
    "interceptor.classes",
    "metric.reporters",
    "max.poll.records",
];

/// The consumer properties of sink connector `connector`'s task `task`: Connect's defaults
/// (group `connect-<name>`, no auto commit, `auto.offset.reset=earliest`), the worker's
/// `consumer.*` and the connector's `consumer.override.*` (as the override policy allows);
/// every problem at once.
pub fn consumer_properties(
    worker: &ConfigMap,
    connector_config: &ConfigMap,
    connector: &str,
    task: u32,
) -> Result<ProducerProperties, ConfigErrors> {
    let mut problems = Vec::new();
    let mut props = BTreeMap::new();
    for (k, v) in [
        ("group.id", format!("connect-{connector}")),
        (
            "client.id",
            format!("connector-consumer-{connector}-{task}"),
        ),
        ("enable.auto.commit", "false".to_owned()),
        ("enable.auto.offset.store", "false".to_owned()),
        ("auto.offset.reset", "earliest".to_owned()),
        ("enable.partition.eof", "false".to_owned()),
        // librdkafka's own prefetch queue, not a Connect setting: it stops fetching once 16 MiB
        // wait in it (its default, 64 MiB, held 150 MB of a sink's memory), and fetches again
        // 10 ms after the queue drains below that (its default waits a second: the sink then
        // idled half the time, 26,569 against 62,677 rows/s in bench/jdbc.sh). Overridable
        // through consumer.* / consumer.override.*.
        ("queued.max.messages.kbytes", "16384".to_owned()),
        ("fetch.queue.backoff.ms", "10".to_owned()),
    ] {
        props.insert(k.to_owned(), v);
    }
    match bootstrap_servers(worker) {
        Some(b) => {
            props.insert("bootstrap.servers".into(), b.to_owned());
        }
        None => problems.push(problem(
            "bootstrap.servers",
            "a value is required to run on Kafka",
        )),
    }
    for (key, value) in worker {
        if let Some(p) = key.strip_prefix("consumer.") {
            if !p.starts_with("override.") {
                consumer_set(&mut props, &mut problems, key, p, value);
            }
        }
    }
    let policy = worker
        .get(OVERRIDE_POLICY)
        .and_then(|v| OverridePolicy::parse(v.trim()))
        .unwrap_or(OverridePolicy::All);
    for (key, value) in connector_config {
        let Some(p) = key.strip_prefix("consumer.override.") else {
            continue;
        };
        if policy.allows(p) {
            consumer_set(&mut props, &mut problems, key, p, value);
        } else {
            problems.push(problem(
                key,
                format!("overriding the consumer's {p} is not allowed by the worker's {OVERRIDE_POLICY} ({policy:?})"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(ProducerProperties(props))
    } else {
        Err(ConfigErrors(problems))
    }
}

/// Sets one consumer property (`origin` for messages): the runtime's own are skipped, auto
/// commits refused, `auto.offset.reset=none` is librdkafka's `error`.
fn consumer_set(
    props: &mut BTreeMap<String, String>,
    problems: &mut Vec<ConfigProblem>,
    origin: &str,
    key: &str,
    value: &str,
) {
    if CONSUMER_HANDLED.contains(&key) {
        return;
    }
    match (key, value.trim()) {
        ("enable.auto.commit", v) if !v.eq_ignore_ascii_case("false") => problems.push(problem(
            origin,
            "must be false: a sink commits its position only after the target holds the records",
        )),
        ("auto.offset.reset", "none") => {
            props.insert(key.to_owned(), "error".to_owned());
        }
        _ => set(props, problems, origin, key, value),
    }
}

/// Sets one property given as `origin` (for messages), translating Java client names.
fn set(
    props: &mut BTreeMap<String, String>,
    problems: &mut Vec<ConfigProblem>,
    origin: &str,
    key: &str,
    value: &str,
) {
    if IGNORED.contains(&key) {
        debug!(
            property = origin,
            "producer property ignored: records are sent as bytes"
        );
        return;
    }
    match translate(key, value) {
        Ok(pairs) => {
            for (k, v) in pairs {
                props.insert(k, v);
            }
        }
        Err(why) => problems.push(problem(origin, why)),
    }
}

/// A Java producer property → librdkafka properties. Names librdkafka shares with Java pass as
/// they are; librdkafka rejects unknown ones when the producer is created.
pub fn translate(key: &str, value: &str) -> Result<Vec<(String, String)>, String> {
    let one = |k: &str, v: String| Ok(vec![(k.to_owned(), v)]);
    let number = |v: &str| {
        v.trim()
            .parse::<u64>()
            .map_err(|_| format!("invalid value {v:?}: must be a non-negative number"))
    };
    match key {
        "buffer.memory" => one(
            "queue.buffering.max.kbytes",
            (number(value)? / 1024).max(1).to_string(),
        ),
        "max.request.size" => one("message.max.bytes", number(value)?.to_string()),
        "sasl.jaas.config" => jaas(value),
        "ssl.truststore.location" | "ssl.truststore.password" | "ssl.keystore.type" => Err(
            "Java key stores are not supported; give PEM files with ssl.ca.location, ssl.certificate.location and ssl.key.location (or PKCS#12 with ssl.keystore.location)".into(),
        ),
        "compression.type" if value == "none" => one(key, "none".into()),
        _ => {
            if key.contains("..") || key.is_empty() {
                warn!(property = key, "ignoring a malformed producer property name");
                return Ok(Vec::new());
            }
            one(key, value.to_owned())
        }
    }
}

/// `sasl.jaas.config` of Kafka's Plain and SCRAM login modules → `sasl.username`/`sasl.password`.
fn jaas(value: &str) -> Result<Vec<(String, String)>, String> {
    let supported = ["PlainLoginModule", "ScramLoginModule"];
    if !supported.iter().any(|m| value.contains(m)) {
        return Err("only the PlainLoginModule and ScramLoginModule JAAS configs are supported; or set sasl.username and sasl.password".into());
    }
    let field = |name: &str| -> Option<String> {
        let at = value.find(&format!("{name}="))? + name.len() + 1;
        let rest = value[at..].strip_prefix('"')?;
        Some(rest[..rest.find('"')?].to_owned())
    };
    match (field("username"), field("password")) {
        (Some(u), Some(p)) => Ok(vec![
            ("sasl.username".into(), u),
            ("sasl.password".into(), p),
        ]),
        _ => Err("the JAAS config has no quoted username=\"...\" and password=\"...\"".into()),
    }
}

fn problem(property: impl Into<String>, message: impl Into<String>) -> ConfigProblem {
    ConfigProblem {
        property: property.into(),
        value: None,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use cdc_core::config_map as map;

    #[test]
    fn defaults_are_idempotent_acks_all_with_the_workers_bootstrap_servers() {
        let p = producer_properties(
            &map(&[("bootstrap.servers", "k:9092")]),
            &ConfigMap::new(),
            "inv",
            0,
        )
        .unwrap();
        assert_eq!(p.get("bootstrap.servers"), Some("k:9092"));
        assert_eq!(p.get("enable.idempotence"), Some("true"));
        assert_eq!(p.get("acks"), Some("all"));
        assert_eq!(p.get("client.id"), Some("connector-producer-inv-0"));
        assert_eq!(p.get("partitioner"), Some("murmur2_random"));
    }

    #[test]
    fn worker_producer_properties_then_connector_overrides_apply() {
        let worker = map(&[
            ("bootstrap.servers", "k:9092"),
            ("producer.linger.ms", "20"),
            ("producer.compression.type", "zstd"),
            ("producer.key.serializer", "x"),
        ]);
        let connector = map(&[
            ("producer.override.linger.ms", "1"),
            ("producer.override.buffer.memory", "33554432"),
        ]);
        let p = producer_properties(&worker, &connector, "c", 0).unwrap();
        assert_eq!(p.get("linger.ms"), Some("1"));
        assert_eq!(p.get("compression.type"), Some("zstd"));
        assert_eq!(p.get("queue.buffering.max.kbytes"), Some("32768"));
        assert_eq!(p.get("key.serializer"), None);
    }

    #[test]
    fn the_override_policy_limits_connector_overrides() {
        let connector = map(&[
            ("producer.override.linger.ms", "1"),
            ("producer.override.security.protocol", "SASL_SSL"),
        ]);
        for (policy, rejected) in [
            ("None", vec!["producer.override.linger.ms", "producer.override.security.protocol"]),
            (
                "org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy",
                vec!["producer.override.linger.ms"],
            ),
            ("All", vec![]),
        ] {
            let worker = map(&[("bootstrap.servers", "k:9092"), (OVERRIDE_POLICY, policy)]);
            let got = producer_properties(&worker, &connector, "c", 0);
            let props: Vec<String> = got
                .err()
                .map(|e| e.0.into_iter().map(|p| p.property).collect())
                .unwrap_or_default();
            assert_eq!(props, rejected, "policy {policy}");
        }
    }

    #[test]
    fn acknowledgements_cannot_be_weakened() {
        let worker = map(&[("bootstrap.servers", "k:9092"), ("producer.acks", "1")]);
        let connector = map(&[("producer.override.enable.idempotence", "false")]);
        let err = producer_properties(&worker, &connector, "c", 0).unwrap_err();
        let props: Vec<&str> = err.0.iter().map(|p| p.property.as_str()).collect();
        assert_eq!(props, vec!["producer.enable.idempotence", "producer.acks"]);
    }

    #[test]
    fn plain_jaas_config_becomes_username_and_password_and_stays_hidden() {
        let worker = map(&[
            ("bootstrap.servers", "k:9092"),
            ("producer.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"s3cret\";"),
        ]);
        let p = producer_properties(&worker, &ConfigMap::new(), "c", 0).unwrap();
        assert_eq!(p.get("sasl.username"), Some("u"));
        assert_eq!(p.get("sasl.password"), Some("s3cret"));
        assert!(!format!("{p:?}").contains("s3cret"));
    }
}

//! A distributed worker's properties (Kafka Connect's `DistributedConfig`): the group, its
//! timeouts, the three internal topics and how to create them, the subprotocol and the
//! inter-worker signing keys. Property names, defaults and bounds are Connect 4.3's (the
//! defaults are checked against `DistributedConfig` itself by `tests/golden.rs`); every problem
//! is reported at once, naming the property.

use std::collections::BTreeMap;
use std::time::Duration;

use cdc_core::{ConfigErrors, ConfigMap, ConfigReader};

use crate::protocol::Subprotocol;

/// How one internal topic is named and created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSettings {
    pub name: String,
    /// `None`: the broker's default (`-1`).
    pub partitions: Option<i32>,
    /// `None`: the broker's default (`-1`).
    pub replication_factor: Option<i16>,
    /// Other `<prefix>.*` properties, passed to the topic's creation as topic configs.
    pub topic_configs: BTreeMap<String, String>,
}

/// A distributed worker's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributedSettings {
    pub group_id: String,
    pub session_timeout: Duration,
    pub heartbeat_interval: Duration,
    pub rebalance_timeout: Duration,
    /// How long a member may take to read the config topic up to the assignment's offset.
    pub worker_sync_timeout: Duration,
    /// How long a member that could not catch up waits before rejoining.
    pub worker_unsync_backoff: Duration,
    pub config_topic: TopicSettings,
    pub offset_topic: TopicSettings,
    pub status_topic: TopicSettings,
    pub protocol: Subprotocol,
    /// How long a departed worker's connectors and tasks wait before they move.
    pub scheduled_rebalance_max_delay: Duration,
    pub key_generation_algorithm: String,
    /// Bits; `None`: the algorithm's default.
    pub key_size: Option<u32>,
    pub key_ttl: Duration,
    pub signature_algorithm: String,
    pub verification_algorithms: Vec<String>,
}

/// The HMAC algorithms the worker can sign and verify with (Java's names).
pub const HMAC_ALGORITHMS: &[&str] = &["HmacSHA256", "HmacSHA384", "HmacSHA512"];

fn ms(r: &mut ConfigReader<'_>, name: &str, default: i64, min: i64) -> Duration {
    Duration::from_millis(r.int(name, default, min, i32::MAX.into()) as u64)
}

fn topic(
    r: &mut ConfigReader<'_>,
    map: &ConfigMap,
    prefix: &str,
    name_key: &str,
    partitions_default: Option<i64>,
) -> TopicSettings {
    let name = r.required_string(name_key);
    let broker_default = |n: i64| (n != -1).then_some(n);
    let partitions = partitions_default.and_then(|d| {
        let key = format!("{prefix}.partitions");
        let n = r.int(&key, d, -1, i32::MAX.into());
        if n == 0 {
            r.problem(&key, "must be -1 (the broker's default) or at least 1");
        }
        broker_default(n).map(|n| n as i32)
    });
    let rf_key = format!("{prefix}.replication.factor");
    let rf = r.int(&rf_key, 3, -1, i16::MAX.into());
    if rf == 0 {
        r.problem(&rf_key, "must be -1 (the broker's default) or at least 1");
    }
    let known = [
        format!("{prefix}.topic"),
        format!("{prefix}.partitions"),
        format!("{prefix}.replication.factor"),
        // Connect ignores it (the topic must be compacted) and logs a warning.
        format!("{prefix}.cleanup.policy"),
    ];
    let topic_configs = map
        .iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix(prefix)?.strip_prefix('.')?;
            (!known.contains(k)).then(|| (rest.to_owned(), v.clone()))
        })
        .collect();
    TopicSettings {
        name,
        partitions,
        replication_factor: broker_default(rf).map(|n| n as i16),
        topic_configs,
    }
}

fn algorithm(r: &mut ConfigReader<'_>, name: &str) -> String {
    let value = r.string(name, "HmacSHA256");
    if !HMAC_ALGORITHMS.contains(&value.as_str()) {
        r.problem(
            name,
            format!(
                "{value:?} is not an algorithm this worker has; use one of {}",
                HMAC_ALGORITHMS.join(", ")
            ),
        );
    }
    value
}

impl DistributedSettings {
    /// Reads the distributed properties of a worker's `map` (the rest is the worker's own).
    pub fn read(map: &ConfigMap) -> Result<DistributedSettings, ConfigErrors> {
        let mut r = ConfigReader::new(map);
        let group_id = r.required_string("group.id");
        let session_timeout = ms(&mut r, "session.timeout.ms", 10_000, 1);
        let heartbeat_interval = ms(&mut r, "heartbeat.interval.ms", 3_000, 1);
        let rebalance_timeout = ms(&mut r, "rebalance.timeout.ms", 60_000, 1);
        if heartbeat_interval >= session_timeout {
            r.problem(
                "heartbeat.interval.ms",
                format!(
                    "must be lower than session.timeout.ms ({} ms); a third of it is usual",
                    session_timeout.as_millis()
                ),
            );
        }
        let worker_sync_timeout = ms(&mut r, "worker.sync.timeout.ms", 3_000, 0);
        let worker_unsync_backoff = ms(&mut r, "worker.unsync.backoff.ms", 300_000, 0);
        let config_topic = topic(&mut r, map, "config.storage", "config.storage.topic", None);
        let offset_topic = topic(
            &mut r,
            map,
            "offset.storage",
            "offset.storage.topic",
            Some(25),
        );
        let status_topic = topic(
            &mut r,
            map,
            "status.storage",
            "status.storage.topic",
            Some(5),
        );
        let names = [&config_topic.name, &offset_topic.name, &status_topic.name];
        if !names.iter().any(|n| n.is_empty())
            && (names[0] == names[1] || names[0] == names[2] || names[1] == names[2])
        {
            r.problem(
                "config.storage.topic",
                "config.storage.topic, offset.storage.topic and status.storage.topic must be three different topics",
            );
        }
        let protocol = match r
            .one_of(
                "connect.protocol",
                "sessioned",
                &["eager", "compatible", "sessioned"],
            )
            .as_str()
        {
            "eager" => Subprotocol::Default,
            "compatible" => Subprotocol::Compatible,
            _ => Subprotocol::Sessioned,
        };
        let scheduled_rebalance_max_delay =
            ms(&mut r, "scheduled.rebalance.max.delay.ms", 300_000, 0);
        let key_generation_algorithm = algorithm(&mut r, "inter.worker.key.generation.algorithm");
        let key_size =
            r.optional_string("inter.worker.key.size")
                .map(|raw| match raw.parse::<u32>() {
                    Ok(n) if n > 0 => n,
                    _ => {
                        r.problem("inter.worker.key.size", "must be a positive number of bits");
                        256
                    }
                });
        let key_ttl = ms(&mut r, "inter.worker.key.ttl.ms", 3_600_000, 0);
        let signature_algorithm = algorithm(&mut r, "inter.worker.signature.algorithm");
        let mut verification_algorithms = r.list("inter.worker.verification.algorithms");
        if verification_algorithms.is_empty() {
            verification_algorithms.push("HmacSHA256".to_owned());
        }
        for a in &verification_algorithms {
            if !HMAC_ALGORITHMS.contains(&a.as_str()) {
                r.problem(
                    "inter.worker.verification.algorithms",
                    format!(
                        "{a:?} is not an algorithm this worker has; use {}",
                        HMAC_ALGORITHMS.join(", ")
                    ),
                );
            }
        }
        if !verification_algorithms.contains(&signature_algorithm) {
            r.problem(
                "inter.worker.verification.algorithms",
                format!("must contain inter.worker.signature.algorithm ({signature_algorithm})"),
            );
        }
        // Exactly-once source support changes what is delivered: refused until it exists.
        let eos = r.one_of(
            "exactly.once.source.support",
            "disabled",
            &["disabled", "preparing", "enabled"],
        );
        if eos != "disabled" {
            r.problem(
                "exactly.once.source.support",
                format!("{eos:?} is not supported yet: Tributary's distributed workers deliver at least once (set disabled)"),
            );
        }
        r.finish()?;
        Ok(DistributedSettings {
            group_id,
            session_timeout,
            heartbeat_interval,
            rebalance_timeout,
            worker_sync_timeout,
            worker_unsync_backoff,
            config_topic,
            offset_topic,
            status_topic,
            protocol,
            scheduled_rebalance_max_delay,
            key_generation_algorithm,
            key_size,
            key_ttl,
            signature_algorithm,
            verification_algorithms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use cdc_core::config_map as map;

    const MINIMAL: &[(&str, &str)] = &[
        ("group.id", "connect-cluster"),
        ("config.storage.topic", "connect-configs"),
        ("offset.storage.topic", "connect-offsets"),
        ("status.storage.topic", "connect-status"),
    ];

    #[test]
    fn connects_defaults() {
        let s = DistributedSettings::read(&map(MINIMAL)).unwrap();
        assert_eq!(s.session_timeout, Duration::from_secs(10));
        assert_eq!(s.heartbeat_interval, Duration::from_secs(3));
        assert_eq!(s.rebalance_timeout, Duration::from_secs(60));
        assert_eq!(s.scheduled_rebalance_max_delay, Duration::from_secs(300));
        assert_eq!(s.protocol, Subprotocol::Sessioned);
        assert_eq!(s.offset_topic.partitions, Some(25));
        assert_eq!(s.status_topic.partitions, Some(5));
        assert_eq!(s.config_topic.partitions, None, "always one partition");
        assert_eq!(s.config_topic.replication_factor, Some(3));
        assert_eq!(s.key_ttl, Duration::from_secs(3600));
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let err = DistributedSettings::read(&map(&[
            ("offset.storage.topic", "same"),
            ("status.storage.topic", "same"),
            ("config.storage.topic", "same"),
            ("heartbeat.interval.ms", "20000"),
            ("connect.protocol", "raft"),
            ("offset.storage.replication.factor", "0"),
            ("exactly.once.source.support", "enabled"),
            ("inter.worker.signature.algorithm", "HmacMD5"),
        ]))
        .unwrap_err();
        let props: Vec<&str> = err.0.iter().map(|p| p.property.as_str()).collect();
        for want in [
            "group.id",
            "config.storage.topic",
            "heartbeat.interval.ms",
            "connect.protocol",
            "offset.storage.replication.factor",
            "exactly.once.source.support",
            "inter.worker.signature.algorithm",
        ] {
            assert!(props.contains(&want), "{want} missing from {props:?}");
        }
    }

    #[test]
    fn topic_settings_pass_through_and_broker_defaults() {
        let mut pairs = MINIMAL.to_vec();
        pairs.extend([
            ("offset.storage.partitions", "-1"),
            ("status.storage.replication.factor", "-1"),
            ("config.storage.min.insync.replicas", "2"),
            ("config.storage.cleanup.policy", "delete"),
        ]);
        let s = DistributedSettings::read(&map(&pairs)).unwrap();
        assert_eq!(s.offset_topic.partitions, None);
        assert_eq!(s.status_topic.replication_factor, None);
        assert_eq!(
            s.config_topic.topic_configs,
            [("min.insync.replicas".to_owned(), "2".to_owned())]
                .into_iter()
                .collect(),
            "cleanup.policy is not passed: the topics are compacted"
        );
    }
}

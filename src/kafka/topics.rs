//! Topic creation with Kafka Connect's `topic.creation.*` settings (KIP-158).
//!
//! * `topic.creation.enable` (worker, default true) turns it on or off.
//! * `topic.creation.groups` lists groups; each has `topic.creation.<group>.include` and
//!   `.exclude` (regex lists, whole-name matches), `.replication.factor` and `.partitions`
//!   (defaulting to the `default` group's), and any other `topic.creation.<group>.<property>`
//!   as a topic config (`cleanup.policy`, `compression.type`, ...).
//! * A topic takes the first listed group that includes and does not exclude it, else `default`.
//!
//! One difference from Connect: Connect creates topics only when the connector sets
//! `topic.creation.default.replication.factor` and `.partitions`, and otherwise relies on the
//! broker's auto-creation. Tributary always creates a missing topic, with the broker's defaults
//! (-1, KIP-464) when those are not set: brokers with auto-creation off would otherwise refuse
//! every record.

use cdc_core::{ConfigErrors, ConfigMap, ConfigReader};
use regex::Regex;

/// Settings of one group of topics.
#[derive(Debug, Clone)]
pub struct TopicGroup {
    pub name: String,
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    /// -1: the broker's default.
    pub replication_factor: i32,
    /// -1: the broker's default.
    pub partitions: i32,
    /// Topic configs, in name order.
    pub configs: Vec<(String, String)>,
}

impl TopicGroup {
    fn matches(&self, topic: &str) -> bool {
        self.include.iter().any(|r| r.is_match(topic))
            && !self.exclude.iter().any(|r| r.is_match(topic))
    }
}

/// How a connector's topics are created.
#[derive(Debug, Clone)]
pub struct TopicCreation {
    pub enabled: bool,
    /// The listed groups in order.
    groups: Vec<TopicGroup>,
    default: TopicGroup,
}

const PREFIX: &str = "topic.creation.";

impl TopicCreation {
    /// Reads the worker's `topic.creation.enable` and the connector's `topic.creation.*`;
    /// every problem at once.
    pub fn from_config(worker: &ConfigMap, connector: &ConfigMap) -> Result<Self, ConfigErrors> {
        let enabled = {
            let mut r = ConfigReader::new(worker);
            let e = r.bool("topic.creation.enable", true);
            r.finish()?;
            e
        };
        let mut r = ConfigReader::new(connector);
        let names: Vec<String> = r
            .list("topic.creation.groups")
            .into_iter()
            .filter(|g| g != "default")
            .collect();
        let default_rf = size(&mut r, "topic.creation.default.replication.factor", -1);
        let default_partitions = size(&mut r, "topic.creation.default.partitions", -1);
        let default = TopicGroup {
            name: "default".into(),
            include: vec![Regex::new(".*").expect("valid")],
            exclude: Vec::new(),
            replication_factor: default_rf,
            partitions: default_partitions,
            configs: configs(connector, "default"),
        };
        let mut groups = Vec::new();
        for name in names {
            let p = format!("{PREFIX}{name}.");
            let include = r.regex_list(&format!("{p}include"));
            if include.is_empty() {
                r.problem(
                    &format!("{p}include"),
                    format!("group {name:?} is listed in topic.creation.groups and needs a list of topic name patterns"),
                );
            }
            groups.push(TopicGroup {
                include,
                exclude: r.regex_list(&format!("{p}exclude")),
                replication_factor: size(&mut r, &format!("{p}replication.factor"), default_rf),
                partitions: size(&mut r, &format!("{p}partitions"), default_partitions),
                configs: configs(connector, &name),
                name,
            });
        }
        r.finish()?;
        Ok(TopicCreation {
            enabled,
            groups,
            default,
        })
    }

    /// The group whose settings create `topic`.
    pub fn group_for(&self, topic: &str) -> &TopicGroup {
        self.groups
            .iter()
            .find(|g| g.matches(topic))
            .unwrap_or(&self.default)
    }
}

/// A replication factor or partition count: positive, or -1 for the broker's default.
fn size(r: &mut ConfigReader<'_>, name: &str, default: i32) -> i32 {
    let v = r.int(name, default.into(), -1, i32::MAX.into());
    if v == 0 {
        r.problem(name, "must be -1 (the broker's default) or at least 1");
        return -1;
    }
    v as i32
}

/// `topic.creation.<group>.<config>` other than the group's own settings.
fn configs(connector: &ConfigMap, group: &str) -> Vec<(String, String)> {
    let p = format!("{PREFIX}{group}.");
    connector
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(&p)?, v)))
        .filter(|(k, _)| {
            !matches!(
                *k,
                "include" | "exclude" | "replication.factor" | "partitions"
            )
        })
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use cdc_core::config_map as map;

    #[test]
    fn without_settings_topics_get_the_brokers_defaults() {
        let t = TopicCreation::from_config(&ConfigMap::new(), &ConfigMap::new()).unwrap();
        assert!(t.enabled);
        let g = t.group_for("a.b.c");
        assert_eq!((g.replication_factor, g.partitions), (-1, -1));
    }

    #[test]
    fn the_first_matching_group_applies_with_the_defaults_it_does_not_set() {
        let connector = map(&[
            ("topic.creation.groups", "compacted, big"),
            ("topic.creation.default.replication.factor", "3"),
            ("topic.creation.default.partitions", "1"),
            ("topic.creation.default.compression.type", "lz4"),
            (
                "topic.creation.compacted.include",
                "db\\.public\\.users, db\\.public\\.accounts",
            ),
            ("topic.creation.compacted.cleanup.policy", "compact"),
            ("topic.creation.big.include", "db\\.public\\..*"),
            ("topic.creation.big.exclude", "db\\.public\\.small"),
            ("topic.creation.big.partitions", "12"),
        ]);
        let t = TopicCreation::from_config(&ConfigMap::new(), &connector).unwrap();
        let users = t.group_for("db.public.users");
        assert_eq!(users.name, "compacted");
        assert_eq!((users.replication_factor, users.partitions), (3, 1));
        assert_eq!(
            users.configs,
            vec![("cleanup.policy".into(), "compact".into())]
        );
        assert_eq!(t.group_for("db.public.orders").partitions, 12);
        let small = t.group_for("db.public.small");
        assert_eq!(small.name, "default");
        assert_eq!(
            small.configs,
            vec![("compression.type".into(), "lz4".into())]
        );
        assert_eq!(t.group_for("db.public.users2").name, "big");
    }

    #[test]
    fn bad_settings_name_the_property() {
        let connector = map(&[
            ("topic.creation.groups", "g"),
            ("topic.creation.default.partitions", "0"),
        ]);
        let worker = map(&[("topic.creation.enable", "true")]);
        let err = TopicCreation::from_config(&worker, &connector).unwrap_err();
        let props: Vec<&str> = err.0.iter().map(|p| p.property.as_str()).collect();
        assert_eq!(
            props,
            vec![
                "topic.creation.default.partitions",
                "topic.creation.g.include"
            ]
        );
    }
}

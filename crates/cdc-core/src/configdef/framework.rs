//! Kafka Connect's own connector properties (`ConnectorConfig` with `SourceConnectorConfig` or
//! `SinkConnectorConfig` in Connect 3.9), which `/config/validate` lists before the
//! connector's.

use super::{ConfigDef, ConfigKey, ConfigType, Importance, Width};

const COMMON: &str = "Common";
const TRANSFORMS: &str = "Transforms";
const PREDICATES: &str = "Predicates";
const ERRORS: &str = "Error Handling";
const TOPIC_CREATION: &str = "Topic Creation";
const EXACTLY_ONCE: &str = "Exactly Once Support";
const OFFSETS_TOPIC: &str = "offsets.topic";

/// Connect's framework properties for a source connector, with Connect's types, defaults,
/// groups and order (one counter shared by Common/Transforms/Predicates, as in Connect).
pub fn connect_framework_def() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    let key = |name: &str, t: ConfigType, doc: &str, display: &str| {
        ConfigKey::new(name, t, doc).display_name(display)
    };
    ConfigDef::new()
        .define(
            key("name", String, "Globally unique name of this connector.", "Connector name")
                .required()
                .importance(High)
                .group(COMMON, 1)
                .width(Width::Medium),
        )
        .define(
            key(
                "connector.class",
                String,
                "Class of the connector, by full name or alias.",
                "Connector class",
            )
            .required()
            .importance(High)
            .group(COMMON, 2)
            .width(Width::Long),
        )
        .define(
            key("tasks.max", Int, "Most tasks to run for this connector.", "Tasks max")
                .default_value("1")
                .importance(High)
                .group(COMMON, 3)
                .width(Width::Short),
        )
        .define(
            key(
                "tasks.max.enforce",
                Boolean,
                "Whether to fail the connector when it generates more tasks than tasks.max.",
                "Enforce tasks max",
            )
            .default_value("true")
            .importance(Low)
            .group(COMMON, 4)
            .width(Width::Short),
        )
        .define(
            key(
                "key.converter",
                Class,
                "Converter for record keys; overrides the worker's.",
                "Key converter class",
            )
            .importance(Low)
            .group(COMMON, 5)
            .width(Width::Short),
        )
        .define(
            key(
                "value.converter",
                Class,
                "Converter for record values; overrides the worker's.",
                "Value converter class",
            )
            .importance(Low)
            .group(COMMON, 6)
            .width(Width::Short),
        )
        .define(
            key(
                "header.converter",
                Class,
                "Converter for record headers; overrides the worker's.",
                "Header converter class",
            )
            .importance(Low)
            .group(COMMON, 7)
            .width(Width::Short),
        )
        .define(
            key(
                "transforms",
                List,
                "Aliases of the transformations applied to records, in order.",
                "Transforms",
            )
            .default_value("")
            .importance(Low)
            .group(TRANSFORMS, 8)
            .width(Width::Long),
        )
        .define(
            key(
                "predicates",
                List,
                "Aliases of the predicates transformations may refer to.",
                "Predicates",
            )
            .default_value("")
            .importance(Low)
            .group(PREDICATES, 9)
            .width(Width::Long),
        )
        .define(
            key(
                "config.action.reload",
                String,
                "What to do when an externalised config value changes: restart or none.",
                "Reload Action",
            )
            .default_value("restart")
            .allowed(&["none", "restart"])
            .importance(Low)
            .group(COMMON, 10)
            .width(Width::Medium),
        )
        .define(
            key(
                "errors.retry.timeout",
                Long,
                "How long in milliseconds to retry a failed operation; -1 retries forever.",
                "Retry Timeout for Errors",
            )
            .default_value("0")
            .importance(Medium)
            .group(ERRORS, 1)
            .width(Width::Medium),
        )
        .define(
            key(
                "errors.retry.delay.max.ms",
                Long,
                "Longest wait in milliseconds between two retries.",
                "Maximum Delay Between Retries for Errors",
            )
            .default_value("60000")
            .importance(Medium)
            .group(ERRORS, 2)
            .width(Width::Medium),
        )
        .define(
            key(
                "errors.tolerance",
                String,
                "none fails the task on the first error; all skips records that fail.",
                "Error Tolerance",
            )
            .default_value("none")
            .allowed(&["none", "all"])
            .importance(Medium)
            .group(ERRORS, 3)
            .width(Width::Short),
        )
        .define(
            key(
                "errors.log.enable",
                Boolean,
                "Whether to log each tolerated error.",
                "Log Errors",
            )
            .default_value("false")
            .importance(Medium)
            .group(ERRORS, 4)
            .width(Width::Short),
        )
        .define(
            key(
                "errors.log.include.messages",
                Boolean,
                "Whether logged errors include the record.",
                "Log Error Details",
            )
            .default_value("false")
            .importance(Medium)
            .group(ERRORS, 5)
            .width(Width::Short),
        )
        .define(
            key(
                "topic.creation.groups",
                List,
                "Aliases of topic creation groups beyond the default group.",
                "Topic Creation Groups",
            )
            .default_value("")
            .importance(Low)
            .group(TOPIC_CREATION, 1)
            .width(Width::Long),
        )
        .define(
            key(
                "exactly.once.support",
                String,
                "requested or required: whether the connector must be able to deliver exactly once.",
                "Exactly once support",
            )
            .default_value("requested")
            .allowed(&["requested", "required"])
            .importance(Medium)
            .group(EXACTLY_ONCE, 2)
            .width(Width::Short),
        )
        .define(
            key(
                "transaction.boundary",
                String,
                "Where producer transactions end: poll, interval or connector.",
                "Transaction Boundary",
            )
            .default_value("poll")
            .allowed(&["poll", "interval", "connector"])
            .importance(Medium)
            .group(EXACTLY_ONCE, 3)
            .width(Width::Short),
        )
        .define(
            key(
                "transaction.boundary.interval.ms",
                Long,
                "Commit interval in milliseconds when transaction.boundary is interval.",
                "Transaction boundary interval",
            )
            .importance(Low)
            .group(EXACTLY_ONCE, 4)
            .width(Width::Short),
        )
        .define(
            key(
                "offsets.storage.topic",
                String,
                "A separate offsets topic for this connector instead of the worker's.",
                "Offsets topic",
            )
            .importance(Low)
            .group(OFFSETS_TOPIC, 1)
            .width(Width::Long),
        )
}

/// The source-only framework properties (`SourceConnectorConfig`'s).
const SOURCE_ONLY: &[&str] = &[
    "topic.creation.groups",
    "exactly.once.support",
    "transaction.boundary",
    "transaction.boundary.interval.ms",
    "offsets.storage.topic",
];

/// Connect's framework properties for a sink connector: the common ones, then
/// `SinkConnectorConfig`'s `topics` and `topics.regex` (both at order 4 of "Common", as Connect
/// defines them) and the dead-letter queue's.
pub fn connect_sink_framework_def() -> ConfigDef {
    use ConfigType::*;
    use Importance::*;
    let key = |name: &str, t: ConfigType, doc: &str, display: &str| {
        ConfigKey::new(name, t, doc).display_name(display)
    };
    let mut def = connect_framework_def();
    def.keys.retain(|k| !SOURCE_ONLY.contains(&k.name.as_str()));
    def.define(
        key(
            "topics",
            List,
            "List of topics to consume, separated by commas.",
            "Topics",
        )
        .default_value("")
        .importance(High)
        .group(COMMON, 4)
        .width(Width::Long),
    )
    .define(
        key(
            "topics.regex",
            String,
            "Regular expression giving topics to consume. Only one of topics or topics.regex \
             should be specified.",
            "Topics regex",
        )
        .default_value("")
        .importance(High)
        .group(COMMON, 4)
        .width(Width::Long),
    )
    .define(
        key(
            "errors.deadletterqueue.topic.name",
            String,
            "The name of the topic to be used as the dead letter queue (DLQ) for messages that \
             result in an error when processed by this sink connector, or its transformations \
             or converters. The topic name is blank by default, which means that no messages \
             are to be recorded in the DLQ.",
            "Dead Letter Queue Topic Name",
        )
        .default_value("")
        .importance(Medium)
        .group(ERRORS, 6)
        .width(Width::Medium),
    )
    .define(
        key(
            "errors.deadletterqueue.topic.replication.factor",
            Short,
            "Replication factor used to create the dead letter queue topic when it doesn't \
             already exist.",
            "Dead Letter Queue Topic Replication Factor",
        )
        .default_value("3")
        .importance(Medium)
        .group(ERRORS, 7)
        .width(Width::Medium),
    )
    .define(
        key(
            "errors.deadletterqueue.context.headers.enable",
            Boolean,
            "If true, add headers containing error context to the messages written to the dead \
             letter queue.",
            "Enable Error Context Headers",
        )
        .default_value("false")
        .importance(Medium)
        .group(ERRORS, 8)
        .width(Width::Medium),
    )
}

/// Prefixes of properties Connect reads for the framework (converter settings, transformation
/// and predicate settings, client overrides, topic creation groups).
const FRAMEWORK_PREFIXES: &[&str] = &[
    "key.converter.",
    "value.converter.",
    "header.converter.",
    "transforms.",
    "predicates.",
    "errors.",
    "topic.creation.",
    "producer.override.",
    "consumer.override.",
    "admin.override.",
];

/// Is this a property Connect, not the connector, reads (for a source connector)?
pub fn is_framework_property(name: &str) -> bool {
    is_framework_property_of(&connect_framework_def(), name)
}

/// Is this a property Connect reads, given its framework definition (source or sink)?
pub fn is_framework_property_of(framework: &ConfigDef, name: &str) -> bool {
    FRAMEWORK_PREFIXES.iter().any(|p| name.starts_with(p)) || framework.key(name).is_some()
}

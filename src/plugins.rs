//! The connector registry: `connector.class` → a source connector or a sink task built from
//! its config.
//!
//! Class names are accepted as Debezium / Kafka Connect spell them, plus short aliases.

pub mod file_access;
mod file_sink;
mod file_source;
pub mod slot;

pub use file_sink::FileStreamSink;
pub use file_source::FileStreamSource;

use cdc_core::{ConfigErrors, ConfigMap, ConfigProblem, SinkTask, Source};
use serde_json::{json, Value as Json};

/// The source connectors this build knows, each with its accepted names (canonical first).
const SOURCES: &[(Plugin, &[&str])] = &[
    (
        Plugin::Postgres,
        &[
            "io.debezium.connector.postgresql.PostgresConnector",
            "postgres",
            "postgresql",
        ],
    ),
    (
        Plugin::MySql,
        &["io.debezium.connector.mysql.MySqlConnector", "mysql"],
    ),
    (
        Plugin::MariaDb,
        &["io.debezium.connector.mariadb.MariaDbConnector", "mariadb"],
    ),
    (
        Plugin::FileStream,
        &[
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "FileStreamSource",
            "file-source",
        ],
    ),
    (
        Plugin::JdbcSource,
        &[
            "io.confluent.connect.jdbc.JdbcSourceConnector",
            "jdbc-source",
        ],
    ),
];

/// The sink connectors this build knows, each with its accepted names (canonical first).
const SINKS: &[(Plugin, &[&str])] = &[
    (
        Plugin::FileStreamSink,
        &[
            "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "FileStreamSink",
            "file-sink",
        ],
    ),
    (
        Plugin::DebeziumJdbc,
        &[sinks::jdbc::config::DEBEZIUM_CLASS, "jdbc-sink"],
    ),
    (
        Plugin::ConfluentJdbc,
        &[sinks::jdbc::config::CONFLUENT_CLASS],
    ),
    (
        Plugin::Search,
        &[sinks::search::CLASS, "elasticsearch-sink"],
    ),
    (Plugin::S3, &[sinks::s3::CLASS, "s3-sink"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plugin {
    Postgres,
    MySql,
    MariaDb,
    FileStream,
    JdbcSource,
    FileStreamSink,
    DebeziumJdbc,
    ConfluentJdbc,
    Search,
    S3,
}

/// Every accepted `connector.class` value of a source connector.
pub fn source_class_names() -> Vec<&'static str> {
    SOURCES
        .iter()
        .flat_map(|(_, names)| names.iter().copied())
        .collect()
}

/// A plugin as `GET /connector-plugins` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// The canonical (Java) class name.
    pub class: &'static str,
    /// Connect's plugin type: `source`, `sink`, `converter`, `transformation`, ...
    pub type_: &'static str,
    pub version: String,
    /// Other accepted names (short names), matched case-insensitively like the class.
    pub aliases: Vec<&'static str>,
}

/// Non-connector plugins this build implements.
const OTHER_PLUGINS: &[(&str, &str)] = &[
    (crate::runtime::AVRO_CONVERTER, "converter"),
    (crate::runtime::JSON_CONVERTER, "converter"),
];

/// Every plugin, connectors first (Connect lists them sorted by class within a type).
pub fn plugins() -> Vec<PluginInfo> {
    let version = env!("CARGO_PKG_VERSION").to_owned();
    let connectors = |list: &[(Plugin, &'static [&'static str])], type_| {
        let mut out: Vec<PluginInfo> = list
            .iter()
            .map(|(_, names)| PluginInfo {
                class: names[0],
                type_,
                version: version.clone(),
                aliases: names[1..].to_vec(),
            })
            .collect();
        out.sort_by(|a, b| a.class.cmp(b.class));
        out
    };
    let mut out = connectors(SINKS, "sink");
    out.extend(connectors(SOURCES, "source"));
    out.extend(OTHER_PLUGINS.iter().map(|(class, type_)| PluginInfo {
        class,
        type_,
        version: version.clone(),
        aliases: Vec::new(),
    }));
    let other = |classes: Vec<&'static str>, type_| {
        classes.into_iter().map(move |class| PluginInfo {
            class,
            type_,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            aliases: Vec::new(),
        })
    };
    out.extend(other(
        transforms::chain::transform_classes(),
        "transformation",
    ));
    out.extend(other(transforms::chain::predicate_classes(), "predicate"));
    out
}

/// The plugin a `connector.class` value or a plugin path segment names (class or alias, any
/// case; Connect also accepts the simple class name, e.g. `PostgresConnector`).
pub fn find_plugin(name: &str) -> Option<PluginInfo> {
    let name = name.trim();
    plugins().into_iter().find(|p| {
        p.class.eq_ignore_ascii_case(name)
            || p.class
                .rsplit('.')
                .next()
                .is_some_and(|simple| simple.eq_ignore_ascii_case(name))
            || p.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    })
}

/// The connector plugin a `connector.class` value names (any of its accepted spellings).
fn plugin_of(class: &str) -> Option<Plugin> {
    let class = class.trim();
    SOURCES
        .iter()
        .chain(SINKS)
        .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(class)))
        .map(|(p, _)| *p)
}

/// Whether a connector config names a sink connector.
pub fn is_sink(config: &ConfigMap) -> bool {
    plugin_of_config(config).is_some_and(|p| SINKS.iter().any(|(s, _)| *s == p))
}

/// Connect's connector type of a config: `sink` or `source` (an unknown class counts as a
/// source, whose validation names the class).
pub fn connector_type(config: &ConfigMap) -> &'static str {
    if is_sink(config) {
        "sink"
    } else {
        "source"
    }
}

/// Builds the sink task named by `connector.class`. Only validates: nothing is opened until
/// the task runs.
pub fn make_sink(config: &ConfigMap) -> Result<Box<dyn SinkTask>, ConfigErrors> {
    match plugin_of_config(config) {
        Some(Plugin::FileStreamSink) => {
            FileStreamSink::from_config(config).map(|s| Box::new(s) as Box<dyn SinkTask>)
        }
        Some(Plugin::DebeziumJdbc) => {
            sinks::jdbc::JdbcSinkTask::from_config(sinks::jdbc::config::DEBEZIUM_CLASS, config)
                .map(|s| Box::new(s) as Box<dyn SinkTask>)
        }
        Some(Plugin::ConfluentJdbc) => {
            sinks::jdbc::JdbcSinkTask::from_config(sinks::jdbc::config::CONFLUENT_CLASS, config)
                .map(|s| Box::new(s) as Box<dyn SinkTask>)
        }
        Some(Plugin::S3) => {
            sinks::s3::S3SinkTask::from_config(config).map(|s| Box::new(s) as Box<dyn SinkTask>)
        }
        Some(Plugin::Search) => sinks::search::SearchSinkTask::from_config(config)
            .map(|s| Box::new(s) as Box<dyn SinkTask>),
        _ => Err(problem(
            config,
            format!(
                "not a sink connector class; valid values: {}",
                SINKS
                    .iter()
                    .flat_map(|(_, names)| names.iter().copied())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// What `config` would need the worker's embedded log for, which a distributed worker does not
/// have (its tasks move between machines): a MySQL or MariaDB schema history in a local file,
/// an AvroConverter on the embedded schema registry. Each a problem naming the property to set.
pub fn embedded_log_problems(config: &ConfigMap, worker: &ConfigMap) -> Vec<ConfigProblem> {
    let mut out = Vec::new();
    let set = |m: &ConfigMap, k: &str| m.get(k).is_some_and(|v| !v.trim().is_empty());
    if matches!(
        plugin_of_config(config),
        Some(Plugin::MySql | Plugin::MariaDb)
    ) && !set(config, crate::kafka::history::TOPIC)
    {
        out.push(ConfigProblem {
            property: crate::kafka::history::TOPIC.into(),
            value: None,
            message: "a MySQL or MariaDB connector in a distributed cluster keeps its schema history in a Kafka topic (its task may move to another worker): set schema.history.internal.kafka.topic, as with Debezium on Kafka Connect".into(),
        });
    }
    for prefix in ["key", "value"] {
        let class = format!("{prefix}.converter");
        let url = format!("{class}.schema.registry.url");
        // The connector's converter with its settings, else the worker's.
        let from = if set(config, &class) { config } else { worker };
        if from.get(&class).map(|c| c.trim()) == Some(crate::runtime::AVRO_CONVERTER)
            && !set(from, &url)
        {
            out.push(ConfigProblem {
                property: url,
                value: None,
                message: "an AvroConverter in a distributed cluster needs a Schema Registry URL: the embedded registry lives in a standalone worker's data directory".into(),
            });
        }
    }
    out
}

/// The source plugin a connector config's `connector.class` names.
fn plugin_of_config(config: &ConfigMap) -> Option<Plugin> {
    plugin_of(config.get("connector.class").map_or("", String::as_str))
}

/// The plugin's own configuration definition (Connect's framework keys are added by
/// `configdef`).
fn plugin_def(class: &str) -> cdc_core::configdef::ConfigDef {
    use cdc_core::configdef::{ConfigDef, ConfigKey, ConfigType, Importance};
    match plugin_of(class) {
        Some(Plugin::Postgres) => pg_wal::config_def(),
        Some(Plugin::MySql | Plugin::MariaDb) => mysql_binlog::config_def(),
        Some(Plugin::FileStream) => ConfigDef::new()
            .define(
                ConfigKey::new(
                    "file",
                    ConfigType::String,
                    "Source filename; standard input when not set.",
                )
                .importance(Importance::High),
            )
            .define(
                ConfigKey::new("topic", ConfigType::List, "The topic to publish data to.")
                    .importance(Importance::High)
                    .required(),
            )
            .define(
                ConfigKey::new(
                    "batch.size",
                    ConfigType::Int,
                    "The maximum number of records to poll at once.",
                )
                .default_value("2000")
                .importance(Importance::Low),
            ),
        Some(Plugin::DebeziumJdbc | Plugin::ConfluentJdbc) => ConfigDef::new().define(
            ConfigKey::new(
                "connection.url",
                ConfigType::String,
                "JDBC URL of the target (jdbc:postgresql://host:port/db).",
            )
            .importance(Importance::High)
            .required(),
        ),
        Some(Plugin::S3) => sinks::s3::config_def(),
        Some(Plugin::Search) => sinks::search::config_def(),
        Some(Plugin::JdbcSource) => jdbc_source::config::config_def(),
        Some(Plugin::FileStreamSink) => ConfigDef::new().define(
            ConfigKey::new(
                "file",
                ConfigType::String,
                "Destination filename. If not specified, the standard output will be used",
            )
            .importance(Importance::High),
        ),
        None => ConfigDef::new(),
    }
}

/// The body of `GET /connector-plugins/{plugin}/config`: the plugin's ConfigKeyInfo list, or
/// `None` for an unknown plugin.
pub fn plugin_config(class: &str) -> Option<Json> {
    let plugin = find_plugin(class)?;
    Some(match plugin.type_ {
        "source" => cdc_core::configdef::definition_json(&plugin_def(plugin.class)),
        "sink" => cdc_core::configdef::definition_json_with(
            cdc_core::configdef::connect_sink_framework_def(),
            &plugin_def(plugin.class),
        ),
        "transformation" | "predicate" => match transforms::definitions::definition(plugin.class) {
            Some(def) => cdc_core::configdef::definition_json_with(
                cdc_core::configdef::ConfigDef::new(),
                def,
            ),
            None => json!([]),
        },
        _ => json!([]),
    })
}

/// Validates a connector config for the plugin `class` and returns Connect's ConfigInfos
/// (`{"name","error_count","groups","configs"}`, plus `warnings` for properties accepted but
/// not acted on yet), errors inside, never an error itself. Secrets show as `[hidden]`.
pub fn validate(class: &str, config: &ConfigMap) -> Json {
    validate_inner(class, config, None)
}

/// [`validate`] on a worker: also refuses what the worker's properties do not allow (the
/// FileStream connectors' files, [`file_access`]).
pub fn validate_for_worker(class: &str, config: &ConfigMap, worker: &ConfigMap) -> Json {
    validate_inner(class, config, Some(worker))
}

fn validate_inner(class: &str, config: &ConfigMap, worker: Option<&ConfigMap>) -> Json {
    let mut config = config.clone();
    let name = find_plugin(class)
        .map(|p| p.class.to_owned())
        .unwrap_or_else(|| class.to_owned());
    if !class.trim().is_empty() {
        config
            .entry("connector.class".to_owned())
            .or_insert_with(|| class.to_owned());
    }
    let mut problems: Vec<ConfigProblem> = Vec::new();
    if let Some(n) = config.get("name") {
        problems.extend(connector_name_problem(n));
    }
    if let Some(Err(ConfigErrors(mut p))) = worker.map(|w| file_access::check(w, &config)) {
        problems.append(&mut p);
    }
    if is_sink(&config) {
        let worker = ConfigMap::new();
        let checks = [
            transforms::Chain::from_config(&config).err(),
            make_sink(&config).err(),
            crate::runtime::sink::SinkSettings::from_config(&config, &worker).err(),
            crate::runtime::sink::SinkConverters::from_config(&config, &worker).err(),
        ];
        for ConfigErrors(mut p) in checks.into_iter().flatten() {
            problems.append(&mut p);
        }
    } else {
        // The transforms and error handling, then the connector on its own (a transform's
        // problem does not hide the connector's).
        if let Err(ConfigErrors(mut p)) = source_transforms(&config) {
            problems.append(&mut p);
        }
        let connector_only: ConfigMap = config
            .iter()
            .filter(|(k, _)| !is_transform_property(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Err(ConfigErrors(mut p)) = make_source(&connector_only) {
            problems.append(&mut p);
        }
        if let Err(ConfigErrors(mut p)) =
            crate::runtime::Converters::from_config(&config, &ConfigMap::new())
        {
            problems.append(&mut p);
        }
        if let Err(ConfigErrors(mut p)) = crate::runtime::queue_bounds(&config) {
            problems.append(&mut p);
        }
    }
    // `configdef` words problems with a value as Connect does; a missing required value gets
    // Connect's own sentence.
    for p in problems
        .iter_mut()
        .filter(|p| p.value.is_none() && p.message.contains("required"))
    {
        p.message = connect_error_message(p);
    }
    let framework = if is_sink(&config) {
        cdc_core::configdef::connect_sink_framework_def()
    } else {
        cdc_core::configdef::connect_framework_def()
    };
    // Connect's ConnectorConfig.enrich: a group per transform and predicate alias.
    let framework = transforms::definitions::enrich(framework, &config, env!("CARGO_PKG_VERSION"));
    problems.extend(cdc_core::configdef::refused_problems(&framework, &config));
    // One report per problem (the sink's checks and the source's both build the chain).
    let mut seen = std::collections::HashSet::new();
    problems.retain(|p| seen.insert((p.property.clone(), p.message.clone())));
    let mut infos = cdc_core::configdef::validate_with(
        framework,
        &plugin_def(&name),
        &name,
        &config,
        &problems,
    );
    // Transform properties accepted and not acted on, or unknown to their class.
    if let Some(warnings) = infos["warnings"].as_array_mut() {
        for (property, note) in transforms::definitions::notes(&config) {
            if !problems.iter().any(|p| p.property == property) {
                warnings.push(Json::String(note));
            }
        }
    }
    infos
}

/// Is this a property of the transform chain (`transforms`, `predicates` or one under them)?
fn is_transform_property(name: &str) -> bool {
    matches!(name, "transforms" | "predicates")
        || name.starts_with("transforms.")
        || name.starts_with("predicates.")
}

/// A problem in Connect's words: `Invalid value X for configuration k: reason`.
fn connect_error_message(p: &ConfigProblem) -> String {
    match &p.value {
        Some(v) => format!(
            "Invalid value {v} for configuration {}: {}",
            p.property, p.message
        ),
        None if p.message.contains("required") => format!(
            "Missing required configuration \"{}\" which has no default value.",
            p.property
        ),
        None => format!("Invalid configuration {}: {}", p.property, p.message),
    }
}

/// Connect's rule for the `name` property (`NonEmptyStringWithoutControlChars`): not empty,
/// no ISO control characters. Leading and trailing whitespace is trimmed by the REST layer
/// before this (as Connect's `POST /connectors` does).
pub fn connector_name_problem(name: &str) -> Option<ConfigProblem> {
    let message = if name.is_empty() {
        "String may not be empty".to_owned()
    } else {
        let controls: Vec<String> = name
            .chars()
            .filter(|c| c.is_control())
            .map(|c| (c as u32).to_string())
            .collect();
        if controls.is_empty() {
            return None;
        }
        format!(
            "String may not contain control sequences but had the following ASCII chars: {}",
            controls.join(", ")
        )
    };
    Some(ConfigProblem {
        property: "name".into(),
        value: Some(name.to_owned()),
        message,
    })
}

fn problem(config: &ConfigMap, message: String) -> ConfigErrors {
    ConfigErrors(vec![ConfigProblem {
        property: "connector.class".into(),
        value: config.get("connector.class").cloned(),
        message,
    }])
}

/// Builds the source connector named by `connector.class`. Only validates: nothing is opened
/// until the source runs.
pub fn make_source(config: &ConfigMap) -> Result<Box<dyn Source>, ConfigErrors> {
    make_source_on(config, None)
}

/// The source connector's transforms and error handling (`errors.tolerance`, its dead-letter
/// queue), checked: they run in the task's converter.
fn source_transforms(config: &ConfigMap) -> Result<(), ConfigErrors> {
    let mut problems = match transforms::Chain::from_config(config) {
        Ok(_) => Vec::new(),
        Err(e) => e.0,
    };
    let name = config.get("name").map_or("", String::as_str);
    if let Err(e) = crate::runtime::SourceTolerance::from_config(name, config) {
        problems.extend(e.0);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors(problems))
    }
}

/// [`make_source`] for a worker on Kafka (`kafka`): MySQL and MariaDB connectors that name
/// `schema.history.internal.kafka.topic` keep their schema history in that topic.
pub fn make_source_on(
    config: &ConfigMap,
    kafka: Option<&crate::kafka::KafkaSettings>,
) -> Result<Box<dyn Source>, ConfigErrors> {
    let class = config
        .get("connector.class")
        .map(|c| c.trim())
        .unwrap_or_default();
    if class.is_empty() {
        return Err(problem(
            config,
            "a value is required and none was given".into(),
        ));
    }
    source_transforms(config)?;
    match plugin_of(class) {
        Some(Plugin::Postgres) => postgres(config),
        Some(Plugin::MySql | Plugin::MariaDb) => {
            let source = mysql_binlog::MySqlSource::from_config(config)?;
            let history = match kafka {
                Some(k) => crate::kafka::history::factory(k, config).map_err(|why| {
                    ConfigErrors(vec![ConfigProblem {
                        property: crate::kafka::history::TOPIC.into(),
                        value: config.get(crate::kafka::history::TOPIC).cloned(),
                        message: why,
                    }])
                })?,
                None => None,
            };
            Ok(match history {
                Some(h) => Box::new(source.with_history_store(h)),
                None => Box::new(source),
            })
        }
        Some(Plugin::FileStream) => {
            FileStreamSource::from_config(config).map(|s| Box::new(s) as Box<dyn Source>)
        }
        Some(Plugin::JdbcSource) => jdbc_source::source::JdbcSource::from_config(config)
            .map(|s| Box::new(s) as Box<dyn Source>),
        Some(Plugin::Search) => Err(problem(
            config,
            "a sink connector, not a source connector".into(),
        )),
        Some(
            Plugin::FileStreamSink | Plugin::DebeziumJdbc | Plugin::ConfluentJdbc | Plugin::S3,
        ) => Err(problem(
            config,
            "a sink connector, not a source connector".into(),
        )),
        None => Err(problem(
            config,
            format!(
                "unknown connector class; valid values: {}",
                source_class_names().join(", ")
            ),
        )),
    }
}

/// Debezium's context headers (`extended.headers.enabled`, true by default) for a connector's
/// records: its logical name (`topic.prefix`), its task, its kind (`source.connector`'s value)
/// and, as Debezium 3.5+ writes it, the task run's id (a UUIDv7 made anew at each task start:
/// call this once per start). Sources other than Debezium's get none.
pub fn context_headers(config: &ConfigMap) -> Result<Vec<(String, Vec<u8>)>, ConfigErrors> {
    let kind = match plugin_of_config(config) {
        Some(Plugin::Postgres) => "postgresql",
        Some(Plugin::MySql) => "mysql",
        Some(Plugin::MariaDb) => "mariadb",
        Some(Plugin::Search) => return Ok(Vec::new()),
        Some(
            Plugin::FileStream
            | Plugin::JdbcSource
            | Plugin::FileStreamSink
            | Plugin::DebeziumJdbc
            | Plugin::ConfluentJdbc
            | Plugin::S3,
        )
        | None => return Ok(Vec::new()),
    };
    let mut r = cdc_core::ConfigReader::new(config);
    let enabled = r.bool("extended.headers.enabled", true);
    r.finish()?;
    if !enabled {
        return Ok(Vec::new());
    }
    let logical_name = config.get("topic.prefix").cloned().unwrap_or_default();
    let run_id = uuid::Uuid::now_v7().to_string();
    Ok([
        ("connectorLogicalName", logical_name.as_str()),
        ("taskId", "0"),
        ("connectorName", kind),
        ("runId", run_id.as_str()),
    ]
    .iter()
    .map(|(k, v)| (format!("__debezium.context.{k}"), v.as_bytes().to_vec()))
    .collect())
}

/// The property naming the schema history file of MySQL/MariaDB connectors.
const HISTORY_FILE: &str = "schema.history.internal.file.filename";

/// Worker-supplied defaults a connector's config gets before it runs: MySQL and MariaDB
/// connectors keep their schema history in `<data dir>/schema-history/<connector>.jsonl`
/// unless `schema.history.internal.file.filename` says otherwise.
pub fn with_worker_defaults(
    config: &ConfigMap,
    connector: &str,
    data_dir: &std::path::Path,
) -> ConfigMap {
    let mut config = config.clone();
    let is_binlog = matches!(
        plugin_of_config(&config),
        Some(Plugin::MySql | Plugin::MariaDb)
    );
    if is_binlog && config.get(HISTORY_FILE).is_none_or(|v| v.trim().is_empty()) {
        let safe: String = connector
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = data_dir
            .join("schema-history")
            .join(format!("{safe}.jsonl"));
        config.insert(HISTORY_FILE.to_owned(), path.display().to_string());
    }
    config
}

fn postgres(config: &ConfigMap) -> Result<Box<dyn Source>, ConfigErrors> {
    pg_wal::PostgresSource::from_config(config).map(|s| Box::new(s) as Box<dyn Source>)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_needs_the_embedded_log_is_named_for_a_distributed_cluster() {
        let m = cdc_core::config_map;
        let mysql = m(&[(
            "connector.class",
            "io.debezium.connector.mysql.MySqlConnector",
        )]);
        let worker = m(&[("value.converter", "io.confluent.connect.avro.AvroConverter")]);
        let named: Vec<String> = embedded_log_problems(&mysql, &worker)
            .into_iter()
            .map(|p| p.property)
            .collect();
        assert_eq!(
            named,
            [
                "schema.history.internal.kafka.topic",
                "value.converter.schema.registry.url"
            ]
        );
        let ok = m(&[
            (
                "connector.class",
                "io.debezium.connector.mysql.MySqlConnector",
            ),
            ("schema.history.internal.kafka.topic", "h"),
            ("value.converter", "io.confluent.connect.avro.AvroConverter"),
            ("value.converter.schema.registry.url", "http://r:8081"),
        ]);
        assert!(embedded_log_problems(&ok, &worker).is_empty());
        let pg = m(&[(
            "connector.class",
            "io.debezium.connector.postgresql.PostgresConnector",
        )]);
        assert!(embedded_log_problems(&pg, &ConfigMap::new()).is_empty());
    }

    fn config(class: &str) -> ConfigMap {
        [("connector.class".to_owned(), class.to_owned())]
            .into_iter()
            .collect()
    }

    #[test]
    fn an_unknown_class_names_the_property_the_value_and_the_valid_names() {
        let err = make_source(&config("com.example.Nope")).err().unwrap();
        let p = &err.0[0];
        assert_eq!(p.property, "connector.class");
        assert_eq!(p.value.as_deref(), Some("com.example.Nope"));
        assert!(p
            .message
            .contains("io.debezium.connector.postgresql.PostgresConnector"));
        assert!(make_source(&ConfigMap::new()).is_err());
    }

    /// Every property the source connectors refuse: not implemented, and running without it
    /// would change what is written or delivered. Each, set to a value other than its default,
    /// fails validation naming it; at its default it passes.
    #[test]
    fn validation_refuses_every_data_changing_property_we_do_not_implement() {
        const POSTGRES: &[&str] = &[
            "converters",
            "database.initial.statements",
            "database.sslfactory",
            "field.name.adjustment.mode",
            "include.schema.comments",
            "offset.mismatch.strategy",
            "post.processors",
            "publish.via.partition.root",
            "replica.identity.autoset.values",
            "schema.name.adjustment.mode",
            "skip.messages.without.change",
            "slot.failover",
            "slot.stream.params",
            "snapshot.include.collection.list",
            "snapshot.isolation.mode",
            "snapshot.locking.mode",
            "snapshot.locking.mode.custom.name",
            "snapshot.mode.configuration.based.snapshot.data",
            "snapshot.mode.configuration.based.snapshot.on.data.error",
            "snapshot.mode.configuration.based.snapshot.on.schema.error",
            "snapshot.mode.configuration.based.snapshot.schema",
            "snapshot.mode.configuration.based.start.stream",
            "snapshot.mode.custom.name",
            "snapshot.query.mode",
            "snapshot.query.mode.custom.name",
            "snapshot.select.statement.overrides",
            "sourceinfo.struct.maker",
            "topic.delimiter",
            "topic.naming.strategy",
        ];
        const MYSQL: &[&str] = &[
            "converters",
            "database.initial.statements",
            "enable.time.adjuster",
            "field.name.adjustment.mode",
            "gtid.source.excludes",
            "gtid.source.includes",
            "include.schema.comments",
            "post.processors",
            "schema.name.adjustment.mode",
            "skip.messages.without.change",
            "snapshot.include.collection.list",
            "snapshot.select.statement.overrides",
            "topic.delimiter",
            "topic.naming.strategy",
        ];
        for (class, listed) in [
            (
                "io.debezium.connector.postgresql.PostgresConnector",
                POSTGRES,
            ),
            ("io.debezium.connector.mysql.MySqlConnector", MYSQL),
        ] {
            let def = plugin_def(class);
            // The list is the definition's, no more and no less.
            let mut refused: Vec<String> = def
                .keys()
                .iter()
                .filter(|k| k.refused)
                .map(|k| k.name.clone())
                .collect();
            refused.sort();
            let mut from_list: Vec<String> = listed
                .iter()
                .map(|n| {
                    def.keys()
                        .iter()
                        .find(|k| k.refused && k.names_for_tests(n))
                        .unwrap_or_else(|| panic!("{class}: {n} is not refused"))
                        .name
                        .clone()
                })
                .collect();
            from_list.sort();
            assert_eq!(from_list, refused, "{class}");
            for name in listed {
                let mut c = config(class);
                c.insert((*name).to_owned(), "some-other-value".to_owned());
                let infos = validate(class, &c);
                let text = infos.to_string();
                let named = infos["configs"].as_array().unwrap().iter().any(|e| {
                    e["value"]["name"] == *name
                        && e["value"]["errors"].as_array().is_some_and(|errs| {
                            errs.iter().any(|m| {
                                m.as_str()
                                    .unwrap_or("")
                                    .contains("not implemented by Tributary yet")
                            })
                        })
                });
                assert!(named, "{class}: {name} was not refused: {text}");
                // At its default (when it has one) it passes.
                let key = def.keys().iter().find(|k| k.names_for_tests(name)).unwrap();
                if let (Some(d), false) = (&key.default, key.name.contains('(')) {
                    let mut c = config(class);
                    c.insert((*name).to_owned(), d.clone());
                    let infos = validate(class, &c);
                    assert!(
                        !infos
                            .to_string()
                            .contains("not implemented by Tributary yet"),
                        "{class}: {name} at its default {d} was refused"
                    );
                }
            }
        }
    }

    /// What a `docs/compat.md` section names: every backticked property, its shorthand
    /// expanded (`a/b.c` and `a.b/c`, `x.{a,b}`, `` `x.a`/`b` ``, `name=value`); a name with
    /// `*` or `<n>` is a prefix. `(text, is_prefix)`.
    fn compat_names(text: &str) -> Vec<(String, bool)> {
        let mut out: Vec<(String, bool)> = Vec::new();
        let mut previous: Option<String> = None;
        let pieces: Vec<&str> = text.split('`').collect();
        for (i, token) in pieces.iter().enumerate().skip(1).step_by(2) {
            let token = token.split(['=', ' ']).next().unwrap_or_default();
            // `x.a`/`b`: b replaces x.a's last part.
            let joined = pieces[i - 1] == "/";
            let mut names: Vec<String> = match (&previous, joined, token.contains('.')) {
                (Some(prev), true, false) => {
                    let (base, _) = prev.rsplit_once('.').unwrap_or(("", prev));
                    vec![format!("{base}.{token}")]
                }
                _ => vec![token.to_owned()],
            };
            // x.{a,b}
            names = names
                .into_iter()
                .flat_map(|n| match (n.find('{'), n.find('}')) {
                    (Some(a), Some(b)) if a < b => n[a + 1..b]
                        .split(',')
                        .map(|part| format!("{}{part}{}", &n[..a], &n[b + 1..]))
                        .collect::<Vec<_>>(),
                    _ => vec![n],
                })
                .collect();
            // a.b/c/d (a shared prefix) and a/b/c.d (a shared suffix).
            names = names
                .into_iter()
                .flat_map(|n| {
                    let parts: Vec<&str> = n.split('/').collect();
                    if parts.len() == 1 {
                        return vec![n];
                    }
                    if let Some((base, _)) = parts[0].rsplit_once('.') {
                        let mut v = vec![parts[0].to_owned()];
                        v.extend(parts[1..].iter().map(|p| format!("{base}.{p}")));
                        v
                    } else if let Some((_, suffix)) = parts[parts.len() - 1].split_once('.') {
                        let mut v: Vec<String> = parts[..parts.len() - 1]
                            .iter()
                            .map(|p| format!("{p}.{suffix}"))
                            .collect();
                        v.push(parts[parts.len() - 1].to_owned());
                        v
                    } else {
                        parts.iter().map(|p| (*p).to_owned()).collect()
                    }
                })
                .collect();
            for n in &names {
                match n.find(['*', '<']) {
                    Some(at) => out.push((n[..at].to_owned(), true)),
                    None => out.push((n.clone(), false)),
                }
            }
            previous = names.last().cloned();
        }
        out
    }

    /// Whether `names` name the table's property `property` (a pattern `x.(d+).y` is named by
    /// a name with the same prefix, e.g. `x.<n>.y`).
    fn names_property(names: &[(String, bool)], property: &str) -> bool {
        match property.split_once('(') {
            Some((prefix, _)) => names.iter().any(|(n, _)| n == prefix),
            None => names
                .iter()
                .any(|(n, prefix)| n == property || (*prefix && property.starts_with(n.as_str()))),
        }
    }

    /// One table row of a docs/compat.md section: the names of its first column, its status,
    /// the names of the whole row, and whether it says the properties are refused.
    struct CompatRow {
        first: Vec<(String, bool)>,
        status: String,
        all: Vec<(String, bool)>,
        refused: bool,
    }

    fn compat_rows(doc: &str, title: &str) -> Vec<CompatRow> {
        let start = doc
            .find(&format!("\n## {title}\n"))
            .unwrap_or_else(|| panic!("docs/compat.md has no section {title}"));
        let rest = &doc[start + title.len() + 5..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        rest[..end]
            .lines()
            .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
            .map(|r| {
                let cells: Vec<&str> = r.split('|').collect();
                CompatRow {
                    first: compat_names(cells.get(1).copied().unwrap_or_default()),
                    status: cells.get(2).copied().unwrap_or_default().trim().to_owned(),
                    all: compat_names(r),
                    refused: r.contains("refused at validation") || r.contains("**refused**"),
                }
            })
            .collect()
    }

    /// docs/compat.md does not drift from the connector definitions: every property the
    /// PostgreSQL and MySQL tables refuse is named in the first column of a row of its
    /// connector's section that says it is refused, every property they accept and ignore
    /// (NOT_YET) is named in a row not marked ✅, and every property a "refused" row names is
    /// refused by the table.
    #[test]
    fn compat_md_names_every_refused_and_ignored_connector_property() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/compat.md"))
            .unwrap();
        let mut drift = Vec::new();
        for (title, class) in [
            (
                "PostgreSQL connector",
                "io.debezium.connector.postgresql.PostgresConnector",
            ),
            (
                "MySQL and MariaDB connector",
                "io.debezium.connector.mysql.MySqlConnector",
            ),
        ] {
            let def = plugin_def(class);
            let rows = compat_rows(&doc, title);
            for key in def.keys() {
                if key.refused {
                    if !rows
                        .iter()
                        .any(|r| r.refused && names_property(&r.first, &key.name))
                    {
                        drift.push(format!(
                            "{title}: {} is refused but no row saying so names it",
                            key.name
                        ));
                    }
                } else if !key.supported
                    && !rows
                        .iter()
                        .any(|r| !r.status.starts_with('✅') && names_property(&r.all, &key.name))
                {
                    drift.push(format!(
                        "{title}: {} is accepted and ignored but no row not marked ✅ names it",
                        key.name
                    ));
                }
            }
            for row in rows.iter().filter(|r| r.refused) {
                for (name, prefix) in &row.first {
                    let refused_here = def.keys().iter().any(|k| {
                        k.refused
                            && match (prefix, k.name.split_once('(')) {
                                (true, Some((p, _))) => p == name,
                                (true, None) => k.name.starts_with(name.as_str()),
                                (false, _) => k.names_for_tests(name),
                            }
                    });
                    if !refused_here {
                        drift.push(format!(
                            "{title}: a row says {name} is refused; the definition does not refuse it"
                        ));
                    }
                }
            }
        }
        assert!(
            drift.is_empty(),
            "docs/compat.md drifted:\n{}",
            drift.join("\n")
        );
    }

    #[test]
    fn compat_names_expand_the_shorthands() {
        let names: Vec<String> = compat_names(
            "`database.ssl{cert,key}`, `gtid.source.includes`/`excludes`, \
             `schema/table.include.list`, `database.hostname/port`, `enable.x=false`, `a.b.*`",
        )
        .into_iter()
        .map(|(n, prefix)| if prefix { format!("{n}*") } else { n })
        .collect();
        assert_eq!(
            names,
            [
                "database.sslcert",
                "database.sslkey",
                "gtid.source.includes",
                "gtid.source.excludes",
                "schema.include.list",
                "table.include.list",
                "database.hostname",
                "database.port",
                "enable.x",
                "a.b.*",
            ]
        );
    }

    /// The issue's chain (issue 15): ExtractNewRecordState, ReplaceField$Value, RegexRouter,
    /// InsertField$Value and MaskField$Value on a PostgreSQL connector.
    fn issue_chain(class: &str) -> ConfigMap {
        let mut c = config(class);
        for (k, v) in [
            ("name", "inv"),
            ("transforms", "unwrap,dropField,route,addTimestamp,maskSSN"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            ("transforms.unwrap.drop.tombstones", "false"),
            (
                "transforms.dropField.type",
                "org.apache.kafka.connect.transforms.ReplaceField$Value",
            ),
            ("transforms.dropField.exclude", "internal_notes"),
            (
                "transforms.route.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.route.regex", "inv\\.public\\.(.*)"),
            ("transforms.route.replacement", "prod.$1"),
            (
                "transforms.addTimestamp.type",
                "org.apache.kafka.connect.transforms.InsertField$Value",
            ),
            ("transforms.addTimestamp.timestamp.field", "processed_at"),
            (
                "transforms.maskSSN.type",
                "org.apache.kafka.connect.transforms.MaskField$Value",
            ),
            ("transforms.maskSSN.fields", "ssn"),
        ] {
            c.insert(k.to_owned(), v.to_owned());
        }
        c
    }

    fn config_entry<'a>(infos: &'a Json, name: &str) -> &'a Json {
        infos["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["value"]["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {infos}"))
    }

    fn errors_of(infos: &Json, name: &str) -> Vec<String> {
        config_entry(infos, name)["value"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().to_owned())
            .collect()
    }

    fn counted_errors(infos: &Json) -> u64 {
        infos["configs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["value"]["errors"].as_array().map_or(0, Vec::len) as u64)
            .sum()
    }

    #[test]
    fn validate_lists_a_group_per_transform_alias_with_its_class_s_definition() {
        const PG: &str = "io.debezium.connector.postgresql.PostgresConnector";
        let infos = validate(PG, &issue_chain(PG));
        let groups: Vec<&str> = infos["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap())
            .collect();
        // Connect's order: framework groups, the aliases', then the connector's.
        let at = |g: &str| groups.iter().position(|x| *x == g).unwrap_or(usize::MAX);
        assert!(at("Common") < at("Transforms: unwrap"), "{groups:?}");
        for pair in [
            "Transforms: unwrap",
            "Transforms: dropField",
            "Transforms: route",
            "Transforms: addTimestamp",
            "Transforms: maskSSN",
            "CONNECTION",
        ]
        .windows(2)
        {
            assert!(at(pair[0]) < at(pair[1]), "{pair:?} in {groups:?}");
        }
        let fields = config_entry(&infos, "transforms.maskSSN.fields");
        assert_eq!(fields["definition"]["type"], "LIST");
        assert_eq!(fields["definition"]["required"], true);
        assert_eq!(fields["definition"]["group"], "Transforms: maskSSN");
        assert_eq!(fields["definition"]["order"], 2);
        assert_eq!(
            fields["definition"]["documentation"],
            "Names of fields to mask."
        );
        assert_eq!(fields["value"]["value"], "ssn");
        let negate = config_entry(&infos, "transforms.route.negate");
        assert_eq!(negate["definition"]["default_value"], "false");
        assert_eq!(negate["value"]["value"], "false");
        let version = config_entry(&infos, "transforms.unwrap.plugin.version");
        assert_eq!(version["value"]["value"], env!("CARGO_PKG_VERSION"));
        for alias in ["unwrap", "dropField", "route", "addTimestamp", "maskSSN"] {
            assert!(errors_of(&infos, &format!("transforms.{alias}.type")).is_empty());
        }
        // Accepted and not applied: a warning, not an error, and not a definition.
        assert!(infos["configs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["value"]["name"] != "transforms.unwrap.drop.tombstones"));
        let warnings = infos["warnings"].to_string();
        assert!(
            warnings.contains("transforms.unwrap.drop.tombstones is accepted and not applied"),
            "{warnings}"
        );
        assert_eq!(infos["error_count"].as_u64(), Some(counted_errors(&infos)));
    }

    #[test]
    fn validate_attaches_the_chain_s_errors_to_their_properties_and_counts_them() {
        const PG: &str = "io.debezium.connector.postgresql.PostgresConnector";
        let mut c = issue_chain(PG);
        c.remove("transforms.maskSSN.fields");
        c.insert("transforms.route.negate".into(), "true".into());
        c.insert(
            "transforms.dropField.type".into(),
            "com.example.Nope".into(),
        );
        c.insert("transforms".into(), "route,maskSSN,dropField,notype".into());
        c.insert("predicates".into(), "isT".into());
        c.insert(
            "predicates.isT.type".into(),
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches".into(),
        );
        let infos = validate(PG, &c);
        assert_eq!(
            errors_of(&infos, "transforms.maskSSN.fields"),
            ["Missing required configuration \"transforms.maskSSN.fields\" which has no default value."]
        );
        assert_eq!(
            errors_of(&infos, "transforms.route.type"),
            ["Config 'transforms.route.negate' was provided but there is no config 'transforms.route.predicate' defining a predicate to be negated."]
        );
        assert_eq!(
            errors_of(&infos, "transforms.notype.type"),
            ["Missing required configuration \"transforms.notype.type\" which has no default value."]
        );
        let unknown = errors_of(&infos, "transforms.dropField.type");
        assert!(
            unknown[0].starts_with("Invalid value com.example.Nope for configuration transforms.dropField.type: com.example.Nope is not a transformation Tributary implements"),
            "{unknown:?}"
        );
        // An unknown class gets no properties but its type and version.
        assert!(infos["configs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["value"]["name"] != "transforms.dropField.exclude"));
        assert_eq!(
            errors_of(&infos, "predicates.isT.pattern").len(),
            1,
            "{infos}"
        );
        // The connector's own problems are still reported beside the chain's.
        assert!(!errors_of(&infos, "database.hostname").is_empty());
        assert_eq!(infos["error_count"].as_u64(), Some(counted_errors(&infos)));
    }

    #[test]
    fn validate_enriches_sink_connectors_too() {
        const SINK: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";
        let mut c = issue_chain(SINK);
        c.insert("topics".into(), "t".into());
        c.remove("transforms.route.regex");
        let infos = validate(SINK, &c);
        let groups = infos["groups"].to_string();
        assert!(groups.contains("Transforms: route"), "{groups}");
        assert_eq!(
            errors_of(&infos, "transforms.route.regex"),
            ["Missing required configuration \"transforms.route.regex\" which has no default value."]
        );
        assert_eq!(infos["error_count"].as_u64(), Some(counted_errors(&infos)));
    }

    #[test]
    fn the_outbox_missing_field_behaviour_is_accepted_at_either_value() {
        const PG: &str = "io.debezium.connector.postgresql.PostgresConnector";
        let mut c = config(PG);
        c.insert("transforms".into(), "outbox".into());
        c.insert(
            "transforms.outbox.type".into(),
            "io.debezium.transforms.outbox.EventRouter".into(),
        );
        c.insert(
            "transforms.outbox.table.field.additional.missing".into(),
            "error".into(),
        );
        let infos = validate(PG, &c);
        assert!(errors_of(&infos, "transforms.outbox.table.field.additional.missing").is_empty());
        c.insert(
            "transforms.outbox.table.field.additional.missing".into(),
            "ignore".into(),
        );
        let infos = validate(PG, &c);
        assert!(errors_of(&infos, "transforms.outbox.table.field.additional.missing").is_empty());
    }

    #[test]
    fn a_transform_or_predicate_plugin_lists_its_own_definition() {
        for class in [
            "org.apache.kafka.connect.transforms.MaskField$Value",
            "org.apache.kafka.connect.transforms.MaskField$Key",
        ] {
            let keys = plugin_config(class).unwrap();
            let names: Vec<&str> = keys
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["name"].as_str().unwrap())
                .collect();
            assert_eq!(
                names,
                ["fields", "replacement", "replace.null.with.default"]
            );
        }
        let pattern =
            plugin_config("org.apache.kafka.connect.transforms.predicates.TopicNameMatches")
                .unwrap();
        assert_eq!(pattern[0]["name"], "pattern");
        assert_eq!(pattern[0]["required"], true);
        assert_eq!(pattern[0]["group"], Json::Null);
        assert_eq!(pattern[0]["order"], -1);
    }

    #[test]
    fn a_dead_letter_queue_on_a_source_needs_errors_tolerance_all() {
        let mut c = config("io.debezium.connector.postgresql.PostgresConnector");
        c.insert("errors.deadletterqueue.topic.name".into(), "dlq".into());
        let refused = |c: &ConfigMap| {
            let infos = validate("io.debezium.connector.postgresql.PostgresConnector", c);
            infos["configs"].as_array().unwrap().iter().any(|e| {
                e["value"]["name"] == "errors.deadletterqueue.topic.name"
                    && !e["value"]["errors"].as_array().unwrap().is_empty()
            })
        };
        assert!(refused(&c), "without errors.tolerance=all");
        c.insert("errors.tolerance".into(), "all".into());
        assert!(!refused(&c), "with errors.tolerance=all");
    }

    #[test]
    fn transforms_and_predicates_are_listed_as_plugins() {
        let listed = plugins();
        let type_of = |class: &str| listed.iter().find(|p| p.class == class).map(|p| p.type_);
        assert_eq!(
            type_of("org.apache.kafka.connect.transforms.RegexRouter"),
            Some("transformation")
        );
        assert_eq!(
            type_of("io.debezium.transforms.ExtractNewRecordState"),
            Some("transformation")
        );
        assert_eq!(
            type_of("org.apache.kafka.connect.transforms.predicates.TopicNameMatches"),
            Some("predicate")
        );
    }

    #[test]
    fn postgres_aliases_reach_the_postgres_plugin() {
        for class in [
            "io.debezium.connector.postgresql.PostgresConnector",
            "postgres",
            "postgresql",
        ] {
            // The Postgres connector's own validation answers: its required properties are missing.
            let err = make_source(&config(class)).err().unwrap();
            assert!(
                err.to_string().contains("database.hostname"),
                "{class}: {err}"
            );
        }
    }

    #[test]
    fn debezium_connectors_carry_context_headers_unless_disabled() {
        let mut c = config("io.debezium.connector.postgresql.PostgresConnector");
        c.insert("topic.prefix".into(), "inv".into());
        let mut names: Vec<(String, String)> = context_headers(&c)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8(v).unwrap()))
            .collect();
        let (run_key, run_id) = names.pop().unwrap();
        assert_eq!(
            names,
            [
                ("__debezium.context.connectorLogicalName", "inv"),
                ("__debezium.context.taskId", "0"),
                ("__debezium.context.connectorName", "postgresql"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert_eq!(run_key, "__debezium.context.runId");
        let run = uuid::Uuid::parse_str(&run_id).unwrap();
        assert_eq!(run.get_version_num(), 7, "{run_id}");
        assert_ne!(
            context_headers(&c).unwrap()[3].1,
            run_id.as_bytes(),
            "each task start has its own run id"
        );
        let maria = config("io.debezium.connector.mariadb.MariaDbConnector");
        assert_eq!(context_headers(&maria).unwrap()[2].1, b"mariadb");
        c.insert("extended.headers.enabled".into(), "false".into());
        assert!(context_headers(&c).unwrap().is_empty());
        c.insert("extended.headers.enabled".into(), "maybe".into());
        let err = context_headers(&c).unwrap_err();
        assert_eq!(err.0[0].property, "extended.headers.enabled");
        assert_eq!(err.0[0].value.as_deref(), Some("maybe"));
        let file = config("org.apache.kafka.connect.file.FileStreamSourceConnector");
        assert!(context_headers(&file).unwrap().is_empty());
    }

    /// The binlog connectors' failure modes (issue 17): acted on, so not under `warnings`; a
    /// value Debezium does not accept is an error naming the property, the value and the
    /// valid values.
    #[test]
    fn binlog_failure_modes_are_validated_and_not_warned_about() {
        for class in [
            "io.debezium.connector.mysql.MySqlConnector",
            "io.debezium.connector.mariadb.MariaDbConnector",
        ] {
            let mut c = config(class);
            for (k, v) in [
                ("name", "inventory"),
                ("database.hostname", "localhost"),
                ("database.user", "u"),
                ("database.server.id", "5"),
                ("topic.prefix", "p"),
                ("inconsistent.schema.handling.mode", "warn"),
                ("event.processing.failure.handling.mode", "skip"),
            ] {
                c.insert(k.into(), v.into());
            }
            let infos = validate(class, &c);
            assert_eq!(infos["error_count"].as_u64(), Some(0), "{class}: {infos}");
            let warnings = infos["warnings"].to_string();
            assert!(!warnings.contains("handling.mode"), "{class}: {warnings}");
            c.insert("inconsistent.schema.handling.mode".into(), "lenient".into());
            c.insert(
                "event.processing.failure.handling.mode".into(),
                "retry".into(),
            );
            let infos = validate(class, &c);
            assert_eq!(infos["error_count"].as_u64(), Some(2), "{class}: {infos}");
            for (property, value) in [
                ("inconsistent.schema.handling.mode", "lenient"),
                ("event.processing.failure.handling.mode", "retry"),
            ] {
                let errors = errors_of(&infos, property);
                assert_eq!(errors.len(), 1, "{class}: {property}: {errors:?}");
                assert!(
                    errors[0].contains(value) && errors[0].contains("fail, warn, skip"),
                    "{class}: {property}: {errors:?}"
                );
            }
        }
    }
}

//! The connector registry: `connector.class` → a source connector built from its config.
//!
//! Class names are accepted as Debezium / Kafka Connect spell them, plus short aliases.

mod file_source;

pub use file_source::FileStreamSource;

use cdc_core::{ConfigErrors, ConfigMap, ConfigProblem, Source};

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
        Plugin::FileStream,
        &[
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "FileStreamSource",
            "file-source",
        ],
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plugin {
    Postgres,
    FileStream,
}

/// Every accepted `connector.class` value of a source connector.
pub fn source_class_names() -> Vec<&'static str> {
    SOURCES
        .iter()
        .flat_map(|(_, names)| names.iter().copied())
        .collect()
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
    let plugin = SOURCES
        .iter()
        .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(class)))
        .map(|(p, _)| *p);
    match plugin {
        Some(Plugin::Postgres) => postgres(config),
        Some(Plugin::FileStream) => {
            FileStreamSource::from_config(config).map(|s| Box::new(s) as Box<dyn Source>)
        }
        None => Err(problem(
            config,
            format!(
                "unknown connector class; valid values: {}",
                source_class_names().join(", ")
            ),
        )),
    }
}

fn postgres(config: &ConfigMap) -> Result<Box<dyn Source>, ConfigErrors> {
    pg_wal::PostgresSource::from_config(config).map(|s| Box::new(s) as Box<dyn Source>)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

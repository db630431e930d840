//! Connector files as users already have them: Debezium-style JSON
//! (`{"name": "...", "config": {...}}`) or a Kafka Connect `.properties` file.

use std::path::{Path, PathBuf};

use cdc_core::ConfigMap;
use serde_json::Value as Json;

/// A connector's name and its flat config (`name` included, as Connect stores it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorFile {
    pub name: String,
    pub config: ConfigMap,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectorFileError {
    #[error("cannot read connector file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("connector file {path} is not valid JSON")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("connector file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl ConnectorFile {
    /// Loads a `.properties` file, or JSON otherwise.
    pub fn load(path: &Path) -> Result<Self, ConnectorFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConnectorFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        let invalid = |message: String| ConnectorFileError::Invalid {
            path: path.to_owned(),
            message,
        };
        let is_properties = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("properties"));
        let (name, mut config) = if is_properties {
            let config = parse_properties(&text);
            let name = config
                .get("name")
                .cloned()
                .ok_or_else(|| invalid("the property \"name\" is missing".into()))?;
            (name, config)
        } else {
            let json: Json =
                serde_json::from_str(&text).map_err(|source| ConnectorFileError::Json {
                    path: path.to_owned(),
                    source,
                })?;
            from_json(&json).map_err(invalid)?
        };
        if name.trim().is_empty() {
            return Err(invalid("the connector name is empty".into()));
        }
        config.insert("name".into(), name.clone());
        Ok(ConnectorFile { name, config })
    }
}

/// `{"name": ..., "config": {...}}`; config values may be strings, numbers or booleans.
fn from_json(json: &Json) -> Result<(String, ConfigMap), String> {
    let obj = json
        .as_object()
        .ok_or("expected an object with \"name\" and \"config\"")?;
    let config_obj = obj
        .get("config")
        .and_then(Json::as_object)
        .ok_or("the \"config\" object is missing")?;
    let mut config = ConfigMap::new();
    for (k, v) in config_obj {
        let s = match v {
            Json::String(s) => s.clone(),
            Json::Number(n) => n.to_string(),
            Json::Bool(b) => b.to_string(),
            Json::Null => continue,
            _ => return Err(format!("config property {k:?} must be a string")),
        };
        config.insert(k.clone(), s);
    }
    let name = match obj.get("name") {
        Some(Json::String(n)) => n.clone(),
        Some(_) => return Err("\"name\" must be a string".into()),
        None => config
            .get("name")
            .cloned()
            .ok_or("the connector \"name\" is missing")?,
    };
    Ok((name, config))
}

pub use cdc_core::properties::parse_properties;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debezium_json_with_non_string_values() {
        let json = serde_json::json!({
            "name": "inventory",
            "config": {
                "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
                "database.port": 5432,
                "snapshot.new.tables": true,
            }
        });
        let (name, config) = from_json(&json).unwrap();
        assert_eq!(name, "inventory");
        assert_eq!(config["database.port"], "5432");
        assert_eq!(config["snapshot.new.tables"], "true");
        assert!(from_json(&serde_json::json!({"name": "x"})).is_err());
    }

    #[test]
    fn java_properties_syntax() {
        let text = "# comment\n! also\nname = inventory\nconnector.class:postgres\n\
                    table.include.list=public.a,\\\n    public.b\nkey\\=with\\:seps value\n\
                    unicode=caf\\u00e9\nempty=\n";
        let p = parse_properties(text);
        assert_eq!(p["name"], "inventory");
        assert_eq!(p["connector.class"], "postgres");
        assert_eq!(p["table.include.list"], "public.a,public.b");
        assert_eq!(p["key=with:seps"], "value");
        assert_eq!(p["unicode"], "café");
        assert_eq!(p["empty"], "");
        assert_eq!(p.len(), 6);
    }
}

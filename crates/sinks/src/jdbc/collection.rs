//! The table a record goes to: `collection.name.format` (Debezium; `table.name.format` is its
//! deprecated alias) or `table.name.format` (Confluent), default `${topic}`.
//!
//! * Debezium (`DefaultCollectionNamingStrategy`): `${topic}` is the topic with every `.`
//!   replaced by `_` (observed: `jdbcres.public.t` → `jdbcres_public_t`); `${source.<field>}` is
//!   a field of the envelope's `source` block (observed: `${source.table}_m` → `t_m`).
//!   Debezium skips a non-Debezium record whose format uses `${source.` with a warning; we
//!   refuse the record instead (it reaches the dead-letter queue rather than vanishing).
//! * Confluent: `${topic}` verbatim, so on PostgreSQL `server.public.t` names database
//!   `server`, schema `public`, table `t` (its `parseTableIdentifier` splits on dots; see
//!   [`super::dialect::Naming::table`]); users route topics to table names with RegexRouter.
//!
//! Both: any other `${...}` is refused when the config is read (Debezium and Confluent would
//! leave it in the name literally).

use cdc_core::{Schema, SchemaType, Value};

use super::config::Flavor;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Topic,
    Source(String),
}

/// A parsed collection name format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionFormat {
    parts: Vec<Part>,
    flavor: Flavor,
}

/// Why a record's table name cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectionError {
    #[error("the table name format uses ${{source.{0}}}, but the record is not a Debezium change event with a source block")]
    NoSource(String),
    #[error("the table name format uses ${{source.{0}}}, but the record's source block has no such field")]
    MissingSourceField(String),
    #[error("the table name format uses ${{source.{0}}}, but that field of the record's source block is null")]
    NullSourceField(String),
}

impl CollectionFormat {
    /// Parses a format; the error says what is wrong with it.
    pub fn parse(format: &str, flavor: Flavor) -> Result<CollectionFormat, String> {
        let mut parts = Vec::new();
        let mut rest = format;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| "a ${ is not closed with }".to_owned())?;
            let var = &after[..end];
            match (var, var.strip_prefix("source."), flavor) {
                ("topic", _, _) => parts.push(Part::Topic),
                (_, Some(field), Flavor::Debezium) if !field.is_empty() => {
                    parts.push(Part::Source(field.to_owned()))
                }
                _ => {
                    let valid = match flavor {
                        Flavor::Debezium => "${topic} and ${source.<field>}",
                        Flavor::Confluent => "${topic}",
                    };
                    return Err(format!(
                        "the placeholder ${{{var}}} is not known; valid placeholders: {valid}"
                    ));
                }
            }
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        if parts.is_empty() {
            return Err("must not be empty".into());
        }
        Ok(CollectionFormat { parts, flavor })
    }

    /// Does the format read the envelope's source block?
    pub fn uses_source(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Source(_)))
    }

    /// The collection name for a record of `topic` whose envelope has this `source` block.
    pub fn resolve(
        &self,
        topic: &str,
        source: Option<(&Schema, &Value)>,
    ) -> Result<String, CollectionError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Topic => match self.flavor {
                    Flavor::Debezium => out.push_str(&topic.replace('.', "_")),
                    Flavor::Confluent => out.push_str(topic),
                },
                Part::Source(field) => {
                    let (schema, value) =
                        source.ok_or_else(|| CollectionError::NoSource(field.clone()))?;
                    let idx = schema
                        .field_index(field)
                        .filter(|_| schema.kind == SchemaType::Struct)
                        .ok_or_else(|| CollectionError::MissingSourceField(field.clone()))?;
                    let Value::Struct(values) = value else {
                        return Err(CollectionError::NoSource(field.clone()));
                    };
                    match values.get(idx) {
                        Some(Value::String(s)) => out.push_str(s),
                        Some(Value::Int8(v)) => out.push_str(&v.to_string()),
                        Some(Value::Int16(v)) => out.push_str(&v.to_string()),
                        Some(Value::Int32(v)) => out.push_str(&v.to_string()),
                        Some(Value::Int64(v)) => out.push_str(&v.to_string()),
                        _ => return Err(CollectionError::NullSourceField(field.clone())),
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> (Schema, Value) {
        let schema = Schema::structure("io.debezium.connector.postgresql.Source")
            .field("db", Schema::string())
            .field("schema", Schema::string())
            .field("table", Schema::string())
            .field("txId", Schema::int64().optional());
        let value = Value::Struct(vec![
            "inv".into(),
            "public".into(),
            "orders".into(),
            Value::Null,
        ]);
        (schema, value)
    }

    #[test]
    fn debezium_topic_dots_become_underscores() {
        let f = CollectionFormat::parse("${topic}", Flavor::Debezium).unwrap();
        assert_eq!(f.resolve("srv.public.t", None).unwrap(), "srv_public_t");
        assert!(!f.uses_source());
    }

    #[test]
    fn confluent_topic_is_verbatim() {
        let f = CollectionFormat::parse("kafka_${topic}", Flavor::Confluent).unwrap();
        assert_eq!(
            f.resolve("srv.public.t", None).unwrap(),
            "kafka_srv.public.t"
        );
    }

    #[test]
    fn source_fields_fill_the_name() {
        let f = CollectionFormat::parse("${source.schema}.${source.table}_m", Flavor::Debezium)
            .unwrap();
        assert!(f.uses_source());
        let (s, v) = source();
        assert_eq!(f.resolve("x", Some((&s, &v))).unwrap(), "public.orders_m");
        assert_eq!(
            f.resolve("x", None).unwrap_err().to_string(),
            "the table name format uses ${source.schema}, but the record is not a Debezium change event with a source block"
        );
        let f = CollectionFormat::parse("${source.txId}", Flavor::Debezium).unwrap();
        assert_eq!(
            f.resolve("x", Some((&s, &v))).unwrap_err(),
            CollectionError::NullSourceField("txId".into())
        );
        let f = CollectionFormat::parse("${source.nope}", Flavor::Debezium).unwrap();
        assert_eq!(
            f.resolve("x", Some((&s, &v))).unwrap_err(),
            CollectionError::MissingSourceField("nope".into())
        );
    }

    #[test]
    fn bad_formats_are_refused() {
        let err = CollectionFormat::parse("${source.table}", Flavor::Confluent).unwrap_err();
        assert_eq!(
            err,
            "the placeholder ${source.table} is not known; valid placeholders: ${topic}"
        );
        let err = CollectionFormat::parse("${schema}", Flavor::Debezium).unwrap_err();
        assert!(err.contains("${topic} and ${source.<field>}"), "{err}");
        assert!(CollectionFormat::parse("${topic", Flavor::Debezium).is_err());
        assert!(CollectionFormat::parse("", Flavor::Debezium).is_err());
    }
}

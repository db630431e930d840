//! A connector's config definition written as a table of rows, one per property, the way
//! Debezium's connectors list their `Field`s: the PostgreSQL and MySQL connectors each keep
//! their `ROWS` and build their [`ConfigDef`] with [`config_def`].

use super::{ConfigDef, ConfigKey, ConfigType, Importance};

/// A property's default.
pub enum DefaultValue {
    /// No default; the property must be set.
    Required,
    /// No default; unset is allowed.
    Null,
    Value(&'static str),
}

/// One property of a connector.
pub struct Row {
    pub name: &'static str,
    pub ty: ConfigType,
    pub default: DefaultValue,
    pub importance: Importance,
    /// Debezium's `Field.Group` name (see the group constants below).
    pub group: &'static str,
    /// Whether the connector acts on it ([`YES`], [`NOT_YET`], [`REFUSED`]).
    pub supported: Support,
    pub doc: &'static str,
}

/// A [`Row`], positionally (keeps the tables one line per property).
pub const fn row(
    name: &'static str,
    ty: ConfigType,
    default: DefaultValue,
    importance: Importance,
    group: &'static str,
    supported: Support,
    doc: &'static str,
) -> Row {
    Row {
        name,
        ty,
        default,
        importance,
        group,
        supported,
        doc,
    }
}

/// What the connector does with a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// It acts on it.
    Yes,
    /// Not yet, and it cannot change what is written or delivered: accepted, with a warning.
    Ignored,
    /// Not yet, and it would change what is written or delivered: a value other than the
    /// default is a validation error (a name pattern: any property it matches).
    Refused,
}

/// The connector acts on it.
pub const YES: Support = Support::Yes;
/// Accepted and ignored with a warning: it cannot change what is written or delivered.
pub const NOT_YET: Support = Support::Ignored;
/// Not implemented and it changes data or delivery: refused unless left at its default.
pub const REFUSED: Support = Support::Refused;

/// Debezium's `Field.Group` names, as its `ConfigDef` prints them.
pub mod group {
    pub const CONNECTION: &str = "CONNECTION";
    pub const CONNECTION_ADVANCED: &str = "CONNECTION_ADVANCED";
    pub const SSL: &str = "CONNECTION_ADVANCED_SSL";
    pub const REPLICATION: &str = "CONNECTION_ADVANCED_REPLICATION";
    pub const FILTERS: &str = "FILTERS";
    pub const SNAPSHOT: &str = "CONNECTOR_SNAPSHOT";
    pub const CONNECTOR: &str = "CONNECTOR";
    pub const CONNECTOR_ADVANCED: &str = "CONNECTOR_ADVANCED";
    pub const HISTORY: &str = "HISTORY_STORAGE";
    pub const ADVANCED: &str = "ADVANCED";
    pub const HEARTBEAT: &str = "ADVANCED_HEARTBEAT";
}

/// The definition of `rows`, each group's properties ordered as listed.
pub fn config_def(rows: &[Row]) -> ConfigDef {
    let mut orders: Vec<(&str, i32)> = Vec::new();
    let mut def = ConfigDef::new();
    for r in rows {
        let order = match orders.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                orders.push((r.group, 1));
                1
            }
        };
        let mut key = ConfigKey::new(r.name, r.ty, r.doc)
            .importance(r.importance)
            .group(r.group, order);
        key = match r.default {
            DefaultValue::Required => key.required(),
            DefaultValue::Null => key,
            DefaultValue::Value(v) => key.default_value(v),
        };
        match r.supported {
            Support::Yes => {}
            Support::Ignored => key = key.unsupported(),
            Support::Refused => key = key.refused(),
        }
        def = def.define(key);
    }
    def
}

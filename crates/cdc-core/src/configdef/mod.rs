//! Kafka Connect's `ConfigDef` model and the JSON Connect's REST API builds from it.
//!
//! * [`ConfigDef`] and [`ConfigKey`]: a connector's property definitions (type, default,
//!   importance, group, documentation), in definition order.
//! * [`definition_json`]: the body of `GET /connector-plugins/{plugin}/config`.
//! * [`validate`]: the body of `PUT /connector-plugins/{plugin}/config/validate` (Connect's
//!   `ConfigInfos`), framework properties first as Connect lists them.
//! * [`mask_secrets`] / [`keep_hidden`]: `[hidden]` in place of secret values, and back.
//! * [`ConfigProviders`]: `${provider:path:key}` references resolved from the worker's
//!   `config.providers` (env, file, directory).

mod framework;
mod provider;
pub mod table;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value as Json};

use crate::config::{is_secret, ConfigMap, ConfigProblem, HIDDEN};

pub use framework::{
    connect_framework_def, connect_sink_framework_def, is_framework_property,
    is_framework_property_of,
};
pub use provider::ConfigProviders;

/// `ConfigDef.Type`: how a property's string value is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl ConfigType {
    /// The name Connect prints (`ConfigDef.Type.name()`).
    pub fn name(self) -> &'static str {
        match self {
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }
}

/// `ConfigDef.Importance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importance {
    High,
    Medium,
    Low,
}

impl Importance {
    pub fn name(self) -> &'static str {
        match self {
            Importance::High => "HIGH",
            Importance::Medium => "MEDIUM",
            Importance::Low => "LOW",
        }
    }
}

/// `ConfigDef.Width`: a hint for UIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    None,
    Short,
    Medium,
    Long,
}

impl Width {
    pub fn name(self) -> &'static str {
        match self {
            Width::None => "NONE",
            Width::Short => "SHORT",
            Width::Medium => "MEDIUM",
            Width::Long => "LONG",
        }
    }
}

/// One property definition (`ConfigDef.ConfigKey`). Fields are public as in Connect: this is a
/// plain description, built with [`ConfigKey::new`] and its chained setters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigKey {
    pub name: String,
    pub config_type: ConfigType,
    /// The default as Connect prints it; `None` is a `null` default (or no default when
    /// `required`).
    pub default: Option<String>,
    /// No default: a value must be given (`ConfigDef.NO_DEFAULT_VALUE`).
    pub required: bool,
    pub importance: Importance,
    pub documentation: String,
    pub group: Option<String>,
    pub order_in_group: i32,
    pub width: Width,
    pub display_name: String,
    pub dependents: Vec<String>,
    /// Accepted values (case-insensitive), checked by [`validate`] when the connector itself
    /// reported nothing about the property. Empty: any value of the type.
    pub allowed_values: Vec<String>,
    /// Tributary accepts the property but does not act on it yet; [`validate`] warns when set.
    pub supported: bool,
    /// Tributary does not act on it and it would change what is written or delivered:
    /// [`validate`] fails when it is set to anything but its default. A name with `(` is a
    /// pattern (`column.mask.with.(d+).chars`): every property starting as it does before the
    /// `(` is refused.
    pub refused: bool,
}

/// Documentation prefix of properties Tributary accepts but does not act on yet.
pub const UNSUPPORTED_PREFIX: &str = "Not supported yet by Tributary: ";

impl ConfigKey {
    /// A property with a `null` default, `MEDIUM` importance, no group, `NONE` width.
    pub fn new(name: &str, config_type: ConfigType, documentation: &str) -> ConfigKey {
        ConfigKey {
            name: name.to_owned(),
            config_type,
            default: None,
            required: false,
            importance: Importance::Medium,
            documentation: documentation.to_owned(),
            group: None,
            order_in_group: -1,
            width: Width::None,
            display_name: name.to_owned(),
            dependents: Vec::new(),
            allowed_values: Vec::new(),
            supported: true,
            refused: false,
        }
    }

    pub fn default_value(mut self, default: &str) -> Self {
        self.default = Some(default.to_owned());
        self.required = false;
        self
    }

    pub fn required(mut self) -> Self {
        self.default = None;
        self.required = true;
        self
    }

    pub fn importance(mut self, importance: Importance) -> Self {
        self.importance = importance;
        self
    }

    pub fn group(mut self, group: &str, order_in_group: i32) -> Self {
        self.group = Some(group.to_owned());
        self.order_in_group = order_in_group;
        self
    }

    pub fn width(mut self, width: Width) -> Self {
        self.width = width;
        self
    }

    pub fn display_name(mut self, display_name: &str) -> Self {
        self.display_name = display_name.to_owned();
        self
    }

    pub fn dependents(mut self, dependents: &[&str]) -> Self {
        self.dependents = dependents.iter().map(|d| (*d).to_owned()).collect();
        self
    }

    pub fn allowed(mut self, values: &[&str]) -> Self {
        self.allowed_values = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }

    /// Marks the property as accepted but not acted on; its documentation gets
    /// [`UNSUPPORTED_PREFIX`].
    pub fn unsupported(mut self) -> Self {
        if self.supported {
            self.supported = false;
            self.documentation = format!("{UNSUPPORTED_PREFIX}{}", self.documentation);
        }
        self
    }

    /// Marks the property as not acted on and refused when set to anything but its default.
    pub fn refused(mut self) -> Self {
        self = self.unsupported();
        self.refused = true;
        self
    }

    /// [`ConfigKey::names`], for tests elsewhere.
    #[doc(hidden)]
    pub fn names_for_tests(&self, name: &str) -> bool {
        self.names(name)
    }

    /// Is `name` this property (or, for a pattern name, one it matches)?
    fn names(&self, name: &str) -> bool {
        match self.name.split_once('(') {
            Some((prefix, _)) => name.starts_with(prefix) && name.len() > prefix.len(),
            None => self.name == name,
        }
    }

    /// Is this a secret whose value is never shown?
    pub fn is_secret(&self) -> bool {
        self.config_type == ConfigType::Password || is_secret(&self.name)
    }
}

/// A plugin's property definitions, in definition order (`ConfigDef`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
}

impl ConfigDef {
    pub fn new() -> ConfigDef {
        ConfigDef::default()
    }

    /// Adds a key; a later key with the same name replaces the earlier one in its place.
    pub fn define(mut self, key: ConfigKey) -> Self {
        self.insert(key);
        self
    }

    fn insert(&mut self, key: ConfigKey) {
        match self.keys.iter_mut().find(|k| k.name == key.name) {
            Some(existing) => *existing = key,
            None => self.keys.push(key),
        }
    }

    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }

    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Groups in order of first appearance (`ConfigDef.groups()`).
    pub fn groups(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.keys
            .iter()
            .filter_map(|k| k.group.clone())
            .filter(|g| seen.insert(g.clone()))
            .collect()
    }
}

/// A key as Connect's `ConfigKeyInfo` JSON.
fn key_info(key: &ConfigKey) -> Json {
    json!({
        "name": key.name,
        "type": key.config_type.name(),
        "required": key.required,
        "default_value": if key.required { None } else { key.default.clone() },
        "importance": key.importance.name(),
        "documentation": key.documentation,
        "group": key.group,
        "order": key.order_in_group,
        "width": key.width.name(),
        "display_name": key.display_name,
        "dependents": key.dependents,
    })
}

/// The body of `GET /connector-plugins/{plugin}/config`: the plugin's keys, then the source
/// connector framework keys it does not define itself (as Connect 3.9 lists them).
pub fn definition_json(def: &ConfigDef) -> Json {
    definition_json_with(connect_framework_def(), def)
}

/// [`definition_json`] with the given framework keys (a sink's: [`connect_sink_framework_def`]).
pub fn definition_json_with(framework: ConfigDef, def: &ConfigDef) -> Json {
    let mut keys: Vec<Json> = def.keys.iter().map(key_info).collect();
    for k in framework.keys {
        if def.key(&k.name).is_none() {
            keys.push(key_info(&k));
        }
    }
    Json::Array(keys)
}

/// The string Connect shows for a value of this key: secrets hidden, lists normalised.
fn shown_value(key: &ConfigKey, raw: &str) -> String {
    if key.is_secret() {
        return HIDDEN.to_owned();
    }
    match key.config_type {
        ConfigType::List => raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(","),
        _ => raw.trim().to_owned(),
    }
}

/// Errors Connect's `ConfigDef.validate` would report for one key (type, required, allowed).
/// An empty value counts as unset, as the connectors' `ConfigReader` treats it.
fn definition_errors(key: &ConfigKey, raw: Option<&str>) -> Vec<String> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return if key.required {
            vec![format!(
                "Missing required configuration \"{}\" which has no default value.",
                key.name
            )]
        } else {
            Vec::new()
        };
    };
    let v = raw.trim();
    let shown = shown_value(key, raw);
    let invalid = |msg: &str| {
        format!(
            "Invalid value {shown} for configuration {}: {msg}",
            key.name
        )
    };
    let type_ok = match key.config_type {
        ConfigType::Boolean => v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false"),
        ConfigType::Short => v.parse::<i16>().is_ok(),
        ConfigType::Int => v.parse::<i32>().is_ok(),
        ConfigType::Long => v.parse::<i64>().is_ok(),
        ConfigType::Double => v.parse::<f64>().is_ok(),
        _ => true,
    };
    if !type_ok {
        let msg = match key.config_type {
            ConfigType::Boolean => "Expected value to be either true or false".to_owned(),
            t => format!("Not a number of type {}", t.name()),
        };
        return vec![invalid(&msg)];
    }
    // Connect's ConnectorConfig defines tasks.max with `atLeast(1)`.
    if key.name == "tasks.max" && v.parse::<i32>().is_ok_and(|n| n < 1) {
        return vec![invalid("Value must be at least 1")];
    }
    if key.config_type == ConfigType::Class && v.is_empty() && key.required {
        return vec![invalid("Expected a class name")];
    }
    if !key.allowed_values.is_empty()
        && !key.allowed_values.iter().any(|a| a.eq_ignore_ascii_case(v))
    {
        return vec![invalid(&format!(
            "String must be one of: {}",
            key.allowed_values.join(", ")
        ))];
    }
    Vec::new()
}

/// A connector's problem as the message Connect shows in `value.errors`.
fn problem_message(p: &ConfigProblem) -> String {
    match &p.value {
        Some(v) => format!(
            "Invalid value {v} for configuration {}: {}",
            p.property, p.message
        ),
        None => p.message.clone(),
    }
}

/// The body of `PUT /connector-plugins/{plugin}/config/validate` (Connect's `ConfigInfos`).
///
/// Lists Connect's own source connector properties first (group "Common", "Transforms", ...),
/// then the connector's, each with its value (secrets as `[hidden]`) and errors.
/// `problems` are the connector's own findings (e.g. from its `from_map`); a property with none
/// is checked against its definition (type, required, allowed values) as Connect does.
/// `error_count` counts error messages. Set properties the connector does not know, or knows
/// but does not act on yet, are listed in an extra `warnings` array and are not errors.
pub fn validate(
    def: &ConfigDef,
    connector_class: &str,
    config: &ConfigMap,
    problems: &[ConfigProblem],
) -> Json {
    validate_with(
        connect_framework_def(),
        def,
        connector_class,
        config,
        problems,
    )
}

/// The set properties of `config` that `def` refuses ([`ConfigKey::refused`]): each a problem
/// naming it, its value and its default.
pub fn refused_problems(def: &ConfigDef, config: &ConfigMap) -> Vec<ConfigProblem> {
    let mut out = Vec::new();
    for (name, value) in config {
        let Some(key) = def.keys.iter().find(|k| k.refused && k.names(name)) else {
            continue;
        };
        let v = value.trim();
        let pattern = key.name.contains('(');
        let at_default = !pattern
            && match &key.default {
                Some(d) => d.eq_ignore_ascii_case(v),
                None => v.is_empty(),
            };
        if at_default {
            continue;
        }
        let default = match (&key.default, pattern) {
            (_, true) => "remove it".to_owned(),
            (Some(d), false) => format!("remove it or set it to its default {d:?}"),
            (None, false) => "remove it".to_owned(),
        };
        out.push(ConfigProblem {
            property: name.clone(),
            value: Some(if key.is_secret() || is_secret(name) {
                "[hidden]".to_owned()
            } else {
                value.clone()
            }),
            message: format!(
                "is not implemented by Tributary yet, and running without it would change what \
                 is written or delivered: {default}"
            ),
        });
    }
    out
}

/// [`validate`] with the given framework keys (a sink's: [`connect_sink_framework_def`]).
pub fn validate_with(
    framework: ConfigDef,
    def: &ConfigDef,
    connector_class: &str,
    config: &ConfigMap,
    problems: &[ConfigProblem],
) -> Json {
    let mut problems = problems.to_vec();
    problems.extend(refused_problems(def, config));
    let problems = &problems[..];
    let mut all = framework.clone();
    for k in &def.keys {
        all.insert(k.clone());
    }
    let mut by_property: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for p in problems {
        by_property
            .entry(p.property.as_str())
            .or_default()
            .push(problem_message(p));
    }

    let mut error_count = 0;
    let mut configs = Vec::new();
    // Problems about properties nobody defines: Connect lists them with a null definition.
    for p in problems.iter().filter(|p| all.key(&p.property).is_none()) {
        error_count += 1;
        configs.push(json!({
            "definition": null,
            "value": {
                "name": p.property,
                "value": p.value,
                "recommended_values": [],
                "errors": [problem_message(p)],
                "visible": true,
            }
        }));
    }
    for key in &all.keys {
        let raw = config.get(&key.name).map(String::as_str);
        let errors = match by_property.get(key.name.as_str()) {
            Some(found) => found.clone(),
            None => definition_errors(key, raw),
        };
        error_count += errors.len();
        let value = match raw {
            Some(raw) => Some(shown_value(key, raw)),
            None => key.default.as_ref().map(|d| shown_value(key, d)),
        };
        configs.push(json!({
            "definition": key_info(key),
            "value": {
                "name": key.name,
                "value": value,
                "recommended_values": [],
                "errors": errors,
                "visible": true,
            }
        }));
    }

    let mut warnings = Vec::new();
    for name in config.keys() {
        if def.keys.iter().any(|k| k.refused && k.names(name)) {
            continue;
        }
        match def.key(name) {
            Some(k) if !k.supported => warnings.push(format!(
                "{name} is not supported yet by Tributary and is ignored"
            )),
            Some(_) => {}
            None if is_framework_property_of(&framework, name) => {}
            None => warnings.push(format!(
                "{name} is not a property Tributary knows for {connector_class} and is ignored"
            )),
        }
    }

    json!({
        "name": connector_class,
        "error_count": error_count,
        "groups": all.groups(),
        "configs": configs,
        "warnings": warnings,
    })
}

/// Is this value only a config provider reference (`${file:/p:k}`), which is not itself a secret?
fn is_reference(value: &str) -> bool {
    let v = value.trim();
    v.starts_with("${") && v.ends_with('}') && v[2..].find("${").is_none()
}

/// The config with every secret value replaced by `[hidden]`: keys of type PASSWORD in `def`
/// and keys [`is_secret`] names. Config provider references are left as written.
pub fn mask_secrets(config: &ConfigMap, def: Option<&ConfigDef>) -> ConfigMap {
    config
        .iter()
        .map(|(k, v)| {
            let secret =
                is_secret(k) || def.and_then(|d| d.key(k)).is_some_and(ConfigKey::is_secret);
            let shown = if secret && !is_reference(v) {
                HIDDEN.to_owned()
            } else {
                masked_url_password(v).unwrap_or_else(|| v.clone())
            };
            (k.clone(), shown)
        })
        .collect()
}

/// Where `new` gives `[hidden]` for a secret the stored config has, keeps the stored value, so
/// a config read back masked can be sent again unchanged.
pub fn keep_hidden(new: &mut ConfigMap, stored: &ConfigMap) {
    for (k, v) in new.iter_mut() {
        if v == HIDDEN && is_secret(k) {
            if let Some(old) = stored.get(k) {
                v.clone_from(old);
            }
        } else if let (Some(at), Some(old)) = (url_password(v), stored.get(k)) {
            // A JDBC URL read back masked keeps its stored password.
            if &v[at.clone()] == HIDDEN {
                if let Some(old_at) = url_password(old) {
                    let password = old[old_at].to_owned();
                    v.replace_range(at, &password);
                }
            }
        }
    }
}

/// The byte range of the `password` parameter's value in a JDBC URL (`jdbc:...?a=b&password=x`,
/// also `;`-separated), if it has one.
fn url_password(v: &str) -> Option<std::ops::Range<usize>> {
    if !v.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("jdbc:")) {
        return None;
    }
    let query = v.find(['?', ';'])? + 1;
    let mut at = query;
    for param in v[query..].split(['&', ';']) {
        if let Some(value) = param.strip_prefix("password=") {
            let start = at + "password=".len();
            return Some(start..start + value.len());
        }
        at += param.len() + 1;
    }
    None
}

/// A JDBC URL with its password parameter shown as `[hidden]` (URLs carry credentials too).
fn masked_url_password(v: &str) -> Option<String> {
    let at = url_password(v)?;
    let mut shown = v.to_owned();
    shown.replace_range(at, HIDDEN);
    Some(shown)
}

#[cfg(test)]
mod tests;

//! The chain of a connector's transforms, as Connect's `ConnectorConfig.transformationStages`
//! builds it and `TransformationChain` applies it: `transforms` lists aliases in order; each has
//! `transforms.<alias>.type` (a class) and its own properties under `transforms.<alias>.`, and
//! may name a predicate (`transforms.<alias>.predicate`, one of `predicates`) with `negate`. A
//! stage whose predicate does not hold (or holds, negated) passes the record on unchanged; a
//! stage returning nothing drops the record and ends the chain.
//!
//! A class we do not implement is a configuration error naming the property and listing what
//! is implemented: a transform is never skipped.

use std::fmt;

use cdc_core::{ConfigErrors, ConfigMap, ConfigProblem, ConfigReader};

use crate::{
    cast, fields, outbox, predicates, routing, timestamp, unwrap, ConnectRecord, Predicate,
    Transform,
};

/// A record a transform could not handle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transform {alias} ({class}) failed: {message}")]
pub struct TransformFailed {
    pub alias: String,
    /// The transform's class, for the dead-letter queue's `__connect.errors.class.name`.
    pub class: String,
    pub message: String,
}

struct Stage {
    alias: String,
    class: String,
    transform: Box<dyn Transform>,
    predicate: Option<(std::sync::Arc<dyn Predicate>, bool)>,
}

/// A connector's configured transforms.
#[derive(Default)]
pub struct Chain {
    stages: Vec<Stage>,
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.stages.iter().map(|s| (&s.alias, &s.class)))
            .finish()
    }
}

/// The properties under `prefix`, with the prefix removed (Connect's `originalsWithPrefix`).
pub fn with_prefix(config: &ConfigMap, prefix: &str) -> ConfigMap {
    config
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.to_owned(), v.clone())))
        .collect()
}

/// The transform classes this build implements (for messages and the plugin list).
pub fn transform_classes() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = routing::CLASSES
        .iter()
        .chain(fields::CLASSES)
        .chain(unwrap::CLASSES)
        .chain(crate::changed_state::CLASSES)
        .chain(crate::header_to_value::CLASSES)
        .chain(crate::timezone::CLASSES)
        .chain(crate::logical_table::CLASSES)
        .chain(crate::partition_routing::CLASSES)
        .chain(crate::schema_change_filter::CLASSES)
        .chain(outbox::CLASSES)
        .chain(cast::CLASSES)
        .chain(timestamp::CLASSES)
        .chain(crate::scripting::CLASSES)
        .copied()
        .collect();
    out.sort_unstable();
    out
}

/// The predicate classes this build implements.
pub fn predicate_classes() -> Vec<&'static str> {
    predicates::CLASSES.to_vec()
}

/// Reads a transform's or predicate's own properties, naming problems by their full property
/// name (`transforms.<alias>.<name>`).
pub struct Props<'a> {
    pub reader: ConfigReader<'a>,
    prefix: String,
}

impl<'a> Props<'a> {
    pub fn new(config: &'a ConfigMap, prefix: &str) -> Self {
        Props {
            reader: ConfigReader::new(config),
            prefix: prefix.to_owned(),
        }
    }

    /// The full property name of `name`.
    pub fn name(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    pub fn string(&mut self, name: &str, default: &str) -> String {
        let n = self.name(name);
        self.reader.string(&n, default)
    }

    pub fn optional_string(&mut self, name: &str) -> Option<String> {
        let n = self.name(name);
        self.reader.optional_string(&n)
    }

    /// The value as given, untrimmed (`None` when absent); Connect does not trim strings.
    pub fn raw(&mut self, config: &ConfigMap, name: &str) -> Option<String> {
        let n = self.name(name);
        self.reader.optional_string(&n);
        config.get(&n).cloned()
    }

    pub fn required_string(&mut self, name: &str) -> String {
        let n = self.name(name);
        self.reader.required_string(&n)
    }

    pub fn list(&mut self, name: &str) -> Vec<String> {
        let n = self.name(name);
        self.reader.list(&n)
    }

    pub fn bool(&mut self, name: &str, default: bool) -> bool {
        let n = self.name(name);
        self.reader.bool(&n, default)
    }

    pub fn one_of(&mut self, name: &str, default: &str, allowed: &[&str]) -> String {
        let n = self.name(name);
        self.reader.one_of(&n, default, allowed)
    }

    pub fn problem(&mut self, name: &str, message: impl Into<String>) {
        let n = self.name(name);
        self.reader.problem(&n, message);
    }

    pub fn finish(self) -> Result<(), ConfigErrors> {
        self.reader.finish()
    }
}

impl Chain {
    /// The chain a connector config asks for (empty without `transforms`). Every problem is
    /// reported, each naming its property.
    pub fn from_config(config: &ConfigMap) -> Result<Chain, ConfigErrors> {
        let mut problems = Vec::new();
        let mut top = ConfigReader::new(config);
        let aliases = top.list("transforms");
        let predicate_aliases = top.list("predicates");
        let mut built_predicates = Vec::new();
        for alias in &predicate_aliases {
            let prefix = format!("predicates.{alias}.");
            match build_predicate(config, &prefix) {
                Ok(p) => built_predicates.push((alias.clone(), Some(p))),
                Err(e) => {
                    problems.extend(e.0);
                    built_predicates.push((alias.clone(), None));
                }
            }
        }
        let mut stages = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for alias in &aliases {
            if !seen.insert(alias.as_str()) {
                problems.push(problem(config, "transforms", "Duplicate alias provided."));
                continue;
            }
            let prefix = format!("transforms.{alias}.");
            let class = config
                .get(&format!("{prefix}type"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default();
            let predicate_property = format!("{prefix}predicate");
            let negate_property = format!("{prefix}negate");
            let mut props = ConfigReader::new(config);
            let predicate_alias = props.optional_string(&predicate_property);
            let negate = props.bool(&negate_property, false);
            if let Err(e) = props.finish() {
                problems.extend(e.0);
            }
            let predicate = match &predicate_alias {
                None => None,
                Some(p) => match built_predicates.iter().find(|(a, _)| a == p) {
                    Some((_, Some(built))) => Some((built.clone(), negate)),
                    Some((_, None)) => None,
                    None => {
                        problems.push(problem(
                            config,
                            &predicate_property,
                            format!("Predicate '{p}' is not defined in 'predicates'."),
                        ));
                        None
                    }
                },
            };
            // Connect's `validateProps`, reported on the class property as Connect does.
            if config.contains_key(&negate_property) && !config.contains_key(&predicate_property) {
                problems.push(ConfigProblem {
                    property: format!("{prefix}type"),
                    value: None,
                    message: format!(
                        "Config '{negate_property}' was provided but there is no config \
                         '{predicate_property}' defining a predicate to be negated."
                    ),
                });
            }
            if class.is_empty() {
                problems.push(missing_type(config, &prefix));
                continue;
            }
            match build_transform(&class, config, &prefix) {
                Ok(transform) => stages.push(Stage {
                    alias: alias.clone(),
                    class,
                    transform,
                    predicate,
                }),
                Err(e) => problems.extend(e.0),
            }
        }
        if let Err(e) = top.finish() {
            problems.extend(e.0);
        }
        if problems.is_empty() {
            Ok(Chain { stages })
        } else {
            Err(ConfigErrors(problems))
        }
    }

    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// What the chain makes of every record of `shape`, when each stage can say
    /// ([`Transform::row_plan`]) and none has a predicate.
    pub fn row_plan(&self, shape: crate::row_plan::RowShape) -> Option<crate::row_plan::RowShape> {
        self.stages.iter().try_fold(shape, |shape, stage| {
            if stage.predicate.is_some() {
                return None;
            }
            stage.transform.row_plan(shape)
        })
    }

    /// The record through every stage; `None` when a stage dropped it.
    pub fn apply(
        &self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, TransformFailed> {
        for stage in &self.stages {
            let applies = match &stage.predicate {
                None => true,
                Some((p, negate)) => p.test(&record) != *negate,
            };
            if !applies {
                continue;
            }
            match stage.transform.apply(record) {
                Ok(Some(r)) => record = r,
                Ok(None) => return Ok(None),
                Err(message) => {
                    return Err(TransformFailed {
                        alias: stage.alias.clone(),
                        class: stage.class.clone(),
                        message,
                    })
                }
            }
        }
        Ok(Some(record))
    }
}

fn problem(config: &ConfigMap, property: &str, message: impl Into<String>) -> ConfigProblem {
    ConfigProblem {
        property: property.to_owned(),
        value: config.get(property).cloned(),
        message: message.into(),
    }
}

/// Connect's words for a stage without its class.
fn missing_type(config: &ConfigMap, prefix: &str) -> ConfigProblem {
    let property = format!("{prefix}type");
    problem(
        config,
        &property,
        format!("Missing required configuration \"{property}\" which has no default value."),
    )
}

fn build_transform(
    class: &str,
    config: &ConfigMap,
    prefix: &str,
) -> Result<Box<dyn Transform>, ConfigErrors> {
    if let Some(t) = routing::build(class, config, prefix) {
        return t;
    }
    if let Some(t) = fields::build(class, config, prefix) {
        return t;
    }
    if let Some(t) = unwrap::build(class, config, prefix) {
        return t;
    }
    // Debezium's smaller transforms, each in its own module.
    for build in [
        crate::changed_state::build,
        crate::header_to_value::build,
        crate::timezone::build,
        crate::logical_table::build,
        crate::partition_routing::build,
        crate::schema_change_filter::build,
    ] {
        if let Some(t) = build(class, config, prefix) {
            return t;
        }
    }
    if let Some(t) = outbox::build(class, config, prefix) {
        return t;
    }
    if let Some(t) = cast::build(class, config, prefix) {
        return t;
    }
    if let Some(t) = timestamp::build(class, config, prefix) {
        return t;
    }
    if let Some(t) = crate::scripting::build(class, config, prefix) {
        return t;
    }
    Err(ConfigErrors(vec![problem(
        config,
        &format!("{prefix}type"),
        format!(
            "{class} is not a transformation Tributary implements; implemented: {}",
            transform_classes().join(", ")
        ),
    )]))
}

fn build_predicate(
    config: &ConfigMap,
    prefix: &str,
) -> Result<std::sync::Arc<dyn Predicate>, ConfigErrors> {
    let property = format!("{prefix}type");
    let class = config
        .get(&property)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    if class.is_empty() {
        return Err(ConfigErrors(vec![missing_type(config, prefix)]));
    }
    predicates::build(&class, config, prefix).unwrap_or_else(|| {
        Err(ConfigErrors(vec![problem(
            config,
            &property,
            format!(
                "{class} is not a predicate Tributary implements; implemented: {}",
                predicate_classes().join(", ")
            ),
        )]))
    })
}

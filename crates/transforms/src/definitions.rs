//! The config definitions of the transformations and predicates we implement, and the
//! connector definition Connect builds from them.
//!
//! * `definitions.json`: each class's `config().configKeys()` as Kafka Connect 4.3 and Debezium
//!   3.6.1 define them, dumped from the real classes by the SMT harness (regenerate it with the
//!   command in `scripts/lib/smt-harness.sh`). Parsed once; building needs no Java.
//! * [`definition`]: a class's [`ConfigDef`] (the body of `GET /connector-plugins/{class}/config`),
//!   properties we accept but do not act on marked [`ConfigKey::unsupported`].
//! * [`enrich`]: Connect's `ConnectorConfig.enrich`: a connector's framework definition with,
//!   for each alias of `transforms`, the group `Transforms: <alias>` (`type`, `plugin.version`,
//!   then `negate`, `predicate` and the class's properties under `transforms.<alias>.`, ordered
//!   as `ConfigDef.embed` orders them), and likewise `Predicates: <alias>`.
//! * [`notes`]: the set transform properties we accept but do not act on, or do not know.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use cdc_core::configdef::{ConfigDef, ConfigKey, ConfigType, Importance, Width};
use cdc_core::ConfigMap;
use serde_json::Value as Json;

const GOLDEN: &str = include_str!("definitions.json");

/// What a class is to Connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Transformation,
    Predicate,
}

struct Definition {
    kind: Kind,
    def: ConfigDef,
}

/// Properties a class accepts that we do not act on, each with why; a property outside the
/// class's definition is only warned about, one inside it is also marked in the definition.
const NOT_APPLIED: &[(&str, &str, &str)] = &[
    (
        "io.debezium.transforms.ExtractNewRecordState",
        "drop.tombstones",
        "was removed in Debezium 3, whose ExtractNewRecordState ignores it too: use \
         delete.tombstone.handling.mode",
    ),
    (
        "io.debezium.transforms.ExtractNewRecordState",
        "delete.handling.mode",
        "was removed in Debezium 3, whose ExtractNewRecordState ignores it too: use \
         delete.tombstone.handling.mode",
    ),
    (
        "io.debezium.transforms.outbox.EventRouter",
        "table.field.event.type",
        "is not read by Debezium 3's EventRouter either (an event's type travels through \
         table.fields.additional.placement)",
    ),
    (
        "io.debezium.transforms.outbox.EventRouter",
        "tracing.span.context.field",
        "only matters with OpenTelemetry tracing, which Tributary does not have",
    ),
    (
        "io.debezium.transforms.outbox.EventRouter",
        "tracing.operation.name",
        "only matters with OpenTelemetry tracing, which Tributary does not have",
    ),
    (
        "io.debezium.transforms.outbox.EventRouter",
        "tracing.with.context.field.only",
        "only matters with OpenTelemetry tracing, which Tributary does not have",
    ),
];

/// Properties of a class's definition we do not implement and that would change what is
/// written: refused ([`ConfigKey::refused`]) unless set to the default. (None at present: the
/// EventRouter's `table.field.additional.missing` is implemented.)
const REFUSED: &[(&str, &str)] = &[];

fn parse_type(name: &str) -> Result<ConfigType, String> {
    Ok(match name {
        "BOOLEAN" => ConfigType::Boolean,
        "STRING" => ConfigType::String,
        "INT" => ConfigType::Int,
        "SHORT" => ConfigType::Short,
        "LONG" => ConfigType::Long,
        "DOUBLE" => ConfigType::Double,
        "LIST" => ConfigType::List,
        "CLASS" => ConfigType::Class,
        "PASSWORD" => ConfigType::Password,
        other => return Err(format!("unknown type {other}")),
    })
}

fn parse_importance(name: &str) -> Result<Importance, String> {
    Ok(match name {
        "HIGH" => Importance::High,
        "MEDIUM" => Importance::Medium,
        "LOW" => Importance::Low,
        other => return Err(format!("unknown importance {other}")),
    })
}

fn parse_width(name: &str) -> Result<Width, String> {
    Ok(match name {
        "NONE" => Width::None,
        "SHORT" => Width::Short,
        "MEDIUM" => Width::Medium,
        "LONG" => Width::Long,
        other => return Err(format!("unknown width {other}")),
    })
}

/// One key of the golden file (a ConfigKeyInfo, plus `valid_values`).
fn parse_key(k: &Json) -> Result<ConfigKey, String> {
    let text = |field: &str| -> Result<&str, String> {
        k[field]
            .as_str()
            .ok_or_else(|| format!("{field} is not a string in {k}"))
    };
    let name = text("name")?;
    let mut key = ConfigKey::new(name, parse_type(text("type")?)?, text("documentation")?)
        .importance(parse_importance(text("importance")?)?)
        .width(parse_width(text("width")?)?)
        .display_name(text("display_name")?);
    key.order_in_group = k["order_in_group"]
        .as_i64()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| format!("order_in_group of {name} is not an int"))?;
    key.group = k["group"].as_str().map(str::to_owned);
    if k["required"].as_bool() == Some(true) {
        key = key.required();
    } else if let Some(d) = k["default_value"].as_str() {
        key = key.default_value(d);
    }
    key.dependents = string_list(&k["dependents"]);
    key.allowed_values = string_list(&k["valid_values"]);
    Ok(key)
}

fn string_list(v: &Json) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn parse(golden: &str) -> Result<BTreeMap<String, Definition>, String> {
    let root: Json = serde_json::from_str(golden).map_err(|e| e.to_string())?;
    let classes = root.as_object().ok_or("not an object of classes")?;
    let mut out = BTreeMap::new();
    for (class, c) in classes {
        let kind = match c["kind"].as_str() {
            Some("transformation") => Kind::Transformation,
            Some("predicate") => Kind::Predicate,
            other => return Err(format!("{class}: unknown kind {other:?}")),
        };
        let mut def = ConfigDef::new();
        for k in c["keys"].as_array().ok_or(format!("{class}: no keys"))? {
            let mut key = parse_key(k).map_err(|e| format!("{class}: {e}"))?;
            if NOT_APPLIED
                .iter()
                .any(|(c, p, _)| c == class && *p == key.name)
            {
                key = key.unsupported();
            }
            if REFUSED.iter().any(|(c, p)| c == class && *p == key.name) {
                key = key.refused();
            }
            def = def.define(key);
        }
        out.insert(class.clone(), Definition { kind, def });
    }
    Ok(out)
}

fn all() -> &'static BTreeMap<String, Definition> {
    static ALL: OnceLock<BTreeMap<String, Definition>> = OnceLock::new();
    // The golden file is checked by the tests below: it cannot fail at run time.
    ALL.get_or_init(|| parse(GOLDEN).unwrap_or_default())
}

/// The definition of a transformation or predicate class (exactly as spelled), if we have it.
pub fn definition(class: &str) -> Option<&'static ConfigDef> {
    all().get(class.trim()).map(|d| &d.def)
}

/// Whether a class is a transformation or a predicate, if we have its definition.
pub fn kind(class: &str) -> Option<Kind> {
    all().get(class.trim()).map(|d| d.kind)
}

/// `ConfigDef.parseType(LIST)` for alias lists: trimmed, split at commas with the spaces
/// around them; each alias once, in order (Connect's `LinkedHashSet`).
fn aliases(config: &ConfigMap, property: &str) -> Vec<String> {
    let raw = config.get(property).map_or("", |v| v.trim());
    let mut out: Vec<String> = Vec::new();
    if raw.is_empty() {
        return out;
    }
    for a in raw.split(',').map(str::trim) {
        if !out.iter().any(|o| o == a) {
            out.push(a.to_owned());
        }
    }
    out
}

/// `ConfigDef.sortedConfigs`' order: keys without a group first, then by group (in definition
/// order), by order in group, required before defaulted, by importance, by name.
fn embed_order(def: &ConfigDef) -> Vec<ConfigKey> {
    let groups = def.groups();
    let group_ord = |k: &ConfigKey| k.group.as_ref().map(|g| groups.iter().position(|x| x == g));
    let importance = |k: &ConfigKey| match k.importance {
        Importance::High => 0,
        Importance::Medium => 1,
        Importance::Low => 2,
    };
    let mut keys = def.keys().to_vec();
    keys.sort_by(|a, b| {
        let by_group = match (group_ord(a), group_ord(b)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(&y),
        };
        by_group
            .then(a.order_in_group.cmp(&b.order_in_group))
            .then(b.required.cmp(&a.required))
            .then(importance(a).cmp(&importance(b)))
            .then(a.name.cmp(&b.name))
    });
    keys
}

/// The implicit properties of every transformation (`TransformationStage`'s).
fn stage_keys() -> ConfigDef {
    ConfigDef::new()
        .define(ConfigKey::new(
            "predicate",
            ConfigType::String,
            "The alias of a predicate used to determine whether to apply this transformation.",
        ))
        .define(
            ConfigKey::new(
                "negate",
                ConfigType::Boolean,
                "Whether the configured predicate should be negated.",
            )
            .default_value("false"),
        )
}

/// Connect's `ConnectorConfig.enrich`: `base` (a connector's framework definition) with the
/// groups of each transform and predicate alias of `config`. A class we have no definition of
/// gets only its `type` and `plugin.version`, as a class Connect cannot load. `version` is the
/// default of `plugin.version` (Connect's: the installed plugin's).
pub fn enrich(base: ConfigDef, config: &ConfigMap, version: &str) -> ConfigDef {
    let mut def = base;
    for (list, group_name, kind, kind_name) in [
        (
            "transforms",
            "Transforms",
            Kind::Transformation,
            "Transformation",
        ),
        ("predicates", "Predicates", Kind::Predicate, "Predicate"),
    ] {
        let lower = kind_name.to_ascii_lowercase();
        for alias in aliases(config, list) {
            let prefix = format!("{list}.{alias}.");
            let group = format!("{group_name}: {alias}");
            let class = config
                .get(&format!("{prefix}type"))
                .map(|c| c.trim())
                .unwrap_or_default();
            let class_def = all().get(class).filter(|d| d.kind == kind);
            def = def
                .define(
                    ConfigKey::new(
                        &format!("{prefix}type"),
                        ConfigType::Class,
                        &format!("Class for the '{alias}' {lower}."),
                    )
                    .required()
                    .importance(Importance::High)
                    .group(&group, 0)
                    .width(Width::Long)
                    .display_name(&format!("{kind_name} type for {alias}")),
                )
                .define({
                    let key = ConfigKey::new(
                        &format!("{prefix}plugin.version"),
                        ConfigType::String,
                        &format!("Version of the '{alias}' {lower}."),
                    )
                    .importance(Importance::High)
                    .group(&group, 1)
                    .width(Width::Long)
                    .display_name(&format!("{kind_name} version for {alias}"));
                    match class_def {
                        Some(_) => key.default_value(version),
                        None => key,
                    }
                });
            let Some(class_def) = class_def else {
                continue;
            };
            let mut child = match kind {
                Kind::Transformation => stage_keys(),
                Kind::Predicate => ConfigDef::new(),
            };
            for k in class_def.def.keys() {
                // The implicit properties mask any of the transformation's with the same name.
                if kind == Kind::Transformation && (k.name == "predicate" || k.name == "negate") {
                    continue;
                }
                child = child.define(k.clone());
            }
            for (order, mut k) in (2..).zip(embed_order(&child)) {
                k.name = format!("{prefix}{}", k.name);
                k.group = Some(match &k.group {
                    Some(g) => format!("{group}: {g}"),
                    None => group.clone(),
                });
                k.order_in_group = order;
                k.dependents = k
                    .dependents
                    .iter()
                    .map(|d| format!("{prefix}{d}"))
                    .collect();
                def = def.define(k);
            }
        }
    }
    def
}

/// The set properties of `config`'s transforms and predicates that are accepted but not acted
/// on, or that their class does not define (Connect ignores those silently): each a property
/// and a sentence saying why, for the `warnings` of `/config/validate`.
pub fn notes(config: &ConfigMap) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (list, implicit) in [
        (
            "transforms",
            &["type", "plugin.version", "predicate", "negate"][..],
        ),
        ("predicates", &["type", "plugin.version"][..]),
    ] {
        for alias in aliases(config, list) {
            let prefix = format!("{list}.{alias}.");
            let class = config
                .get(&format!("{prefix}type"))
                .map(|c| c.trim())
                .unwrap_or_default();
            let Some(class_def) = definition(class) else {
                continue;
            };
            for name in config.keys() {
                let Some(property) = name.strip_prefix(&prefix) else {
                    continue;
                };
                if implicit.contains(&property) {
                    continue;
                }
                if let Some((_, _, why)) = NOT_APPLIED
                    .iter()
                    .find(|(c, p, _)| *c == class && *p == property)
                {
                    out.push((
                        name.clone(),
                        format!("{name} is accepted and not applied by Tributary: it {why}"),
                    ));
                } else if class_def.key(property).is_none() {
                    out.push((
                        name.clone(),
                        format!("{name} is not a property of {class} and is ignored"),
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> ConfigMap {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Prints the classes we implement, for the harness that dumps their definitions (see
    /// `scripts/lib/smt-harness.sh`).
    #[test]
    #[ignore = "prints the class list for regenerating definitions.json"]
    fn implemented_classes() {
        for class in crate::chain::transform_classes()
            .into_iter()
            .chain(crate::chain::predicate_classes())
        {
            println!("class {class}");
        }
    }

    #[test]
    fn every_class_we_implement_has_its_definition_and_every_definition_parses() {
        let parsed = parse(GOLDEN).expect("definitions.json parses");
        for (classes, kind) in [
            (crate::chain::transform_classes(), Kind::Transformation),
            (crate::chain::predicate_classes(), Kind::Predicate),
        ] {
            for class in classes {
                let def = parsed.get(class).unwrap_or_else(|| {
                    panic!(
                        "{class} has no definition: regenerate definitions.json \
                         (scripts/lib/smt-harness.sh says how)"
                    )
                });
                assert_eq!(def.kind, kind, "{class}");
            }
        }
        for (class, property) in NOT_APPLIED
            .iter()
            .map(|(c, p, _)| (c, p))
            .chain(REFUSED.iter().map(|(c, p)| (c, p)))
        {
            assert!(parsed.contains_key(*class), "{class}");
            if REFUSED.iter().any(|(c, p)| c == class && p == property) {
                assert!(parsed[*class].def.key(property).is_some(), "{property}");
            }
        }
    }

    #[test]
    fn a_definition_is_the_class_s_own() {
        let mask = definition("org.apache.kafka.connect.transforms.MaskField$Value").unwrap();
        let names: Vec<&str> = mask.keys().iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            ["fields", "replacement", "replace.null.with.default"]
        );
        let fields = mask.key("fields").unwrap();
        assert!(fields.required);
        assert_eq!(fields.config_type, ConfigType::List);
        assert_eq!(fields.documentation, "Names of fields to mask.");
        let unwrap = definition("io.debezium.transforms.ExtractNewRecordState").unwrap();
        let mode = unwrap.key("delete.tombstone.handling.mode").unwrap();
        assert_eq!(mode.default.as_deref(), Some("tombstone"));
        assert_eq!(mode.display_name, "Handle delete and tombstone records");
        assert_eq!(
            kind("org.apache.kafka.connect.transforms.predicates.TopicNameMatches"),
            Some(Kind::Predicate)
        );
    }

    /// The chain, as Kafka Connect 4.3 lists it (its `/config/validate` answer).
    #[test]
    fn enrich_adds_each_alias_group_in_connect_s_order() {
        let c = config(&[
            ("transforms", "unwrap, maskSSN,unwrap"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            (
                "transforms.maskSSN.type",
                "org.apache.kafka.connect.transforms.MaskField$Value",
            ),
            ("predicates", "isT"),
            (
                "predicates.isT.type",
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ),
        ]);
        let def = enrich(ConfigDef::new(), &c, "9.9");
        let listed: Vec<(String, String, i32)> = def
            .keys()
            .iter()
            .map(|k| (k.name.clone(), k.group.clone().unwrap(), k.order_in_group))
            .collect();
        let expected = [
            ("transforms.unwrap.type", "Transforms: unwrap", 0),
            ("transforms.unwrap.plugin.version", "Transforms: unwrap", 1),
            ("transforms.unwrap.negate", "Transforms: unwrap", 2),
            ("transforms.unwrap.predicate", "Transforms: unwrap", 3),
            (
                "transforms.unwrap.delete.tombstone.handling.mode",
                "Transforms: unwrap",
                4,
            ),
            ("transforms.unwrap.add.fields", "Transforms: unwrap", 5),
            (
                "transforms.unwrap.add.fields.prefix",
                "Transforms: unwrap",
                6,
            ),
            ("transforms.unwrap.add.headers", "Transforms: unwrap", 7),
            (
                "transforms.unwrap.add.headers.prefix",
                "Transforms: unwrap",
                8,
            ),
            (
                "transforms.unwrap.drop.fields.from.key",
                "Transforms: unwrap",
                9,
            ),
            (
                "transforms.unwrap.drop.fields.header.name",
                "Transforms: unwrap",
                10,
            ),
            (
                "transforms.unwrap.drop.fields.keep.schema.compatible",
                "Transforms: unwrap",
                11,
            ),
            ("transforms.unwrap.route.by.field", "Transforms: unwrap", 12),
            ("transforms.maskSSN.type", "Transforms: maskSSN", 0),
            (
                "transforms.maskSSN.plugin.version",
                "Transforms: maskSSN",
                1,
            ),
            ("transforms.maskSSN.fields", "Transforms: maskSSN", 2),
            ("transforms.maskSSN.negate", "Transforms: maskSSN", 3),
            ("transforms.maskSSN.predicate", "Transforms: maskSSN", 4),
            (
                "transforms.maskSSN.replace.null.with.default",
                "Transforms: maskSSN",
                5,
            ),
            ("transforms.maskSSN.replacement", "Transforms: maskSSN", 6),
            ("predicates.isT.type", "Predicates: isT", 0),
            ("predicates.isT.plugin.version", "Predicates: isT", 1),
            ("predicates.isT.pattern", "Predicates: isT", 2),
        ]
        .map(|(n, g, o)| (n.to_owned(), g.to_owned(), o));
        assert_eq!(listed, expected);
        let version = def.key("transforms.maskSSN.plugin.version").unwrap();
        assert_eq!(version.default.as_deref(), Some("9.9"));
        assert_eq!(version.display_name, "Transformation version for maskSSN");
        let class = def.key("predicates.isT.type").unwrap();
        assert_eq!(class.documentation, "Class for the 'isT' predicate.");
        assert_eq!(class.display_name, "Predicate type for isT");
        assert!(class.required);
        assert_eq!(
            def.groups(),
            [
                "Transforms: unwrap",
                "Transforms: maskSSN",
                "Predicates: isT"
            ]
        );
    }

    #[test]
    fn an_unknown_or_missing_class_gets_only_its_type_and_version() {
        let c = config(&[
            ("transforms", "nope,none,pred"),
            ("transforms.nope.type", "com.example.Nope"),
            (
                "transforms.pred.type",
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ),
        ]);
        let def = enrich(ConfigDef::new(), &c, "1");
        let names: Vec<&str> = def.keys().iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "transforms.nope.type",
                "transforms.nope.plugin.version",
                "transforms.none.type",
                "transforms.none.plugin.version",
                "transforms.pred.type",
                "transforms.pred.plugin.version",
            ]
        );
        assert_eq!(
            def.key("transforms.nope.plugin.version").unwrap().default,
            None
        );
    }

    #[test]
    fn properties_accepted_and_not_applied_or_unknown_are_noted() {
        let c = config(&[
            ("transforms", "unwrap"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            ("transforms.unwrap.drop.tombstones", "false"),
            ("transforms.unwrap.add.fields", "op"),
            ("transforms.unwrap.negate", "false"),
            ("transforms.unwrap.colour", "blue"),
        ]);
        let noted: Vec<String> = notes(&c).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            noted,
            [
                "transforms.unwrap.colour",
                "transforms.unwrap.drop.tombstones"
            ]
        );
        let outbox = definition("io.debezium.transforms.outbox.EventRouter").unwrap();
        let tracing = outbox.key("tracing.operation.name").unwrap();
        assert!(!tracing.supported && !tracing.refused);
        let missing = outbox.key("table.field.additional.missing").unwrap();
        assert!(missing.supported && !missing.refused);
    }
}

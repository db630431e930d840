//! Debezium's scripting transforms (module debezium-scripting): `ContentBasedRouter`, which
//! renames the topic to what `topic.expression` gives (null: unchanged), and `Filter`, which
//! keeps a record when `condition` is true. Debezium evaluates Groovy or JavaScript through
//! JSR-223; we evaluate the same expressions with [`crate::script`], refusing at validation
//! what it does not cover.
//!
//! As `ScriptingTransformation.apply`: a record whose topic does not match `topic.regex`
//! (whole) passes unchanged; then a record with a null value is kept or dropped by
//! `null.handling.mode` (`keep`, `drop`) or evaluated like any other (`evaluate`).

use cdc_core::{ConfigErrors, ConfigMap, Value};
use regex::Regex;

use crate::chain::Props;
use crate::script::{Language, Script, Val};
use crate::{java_regex, ConnectRecord, Transform};

pub const CLASSES: &[&str] = &[
    "io.debezium.transforms.ContentBasedRouter",
    "io.debezium.transforms.Filter",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Router,
    Filter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NullHandling {
    Keep,
    Drop,
    Evaluate,
}

/// The transform `class` configured from `prefix`'s properties; `None` for a class not here.
pub fn build(
    class: &str,
    config: &ConfigMap,
    prefix: &str,
) -> Option<Result<Box<dyn Transform>, ConfigErrors>> {
    let (kind, expression_property) = match class {
        "io.debezium.transforms.ContentBasedRouter" => (Kind::Router, "topic.expression"),
        "io.debezium.transforms.Filter" => (Kind::Filter, "condition"),
        _ => return None,
    };
    let mut p = Props::new(config, prefix);
    let language = p.required_string("language");
    let lang = language_of(&language).unwrap_or_else(|why| {
        if !language.is_empty() {
            p.problem("language", why);
        }
        Language::Groovy
    });
    let expression = p.required_string(expression_property);
    let script = if expression.is_empty() {
        None
    } else {
        match Script::compile(&expression, lang) {
            Ok(s) => Some(s),
            Err(e) => {
                p.problem(
                    expression_property,
                    format!(
                        "the expression '{expression}' uses {e}, which Tributary does not \
                         evaluate (docs/scripting.md lists what it does)"
                    ),
                );
                None
            }
        }
    };
    let null_handling = match p
        .optional_string("null.handling.mode")
        .map(|s| s.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("keep") => NullHandling::Keep,
        Some("drop") => NullHandling::Drop,
        Some("evaluate") => NullHandling::Evaluate,
        Some(_) => {
            p.problem("null.handling.mode", "must be one of: keep, drop, evaluate");
            NullHandling::Keep
        }
    };
    let topic_regex = match p.optional_string("topic.regex") {
        None => None,
        Some(r) if r.is_empty() => None,
        Some(r) => match java_regex::whole(&r) {
            Ok(re) => Some(re),
            Err(e) => {
                p.problem("topic.regex", e);
                None
            }
        },
    };
    let finished = p.finish();
    Some(match (finished, script) {
        (Err(e), _) => Err(e),
        (Ok(()), Some(script)) => Ok(Box::new(Scripting {
            kind,
            expression,
            script,
            null_handling,
            topic_regex,
        })),
        (Ok(()), None) => Err(ConfigErrors(vec![cdc_core::ConfigProblem {
            property: format!("{prefix}{expression_property}"),
            value: None,
            message: "Missing required configuration which has no default value.".to_owned(),
        }])),
    })
}

/// `language`: `jsr223.groovy` or `jsr223.graal.js`.
fn language_of(language: &str) -> Result<Language, String> {
    let Some(engine) = language.strip_prefix("jsr223.") else {
        if language.starts_with("wasm.") {
            return Err(
                "WebAssembly filters (wasm.*) are not supported; use jsr223.groovy or \
                 jsr223.graal.js"
                    .to_owned(),
            );
        }
        return Err(
            "Value for option 'language' must begin with 'jsr223.' or 'wasm', e.g. \
             'jsr223.groovy'"
                .to_owned(),
        );
    };
    match engine {
        "groovy" => Ok(Language::Groovy),
        "graal.js" => Ok(Language::JavaScript),
        "js" | "javascript" | "JavaScript" | "ecmascript" | "ECMAScript" | "nashorn" => {
            Err(format!(
            "jsr223.{engine} is not supported: Debezium binds the record without GraalJS's host \
             access there (every field reads as undefined); use jsr223.graal.js"
        ))
        }
        other => Err(format!(
            "Implementation of language '{other}' not found; Tributary evaluates jsr223.groovy \
             and jsr223.graal.js"
        )),
    }
}

struct Scripting {
    kind: Kind,
    expression: String,
    script: Script,
    null_handling: NullHandling,
    topic_regex: Option<Regex>,
}

impl Scripting {
    fn failed(&self, why: String) -> String {
        format!(
            "error while evaluating expression '{}': {why}",
            self.expression
        )
    }
}

impl Transform for Scripting {
    fn apply(&self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        if let Some(re) = &self.topic_regex {
            if !re.is_match(&record.topic) {
                return Ok(Some(record));
            }
        }
        let null_value = record
            .value
            .as_ref()
            .is_none_or(|v| matches!(v.value, Value::Null));
        if null_value {
            match self.null_handling {
                NullHandling::Keep => return Ok(Some(record)),
                NullHandling::Drop => return Ok(None),
                NullHandling::Evaluate => {}
            }
        }
        match self.kind {
            Kind::Router => {
                let topic = self
                    .script
                    .eval(&record, |v| match v {
                        Val::Str(s) => Ok(Some(s.into_owned())),
                        Val::Null | Val::Undefined => Ok(None),
                        other => Err(format!(
                            "the value '{}' returned by the expression is not a String",
                            shown(&other)
                        )),
                    })
                    .map_err(|e| self.failed(e))?;
                if let Some(t) = topic {
                    record.topic = t.into();
                }
                Ok(Some(record))
            }
            Kind::Filter => {
                let keep = self
                    .script
                    .eval(&record, |v| match v {
                        Val::Bool(b) => Ok(b),
                        Val::Null | Val::Undefined => {
                            Err("the condition gave null where a Boolean is required".to_owned())
                        }
                        other => Err(format!(
                            "the value '{}' returned by the expression is not a Boolean",
                            shown(&other)
                        )),
                    })
                    .map_err(|e| self.failed(e))?;
                Ok(keep.then_some(record))
            }
        }
    }
}

/// A result's text for a message, or its class where it has none we print.
fn shown(v: &Val) -> String {
    v.java_string()
        .map(|s| s.into_owned())
        .unwrap_or_else(|_| format!("a {}", v.class()))
}

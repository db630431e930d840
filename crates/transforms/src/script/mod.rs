//! A small, safe interpreter for the expressions Debezium's scripting transforms
//! (`ContentBasedRouter`, `Filter`) evaluate through JSR-223, in Groovy's or JavaScript's
//! syntax and meaning. No code runs: an expression is parsed into a tree of the subset below
//! (docs/scripting.md lists it) and anything else is refused when the connector is validated.
//!
//! * [`lexer`]: tokens; refuses assignments, blocks, closures, templates, interpolation.
//! * [`parser`]: the grammar, the six bindings, the allowed methods; bounded depth.
//! * [`eval`]: the operators and methods with Groovy's or JavaScript's meaning.
//! * [`value`]/[`num`]: the values (Connect's Java objects as the languages see them) and
//!   Java's and JavaScript's numbers and their text.

mod eval;
mod lexer;
mod num;
mod parser;
mod value;

use std::collections::HashMap;
use std::sync::Mutex;

use cdc_core::SchemaAndValue;
use regex::Regex;

use crate::{java_regex, ConnectRecord};
use eval::{Bindings, Eval};
use parser::Expr;
pub use value::Val;
use value::{parse_header, Header};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Groovy,
    JavaScript,
}

impl Language {
    pub fn name(self) -> &'static str {
        match self {
            Language::Groovy => "Groovy",
            Language::JavaScript => "JavaScript",
        }
    }
}

/// A construct the interpreter does not evaluate, at a character offset of the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    pub pos: usize,
    pub what: String,
}

impl Unsupported {
    pub fn new(pos: usize, what: impl Into<String>) -> Self {
        Unsupported {
            pos,
            what: what.into(),
        }
    }
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at character {}", self.what, self.pos + 1)
    }
}

/// Regular expressions of `matches`/`==~`, compiled once each (a bounded cache).
pub struct Regexes(Mutex<HashMap<String, Result<Regex, String>>>);

impl Regexes {
    fn whole_match(&self, pattern: &str, text: &str) -> Result<bool, String> {
        let mut cache = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !cache.contains_key(pattern) {
            if cache.len() >= 256 {
                cache.clear();
            }
            let compiled = java_regex::whole(pattern)
                .map_err(|e| format!("java.util.regex.PatternSyntaxException: {e}"));
            cache.insert(pattern.to_owned(), compiled);
        }
        match cache.get(pattern) {
            Some(Ok(re)) => Ok(re.is_match(text)),
            Some(Err(e)) => Err(e.clone()),
            None => Err("regex cache".to_owned()),
        }
    }
}

/// A parsed expression, ready to evaluate on records.
pub struct Script {
    lang: Language,
    expr: Expr,
    uses_header: bool,
    regexes: Regexes,
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Script").field("lang", &self.lang).finish()
    }
}

impl Script {
    pub fn compile(src: &str, lang: Language) -> Result<Script, Unsupported> {
        let tokens = lexer::lex(src, lang)?;
        let uses_header = tokens
            .iter()
            .any(|t| matches!(&t.tok, lexer::Tok::Ident(w) if w == "header"));
        let expr = parser::parse(&tokens, lang, src.chars().count())?;
        Ok(Script {
            lang,
            expr,
            uses_header,
            regexes: Regexes(Mutex::new(HashMap::new())),
        })
    }

    /// The expression's value on `record`, handed to `with` (values borrow the record).
    pub fn eval<T>(
        &self,
        record: &ConnectRecord,
        with: impl FnOnce(Val<'_>) -> Result<T, String>,
    ) -> Result<T, String> {
        let lang = self.lang;
        let headers: Vec<Header> = if self.uses_header {
            record
                .headers
                .iter()
                .map(|(n, v)| parse_header(n, v.as_deref()))
                .collect()
        } else {
            Vec::new()
        };
        let key = side(lang, record.key.as_ref(), "key")?;
        let value = side(lang, record.value.as_ref(), "value")?;
        let bindings = Bindings {
            key,
            value,
            key_schema: schema_of(record.key.as_ref()),
            value_schema: schema_of(record.value.as_ref()),
            topic: &record.topic,
            headers: &headers,
        };
        let ev = Eval {
            lang,
            regexes: &self.regexes,
        };
        let v = ev.eval(&self.expr, &bindings)?;
        with(v)
    }
}

fn schema_of(sv: Option<&SchemaAndValue>) -> Val<'_> {
    sv.and_then(|s| s.schema.as_deref())
        .map_or(Val::Null, Val::Schema)
}

/// The key or value as bound: in Groovy the Java object; in JavaScript Debezium's proxy of a
/// `Struct`, which it casts to without a check (anything else fails every record).
fn side<'a>(lang: Language, sv: Option<&'a SchemaAndValue>, what: &str) -> Result<Val<'a>, String> {
    let Some(sv) = sv else {
        return Ok(match lang {
            Language::Groovy => Val::Null,
            Language::JavaScript => Val::NullProxy,
        });
    };
    let v = Val::from_connect(&sv.value, sv.schema.as_deref(), lang);
    match (lang, &v) {
        (Language::Groovy, _) | (Language::JavaScript, Val::Struct(..)) => Ok(v),
        (Language::JavaScript, Val::Null) => Ok(Val::NullProxy),
        (Language::JavaScript, other) => Err(format!(
            "java.lang.ClassCastException: the record's {what} ({}) is not a Struct, as \
             jsr223.graal.js requires",
            other.class()
        )),
    }
}

#[cfg(test)]
mod tests;

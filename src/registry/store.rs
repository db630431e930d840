//! The registry's rows in the embedded log's `schema_registry` table:
//!
//! * `id/<id, 10 digits>` → the schema text;
//! * `subject/<subject>` → the subject's versions as JSON `[{"version","id","deleted"}]`;
//! * `config/` → the global compatibility level; `config/<subject>` → a subject's level.

use std::sync::Arc;

use super::{Level, RegistryError, State, VersionEntry};
use crate::log::EmbeddedLog;

pub(super) fn load(log: &EmbeddedLog) -> Result<State, RegistryError> {
    let mut st = State::default();
    for (key, value) in log.registry_rows()? {
        let text = String::from_utf8(value)
            .map_err(|_| RegistryError::Storage(format!("row {key:?} is not UTF-8")))?;
        if let Some(id) = key.strip_prefix("id/") {
            let id: u32 = id
                .parse()
                .map_err(|_| RegistryError::Storage(format!("bad row key {key:?}")))?;
            let text: Arc<str> = text.into();
            st.ids_by_text.insert(text.clone(), id);
            st.schemas.insert(id, text);
        } else if let Some(subject) = key.strip_prefix("subject/") {
            let versions: Vec<VersionEntry> = serde_json::from_str(&text)
                .map_err(|e| RegistryError::Storage(format!("row {key:?}: {e}")))?;
            st.subjects.insert(subject.to_owned(), versions);
        } else if let Some(subject) = key.strip_prefix("config/") {
            let level = Level::parse(&text)?;
            if subject.is_empty() {
                st.global = Some(level);
            } else {
                st.levels.insert(subject.to_owned(), level);
            }
        }
    }
    Ok(st)
}

fn subject_row(subject: &str, versions: &[VersionEntry]) -> (String, Vec<u8>) {
    (
        format!("subject/{subject}"),
        serde_json::to_vec(versions).unwrap_or_default(),
    )
}

/// A registration: the new schema (if it got a new id) and the subject's versions, together.
pub(super) fn write_register(
    log: &EmbeddedLog,
    schema: Option<(u32, &str)>,
    subject: &str,
    versions: &[VersionEntry],
) -> Result<(), RegistryError> {
    let mut puts = vec![subject_row(subject, versions)];
    if let Some((id, text)) = schema {
        puts.push((format!("id/{id:010}"), text.as_bytes().to_vec()));
    }
    Ok(log.registry_write(&puts, &[])?)
}

/// Rewrites a subject's versions (an empty list deletes the row).
pub(super) fn write_subject(
    log: &EmbeddedLog,
    subject: &str,
    versions: &[VersionEntry],
) -> Result<(), RegistryError> {
    if versions.is_empty() {
        Ok(log.registry_write(&[], &[format!("subject/{subject}")])?)
    } else {
        Ok(log.registry_write(&[subject_row(subject, versions)], &[])?)
    }
}

pub(super) fn write_level(
    log: &EmbeddedLog,
    subject: Option<&str>,
    level: Option<Level>,
) -> Result<(), RegistryError> {
    let key = format!("config/{}", subject.unwrap_or(""));
    match level {
        Some(l) => Ok(log.registry_write(&[(key, l.as_str().as_bytes().to_vec())], &[])?),
        None => Ok(log.registry_write(&[], &[key])?),
    }
}

/// The schema text of `id` read straight from a log (for `topics tail` on a stopped worker).
pub fn stored_schema(log: &EmbeddedLog, id: u32) -> Result<Option<String>, RegistryError> {
    Ok(log
        .registry_row(&format!("id/{id:010}"))?
        .and_then(|v| String::from_utf8(v).ok()))
}

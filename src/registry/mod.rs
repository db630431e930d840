//! The embedded Schema Registry: Confluent's Schema Registry REST API (`api`) over subjects,
//! versions, schema ids and compatibility levels kept durably in the worker's embedded log
//! (`store`), so the AvroConverter works with no external registry. Converters in the worker
//! call [`Registry`] directly (no HTTP); other clients use the REST API.
//!
//! * [`Registry`]: the registry's state and operations (in memory, every change written durably
//!   first).
//! * [`compat`]: compatibility levels and the Avro checks.
//! * [`api`]: the REST API on axum.
//! * [`client`]: the converters' view of a registry, embedded or remote (HTTP, basic auth).
//! * `store`: rows in the log's `schema_registry` table.

pub mod api;
pub mod client;

pub mod compat;
pub mod decode;
mod error;
pub mod listener;
mod store;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use apache_avro::Schema as AvroSchema;

pub use compat::Level;
pub use error::RegistryError;
pub use store::stored_schema;

use crate::log::EmbeddedLog;

/// Compatibility level of a registry with none configured (Confluent's default).
pub const DEFAULT_LEVEL: Level = Level::Backward;

/// One version of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VersionEntry {
    pub version: u32,
    pub id: u32,
    #[serde(default)]
    pub deleted: bool,
}

/// A subject's version with its schema, as `GET /subjects/{s}/versions/{v}` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: u32,
    pub id: u32,
    pub schema: Arc<str>,
}

/// A version reference in a path: a number or `latest` (also `-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRef {
    Number(u32),
    Latest,
}

impl VersionRef {
    pub fn parse(s: &str) -> Result<VersionRef, RegistryError> {
        if s == "latest" || s == "-1" {
            return Ok(VersionRef::Latest);
        }
        match s.parse::<u32>() {
            Ok(v) if v >= 1 && v <= i32::MAX as u32 => Ok(VersionRef::Number(v)),
            _ => Err(RegistryError::InvalidVersion(s.to_owned())),
        }
    }
}

#[derive(Default)]
struct State {
    schemas: BTreeMap<u32, Arc<str>>,
    ids_by_text: HashMap<Arc<str>, u32>,
    subjects: BTreeMap<String, Vec<VersionEntry>>,
    global: Option<Level>,
    levels: HashMap<String, Level>,
}

/// The embedded registry. Cheap to clone.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

struct Inner {
    log: EmbeddedLog,
    state: Mutex<State>,
}

/// Parses and normalizes a schema: the stored text is the compact JSON of what was sent.
pub fn normalize(schema: &str) -> Result<(String, AvroSchema), RegistryError> {
    let json: serde_json::Value = serde_json::from_str(schema)
        .or_else(|_| {
            // A bare primitive name such as `string` (without JSON quotes) is accepted too.
            serde_json::from_str(&format!("\"{schema}\""))
        })
        .map_err(|e| RegistryError::InvalidSchema(format!("{schema}: {e}")))?;
    let parsed = AvroSchema::parse(&json)
        .map_err(|e| RegistryError::InvalidSchema(format!("{schema}: {e}")))?;
    Ok((json.to_string(), parsed))
}

fn parse_stored(text: &str) -> Result<AvroSchema, RegistryError> {
    AvroSchema::parse_str(text).map_err(|e| RegistryError::Storage(format!("stored schema: {e}")))
}

impl Registry {
    /// Opens the registry kept in `log`'s data directory.
    pub fn open(log: EmbeddedLog) -> Result<Registry, RegistryError> {
        let state = store::load(&log)?;
        Ok(Registry {
            inner: Arc::new(Inner {
                log,
                state: Mutex::new(state),
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `schema` under `subject` (`POST /subjects/{s}/versions`): the existing id when
    /// the subject already has it as a live version, else a new version after the compatibility
    /// check; an identical schema under another subject keeps its id.
    pub fn register(&self, subject: &str, schema: &str) -> Result<u32, RegistryError> {
        let (text, parsed) = normalize(schema)?;
        let mut st = self.state();
        let versions = st.subjects.get(subject).cloned().unwrap_or_default();
        if let Some(id) = st.ids_by_text.get(text.as_str()).copied() {
            if versions.iter().any(|v| v.id == id && !v.deleted) {
                return Ok(id);
            }
        }
        let level = st
            .levels
            .get(subject)
            .copied()
            .or(st.global)
            .unwrap_or(DEFAULT_LEVEL);
        if level != Level::None {
            let existing = live_schemas(&st, &versions)?;
            let details = compat::check(level, &parsed, &existing);
            if !details.is_empty() {
                return Err(RegistryError::Incompatible {
                    subject: subject.to_owned(),
                    details,
                });
            }
        }
        let (id, new_schema) = match st.ids_by_text.get(text.as_str()) {
            Some(id) => (*id, false),
            None => (st.schemas.keys().next_back().map_or(1, |m| m + 1), true),
        };
        let version = versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        let mut new_versions = versions;
        new_versions.push(VersionEntry {
            version,
            id,
            deleted: false,
        });
        store::write_register(
            &self.inner.log,
            new_schema.then_some((id, text.as_str())),
            subject,
            &new_versions,
        )?;
        if new_schema {
            let text: Arc<str> = text.into();
            st.schemas.insert(id, text.clone());
            st.ids_by_text.insert(text, id);
        }
        st.subjects.insert(subject.to_owned(), new_versions);
        Ok(id)
    }

    /// Finds `schema` among `subject`'s versions (`POST /subjects/{s}`).
    pub fn lookup(
        &self,
        subject: &str,
        schema: &str,
        deleted: bool,
    ) -> Result<SubjectVersion, RegistryError> {
        let (text, _) = normalize(schema)?;
        let st = self.state();
        let versions = st
            .subjects
            .get(subject)
            .filter(|vs| deleted || vs.iter().any(|v| !v.deleted))
            .ok_or_else(|| RegistryError::SubjectNotFound(subject.to_owned()))?;
        let id = st.ids_by_text.get(text.as_str()).copied();
        let found = versions
            .iter()
            .rev()
            .find(|v| Some(v.id) == id && (deleted || !v.deleted))
            .ok_or_else(|| RegistryError::SchemaNotFound(String::new()))?;
        Ok(SubjectVersion {
            subject: subject.to_owned(),
            version: found.version,
            id: found.id,
            schema: st.schemas[&found.id].clone(),
        })
    }

    /// The schema with this id (soft-deleted versions still resolve, as in Confluent).
    pub fn schema(&self, id: u32) -> Result<Arc<str>, RegistryError> {
        let st = self.state();
        let referenced = st.subjects.values().flatten().any(|v| v.id == id);
        match st.schemas.get(&id) {
            Some(s) if referenced => Ok(s.clone()),
            _ => Err(RegistryError::SchemaNotFound(id.to_string())),
        }
    }

    /// (subject, version) pairs using a schema id.
    pub fn id_versions(&self, id: u32, deleted: bool) -> Result<Vec<(String, u32)>, RegistryError> {
        let st = self.state();
        let out: Vec<(String, u32)> = st
            .subjects
            .iter()
            .flat_map(|(s, vs)| {
                vs.iter()
                    .filter(|v| v.id == id && (deleted || !v.deleted))
                    .map(move |v| (s.clone(), v.version))
            })
            .collect();
        if out.is_empty() && !st.schemas.contains_key(&id) {
            return Err(RegistryError::SchemaNotFound(id.to_string()));
        }
        Ok(out)
    }

    /// Subjects with a live version (or any version with `deleted`).
    pub fn subjects(&self, deleted: bool) -> Vec<String> {
        self.state()
            .subjects
            .iter()
            .filter(|(_, vs)| !vs.is_empty() && (deleted || vs.iter().any(|v| !v.deleted)))
            .map(|(s, _)| s.clone())
            .collect()
    }

    pub fn versions(&self, subject: &str, deleted: bool) -> Result<Vec<u32>, RegistryError> {
        let st = self.state();
        let vs: Vec<u32> = st
            .subjects
            .get(subject)
            .map(|vs| {
                vs.iter()
                    .filter(|v| deleted || !v.deleted)
                    .map(|v| v.version)
                    .collect()
            })
            .unwrap_or_default();
        if vs.is_empty() {
            return Err(RegistryError::SubjectNotFound(subject.to_owned()));
        }
        Ok(vs)
    }

    pub fn version(
        &self,
        subject: &str,
        version: VersionRef,
        deleted: bool,
    ) -> Result<SubjectVersion, RegistryError> {
        let st = self.state();
        let entry = find_version(&st, subject, version, deleted)?;
        Ok(SubjectVersion {
            subject: subject.to_owned(),
            version: entry.version,
            id: entry.id,
            schema: st.schemas[&entry.id].clone(),
        })
    }

    /// Soft- or hard-deletes every version of a subject; returns the versions deleted.
    pub fn delete_subject(
        &self,
        subject: &str,
        permanent: bool,
    ) -> Result<Vec<u32>, RegistryError> {
        let mut st = self.state();
        let versions = st
            .subjects
            .get(subject)
            .filter(|vs| !vs.is_empty())
            .cloned()
            .ok_or_else(|| RegistryError::SubjectNotFound(subject.to_owned()))?;
        let all_soft = versions.iter().all(|v| v.deleted);
        if permanent {
            if !all_soft {
                return Err(RegistryError::SubjectNotSoftDeleted(subject.to_owned()));
            }
            store::write_subject(&self.inner.log, subject, &[])?;
            st.subjects.remove(subject);
            return Ok(versions.iter().map(|v| v.version).collect());
        }
        if all_soft {
            return Err(RegistryError::SubjectSoftDeleted(subject.to_owned()));
        }
        let deleted: Vec<u32> = versions
            .iter()
            .filter(|v| !v.deleted)
            .map(|v| v.version)
            .collect();
        let new: Vec<VersionEntry> = versions
            .iter()
            .map(|v| VersionEntry {
                deleted: true,
                ..*v
            })
            .collect();
        store::write_subject(&self.inner.log, subject, &new)?;
        st.subjects.insert(subject.to_owned(), new);
        Ok(deleted)
    }

    /// Soft- or hard-deletes one version; returns its number.
    pub fn delete_version(
        &self,
        subject: &str,
        version: VersionRef,
        permanent: bool,
    ) -> Result<u32, RegistryError> {
        let mut st = self.state();
        let entry = find_version(&st, subject, version, permanent)?;
        if permanent && !entry.deleted {
            return Err(RegistryError::VersionNotSoftDeleted {
                subject: subject.to_owned(),
                version: entry.version,
            });
        }
        let mut versions = st.subjects.get(subject).cloned().unwrap_or_default();
        if permanent {
            versions.retain(|v| v.version != entry.version);
        } else {
            for v in &mut versions {
                if v.version == entry.version {
                    v.deleted = true;
                }
            }
        }
        store::write_subject(&self.inner.log, subject, &versions)?;
        if versions.is_empty() {
            st.subjects.remove(subject);
        } else {
            st.subjects.insert(subject.to_owned(), versions);
        }
        Ok(entry.version)
    }

    /// Tests `schema` against one version (`Some`) or against what the subject's level
    /// requires (`None`); returns the incompatibilities (empty: compatible).
    pub fn test_compatibility(
        &self,
        subject: &str,
        version: Option<VersionRef>,
        schema: &str,
    ) -> Result<Vec<String>, RegistryError> {
        let (_, parsed) = normalize(schema)?;
        let st = self.state();
        let level = st
            .levels
            .get(subject)
            .copied()
            .or(st.global)
            .unwrap_or(DEFAULT_LEVEL);
        let existing = match version {
            Some(v) => {
                let entry = find_version(&st, subject, v, false)?;
                vec![(entry.version, parse_stored(&st.schemas[&entry.id])?)]
            }
            None => {
                let versions = st.subjects.get(subject).cloned().unwrap_or_default();
                live_schemas(&st, &versions)?
            }
        };
        Ok(compat::check(level, &parsed, &existing))
    }

    pub fn global_level(&self) -> Level {
        self.state().global.unwrap_or(DEFAULT_LEVEL)
    }

    pub fn set_global_level(&self, level: Level) -> Result<(), RegistryError> {
        let mut st = self.state();
        store::write_level(&self.inner.log, None, Some(level))?;
        st.global = Some(level);
        Ok(())
    }

    /// The subject's own level (`None` when it follows the global one).
    pub fn subject_level(&self, subject: &str) -> Option<Level> {
        self.state().levels.get(subject).copied()
    }

    pub fn set_subject_level(&self, subject: &str, level: Level) -> Result<(), RegistryError> {
        let mut st = self.state();
        store::write_level(&self.inner.log, Some(subject), Some(level))?;
        st.levels.insert(subject.to_owned(), level);
        Ok(())
    }

    /// Removes a subject's own level; returns what it was.
    pub fn delete_subject_level(&self, subject: &str) -> Result<Level, RegistryError> {
        let mut st = self.state();
        let old = st
            .levels
            .get(subject)
            .copied()
            .ok_or_else(|| RegistryError::SubjectLevelNotConfigured(subject.to_owned()))?;
        store::write_level(&self.inner.log, Some(subject), None)?;
        st.levels.remove(subject);
        Ok(old)
    }
}

fn find_version(
    st: &State,
    subject: &str,
    version: VersionRef,
    deleted: bool,
) -> Result<VersionEntry, RegistryError> {
    let versions = st
        .subjects
        .get(subject)
        .filter(|vs| vs.iter().any(|v| deleted || !v.deleted))
        .ok_or_else(|| RegistryError::SubjectNotFound(subject.to_owned()))?;
    let found = match version {
        VersionRef::Latest => versions.iter().rev().find(|v| deleted || !v.deleted),
        VersionRef::Number(n) => versions
            .iter()
            .find(|v| v.version == n && (deleted || !v.deleted)),
    };
    found
        .copied()
        .ok_or_else(|| RegistryError::VersionNotFound {
            subject: subject.to_owned(),
            version: match version {
                VersionRef::Latest => "latest".into(),
                VersionRef::Number(n) => n.to_string(),
            },
        })
}

fn live_schemas(
    st: &State,
    versions: &[VersionEntry],
) -> Result<Vec<(u32, AvroSchema)>, RegistryError> {
    versions
        .iter()
        .filter(|v| !v.deleted)
        .map(|v| Ok((v.version, parse_stored(&st.schemas[&v.id])?)))
        .collect()
}

#[cfg(test)]
mod tests;

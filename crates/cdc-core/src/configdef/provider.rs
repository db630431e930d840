//! Config providers (KIP-297, KIP-421): `${provider:path:key}` references in connector configs,
//! resolved from the providers the worker allows in `config.providers`.
//!
//! Worker properties, with Kafka's class names:
//!
//! ```properties
//! config.providers=env,file,directory
//! config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
//! config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
//! config.providers.directory.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider
//! # optional, as in Kafka:
//! config.providers.env.param.allowlist.pattern=DB_.*
//! config.providers.file.param.allowed.paths=/etc/secrets
//! ```
//!
//! Unlike Kafka, which leaves a reference it cannot resolve in place silently, every reference
//! that cannot be resolved (provider not allowed, variable unset, file or key missing) is an
//! error naming the property and the provider. Errors never contain a resolved value.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use regex::Regex;

use crate::config::{ConfigErrors, ConfigMap, ConfigProblem};

const ENV_CLASS: &str = "org.apache.kafka.common.config.provider.EnvVarConfigProvider";
const FILE_CLASS: &str = "org.apache.kafka.common.config.provider.FileConfigProvider";
const DIRECTORY_CLASS: &str = "org.apache.kafka.common.config.provider.DirectoryConfigProvider";

#[derive(Debug, Clone)]
enum Provider {
    /// Environment variables (the path must be empty), optionally only names matching a regex.
    Env { allowlist: Option<Regex> },
    /// A Java properties file; the key is a property in it.
    File { allowed: Option<Vec<PathBuf>> },
    /// A directory; the key is a file in it, whose whole content is the value.
    Directory { allowed: Option<Vec<PathBuf>> },
}

/// The config providers a worker allows, by the alias used in references.
#[derive(Debug, Clone, Default)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Provider>,
}

impl ConfigProviders {
    /// No providers: every reference is reported as not allowed.
    pub fn none() -> ConfigProviders {
        ConfigProviders::default()
    }

    /// Reads `config.providers` and each alias's `.class` and `.param.*` from worker properties.
    pub fn from_worker(worker: &ConfigMap) -> Result<ConfigProviders, ConfigErrors> {
        let mut problems = Vec::new();
        let mut providers = BTreeMap::new();
        let aliases = worker
            .get("config.providers")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        for alias in aliases {
            let class_prop = format!("config.providers.{alias}.class");
            let param = |name: &str| {
                worker
                    .get(&format!("config.providers.{alias}.param.{name}"))
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
            };
            let mut problem = |property: String, value: Option<String>, message: String| {
                problems.push(ConfigProblem {
                    property,
                    value,
                    message,
                })
            };
            let provider = match worker.get(&class_prop).map(|c| c.trim()) {
                Some(ENV_CLASS) => {
                    match param("allowlist.pattern").map(|p| Regex::new(&format!("^(?:{p})$"))) {
                        None => Provider::Env { allowlist: None },
                        Some(Ok(re)) => Provider::Env {
                            allowlist: Some(re),
                        },
                        Some(Err(e)) => {
                            problem(
                                format!("config.providers.{alias}.param.allowlist.pattern"),
                                None,
                                format!("not a valid regular expression: {e}"),
                            );
                            continue;
                        }
                    }
                }
                Some(c @ (FILE_CLASS | DIRECTORY_CLASS)) => {
                    let allowed = match param("allowed.paths").map(allowed_paths) {
                        None => None,
                        Some(Ok(paths)) => Some(paths),
                        Some(Err(message)) => {
                            problem(
                                format!("config.providers.{alias}.param.allowed.paths"),
                                None,
                                message,
                            );
                            continue;
                        }
                    };
                    if c == FILE_CLASS {
                        Provider::File { allowed }
                    } else {
                        Provider::Directory { allowed }
                    }
                }
                Some(other) => {
                    problem(
                        class_prop,
                        Some(other.to_owned()),
                        format!("unknown config provider class; use one of {ENV_CLASS}, {FILE_CLASS}, {DIRECTORY_CLASS}"),
                    );
                    continue;
                }
                None => {
                    problem(
                        class_prop,
                        None,
                        format!("config provider {alias:?} is listed in config.providers but has no class"),
                    );
                    continue;
                }
            };
            providers.insert(alias.to_owned(), provider);
        }
        if problems.is_empty() {
            Ok(ConfigProviders { providers })
        } else {
            Err(ConfigErrors(problems))
        }
    }

    /// The config with every `${provider:path:key}` reference replaced by its value; every
    /// reference that cannot be resolved is reported, naming the property and the provider.
    pub fn resolve(&self, config: &ConfigMap) -> Result<ConfigMap, ConfigErrors> {
        let mut problems = Vec::new();
        let mut out = ConfigMap::new();
        for (property, value) in config {
            let mut resolved = String::with_capacity(value.len());
            let mut last = 0;
            for caps in reference_pattern().captures_iter(value) {
                let (Some(whole), Some(provider), Some(key)) =
                    (caps.get(0), caps.get(1), caps.get(4))
                else {
                    continue;
                };
                let path = caps.get(3).map_or("", |m| m.as_str());
                resolved.push_str(&value[last..whole.start()]);
                last = whole.end();
                match self.lookup(provider.as_str(), path, key.as_str()) {
                    Ok(v) => resolved.push_str(&v),
                    Err(why) => {
                        problems.push(ConfigProblem {
                            property: property.clone(),
                            value: None,
                            message: format!(
                                "cannot resolve {} with config provider {:?}: {why}",
                                whole.as_str(),
                                provider.as_str()
                            ),
                        });
                        resolved.push_str(whole.as_str());
                    }
                }
            }
            resolved.push_str(&value[last..]);
            out.insert(property.clone(), resolved);
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(ConfigErrors(problems))
        }
    }

    fn lookup(&self, provider: &str, path: &str, key: &str) -> Result<String, String> {
        let Some(p) = self.providers.get(provider) else {
            return Err(if self.providers.is_empty() {
                "the worker allows no config providers (config.providers)".to_owned()
            } else {
                format!(
                    "the worker does not allow it; config.providers allows {}",
                    self.providers
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
        };
        match p {
            Provider::Env { allowlist } => {
                if !path.is_empty() {
                    return Err("environment variable references take no path".to_owned());
                }
                if allowlist.as_ref().is_some_and(|re| !re.is_match(key)) {
                    return Err(format!(
                        "environment variable {key} does not match the provider's allowlist.pattern"
                    ));
                }
                std::env::var(key).map_err(|_| format!("environment variable {key} is not set"))
            }
            Provider::File { allowed } => {
                let file = checked_path(path, allowed.as_deref())?;
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                crate::properties::parse_properties(&text)
                    .remove(key)
                    .ok_or_else(|| format!("{} has no key {key:?}", file.display()))
            }
            Provider::Directory { allowed } => {
                let dir = checked_path(path, allowed.as_deref())?;
                if key.is_empty() || key.contains(['/', '\\']) || key == "." || key == ".." {
                    return Err(format!("{key:?} is not a file name"));
                }
                let file = dir.join(key);
                if !file.is_file() {
                    return Err(format!("{} has no file {key:?}", dir.display()));
                }
                std::fs::read_to_string(&file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))
            }
        }
    }
}

/// Kafka's `ConfigTransformer.DEFAULT_PATTERN`: `${provider:[path:]key}`.
fn reference_pattern() -> &'static Regex {
    static PATTERN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}").expect("the reference pattern is valid")
    })
}

/// `allowed.paths`: absolute, existing directories or files, comma-separated.
fn allowed_paths(value: &str) -> Result<Vec<PathBuf>, String> {
    value
        .split(',')
        .map(|p| {
            let path = normalize(Path::new(p.trim()));
            if !path.is_absolute() {
                Err(format!("path {} is not absolute", path.display()))
            } else if !path.exists() {
                Err(format!("path {} does not exist", path.display()))
            } else {
                Ok(path)
            }
        })
        .collect()
}

/// The path, normalised, if `allowed.paths` (when set) contains it.
fn checked_path(path: &str, allowed: Option<&[PathBuf]>) -> Result<PathBuf, String> {
    if path.is_empty() {
        return Err("the reference has no path".to_owned());
    }
    let normal = normalize(Path::new(path));
    match allowed {
        Some(roots) if !roots.iter().any(|r| normal.starts_with(r)) => Err(format!(
            "{} is outside the provider's allowed.paths",
            normal.display()
        )),
        _ => Ok(normal),
    }
}

/// Lexical normalisation (`.` and `..` removed), as Java's `Path.normalize`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

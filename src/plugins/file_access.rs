//! Which files Kafka's FileStream connectors may read and write. Whoever can reach the REST API
//! could otherwise stream any file the worker can read into a topic (and out of it), or write
//! over any file it can write. So they are off unless the worker allows them, and then only
//! under the directories it names:
//!
//! * the worker property `tributary.file.connectors.allowed.paths` — comma-separated
//!   directories; when it is set (even empty) it decides;
//! * else the environment variable `TRIBUTARY_FILE_CONNECTORS_ALLOWED_PATHS`, the same list;
//! * else none: FileStreamSource and FileStreamSink are refused, naming the property.
//!
//! A `file` is allowed when its real path (symbolic links resolved; for a file not created
//! yet, its directory's) is inside one of the allowed directories' real paths. The check is
//! made when a config is validated and again each time a task starts.

use std::path::{Path, PathBuf};

use cdc_core::{ConfigErrors, ConfigMap, ConfigProblem};

use super::{plugin_of_config, Plugin};

/// The worker property naming the allowed directories.
pub const ALLOWED_PATHS: &str = "tributary.file.connectors.allowed.paths";
/// The environment variable read when the worker property is not set.
pub const ALLOWED_PATHS_ENV: &str = "TRIBUTARY_FILE_CONNECTORS_ALLOWED_PATHS";

/// The allowed directories (their real paths; a directory that does not exist allows nothing).
fn allowed(worker: &ConfigMap) -> Vec<PathBuf> {
    let list = match worker.get(ALLOWED_PATHS) {
        Some(v) => v.clone(),
        None => std::env::var(ALLOWED_PATHS_ENV).unwrap_or_default(),
    };
    list.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect()
}

/// The real path `file` has or would have: its own when it exists, else its directory's
/// joined with its name.
fn real_path(file: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(file) {
        return Some(p);
    }
    let name = file.file_name()?;
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(dir).ok()?.join(name))
}

/// Refuses a FileStream connector's `config` unless the worker allows its file; other
/// connectors pass.
pub fn check(worker: &ConfigMap, config: &ConfigMap) -> Result<(), ConfigErrors> {
    let kind = match plugin_of_config(config) {
        Some(Plugin::FileStream) => "FileStreamSource reads",
        Some(Plugin::FileStreamSink) => "FileStreamSink writes",
        _ => return Ok(()),
    };
    let dirs = allowed(worker);
    let file = config.get("file").map(String::as_str).unwrap_or("").trim();
    let problem = |property: &str, message: String| {
        Err(ConfigErrors(vec![ConfigProblem {
            property: property.into(),
            value: config.get(property).cloned(),
            message,
        }]))
    };
    if dirs.is_empty() {
        return problem(
            "connector.class",
            format!(
                "the FileStream connectors are disabled on this worker: a {kind} files on the \
                 worker's machine for whoever can reach the REST API. To enable them, set the \
                 worker property {ALLOWED_PATHS} (or {ALLOWED_PATHS_ENV}) to the directories \
                 they may use"
            ),
        );
    }
    if file.is_empty() {
        // The sink's standard output: nothing on disk.
        return Ok(());
    }
    let inside =
        real_path(Path::new(file)).is_some_and(|real| dirs.iter().any(|d| real.starts_with(d)));
    if inside {
        return Ok(());
    }
    problem(
        "file",
        format!(
            "is not inside the directories the worker allows the FileStream connectors ({}: {})",
            ALLOWED_PATHS,
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(class: &str, file: &Path) -> ConfigMap {
        [
            ("connector.class", class.to_owned()),
            ("file", file.display().to_string()),
            ("topic", "t".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn worker(paths: &str) -> ConfigMap {
        [(ALLOWED_PATHS.to_owned(), paths.to_owned())].into()
    }

    #[test]
    fn file_connectors_are_refused_unless_the_worker_allows_their_directory() {
        let allowed_dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let inside = allowed_dir.path().join("in.txt");
        std::fs::write(&inside, "x").unwrap();
        let source = "FileStreamSource";
        let sink = "org.apache.kafka.connect.file.FileStreamSinkConnector";

        // Off by default (an empty property decides even if the environment has a list).
        let err = check(&worker(""), &config(source, &inside)).unwrap_err();
        assert_eq!(err.0[0].property, "connector.class");
        assert!(err.0[0].message.contains(ALLOWED_PATHS), "{err:?}");

        let w = worker(&format!(" {} ,", allowed_dir.path().display()));
        check(&w, &config(source, &inside)).unwrap();
        // A file not created yet, by its directory.
        check(&w, &config(sink, &allowed_dir.path().join("out.txt"))).unwrap();
        for outside in [
            other.path().join("out.txt"),
            PathBuf::from("/etc/passwd"),
            allowed_dir.path().join("../escape.txt"),
        ] {
            let err = check(&w, &config(sink, &outside)).unwrap_err();
            assert_eq!(err.0[0].property, "file", "{outside:?}");
        }
        // A link inside pointing outside is judged by where it points.
        #[cfg(unix)]
        {
            let link = allowed_dir.path().join("link.txt");
            std::os::unix::fs::symlink("/etc/passwd", &link).unwrap();
            assert!(check(&w, &config(source, &link)).is_err());
        }
        // Other connectors are not concerned.
        let pg: ConfigMap = [(
            "connector.class".to_owned(),
            "io.debezium.connector.postgresql.PostgresConnector".to_owned(),
        )]
        .into();
        check(&worker(""), &pg).unwrap();
    }
}

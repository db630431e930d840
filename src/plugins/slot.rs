//! What a PostgreSQL connector leaves in its database when it is deleted or moved to another
//! replication slot: the slot keeps holding WAL until someone drops it. `slot.drop.on.stop=true`
//! drops it (Debezium drops it on every graceful stop, and deleting is one); otherwise the
//! worker warns, naming the slot, the database and the statement that drops it.

use cdc_core::ConfigMap;
use pg_wal::slot::SlotRelease;
use pg_wal::PostgresConfig;
use tracing::{info, warn};

use super::{plugin_of_config, Plugin};

/// The PostgreSQL config of a connector, when it is one with a valid config.
fn postgres(config: &ConfigMap) -> Option<PostgresConfig> {
    match plugin_of_config(config) {
        Some(Plugin::Postgres) => PostgresConfig::from_map(config).ok(),
        _ => None,
    }
}

/// Why `old`'s slot is no longer the connector's once `new` replaces it (`None`: deleted),
/// or `None` when it still is.
fn why_left(name: &str, old: &PostgresConfig, new: Option<&ConfigMap>) -> Option<String> {
    let Some(new) = new else {
        return Some(format!("connector {name} was deleted"));
    };
    let Some(new) = postgres(new) else {
        return Some(format!(
            "connector {name} is no longer a PostgreSQL connector"
        ));
    };
    if (&new.hostname, new.port, &new.dbname) != (&old.hostname, old.port, &old.dbname) {
        Some(format!(
            "connector {name} now reads database {:?} at {}:{}",
            new.dbname, new.hostname, new.port
        ))
    } else if new.slot_name != old.slot_name {
        Some(format!(
            "connector {name} now uses replication slot {:?}",
            new.slot_name
        ))
    } else {
        None
    }
}

/// Called after the connector's task stopped because it was deleted (`new` is `None`) or its
/// config changed from `old` to `new`. Drops a PostgreSQL connector's former slot when
/// `slot.drop.on.stop` is true, and returns (and logs) a warning when the slot stays behind.
/// Other connectors, and a config that keeps the slot, give `None` and touch nothing.
pub async fn release(name: &str, old: &ConfigMap, new: Option<&ConfigMap>) -> Option<String> {
    let old = postgres(old)?;
    let why = why_left(name, &old, new)?;
    match pg_wal::slot::release(&old, &why).await {
        SlotRelease::Dropped => {
            info!(connector = %name, slot = %old.slot_name, database = %old.dbname, "dropped the connector's replication slot (slot.drop.on.stop=true)");
            None
        }
        SlotRelease::Absent => None,
        SlotRelease::Left(warning) => {
            warn!(connector = %name, slot = %old.slot_name, database = %old.dbname, "{warning}");
            Some(warning)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(extra: &[(&str, &str)]) -> ConfigMap {
        let mut m: ConfigMap = [
            (
                "connector.class",
                "io.debezium.connector.postgresql.PostgresConnector",
            ),
            ("database.hostname", "db1"),
            ("database.user", "u"),
            ("database.dbname", "inventory"),
            ("topic.prefix", "p"),
            ("slot.name", "s1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in extra {
            m.insert((*k).to_owned(), (*v).to_owned());
        }
        m
    }

    #[test]
    fn a_slot_is_left_by_a_delete_or_a_change_of_slot_or_database_only() {
        let old = postgres(&pg(&[])).expect("a valid PostgreSQL config");
        let why = |new: Option<&ConfigMap>| why_left("c", &old, new);
        assert_eq!(why(None).as_deref(), Some("connector c was deleted"));
        assert_eq!(why(Some(&pg(&[("snapshot.mode", "when_needed")]))), None);
        assert!(why(Some(&pg(&[("slot.name", "s2")])))
            .unwrap()
            .contains("now uses replication slot \"s2\""));
        assert!(why(Some(&pg(&[("database.dbname", "other")])))
            .unwrap()
            .contains("now reads database \"other\""));
        let mut file = pg(&[]);
        file.insert(
            "connector.class".into(),
            "org.apache.kafka.connect.file.FileStreamSourceConnector".into(),
        );
        assert!(why(Some(&file)).unwrap().contains("no longer a PostgreSQL"));
    }
}

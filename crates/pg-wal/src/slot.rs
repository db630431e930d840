//! Replication slot and publication management.

use tokio_postgres::Client;

use crate::config::{PostgresConfig, PublicationMode};
use crate::error::{PgSourceError, INSUFFICIENT_PRIVILEGE};
use crate::lsn::Lsn;
use crate::replication::quote_ident;
use crate::table::TableRef;

/// What `pg_replication_slots` says about our slot.
#[derive(Debug, Clone)]
pub struct SlotState {
    pub plugin: Option<String>,
    pub database: Option<String>,
    pub active_pid: Option<i32>,
    pub confirmed_flush: Option<Lsn>,
    pub restart_lsn: Option<Lsn>,
}

/// Reads the slot's state, `None` when it does not exist.
pub async fn slot_state(client: &Client, slot: &str) -> Result<Option<SlotState>, PgSourceError> {
    let row = client
        .query_opt(
            "SELECT plugin::text, database::text, active_pid, confirmed_flush_lsn::text, restart_lsn::text \
             FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .await
        .map_err(|e| PgSourceError::query(format!("reading replication slot {slot:?}"), e))?;
    Ok(row.map(|r| SlotState {
        plugin: r.get(0),
        database: r.get(1),
        active_pid: r.get(2),
        confirmed_flush: r.get::<_, Option<String>>(3).and_then(|s| s.parse().ok()),
        restart_lsn: r.get::<_, Option<String>>(4).and_then(|s| s.parse().ok()),
    }))
}

/// Drops the slot (for `slot.drop.on.stop`), ignoring a slot that is already gone.
pub async fn drop_slot(client: &Client, slot: &str) -> Result<(), PgSourceError> {
    client
        .execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .await
        .map_err(|e| PgSourceError::query(format!("dropping replication slot {slot:?}"), e))?;
    Ok(())
}

/// Makes sure the publication exists as `publication.autocreate.mode` asks.
pub async fn ensure_publication(
    client: &Client,
    cfg: &PostgresConfig,
    tables: &[TableRef],
) -> Result<(), PgSourceError> {
    let name = &cfg.publication_name;
    let exists = client
        .query_opt(
            "SELECT puballtables FROM pg_publication WHERE pubname = $1",
            &[name],
        )
        .await
        .map_err(|e| PgSourceError::query(format!("reading publication {name:?}"), e))?;
    let quoted = quote_ident(name);
    let table_list = || {
        tables
            .iter()
            .map(|t| format!("{}.{}", quote_ident(&t.schema), quote_ident(&t.table)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let what = match exists {
        Some(_) => format!("changing the tables of publication {name:?}"),
        None => format!("creating publication {name:?}"),
    };
    let sql = match (cfg.publication_mode, exists) {
        (PublicationMode::Disabled, None) => {
            return Err(PgSourceError::PublicationMissing { name: name.clone() })
        }
        (PublicationMode::Disabled, Some(_)) | (PublicationMode::AllTables, Some(_)) => {
            return Ok(())
        }
        (PublicationMode::NoTables, Some(_)) => return Ok(()),
        (PublicationMode::AllTables, None) => format!("CREATE PUBLICATION {quoted} FOR ALL TABLES"),
        (PublicationMode::NoTables, None) => format!("CREATE PUBLICATION {quoted}"),
        (PublicationMode::Filtered, None) if tables.is_empty() => {
            format!("CREATE PUBLICATION {quoted}")
        }
        (PublicationMode::Filtered, None) => {
            format!("CREATE PUBLICATION {quoted} FOR TABLE {}", table_list())
        }
        (PublicationMode::Filtered, Some(_)) if tables.is_empty() => return Ok(()),
        (PublicationMode::Filtered, Some(_)) => {
            format!("ALTER PUBLICATION {quoted} SET TABLE {}", table_list())
        }
    };
    client
        .batch_execute(&sql)
        .await
        .map_err(|e| match e.code() {
            Some(c) if c.code() == INSUFFICIENT_PRIVILEGE => PgSourceError::MissingPrivilege {
                what,
                user: cfg.user.clone(),
                needs: publication_privileges(cfg),
                source: Box::new(e),
            },
            _ => PgSourceError::query(what, e),
        })
}

/// What `publication.autocreate.mode` needs of the user to create or change the publication.
fn publication_privileges(cfg: &PostgresConfig) -> String {
    let db = quote_ident(&cfg.dbname);
    let publication = quote_ident(&cfg.publication_name);
    match cfg.publication_mode {
        // Only a superuser may create a publication FOR ALL TABLES; Debezium's documentation
        // has an administrator create it when the connector's user is not one.
        PublicationMode::AllTables => format!(
            "superuser status, which publication.autocreate.mode=all_tables needs to create a \
             publication FOR ALL TABLES: have a superuser run CREATE PUBLICATION {publication} \
             FOR ALL TABLES before the connector starts, or set publication.autocreate.mode=filtered"
        ),
        PublicationMode::Filtered => format!(
            "CREATE on database {db} or ownership of the captured tables (and of publication \
             {publication} when it exists), which publication.autocreate.mode=filtered needs"
        ),
        // `disabled` never creates one (a missing publication is `PublicationMissing`).
        PublicationMode::NoTables | PublicationMode::Disabled => format!(
            "CREATE on database {db}, which publication.autocreate.mode=no_tables needs"
        ),
    }
}

/// Checks `wal_level`.
pub async fn check_wal_level(client: &Client) -> Result<(), PgSourceError> {
    let row = client
        .query_one("SHOW wal_level", &[])
        .await
        .map_err(|e| PgSourceError::query("reading wal_level", e))?;
    let level: String = row.get(0);
    if level != "logical" {
        return Err(PgSourceError::WalLevel(level));
    }
    Ok(())
}

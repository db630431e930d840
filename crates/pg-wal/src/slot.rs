//! Replication slot and publication management.

use tokio_postgres::Client;

use crate::config::{PostgresConfig, PublicationMode};
use crate::error::{PgSourceError, INSUFFICIENT_PRIVILEGE};
use crate::lsn::Lsn;
use crate::replication::quote_ident;
use crate::table::TableRef;
use cdc_core::error::error_chain;

/// What `pg_replication_slots` says about our slot.
#[derive(Debug, Clone)]
pub struct SlotState {
    pub plugin: Option<String>,
    pub database: Option<String>,
    pub active_pid: Option<i32>,
    pub confirmed_flush: Option<Lsn>,
    pub restart_lsn: Option<Lsn>,
    /// `wal_status` (PostgreSQL 13+): `reserved`, `extended`, `unreserved` or `lost`.
    pub wal_status: Option<String>,
    /// `conflicting` (PostgreSQL 16+): a logical slot on a standby invalidated by recovery.
    pub conflicting: bool,
}

impl SlotState {
    /// Has the server invalidated the slot? A slot that held more WAL than
    /// `max_slot_wal_keep_size` loses it at a checkpoint (`wal_status = 'lost'`, `restart_lsn`
    /// NULL) and can never stream again: it must be dropped and the data snapshotted anew.
    pub fn invalidated(&self) -> bool {
        self.wal_status.as_deref() == Some("lost") || self.conflicting
    }
}

/// Reads the slot's state, `None` when it does not exist.
pub async fn slot_state(client: &Client, slot: &str) -> Result<Option<SlotState>, PgSourceError> {
    let row = client
        .query_opt(
            // `wal_status` and `conflicting` through to_jsonb: the columns do not exist before
            // PostgreSQL 13 and 16, and the query must run on every supported version.
            "SELECT plugin::text, database::text, active_pid, confirmed_flush_lsn::text, restart_lsn::text, \
             to_jsonb(s) ->> 'wal_status', coalesce((to_jsonb(s) ->> 'conflicting')::bool, false) \
             FROM pg_replication_slots s WHERE slot_name = $1",
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
        wal_status: r.get(5),
        conflicting: r.get(6),
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

/// The statement a person runs to drop `slot` (a string literal, quotes doubled).
pub fn drop_sql(slot: &str) -> String {
    format!(
        "SELECT pg_drop_replication_slot('{}')",
        slot.replace('\'', "''")
    )
}

/// Does a START_REPLICATION error say the slot was invalidated? PostgreSQL 13–15 answer
/// "cannot read from logical replication slot" with the detail "This slot has been invalidated
/// because ..."; 16 and later "can no longer get changes from replication slot". Pure, for tests.
pub fn is_invalidation(message: &str, detail: Option<&str>) -> bool {
    message.contains("can no longer get changes from replication slot")
        || detail.is_some_and(|d| d.contains("has been invalidated"))
}

/// What became of a connector's slot when the connector was deleted or moved to another slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotRelease {
    /// Dropped, as `slot.drop.on.stop=true` asks.
    Dropped,
    /// There is no such slot (never created, or already dropped).
    Absent,
    /// The slot stays and holds WAL: the warning to log and show, with the statement to drop it.
    Left(String),
}

/// How long a release waits for the server (connecting, the walsender letting go of the slot).
const RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Called once the connector's task has stopped, because the connector was deleted or its
/// slot changed (`why`): drops the slot when `slot.drop.on.stop` is true (Debezium drops it on
/// a graceful stop, and deleting is one), else reports the slot it leaves behind. Never fails:
/// a server that cannot be reached gives a warning naming the slot.
pub async fn release(cfg: &PostgresConfig, why: &str) -> SlotRelease {
    let slot = &cfg.slot_name;
    let left = |what: String| {
        SlotRelease::Left(format!(
            "{why}: {what}; replication slot {slot:?} on database {db:?} at {host}:{port} keeps \
             holding WAL until it is dropped: run {sql} on that database once no connector uses it",
            db = cfg.dbname,
            host = cfg.hostname,
            port = cfg.port,
            sql = drop_sql(slot),
        ))
    };
    let client = match tokio::time::timeout(RELEASE_WAIT, crate::snapshot::connect(cfg)).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return left(format!("could not check the slot ({})", error_chain(&e))),
        Err(_) => return left("could not check the slot (connecting timed out)".to_owned()),
    };
    if !cfg.slot_drop_on_stop {
        return match slot_state(&client, slot).await {
            Ok(None) => SlotRelease::Absent,
            Ok(Some(_)) => left("the slot is not dropped (slot.drop.on.stop=false)".to_owned()),
            Err(e) => left(format!("could not check the slot ({})", error_chain(&e))),
        };
    }
    let deadline = tokio::time::Instant::now() + RELEASE_WAIT;
    loop {
        // The slot can only be dropped once its walsender has noticed the stopped stream.
        let failure = match slot_state(&client, slot).await {
            Ok(None) => return SlotRelease::Absent,
            Ok(Some(SlotState {
                active_pid: Some(pid),
                ..
            })) => format!("the slot is still in use by process {pid}"),
            Ok(Some(_)) => match drop_slot(&client, slot).await {
                Ok(()) => return SlotRelease::Dropped,
                Err(e) => error_chain(&e),
            },
            Err(e) => error_chain(&e),
        };
        if tokio::time::Instant::now() >= deadline {
            return left(format!(
                "slot.drop.on.stop=true but dropping the slot failed ({failure})"
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_sql_quotes_the_slot_name() {
        assert_eq!(drop_sql("s1"), "SELECT pg_drop_replication_slot('s1')");
        assert_eq!(drop_sql("a'b"), "SELECT pg_drop_replication_slot('a''b')");
    }

    #[test]
    fn invalidation_errors_of_every_version_are_recognised() {
        // PostgreSQL 13-15.
        assert!(is_invalidation(
            "cannot read from logical replication slot \"s\"",
            Some("This slot has been invalidated because it exceeded the maximum reserved size.")
        ));
        // PostgreSQL 16+.
        assert!(is_invalidation(
            "can no longer get changes from replication slot \"s\"",
            Some("This slot has been invalidated because it exceeded the maximum reserved size.")
        ));
        assert!(!is_invalidation(
            "replication slot \"s\" does not exist",
            None
        ));
        assert!(!is_invalidation(
            "replication slot \"s\" is active for PID 42",
            None
        ));
    }

    #[test]
    fn a_lost_or_conflicting_slot_is_invalidated() {
        let state = |wal_status: Option<&str>, conflicting| SlotState {
            plugin: Some("pgoutput".into()),
            database: Some("db".into()),
            active_pid: None,
            confirmed_flush: None,
            restart_lsn: None,
            wal_status: wal_status.map(str::to_owned),
            conflicting,
        };
        assert!(state(Some("lost"), false).invalidated());
        assert!(state(None, true).invalidated());
        for ok in [None, Some("reserved"), Some("extended"), Some("unreserved")] {
            assert!(!state(ok, false).invalidated(), "{ok:?}");
        }
    }
}

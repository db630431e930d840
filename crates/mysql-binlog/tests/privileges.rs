//! The connector's user with less than it needs: each failure is fatal and names the missing
//! privilege (the README's "Database privileges" lists them).

use cdc_core::Retry;

use crate::support::MyFixture;

/// Debezium's list, as `scripts/lib/mariadb.sh` grants it to the connector's user.
const NEEDED: [&str; 5] = [
    "SELECT",
    "RELOAD",
    "SHOW DATABASES",
    "REPLICATION SLAVE",
    "REPLICATION CLIENT",
];

/// Runs the connector as a user of this test's own with every needed privilege but `missing`,
/// and returns its fatal failure.
async fn failure_without(tag: &str, missing: &str, snapshot_mode: &str) -> String {
    let mut db = MyFixture::start(tag).await;
    db.exec("CREATE TABLE t (id INT PRIMARY KEY)").await;
    db.exec("INSERT INTO t VALUES (1)").await;
    let user = format!("'{}'@'{}'", db.db, db.server.host);
    let grants: Vec<&str> = NEEDED.into_iter().filter(|p| *p != missing).collect();
    db.exec(&format!("DROP USER IF EXISTS {user}")).await;
    db.exec(&format!("CREATE USER {user} IDENTIFIED BY 'pw'"))
        .await;
    db.exec(&format!("GRANT {} ON *.* TO {user}", grants.join(", ")))
        .await;
    let mut cap = db
        .capture(&[
            ("database.user", &db.db),
            ("database.password", "pw"),
            ("snapshot.mode", snapshot_mode),
        ])
        .await;
    // Something to stream, for the privileges only streaming needs.
    db.exec("INSERT INTO t VALUES (2)").await;
    while let Ok(Some(_)) =
        tokio::time::timeout(std::time::Duration::from_secs(10), cap.events.recv()).await
    {}
    let err = cap.failure().await;
    db.exec(&format!("DROP USER {user}")).await;
    assert_eq!(err.retry(), Retry::Fatal, "{err}");
    err.to_string()
}

#[tokio::test]
async fn without_reload_the_snapshot_lock_names_reload() {
    let msg = failure_without("priv_reload", "RELOAD", "no_data").await;
    assert!(
        msg.contains("FLUSH TABLES WITH READ LOCK failed")
            && msg.contains("lacks the RELOAD privilege"),
        "{msg}"
    );
}

#[tokio::test]
async fn without_replication_client_the_binlog_position_names_it() {
    let msg = failure_without("priv_repl_client", "REPLICATION CLIENT", "no_data").await;
    assert!(
        msg.contains("SHOW MASTER STATUS failed")
            && msg.contains("lacks the REPLICATION CLIENT (BINLOG MONITOR) privilege"),
        "{msg}"
    );
}

#[tokio::test]
async fn without_replication_slave_reading_the_binlog_names_it() {
    let msg = failure_without("priv_repl_slave", "REPLICATION SLAVE", "no_data").await;
    assert!(
        msg.contains("reading the binlog as a replica failed")
            && msg.contains("lacks the REPLICATION SLAVE (REPLICATION REPLICA) privilege"),
        "{msg}"
    );
}

/// A table the user may not read is invisible to it (`SHOW FULL TABLES` hides it), so the
/// snapshot cannot see it; its first streamed change says what is missing.
#[tokio::test]
async fn without_select_the_unseen_table_is_named_with_the_grant() {
    let msg = failure_without("priv_select", "SELECT", "initial").await;
    assert!(
        msg.contains("whose schema is unknown") && msg.contains("grant it SELECT"),
        "{msg}"
    );
}

/// `SELECT` narrowed to the captured database is enough: snapshot and stream as with `*.*`.
#[tokio::test]
async fn select_on_the_captured_database_alone_is_enough() {
    let mut db = MyFixture::start("priv_select_db").await;
    db.exec("CREATE TABLE t (id INT PRIMARY KEY)").await;
    db.exec("INSERT INTO t VALUES (1)").await;
    let user = format!("'{}'@'{}'", db.db, db.server.host);
    db.exec(&format!("DROP USER IF EXISTS {user}")).await;
    db.exec(&format!("CREATE USER {user} IDENTIFIED BY 'pw'"))
        .await;
    db.exec(&format!(
        "GRANT RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO {user}"
    ))
    .await;
    db.exec(&format!("GRANT SELECT ON `{}`.* TO {user}", db.db))
        .await;
    let mut cap = db
        .capture(&[("database.user", &db.db), ("database.password", "pw")])
        .await;
    db.exec("INSERT INTO t VALUES (2)").await;
    let rows = cap.take_rows(2).await;
    let ids: Vec<_> = rows
        .iter()
        .map(|r| r.value["after"]["id"].clone())
        .collect();
    assert_eq!(ids, [1, 2]);
    cap.stop().await.0.unwrap();
    db.exec(&format!("DROP USER {user}")).await;
}

//! The connector's user with less than it needs: each failure is fatal and names what is
//! missing (the README's "Database privileges" lists what each mode needs).

use cdc_core::Retry;

use crate::support::PgFixture;

/// The connector's failure, which must be fatal: a missing privilege does not come back.
async fn fatal_failure(db: &PgFixture, extra: &[(&str, &str)]) -> String {
    let err = db.capture(extra).await.failure().await;
    assert_eq!(err.retry(), Retry::Fatal, "{err}");
    err.to_string()
}

#[tokio::test]
async fn a_user_without_the_replication_attribute_is_told_to_get_it() {
    let db = PgFixture::start("priv_norepl").await;
    db.exec("CREATE TABLE a (id int PRIMARY KEY)").await;
    // A role of this test's own (roles are the cluster's), dropped at the end.
    let user = db.unique("norepl");
    db.exec(&format!(
        "CREATE ROLE {user} LOGIN PASSWORD 'pw'; GRANT SELECT ON a TO {user}"
    ))
    .await;
    let msg = fatal_failure(
        &db,
        &[("database.user", &user), ("database.password", "pw")],
    )
    .await;
    db.exec(&format!("DROP OWNED BY {user}; DROP ROLE {user}"))
        .await;
    assert!(
        msg.contains(&format!("user \"{user}\" lacks the REPLICATION attribute"))
            && msg.contains(&format!("ALTER ROLE \"{user}\" REPLICATION")),
        "{msg}"
    );
}

#[tokio::test]
async fn a_user_that_may_not_connect_is_told_it_needs_connect_on_the_database() {
    let db = PgFixture::start("priv_noconnect").await;
    db.exec(&format!(
        "REVOKE CONNECT ON DATABASE {} FROM PUBLIC",
        db.dbname
    ))
    .await;
    let msg = fatal_failure(&db, &[]).await;
    assert!(
        msg.contains(&format!("lacks CONNECT on database \"{}\"", db.dbname)),
        "{msg}"
    );
}

#[tokio::test]
async fn a_table_the_user_may_not_read_is_named_with_the_grant_it_needs() {
    let db = PgFixture::start("priv_noselect").await;
    db.exec(&format!(
        "CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a VALUES (1); REVOKE SELECT ON a FROM {}",
        db.server.cdc_user
    ))
    .await;
    let msg = fatal_failure(&db, &[]).await;
    assert!(
        msg.contains("reading public.a for the snapshot failed")
            && msg.contains("lacks SELECT on table \"public\".\"a\""),
        "{msg}"
    );
}

#[tokio::test]
async fn a_missing_all_tables_publication_says_a_superuser_must_create_it() {
    let db = PgFixture::start("priv_nopub").await;
    db.exec("CREATE TABLE a (id int PRIMARY KEY)").await;
    let publication = db.unique("pub");
    db.exec(&format!("DROP PUBLICATION {publication}")).await;
    // Even with CREATE on the database: FOR ALL TABLES takes a superuser.
    db.exec(&format!(
        "GRANT CREATE ON DATABASE {} TO {}",
        db.dbname, db.server.cdc_user
    ))
    .await;
    let msg = fatal_failure(&db, &[]).await;
    assert!(
        msg.contains(&format!("creating publication \"{publication}\" failed"))
            && msg.contains("superuser")
            && msg.contains(&format!(
                "CREATE PUBLICATION \"{publication}\" FOR ALL TABLES"
            ))
            && msg.contains("publication.autocreate.mode=filtered"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_filtered_publication_without_table_ownership_names_what_it_needs() {
    let db = PgFixture::start("priv_filtered").await;
    db.exec("CREATE TABLE a (id int PRIMARY KEY)").await;
    db.exec(&format!("DROP PUBLICATION {}", db.unique("pub")))
        .await;
    let msg = fatal_failure(&db, &[("publication.autocreate.mode", "filtered")]).await;
    assert!(
        msg.contains(&format!("CREATE on database \"{}\"", db.dbname))
            && msg.contains("ownership of the captured tables"),
        "{msg}"
    );
}

/// `SELECT` is for the snapshot's reads: streaming takes only `REPLICATION` and the publication.
#[tokio::test]
async fn streaming_without_a_snapshot_needs_no_select() {
    let db = PgFixture::start("priv_stream_only").await;
    db.exec(&format!(
        "CREATE TABLE a (id int PRIMARY KEY); REVOKE SELECT ON a FROM {}",
        db.server.cdc_user
    ))
    .await;
    let mut cap = db.capture(&[("snapshot.mode", "no_data")]).await;
    db.exec("INSERT INTO a VALUES (1)").await;
    let r = cap.next().await;
    assert_eq!(r.topic, "test.public.a");
    assert_eq!(r.value["after"]["id"], 1);
    cap.stop().await.0.unwrap();
}

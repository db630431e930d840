//! Snapshot modes, include/exclude filters, publication modes and slot lifecycle.

use serde_json::json;

use crate::support::PgFixture;

async fn two_tables(db: &PgFixture) {
    db.exec(
        "CREATE SCHEMA app;
         CREATE TABLE app.a (id int PRIMARY KEY, secret text, note text);
         CREATE TABLE app.b (id int PRIMARY KEY);
         CREATE TABLE public.c (id int PRIMARY KEY);
         INSERT INTO app.a VALUES (1, 's', 'n'); INSERT INTO app.b VALUES (1); INSERT INTO public.c VALUES (1);",
    )
    .await;
}

#[tokio::test]
async fn table_include_list_and_column_exclude_list_filter_snapshot_and_stream() {
    let db = PgFixture::start("filters").await;
    two_tables(&db).await;
    let mut cap = db
        .capture(&[
            ("table.include.list", "app\\.a,public\\.c"),
            ("column.exclude.list", "app\\.a\\.secret"),
        ])
        .await;
    let snap = cap.take(2).await;
    let topics: Vec<&str> = snap.iter().map(|r| r.topic.as_str()).collect();
    assert_eq!(topics, ["test.app.a", "test.public.c"]);
    assert_eq!(
        snap[0].value["after"],
        json!({"id": 1, "note": "n"}),
        "secret is excluded"
    );
    db.exec("INSERT INTO app.b VALUES (2); INSERT INTO app.a VALUES (2, 's2', 'n2');")
        .await;
    let r = cap.next().await;
    assert_eq!(r.topic, "test.app.a", "app.b is not captured");
    assert_eq!(r.value["after"], json!({"id": 2, "note": "n2"}));
    cap.expect_quiet(300).await;
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn message_key_columns_replace_the_primary_key_in_snapshot_and_stream() {
    let db = PgFixture::start("key_columns").await;
    db.exec(
        "CREATE TABLE public.orders (id int PRIMARY KEY, customer text NOT NULL, region text, qty int);
         CREATE TABLE public.keyless (a int, b text);
         CREATE TABLE public.other (id int PRIMARY KEY, x int);
         INSERT INTO orders VALUES (1, 'ann', 'eu', 5);
         INSERT INTO keyless VALUES (7, 'seven');
         INSERT INTO other VALUES (1, 1);",
    )
    .await;
    let mut cap = db
        .capture(&[(
            "message.key.columns",
            "public.orders:region,customer,nosuch; public.key.*:b; public.other:nosuch",
        )])
        .await;
    let snap = cap.take(3).await;
    let by_topic = |t: &str| snap.iter().find(|r| r.topic == t).unwrap().clone();
    let orders = by_topic("test.public.orders");
    // The listed order, the missing column skipped, each field with its own schema.
    assert_eq!(orders.key, json!({"region": "eu", "customer": "ann"}));
    assert_eq!(
        orders.key_with_schema["schema"]["fields"],
        json!([
            {"field": "region", "type": "string", "optional": true},
            {"field": "customer", "type": "string", "optional": false}
        ])
    );
    assert_eq!(
        orders.key_with_schema["schema"]["name"],
        "test.public.orders.Key"
    );
    // A table without a primary key gets a key; one whose listed columns are missing keeps its own.
    assert_eq!(by_topic("test.public.keyless").key, json!({"b": "seven"}));
    assert_eq!(by_topic("test.public.other").key, json!({"id": 1}));

    db.exec(
        "INSERT INTO orders VALUES (2, 'bob', NULL, 1);
         UPDATE orders SET qty = 6 WHERE id = 1;
         DELETE FROM orders WHERE id = 2;",
    )
    .await;
    let streamed = cap.take(4).await;
    assert_eq!(streamed[0].key, json!({"region": null, "customer": "bob"}));
    // Under REPLICA IDENTITY DEFAULT the old tuple has no custom key columns: a plain update.
    assert_eq!(streamed[1].value["op"], "u");
    assert_eq!(streamed[1].key, json!({"region": "eu", "customer": "ann"}));
    assert!(streamed[1].headers.is_empty(), "{:?}", streamed[1].headers);
    assert_eq!(streamed[2].value["op"], "d");
    // The delete's old tuple carries only the primary key; the tombstone has the same key.
    assert_eq!(streamed[3].value, serde_json::Value::Null);
    assert_eq!(streamed[3].key, streamed[2].key);
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn message_key_columns_with_a_bad_entry_is_rejected_naming_the_property() {
    let db = PgFixture::start("key_columns_bad").await;
    let err = pg_wal::PostgresConfig::from_map(
        &db.connector_config(&[("message.key.columns", "public.orders")]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("message.key.columns")
            && err.contains("public.orders")
            && err.contains("<column>"),
        "{err}"
    );
}

#[tokio::test]
async fn schema_exclude_list_drops_a_whole_schema() {
    let db = PgFixture::start("schema_excl").await;
    two_tables(&db).await;
    let mut cap = db.capture(&[("schema.exclude.list", "app")]).await;
    let r = cap.next().await;
    assert_eq!(r.topic, "test.public.c");
    cap.expect_quiet(300).await;
    cap.stop().await.0.unwrap();
}

/// In `filtered` mode the connector creates the publication itself, so its user needs what
/// Debezium's documentation lists for that: `CREATE` on the database and ownership of the
/// captured tables, shared with their owner through a group role. Only the captured table
/// changes hands.
#[tokio::test]
async fn filtered_publication_names_only_the_included_tables() {
    let db = PgFixture::start("pub_filtered").await;
    two_tables(&db).await;
    let (publication, owners, cdc) = (db.unique("pub"), db.unique("owners"), &db.server.cdc_user);
    // The fixture's superuser keeps access to the table without joining the group.
    db.exec(&format!(
        "DROP PUBLICATION {publication};
         CREATE ROLE {owners};
         GRANT {owners} TO {cdc};
         ALTER TABLE app.b OWNER TO {owners};
         GRANT CREATE ON DATABASE {} TO {cdc}",
        db.dbname
    ))
    .await;
    let cap = db
        .capture(&[
            ("publication.autocreate.mode", "filtered"),
            ("table.include.list", "app\\.b"),
        ])
        .await;
    let rows = db
        .client
        .query(
            "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = $1",
            &[&db.unique("pub")],
        )
        .await
        .unwrap();
    let tables: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(tables, ["app.b"]);
    cap.stop().await.0.unwrap();
    // Roles are the cluster's, not the database's: drop this one.
    db.exec(&format!("DROP OWNED BY {owners}; DROP ROLE {owners}"))
        .await;
}

#[tokio::test]
async fn disabled_publication_mode_requires_an_existing_publication() {
    let db = PgFixture::start("pub_disabled").await;
    two_tables(&db).await;
    db.exec(&format!("DROP PUBLICATION {}", db.unique("pub")))
        .await;
    let cap = db
        .capture(&[("publication.autocreate.mode", "disabled")])
        .await;
    let msg = cap.failure().await.to_string();
    assert!(
        msg.contains("does not exist") && msg.contains("publication.autocreate.mode"),
        "{msg}"
    );
}

#[tokio::test]
async fn initial_only_snapshots_and_does_not_stream() {
    let db = PgFixture::start("initial_only").await;
    two_tables(&db).await;
    let mut cap = db
        .capture(&[
            ("snapshot.mode", "initial_only"),
            ("table.include.list", "public\\.c"),
        ])
        .await;
    assert_eq!(cap.next().await.value["op"], "r");
    db.exec("INSERT INTO public.c VALUES (2)").await;
    cap.expect_quiet(1000).await;
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn never_streams_without_a_snapshot() {
    let db = PgFixture::start("never").await;
    two_tables(&db).await;
    let mut cap = db
        .capture(&[
            ("snapshot.mode", "never"),
            ("table.include.list", "public\\.c"),
        ])
        .await;
    db.exec("INSERT INTO public.c VALUES (2)").await;
    let r = cap.next().await;
    assert_eq!(
        (r.value["op"].as_str(), r.value["after"]["id"].as_i64()),
        (Some("c"), Some(2))
    );
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn always_snapshots_again_on_restart_then_resumes_streaming() {
    let db = PgFixture::start("always").await;
    two_tables(&db).await;
    let cfg = [
        ("snapshot.mode", "always"),
        ("table.include.list", "public\\.c"),
    ];
    let mut cap = db.capture(&cfg).await;
    assert_eq!(cap.next().await.value["op"], "r");
    let (_, offset) = cap.stop().await;
    db.exec("INSERT INTO public.c VALUES (2)").await;
    let mut cap = db.capture_from(&cfg, offset).await;
    let snap = cap.take(2).await;
    assert!(
        snap.iter().all(|r| r.value["op"] == "r"),
        "a new snapshot of both rows"
    );
    // The insert made while stopped is also streamed (at least once: the slot kept it).
    let r = cap.next().await;
    assert_eq!(
        (r.value["op"].as_str(), r.value["after"]["id"].as_i64()),
        (Some("c"), Some(2))
    );
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn when_needed_takes_a_new_snapshot_when_the_slot_is_gone() {
    let db = PgFixture::start("when_needed").await;
    two_tables(&db).await;
    let cfg = [
        ("snapshot.mode", "when_needed"),
        ("table.include.list", "public\\.c"),
    ];
    let mut cap = db.capture(&cfg).await;
    assert_eq!(cap.next().await.value["op"], "r");
    let (_, offset) = cap.stop().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    db.exec(&format!(
        "SELECT pg_drop_replication_slot('{}')",
        db.unique("slot")
    ))
    .await;
    db.exec("INSERT INTO public.c VALUES (2)").await;
    let mut cap = db.capture_from(&cfg, offset).await;
    let snap = cap.take(2).await;
    assert!(
        snap.iter().all(|r| r.value["op"] == "r"),
        "re-snapshot instead of failing"
    );
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn an_offset_from_another_server_stops_the_connector() {
    let db = PgFixture::start("other_server").await;
    two_tables(&db).await;
    let mut cap = db.capture(&[("table.include.list", "public\\.c")]).await;
    cap.next().await;
    let (_, offset) = cap.stop().await;
    let mut offset = offset.unwrap();
    offset
        .offset
        .insert("system_id".into(), json!("7000000000000000001"));
    let cap = db
        .capture_from(&[("table.include.list", "public\\.c")], Some(offset))
        .await;
    let err = cap.failure().await;
    assert_eq!(err.retry(), cdc_core::Retry::Fatal);
    let msg = err.to_string();
    assert!(
        msg.contains("7000000000000000001") && msg.contains("another server"),
        "{msg}"
    );
}

#[tokio::test]
async fn slot_drop_on_stop_drops_the_slot_on_a_clean_stop() {
    let db = PgFixture::start("drop_on_stop").await;
    two_tables(&db).await;
    let cap = db
        .capture(&[("slot.drop.on.stop", "true"), ("snapshot.mode", "no_data")])
        .await;
    cap.stop().await.0.unwrap();
    let n: i64 = db
        .client
        .query_one(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1",
            &[&db.unique("slot")],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

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
async fn schema_exclude_list_drops_a_whole_schema() {
    let db = PgFixture::start("schema_excl").await;
    two_tables(&db).await;
    let mut cap = db.capture(&[("schema.exclude.list", "app")]).await;
    let r = cap.next().await;
    assert_eq!(r.topic, "test.public.c");
    cap.expect_quiet(300).await;
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn filtered_publication_names_only_the_included_tables() {
    let db = PgFixture::start("pub_filtered").await;
    two_tables(&db).await;
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
}

#[tokio::test]
async fn disabled_publication_mode_requires_an_existing_publication() {
    let db = PgFixture::start("pub_disabled").await;
    two_tables(&db).await;
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

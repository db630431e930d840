//! DDL mid-stream: every event carries the schema current at its position, and the schema
//! history survives a restart in the middle.

use serde_json::json;

use crate::support::MyFixture;

fn fields(r: &crate::support::CapturedRecord) -> Vec<String> {
    r.value_with_schema["schema"]["fields"][1]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn ddl_mid_stream_with_a_restart_in_the_middle() {
    let mut db = MyFixture::start("ddl").await;
    db.exec("CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(10))")
        .await;
    let mut cap = db.capture(&[("snapshot.mode", "no_data")]).await;

    db.exec("INSERT INTO t VALUES (1, 10, 'x')").await;
    db.exec("ALTER TABLE t ADD COLUMN c DATE AFTER a").await;
    db.exec("INSERT INTO t VALUES (2, 20, '2024-01-02', 'y')")
        .await;
    db.exec("ALTER TABLE t DROP COLUMN a").await;
    db.exec("INSERT INTO t VALUES (3, '2024-01-03', 'z')").await;

    let r1 = cap.next_row().await;
    assert_eq!(r1.value["after"], json!({"id": 1, "a": 10, "b": "x"}));
    assert_eq!(fields(&r1), ["id", "a", "b"]);
    let r2 = cap.next_row().await;
    assert_eq!(
        r2.value["after"],
        json!({"id": 2, "a": 20, "c": 19724, "b": "y"})
    );
    let r3 = cap.next_row().await;
    assert_eq!(r3.value["after"], json!({"id": 3, "c": 19725, "b": "z"}));
    let (res, offset) = cap.stop().await;
    res.unwrap();

    // More DDL while the connector is down, with DML before and after it.
    db.exec("INSERT INTO t VALUES (4, '2024-01-04', 'w')").await;
    db.exec("ALTER TABLE t MODIFY b VARCHAR(100) NOT NULL")
        .await;
    db.exec("ALTER TABLE t RENAME COLUMN b TO bb").await;
    db.exec("INSERT INTO t VALUES (5, NULL, 'v')").await;
    db.exec("RENAME TABLE t TO t2").await;
    db.exec("INSERT INTO t2 VALUES (6, NULL, 'u')").await;
    db.exec("CREATE TABLE n (k VARCHAR(5) PRIMARY KEY, v JSON)")
        .await;
    db.exec("INSERT INTO n VALUES ('a', '{\"x\": 1}')").await;

    let mut cap = db
        .capture_from(&[("snapshot.mode", "no_data")], offset)
        .await;
    let r4 = cap.next_row().await;
    assert_eq!(r4.value["after"], json!({"id": 4, "c": 19726, "b": "w"}));
    let r5 = cap.next_row().await;
    assert_eq!(r5.value["after"], json!({"id": 5, "c": null, "bb": "v"}));
    assert_eq!(fields(&r5), ["id", "c", "bb"]);
    let r6 = cap.next_row().await;
    assert_eq!(r6.topic, format!("test.{}.t2", db.db));
    assert_eq!(r6.value["after"], json!({"id": 6, "c": null, "bb": "u"}));
    let r7 = cap.next_row().await;
    assert_eq!(r7.topic, format!("test.{}.n", db.db));
    assert_eq!(r7.value["after"], json!({"k": "a", "v": "{\"x\": 1}"}));
    assert_eq!(
        r7.value_with_schema["schema"]["fields"][1]["fields"][1]["name"],
        "io.debezium.data.Json"
    );
    cap.stop().await.0.unwrap();
}

#[tokio::test]
async fn schema_change_events_go_to_the_prefix_topic() {
    let mut db = MyFixture::start("schemachange").await;
    let mut cap = db.capture(&[]).await;
    db.exec("CREATE TABLE s (id INT PRIMARY KEY, name VARCHAR(20))")
        .await;
    let r = loop {
        let r = cap.next().await;
        if r.topic == "test"
            && r.value["ddl"]
                .as_str()
                .is_some_and(|d| d.contains("CREATE TABLE s"))
        {
            break r;
        }
    };
    assert_eq!(r.key, json!({"databaseName": db.db}));
    assert_eq!(r.value["databaseName"], db.db.as_str());
    let change = &r.value["tableChanges"][0];
    assert_eq!(change["type"], "CREATE");
    assert_eq!(change["id"], format!("\"{}\".\"s\"", db.db));
    assert_eq!(change["table"]["primaryKeyColumnNames"], json!(["id"]));
    assert_eq!(change["table"]["columns"][1]["name"], "name");
    assert_eq!(change["table"]["columns"][1]["typeName"], "VARCHAR");
    assert_eq!(change["table"]["columns"][1]["length"], 20);
    cap.stop().await.0.unwrap();
}

//! Snapshot then streaming of inserts, updates and deletes, in Debezium's event shapes.

use serde_json::json;

use crate::support::MyFixture;

#[tokio::test]
async fn snapshot_then_streaming_insert_update_delete() {
    let mut db = MyFixture::start("crud").await;
    db.exec("CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(50), email VARCHAR(100))")
        .await;
    db.exec("INSERT INTO customers VALUES (1, 'Sally', 'sally@example.com'), (2, 'George', NULL)")
        .await;
    let mut cap = db.capture(&[]).await;

    let snap = cap.take_rows(2).await;
    let topic = format!("test.{}.customers", db.db);
    assert_eq!(snap[0].topic, topic);
    assert_eq!(snap[0].key, json!({"id": 1}));
    let v = &snap[0].value;
    assert_eq!(v["op"], "r");
    assert_eq!(v["before"], json!(null));
    assert_eq!(
        v["after"],
        json!({"id": 1, "name": "Sally", "email": "sally@example.com"})
    );
    assert_eq!(v["source"]["connector"], "mariadb");
    assert_eq!(v["source"]["name"], "test");
    assert_eq!(v["source"]["db"], db.db.as_str());
    assert_eq!(v["source"]["table"], "customers");
    assert_eq!(v["source"]["snapshot"], "first");
    assert_eq!(snap[1].value["source"]["snapshot"], "last");
    assert_eq!(
        snap[0].value_with_schema["schema"]["name"],
        format!("{topic}.Envelope")
    );
    assert_eq!(
        snap[0].key_with_schema["schema"]["name"],
        format!("{topic}.Key")
    );

    db.exec("INSERT INTO customers VALUES (3, 'Edward', 'ed@example.com')")
        .await;
    db.exec("UPDATE customers SET name = 'Sal' WHERE id = 1")
        .await;
    db.exec("DELETE FROM customers WHERE id = 2").await;

    let c = cap.next_row().await;
    assert_eq!(c.value["op"], "c");
    assert_eq!(
        c.value["after"],
        json!({"id": 3, "name": "Edward", "email": "ed@example.com"})
    );
    assert_eq!(c.value["source"]["snapshot"], "false");
    assert!(
        c.value["source"]["gtid"]
            .as_str()
            .is_some_and(|g| g.starts_with("0-1-")),
        "{}",
        c.value
    );
    assert!(c.value["source"]["file"]
        .as_str()
        .is_some_and(|f| f.starts_with("binlog.")));
    assert!(c.value["source"]["pos"].as_i64().unwrap() > 4);
    assert_eq!(c.value["source"]["row"], 0);
    assert_eq!(c.value["source"]["server_id"], 1);

    let u = cap.next_row().await;
    assert_eq!(u.value["op"], "u");
    assert_eq!(u.value["before"]["name"], "Sally");
    assert_eq!(u.value["after"]["name"], "Sal");
    assert_eq!(u.key, json!({"id": 1}));

    let d = cap.next_row().await;
    assert_eq!(d.value["op"], "d");
    assert_eq!(
        d.value["before"],
        json!({"id": 2, "name": "George", "email": null})
    );
    assert_eq!(d.value["after"], json!(null));
    let tomb = cap.next_row().await;
    assert_eq!(tomb.key, json!({"id": 2}));
    assert_eq!(tomb.value, json!(null));

    let (res, offset) = cap.stop().await;
    res.unwrap();
    let offset = offset.unwrap();
    assert!(
        offset.offset.contains_key("file") && offset.offset.contains_key("pos"),
        "{offset:?}"
    );
}

#[tokio::test]
async fn message_key_columns_replace_the_primary_key_in_snapshot_and_binlog() {
    let mut db = MyFixture::start("keycols").await;
    db.exec("CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(20) NOT NULL, region VARCHAR(10))")
        .await;
    db.exec("CREATE TABLE plain (id INT PRIMARY KEY, x INT)")
        .await;
    db.exec("INSERT INTO orders VALUES (1, 'ann', 'eu')").await;
    db.exec("INSERT INTO plain VALUES (1, 1)").await;
    let entry = format!("{}.orders:region,customer", db.db);
    let mut cap = db.capture(&[("message.key.columns", &entry)]).await;
    let snap = cap.take_rows(2).await;
    let orders = snap.iter().find(|r| r.topic.ends_with(".orders")).unwrap();
    assert_eq!(orders.key, json!({"region": "eu", "customer": "ann"}));
    assert_eq!(
        orders.key_with_schema["schema"]["fields"],
        json!([
            {"field": "region", "type": "string", "optional": true},
            {"field": "customer", "type": "string", "optional": false}
        ])
    );
    let plain = snap.iter().find(|r| r.topic.ends_with(".plain")).unwrap();
    assert_eq!(
        plain.key,
        json!({"id": 1}),
        "other tables keep their primary key"
    );

    db.exec("INSERT INTO orders VALUES (2, 'bob', NULL)").await;
    let c = cap.next_row().await;
    assert_eq!(c.key, json!({"region": null, "customer": "bob"}));
}

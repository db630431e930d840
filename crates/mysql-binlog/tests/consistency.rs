//! No shifted columns: a row event whose TABLE_MAP disagrees with the schema history (a DDL
//! the connector never saw — here an ALTER run with `sql_log_bin=0`, so the binlog does not
//! carry it) fails the task naming the table and the binlog position, as Debezium's
//! `inconsistent.schema.handling.mode=fail` does, or is skipped under `warn` and `skip`.

use serde_json::json;

use crate::support::{Capture, MyFixture};

/// Runs `ddl` on the server without writing it to the binlog.
async fn unseen(db: &mut MyFixture, ddl: &str) {
    db.exec("SET SESSION sql_log_bin = 0").await;
    db.exec(ddl).await;
    db.exec("SET SESSION sql_log_bin = 1").await;
}

/// Waits for the task to end; its error and every table row it emitted before.
async fn failure_and_rows(cap: Capture) -> (String, Vec<serde_json::Value>) {
    let Capture {
        mut events, task, ..
    } = cap;
    let res = tokio::time::timeout(std::time::Duration::from_secs(30), task)
        .await
        .expect("the connector fails within 30 s")
        .expect("the connector task does not panic");
    let err = res.expect_err("the connector should have failed");
    let mut rows = Vec::new();
    while let Ok(r) = events.try_recv() {
        if r.topic != "test" {
            rows.push(r.value);
        }
    }
    (err.to_string(), rows)
}

#[tokio::test]
async fn a_column_added_behind_the_historys_back_fails_the_task_naming_table_and_position() {
    let mut db = MyFixture::start("unseen_add").await;
    db.exec("CREATE TABLE t (id INT PRIMARY KEY, a INT)").await;
    let mut cap = db.capture(&[("snapshot.mode", "no_data")]).await;
    db.exec("INSERT INTO t VALUES (1, 10)").await;
    assert_eq!(
        cap.next_row().await.value["after"],
        json!({"id": 1, "a": 10})
    );

    unseen(&mut db, "ALTER TABLE t ADD COLUMN b INT AFTER id").await;
    db.exec("INSERT INTO t VALUES (2, 99, 20)").await;
    let (err, rows) = failure_and_rows(cap).await;
    assert!(
        rows.is_empty(),
        "no row is read into shifted columns: {rows:?}"
    );
    let table = format!("{}.t", db.db);
    for part in [
        table.as_str(),
        "TABLE_MAP has 3 columns, the schema history's definition has 2 (id, a)",
        "inconsistent.schema.handling.mode",
        "mysqlbinlog --start-position=",
    ] {
        assert!(err.contains(part), "{part:?} not in: {err}");
    }
    // The position: the binlog file name and the event's start.
    assert!(
        err.contains(" at ") && err.contains(".0000"),
        "no binlog position in: {err}"
    );
}

#[tokio::test]
async fn under_warn_and_skip_the_disagreeing_events_are_skipped_and_the_rest_captured() {
    for mode in ["warn", "skip"] {
        let mut db = MyFixture::start(&format!("unseen_{mode}")).await;
        db.exec("CREATE TABLE t (id INT PRIMARY KEY, a INT)").await;
        db.exec("CREATE TABLE u (id INT PRIMARY KEY)").await;
        let mut cap = db
            .capture(&[
                ("snapshot.mode", "no_data"),
                ("inconsistent.schema.handling.mode", mode),
            ])
            .await;
        // A type changed unseen: same column count, a VARCHAR where the history has an INT.
        unseen(&mut db, "ALTER TABLE t MODIFY a VARCHAR(10)").await;
        db.exec("INSERT INTO t VALUES (1, 'ten')").await;
        db.exec("INSERT INTO u VALUES (7)").await;
        let r = cap.next_row().await;
        assert_eq!(
            (r.topic.as_str(), &r.value["after"]),
            (format!("test.{}.u", db.db).as_str(), &json!({"id": 7})),
            "{mode}: t's event is skipped, u's is captured"
        );
        let (res, _) = cap.stop().await;
        res.unwrap();
    }
}

//! The replication client against the real server: authentication, replication commands,
//! exported snapshots, streaming, feedback and error classification.

use std::time::{Duration, Instant};

use cdc_core::{Classify, Retry};
use pg_wal::replication::{
    ReplicationClient, ReplicationConfig, ReplicationError, ReplicationMessage, ReplicationStream,
};
use pg_wal::Lsn;

use crate::support::{PgFixture, PgServer};

const PGOUTPUT_V1: [(&str, &str); 2] = [("proto_version", "1"), ("publication_names", "\"p\"")];
const WAIT: Duration = Duration::from_secs(15);

fn config(
    server: &PgServer,
    dbname: &str,
    user: &str,
    password: Option<&str>,
) -> ReplicationConfig {
    ReplicationConfig {
        host: server.host.clone(),
        port: server.port,
        user: user.to_owned(),
        password: password.map(str::to_owned),
        dbname: dbname.to_owned(),
        application_name: "tributary-test".to_owned(),
        connect_timeout: Duration::from_secs(10),
        tls: pg_wal::PgTls::DISABLED,
    }
}

/// A replication connection as the connector's user (`LOGIN REPLICATION` only).
async fn connect(db: &PgFixture) -> ReplicationClient {
    let cfg = config(
        &db.server,
        &db.dbname,
        &db.server.cdc_user,
        Some(&db.server.cdc_password),
    );
    ReplicationClient::connect(&cfg)
        .await
        .expect("replication connection")
}

/// The next message, failing the test on an error, the end of the stream or a 15 s silence.
async fn next(stream: &mut ReplicationStream) -> ReplicationMessage {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("no replication message within 15 s")
        .expect("replication stream failed")
        .expect("replication stream ended")
}

/// XLogData (`wal_end`, pgoutput bytes) until `commits` COMMIT messages have arrived.
async fn xlog_until_commits(
    stream: &mut ReplicationStream,
    commits: usize,
) -> Vec<(Lsn, bytes::Bytes)> {
    let mut out = Vec::new();
    let mut seen = 0;
    while seen < commits {
        if let ReplicationMessage::XLogData { wal_end, data, .. } = next(stream).await {
            seen += usize::from(data.first() == Some(&b'C'));
            out.push((wal_end, data));
        }
    }
    out
}

/// The slot's `active_pid` and `confirmed_flush_lsn`.
async fn slot_state(db: &PgFixture, slot: &str) -> (Option<i32>, Lsn) {
    let row = db
        .client
        .query_one(
            "SELECT active_pid, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .await
        .expect("slot row");
    let flush: String = row.get(1);
    (row.get(0), flush.parse().expect("confirmed_flush_lsn"))
}

/// Drops the slot when the test panics, so a failure does not leave a slot holding WAL on the
/// shared server. A passing test drops its slot itself.
struct SlotCleanup {
    server: PgServer,
    dbname: String,
    slot: String,
}

impl SlotCleanup {
    fn new(db: &PgFixture, slot: &str) -> SlotCleanup {
        SlotCleanup {
            server: db.server.clone(),
            dbname: db.dbname.clone(),
            slot: slot.to_owned(),
        }
    }
}

impl Drop for SlotCleanup {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let (server, dbname, slot) = (self.server.clone(), self.dbname.clone(), self.slot.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let client = server.connect(&dbname).await;
                for _ in 0..50 {
                    let _ = client
                        .execute(
                            "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots \
                             WHERE slot_name = $1 AND active_pid IS NOT NULL",
                            &[&slot],
                        )
                        .await;
                    let _ = client
                        .execute(
                            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
                             WHERE slot_name = $1 AND NOT active",
                            &[&slot],
                        )
                        .await;
                    let left = client
                        .query(
                            "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1",
                            &[&slot],
                        )
                        .await
                        .map(|rows| rows.len())
                        .unwrap_or(0);
                    if left == 0 {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            });
        })
        .join();
    }
}

/// Drops `slot` on a fresh connection, waiting for a just-closed walsender to release it.
async fn drop_slot(db: &PgFixture, slot: &str) {
    let mut client = connect(db).await;
    client.drop_slot(slot, true).await.expect("drop slot");
    client.close().await;
}

#[tokio::test]
async fn connects_with_scram_md5_and_trust() {
    let db = PgFixture::start("repl_auth").await;
    let logins = [
        // SCRAM-SHA-256: the connector's user, LOGIN REPLICATION only
        (
            db.server.cdc_user.as_str(),
            Some(db.server.cdc_password.as_str()),
        ),
        ("tributary_md5", Some("md5pass")),
        ("tributary_trust", None),
    ];
    for (user, password) in logins {
        let mut client =
            ReplicationClient::connect(&config(&db.server, &db.dbname, user, password))
                .await
                .unwrap_or_else(|e| panic!("{user}: {e:?}"));
        assert!(client
            .server_version()
            .is_some_and(|v| v.starts_with(char::is_numeric)));
        assert_eq!(client.parameter("server_encoding"), Some("UTF8"));
        assert!(client.backend_pid().is_some());
        let rows = client.simple_query("SHOW wal_level").await.unwrap();
        assert_eq!(rows, vec![vec![Some("logical".to_owned())]]);
        let rows = client
            .simple_query("SELECT current_user, NULL::text")
            .await
            .unwrap();
        assert_eq!(rows, vec![vec![Some(user.to_owned()), None]]);
        client.close().await;
    }
}

#[tokio::test]
async fn wrong_password_is_a_fatal_error_naming_the_user() {
    let db = PgFixture::start("repl_bad_password").await;
    for user in [db.server.cdc_user.as_str(), "tributary_md5"] {
        let err = ReplicationClient::connect(&config(&db.server, &db.dbname, user, Some("wrong")))
            .await
            .err()
            .expect("a wrong password must not connect");
        assert!(
            matches!(err, ReplicationError::AuthFailed { .. }),
            "{err:?}"
        );
        assert_eq!(err.retry(), Retry::Fatal);
        assert_eq!(err.sqlstate(), Some("28P01"));
        assert!(
            err.to_string()
                .contains(&format!("authentication failed for user \"{user}\"")),
            "{err}"
        );
    }
}

#[tokio::test]
async fn missing_password_is_a_fatal_error_before_sending_anything() {
    let db = PgFixture::start("repl_no_password").await;
    let err = ReplicationClient::connect(&config(&db.server, &db.dbname, "tributary_md5", None))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, ReplicationError::PasswordRequired { .. }),
        "{err:?}"
    );
    assert_eq!(err.retry(), Retry::Fatal);
}

#[tokio::test]
async fn unreachable_server_is_a_transient_connect_error() {
    let server = PgServer {
        port: 1,
        ..PgServer::from_env()
    };
    let err = ReplicationClient::connect(&config(&server, "postgres", "postgres", None))
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        format!("could not connect to PostgreSQL at {}:1", server.host)
    );
    assert_eq!(err.retry(), Retry::Transient);
}

#[tokio::test]
async fn identify_system_returns_the_clusters_system_id() {
    let db = PgFixture::start("repl_identify").await;
    let mut client = connect(&db).await;
    let info = client.identify_system().await.unwrap();
    let row = db
        .client
        .query_one(
            "SELECT system_identifier::text FROM pg_control_system()",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(info.system_id, row.get::<_, String>(0));
    assert!(info.timeline >= 1);
    assert!(info.xlog_pos > Lsn::ZERO);
    assert_eq!(info.dbname.as_deref(), Some(db.dbname.as_str()));
    client.close().await;
}

#[tokio::test]
async fn exported_snapshot_sees_exactly_the_rows_committed_before_the_slot() {
    let db = PgFixture::start("repl_snapshot").await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2)")
        .await;
    let slot_name = db.unique("slot");
    let mut client = connect(&db).await;
    let slot = client.create_logical_slot(&slot_name, true).await.unwrap();
    let _cleanup = SlotCleanup::new(&db, &slot_name);
    assert_eq!(slot.slot_name, slot_name);
    assert_eq!(slot.output_plugin, "pgoutput");
    assert!(slot.consistent_point > Lsn::ZERO);
    let snapshot = slot.snapshot_name.expect("an exported snapshot");
    db.exec("INSERT INTO t VALUES (3)").await;

    // The snapshot reader is the connector's: its user imports the exported snapshot.
    let reader = db.server.as_cdc().connect(&db.dbname).await;
    reader
        .batch_execute(&format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT '{snapshot}'"
        ))
        .await
        .unwrap();
    let ids: Vec<i32> = reader
        .query("SELECT id FROM t ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    reader.batch_execute("COMMIT").await.unwrap();
    assert_eq!(ids, [1, 2]);

    client.drop_slot(&slot_name, false).await.unwrap();
    client.close().await;
}

#[tokio::test]
async fn streaming_receives_xlog_data_for_an_insert_made_after_the_slot() {
    let db = PgFixture::start("repl_stream").await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY, note text); CREATE PUBLICATION p FOR ALL TABLES")
        .await;
    let slot_name = db.unique("slot");
    let mut client = connect(&db).await;
    let slot = client.create_logical_slot(&slot_name, false).await.unwrap();
    let _cleanup = SlotCleanup::new(&db, &slot_name);
    assert_eq!(slot.snapshot_name, None);
    db.exec("INSERT INTO t VALUES (7, 'hello replication')")
        .await;

    let mut stream = client
        .start_logical_replication(&slot_name, slot.consistent_point, &PGOUTPUT_V1)
        .await
        .unwrap();
    let messages = xlog_until_commits(&mut stream, 1).await;
    let tags: Vec<u8> = messages.iter().map(|(_, data)| data[0]).collect();
    assert_eq!(tags, b"BRIC", "pgoutput Begin, Relation, Insert, Commit");
    // Relation messages carry no WAL position (0/0); the others are at or after the slot's start.
    assert_eq!(messages[1].0, Lsn::ZERO);
    assert!([0, 2, 3]
        .iter()
        .all(|&i| messages[i].0 >= slot.consistent_point));
    let insert = &messages[2].1;
    assert!(insert.windows(17).any(|w| w == b"hello replication"));

    tokio::time::timeout(WAIT, stream.close())
        .await
        .expect("close within 15 s")
        .unwrap();
    drop_slot(&db, &slot_name).await;
}

#[tokio::test]
async fn next_loses_nothing_when_cancelled_by_select() {
    const ROWS: i32 = 5_000;
    let db = PgFixture::start("repl_cancel").await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY); CREATE PUBLICATION p FOR ALL TABLES")
        .await;
    let slot_name = db.unique("slot");
    let mut client = connect(&db).await;
    let slot = client.create_logical_slot(&slot_name, false).await.unwrap();
    let _cleanup = SlotCleanup::new(&db, &slot_name);
    let mut stream = client
        .start_logical_replication(&slot_name, slot.consistent_point, &PGOUTPUT_V1)
        .await
        .unwrap();
    db.exec(&format!(
        "INSERT INTO t SELECT g FROM generate_series(1, {ROWS}) g"
    ))
    .await;

    // Race every call against a near-immediate timer, as a select! loop with a ticker would.
    let (mut ids, mut cancelled, mut committed) = (Vec::new(), 0, false);
    let deadline = Instant::now() + WAIT;
    while !committed {
        assert!(
            Instant::now() < deadline,
            "only {} rows within 15 s",
            ids.len()
        );
        tokio::select! {
            msg = stream.next() => match msg.unwrap().expect("stream ended") {
                ReplicationMessage::XLogData { data, .. } => match data.first() {
                    // Insert: 'I', relation oid, 'N', column count, 't', length, text.
                    Some(b'I') => ids.push(std::str::from_utf8(&data[13..]).unwrap().parse::<i32>().unwrap()),
                    Some(b'C') => committed = true,
                    _ => {}
                },
                ReplicationMessage::PrimaryKeepalive { .. } => {}
            },
            _ = tokio::time::sleep(Duration::from_micros(20)) => cancelled += 1,
        }
    }
    assert_eq!(ids, (1..=ROWS).collect::<Vec<_>>());
    assert!(
        cancelled > 0,
        "no call was cancelled; the scenario proved nothing"
    );

    tokio::time::timeout(WAIT, stream.close())
        .await
        .expect("close within 15 s")
        .unwrap();
    drop_slot(&db, &slot_name).await;
}

#[tokio::test]
async fn confirmed_flush_lsn_moves_only_to_the_flush_we_send() {
    let db = PgFixture::start("repl_feedback").await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY); CREATE PUBLICATION p FOR ALL TABLES")
        .await;
    let slot_name = db.unique("slot");
    let mut client = connect(&db).await;
    let slot = client.create_logical_slot(&slot_name, false).await.unwrap();
    let _cleanup = SlotCleanup::new(&db, &slot_name);
    db.exec("INSERT INTO t VALUES (1)").await;
    db.exec("INSERT INTO t VALUES (2)").await;

    let mut stream = client
        .start_logical_replication(&slot_name, Lsn::ZERO, &PGOUTPUT_V1)
        .await
        .unwrap();
    let messages = xlog_until_commits(&mut stream, 2).await;
    let commit_ends: Vec<Lsn> = messages
        .iter()
        .filter(|(_, d)| d[0] == b'C')
        .map(|(end, _)| *end)
        .collect();
    let (first_commit, received) = (commit_ends[0], commit_ends[1]);
    assert!(first_commit < received);
    assert_eq!(
        slot_state(&db, &slot_name).await.1,
        slot.consistent_point,
        "nothing confirmed yet"
    );

    // Received everything, but only the first transaction is "durable".
    stream
        .send_status(received, first_commit, first_commit, false)
        .await
        .unwrap();
    let deadline = Instant::now() + WAIT;
    while slot_state(&db, &slot_name).await.1 != first_commit {
        assert!(
            Instant::now() < deadline,
            "confirmed_flush_lsn never reached {first_commit}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stream
        .send_status(received, first_commit, first_commit, true)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        slot_state(&db, &slot_name).await.1,
        first_commit,
        "must not pass the flush we sent"
    );

    tokio::time::timeout(WAIT, stream.close())
        .await
        .expect("close within 15 s")
        .unwrap();
    drop_slot(&db, &slot_name).await;
}

#[tokio::test]
async fn answered_keepalives_keep_the_walsender_alive() {
    let db = PgFixture::start("repl_keepalive").await;
    db.exec("CREATE PUBLICATION p FOR ALL TABLES").await;
    let slot_name = db.unique("slot");
    let mut client = connect(&db).await;
    // wal_sender_timeout is settable per connection (PGC_USERSET since PostgreSQL 12): the
    // server asks for a reply after 1 s of silence and disconnects after 2 s.
    client
        .simple_query("SET wal_sender_timeout = '2s'")
        .await
        .unwrap();
    let slot = client.create_logical_slot(&slot_name, false).await.unwrap();
    let _cleanup = SlotCleanup::new(&db, &slot_name);
    let mut stream = client
        .start_logical_replication(&slot_name, slot.consistent_point, &PGOUTPUT_V1)
        .await
        .unwrap();
    let pid = stream.backend_pid();
    assert!(pid.is_some());

    // Our own reply request is answered with a keepalive.
    let lsn = slot.consistent_point;
    stream.send_status(lsn, lsn, lsn, true).await.unwrap();
    while !matches!(
        next(&mut stream).await,
        ReplicationMessage::PrimaryKeepalive { .. }
    ) {}

    // Three timeouts long, answering every keepalive that asks for a reply.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
    let mut requests = 0;
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => break,
            Ok(Ok(Some(ReplicationMessage::PrimaryKeepalive {
                reply_requested: true,
                wal_end,
                ..
            }))) => {
                requests += 1;
                stream.send_status(wal_end, lsn, lsn, false).await.unwrap();
            }
            Ok(Ok(Some(_))) => {}
            Ok(other) => panic!("stream ended while answering keepalives: {other:?}"),
        }
    }
    assert!(
        requests >= 2,
        "the server asked for {requests} replies in 6 s"
    );
    stream.send_status(lsn, lsn, lsn, false).await.unwrap();
    stream.send_status(lsn, lsn, lsn, false).await.unwrap();
    assert_eq!(
        slot_state(&db, &slot_name).await.0,
        pid,
        "the same walsender still holds the slot"
    );

    tokio::time::timeout(WAIT, stream.close())
        .await
        .expect("close within 15 s")
        .unwrap();
    drop_slot(&db, &slot_name).await;
}

#[tokio::test]
async fn unanswered_keepalives_end_the_stream_as_a_transient_error() {
    let db = PgFixture::start("repl_timeout").await;
    db.exec("CREATE PUBLICATION p FOR ALL TABLES").await;
    let slot_name = db.unique("slot");
    let mut client = connect(&db).await;
    client
        .simple_query("SET wal_sender_timeout = '1s'")
        .await
        .unwrap();
    let slot = client.create_logical_slot(&slot_name, false).await.unwrap();
    let _cleanup = SlotCleanup::new(&db, &slot_name);
    let mut stream = client
        .start_logical_replication(&slot_name, slot.consistent_point, &PGOUTPUT_V1)
        .await
        .unwrap();
    let err = loop {
        match tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("the walsender should time out")
        {
            Ok(Some(_)) => {}
            Ok(None) => panic!("stream ended cleanly"),
            Err(err) => break err,
        }
    };
    assert_eq!(err.retry(), Retry::Transient, "{err:?}");
    drop(stream);
    drop_slot(&db, &slot_name).await;
}

#[tokio::test]
async fn start_on_a_missing_slot_is_fatal_with_sqlstate_42704() {
    let db = PgFixture::start("repl_missing_slot").await;
    let client = connect(&db).await;
    let err = client
        .start_logical_replication("no_such_slot", Lsn::ZERO, &PGOUTPUT_V1)
        .await
        .err()
        .unwrap();
    assert_eq!(err.sqlstate(), Some("42704"), "{err:?}");
    assert_eq!(err.retry(), Retry::Fatal);
    assert!(
        err.to_string().contains("START_REPLICATION failed"),
        "{err}"
    );
    let server = err.server_error().unwrap();
    assert_eq!(server.severity(), "ERROR");
    assert!(server.to_string().contains("no_such_slot"), "{server}");
}

#[tokio::test]
async fn second_stream_on_an_active_slot_is_fatal_with_sqlstate_55006() {
    let db = PgFixture::start("repl_slot_in_use").await;
    db.exec("CREATE PUBLICATION p FOR ALL TABLES").await;
    let slot_name = db.unique("slot");
    let mut client = connect(&db).await;
    let slot = client.create_logical_slot(&slot_name, false).await.unwrap();
    let _cleanup = SlotCleanup::new(&db, &slot_name);
    let stream = client
        .start_logical_replication(&slot_name, slot.consistent_point, &PGOUTPUT_V1)
        .await
        .unwrap();
    let err = connect(&db)
        .await
        .start_logical_replication(&slot_name, Lsn::ZERO, &PGOUTPUT_V1)
        .await
        .err()
        .unwrap();
    assert_eq!(err.sqlstate(), Some("55006"), "{err:?}");
    assert_eq!(err.retry(), Retry::Fatal);
    tokio::time::timeout(WAIT, stream.close())
        .await
        .expect("close within 15 s")
        .unwrap();
    drop_slot(&db, &slot_name).await;
}

#[tokio::test]
async fn terminated_walsender_is_a_transient_error() {
    let db = PgFixture::start("repl_terminate").await;
    db.exec("CREATE PUBLICATION p FOR ALL TABLES").await;
    let slot_name = db.unique("slot");
    let mut client = connect(&db).await;
    let slot = client.create_logical_slot(&slot_name, false).await.unwrap();
    let _cleanup = SlotCleanup::new(&db, &slot_name);
    let mut stream = client
        .start_logical_replication(&slot_name, slot.consistent_point, &PGOUTPUT_V1)
        .await
        .unwrap();
    let pid = stream.backend_pid().unwrap();
    let killed: bool = db
        .client
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap()
        .get(0);
    assert!(killed);
    let err = loop {
        match tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("termination within 15 s")
        {
            Ok(Some(_)) => {}
            Ok(None) => panic!("a terminated walsender is not a clean end"),
            Err(err) => break err,
        }
    };
    assert_eq!(err.retry(), Retry::Transient, "{err:?}");
    assert_eq!(err.sqlstate(), Some("57P01"), "{err:?}");
    drop(stream);
    drop_slot(&db, &slot_name).await;
}

/// Informal throughput comparison with `pg_recvlogical`; prints, asserts nothing about speed.
/// Run: `cargo test -p pg-wal --test main drains_a_backlog -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn drains_a_backlog_like_pg_recvlogical() {
    const ROWS: i64 = 200_000;
    let db = PgFixture::start("repl_throughput").await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY, v int); CREATE PUBLICATION p FOR ALL TABLES")
        .await;
    let ours = [db.unique("ours_a"), db.unique("ours_b")];
    let twins = [db.unique("twin_a"), db.unique("twin_b")];
    let mut cleanups = Vec::new();
    for slot in ours.iter().chain(&twins) {
        db.client
            .execute(
                "SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
                &[slot],
            )
            .await
            .unwrap();
        cleanups.push(SlotCleanup::new(&db, slot));
    }
    db.exec(&format!(
        "INSERT INTO t SELECT g, g FROM generate_series(1, {ROWS}) g"
    ))
    .await;
    for (our_slot, twin_slot) in ours.iter().zip(&twins) {
        let (started, cpu_before) = (Instant::now(), process_cpu_secs());
        let stream_client = connect(&db).await;
        let (connected, connect_cpu) = (
            started.elapsed().as_secs_f64(),
            process_cpu_secs() - cpu_before,
        );
        let mut stream = stream_client
            .start_logical_replication(our_slot, Lsn::ZERO, &PGOUTPUT_V1)
            .await
            .unwrap();
        // One transaction: stop at its COMMIT, whose position is the end of the commit record.
        let (mut inserts, mut bytes) = (0i64, 0usize);
        let end = loop {
            if let ReplicationMessage::XLogData { wal_end, data, .. } = next(&mut stream).await {
                inserts += i64::from(data.first() == Some(&b'I'));
                bytes += data.len();
                if data.first() == Some(&b'C') {
                    break wal_end;
                }
            }
        };
        let ours_secs = started.elapsed().as_secs_f64();
        let ours_cpu = process_cpu_secs() - cpu_before;
        drop(stream);
        assert_eq!(inserts, ROWS);

        // pg_recvlogical stops right after the record at exactly --endpos: the same COMMIT.
        let (started, child_cpu_before) = (Instant::now(), children_cpu_secs());
        let status = std::process::Command::new("/usr/lib/postgresql/15/bin/pg_recvlogical")
            .env("PGPASSWORD", &db.server.cdc_password)
            .args([
                "-h",
                &db.server.host,
                "-p",
                &db.server.port.to_string(),
                "-U",
                &db.server.cdc_user,
            ])
            .args([
                "-d",
                &db.dbname,
                "--slot",
                twin_slot,
                "--start",
                "--no-loop",
            ])
            .args([
                "-o",
                "proto_version=1",
                "-o",
                "publication_names=p",
                "-f",
                "/dev/null",
            ])
            .args(["-E", &end.to_string()])
            .status()
            .unwrap();
        let twin_secs = started.elapsed().as_secs_f64();
        let twin_cpu = children_cpu_secs() - child_cpu_before;
        assert!(status.success());
        println!(
            "{ROWS} rows ({bytes} pgoutput bytes): ReplicationStream {ours_secs:.3} s ({:.0} rows/s, \
             client CPU {ours_cpu:.3} s; connecting took {connected:.3} s, {connect_cpu:.3} s CPU), pg_recvlogical {twin_secs:.3} s ({:.0} rows/s, CPU {twin_cpu:.3} s)",
            ROWS as f64 / ours_secs,
            ROWS as f64 / twin_secs
        );
    }
    for slot in ours.iter().chain(&twins) {
        drop_slot(&db, slot).await;
    }
    drop(cleanups);
}

/// User plus system CPU time of this process, from `/proc/self/stat` (Linux; 0 elsewhere).
fn process_cpu_secs() -> f64 {
    proc_stat_secs(&[11, 12])
}

/// User plus system CPU time of the children this process has waited for.
fn children_cpu_secs() -> f64 {
    proc_stat_secs(&[13, 14])
}

/// Sums `/proc/self/stat` tick fields, counted from after the parenthesised command name
/// (utime, stime, cutime, cstime are 11 to 14).
fn proc_stat_secs(fields: &[usize]) -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .iter()
        .filter_map(|&i| after_name.get(i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0 // USER_HZ is 100 on Linux
}

/// A plain (non-replication) connection to the fixture's database, as the connector's user.
async fn copy_client(db: &PgFixture) -> pg_wal::replication::CopyClient {
    let cfg = config(
        &db.server,
        &db.dbname,
        &db.server.cdc_user,
        Some(&db.server.cdc_password),
    );
    pg_wal::replication::CopyClient::connect(&cfg)
        .await
        .expect("plain connection")
}

#[tokio::test]
async fn copy_client_streams_every_row_then_runs_the_next_query() {
    let db = PgFixture::start("copy_rows").await;
    let mut client = copy_client(&db).await;
    let mut copy = client
        .copy_out(
            "test copy",
            "COPY (SELECT g FROM generate_series(1, 5000) g) TO STDOUT",
        )
        .await
        .unwrap();
    let mut rows = Vec::new();
    while let Some(data) = copy.next().await.unwrap() {
        rows.push(String::from_utf8(data.to_vec()).unwrap());
    }
    let expected: Vec<String> = (1..=5000).map(|g| format!("{g}\n")).collect();
    assert_eq!(rows, expected, "one CopyData per row, in order");
    assert_eq!(copy.next().await.unwrap(), None, "stays finished");
    let after = client.simple_query("after", "SELECT 42").await.unwrap();
    assert_eq!(after, vec![vec![Some("42".to_owned())]]);
    client.close().await;
}

#[tokio::test]
async fn copy_client_reports_a_failing_copy_and_stays_usable_after_a_refused_one() {
    let db = PgFixture::start("copy_errors").await;
    let mut client = copy_client(&db).await;
    // Refused before copying: the error names the SQLSTATE and the connection is ready again.
    let err = match client
        .copy_out("test copy", "COPY no_such_table TO STDOUT")
        .await
    {
        Ok(_) => panic!("copying a missing table succeeded"),
        Err(e) => e,
    };
    assert_eq!(err.sqlstate(), Some("42P01"), "{err}");
    assert_eq!(
        client.simple_query("after", "SELECT 1").await.unwrap(),
        vec![vec![Some("1".to_owned())]]
    );
    // Failing halfway: the rows before the failure, then the server's error.
    let mut copy = client
        .copy_out(
            "test copy",
            "COPY (SELECT 1 / (5000 - g) FROM generate_series(1, 10000) g) TO STDOUT",
        )
        .await
        .unwrap();
    let mut rows = 0;
    let err = loop {
        match copy.next().await {
            Ok(Some(_)) => rows += 1,
            Ok(None) => panic!("the copy completed after {rows} rows"),
            Err(e) => break e,
        }
    };
    assert_eq!(rows, 4999, "every row before the failing one");
    assert_eq!(err.sqlstate(), Some("22012"), "{err}");
    assert_eq!(err.retry(), Retry::Fatal, "{err}");
}

//! Secrets stay hidden everywhere a user can look, and a database outage mid-stream is retried
//! until the database is back, with nothing lost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::client::{topic_values, wait_for_count, Worker};
use super::state;
use crate::support::PgFixture;

fn config_json(db: &PgFixture, extra: &[(&str, &str)]) -> serde_json::Map<String, Value> {
    let mut pairs = vec![
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("value.converter.schemas.enable", "false"),
    ];
    pairs.extend_from_slice(extra);
    db.connector_config(&pairs)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_never_appears_in_responses_or_trace_logs() {
    const PASSWORD: &str = "md5pass";
    let db = PgFixture::start("rest_secrets").await;
    db.exec("CREATE TABLE s (id int PRIMARY KEY); INSERT INTO s VALUES (1);")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let w = Worker::start_logging(&data, &["serve"], &[], "trace");
    let config = config_json(
        &db,
        &[
            ("database.user", "tributary_md5"),
            ("database.password", PASSWORD),
        ],
    );

    let mut bodies = Vec::new();
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "secret-test", "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    bodies.push(created.body.clone());
    w.wait_for("/connectors/secret-test/status", "RUNNING", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });
    wait_for_count(&data, "test.public.s", 1, &|| w.log_text());

    for path in [
        "/connectors?expand=info&expand=status",
        "/connectors/secret-test",
        "/connectors/secret-test/config",
        "/connectors/secret-test/tasks",
        "/connectors/secret-test/tasks-config",
        "/connectors/secret-test/status",
        "/connectors/secret-test/tasks/0/status",
        "/connectors/secret-test/offsets",
    ] {
        let r = w.get(path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        bodies.push(r.body.clone());
    }
    let validated = w.send(
        "PUT",
        "/connector-plugins/PostgresConnector/config/validate",
        &Value::Object(config.clone()),
    );
    bodies.push(validated.body.clone());
    // Sending `[hidden]` back keeps the stored password: the connector still connects.
    let mut echoed = w.get("/connectors/secret-test/config").json();
    echoed["snapshot.mode"] = json!("no_data");
    let put = w.send("PUT", "/connectors/secret-test/config", &echoed);
    assert_eq!(put.status, 200, "{}", put.body);
    bodies.push(put.body.clone());
    w.wait_for("/connectors/secret-test/status", "RUNNING again", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });
    db.exec("INSERT INTO s VALUES (2)").await;
    wait_for_count(&data, "test.public.s", 2, &|| w.log_text());

    for body in &bodies {
        assert!(
            !body.contains(PASSWORD),
            "a response shows the password: {body}"
        );
    }
    let log = w.log_text();
    w.stop();
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "the worker logged at trace level"
    );
    assert!(!log.contains(PASSWORD), "the trace log shows the password");
}

/// A TCP proxy to the database that can be cut (every connection dropped, new ones closed at
/// once) and restored, to take the database away from the worker only.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
}

impl Proxy {
    async fn start(target_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (generation, _) = watch::channel(0u64);
        let gen_rx = generation.subscribe();
        let up2 = up.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let mut cut = gen_rx.clone();
                // Only a cut after this connection was made ends it.
                cut.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", target_port)).await
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy {
            port,
            up,
            generation,
        }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_mid_stream_is_retried_and_loses_nothing() {
    const ROWS: i64 = 3000;
    let db = PgFixture::start("rest_outage").await;
    db.exec("CREATE TABLE o (id int PRIMARY KEY)").await;
    let proxy = Proxy::start(db.server.port).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let w = Worker::serve(&data);
    let port = proxy.port.to_string();
    let config = config_json(&db, &[("database.port", port.as_str())]);
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "outage", "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    w.wait_for("/connectors/outage/status", "RUNNING", |s| {
        state(s) == ("RUNNING", vec!["RUNNING"])
    });
    // The slot exists once the (empty) snapshot is recorded.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Rows are written straight to the database all along; the worker loses it for 3 seconds.
    let writer = {
        let server = db.server.clone();
        let dbname = db.dbname.clone();
        tokio::spawn(async move {
            let client = server.connect(&dbname).await;
            for i in 1..=ROWS {
                client
                    .execute("INSERT INTO o VALUES ($1)", &[&(i as i32)])
                    .await
                    .unwrap();
                if i % 100 == 0 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    proxy.cut();
    let cut_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during = w.get("/connectors/outage/status").json();
    assert_ne!(
        state(&during).1,
        vec!["FAILED"],
        "a transient outage must not fail the task: {during}"
    );
    proxy.restore();
    writer.await.unwrap();

    wait_for_count(&data, "test.public.o", ROWS as u64, &|| w.log_text());
    let recovered_after = cut_at.elapsed();
    let ids: std::collections::BTreeSet<i64> = topic_values(&data, "test.public.o")
        .iter()
        .filter_map(|v| v["after"]["id"].as_i64())
        .collect();
    assert_eq!(ids.len() as i64, ROWS, "every row arrived");
    let status = w.get("/connectors/outage/status").json();
    assert_eq!(state(&status), ("RUNNING", vec!["RUNNING"]), "{status}");
    let log = w.log_text();
    assert!(
        log.contains("WARN"),
        "the outage was reported in the log:\n{log}"
    );
    println!("caught up {recovered_after:?} after the database went away for 3 s");
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatal_error_fails_the_task_with_its_cause_in_the_trace() {
    let db = PgFixture::start("rest_fatal").await;
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::serve(&dir.path().join("data"));
    let config = config_json(&db, &[("database.password", "not-the-password")]);
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "fatal", "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let status = w.wait_for("/connectors/fatal/status", "FAILED", |s| {
        state(s).1 == vec!["FAILED"]
    });
    let trace = status["tasks"][0]["trace"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(trace.contains("authentication failed"), "{status}");
    assert!(
        !trace.contains("not-the-password"),
        "the trace shows the password: {trace}"
    );
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_references_resolve_for_the_task_only_when_the_worker_allows_the_provider() {
    let db = PgFixture::start("rest_providers").await;
    db.exec("CREATE TABLE p (id int PRIMARY KEY); INSERT INTO p VALUES (1);")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let props = dir.path().join("worker.properties");
    std::fs::write(
        &props,
        "config.providers=env\nconfig.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider\n",
    )
    .unwrap();
    // The worker inherits this test process's environment.
    std::env::set_var("TRIBUTARY_TEST_PG_SECRET", &db.server.cdc_password);
    let w = Worker::start(&data, &["--config", props.to_str().unwrap(), "serve"], &[]);
    let config = config_json(
        &db,
        &[("database.password", "${env:TRIBUTARY_TEST_PG_SECRET}")],
    );
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "providers", "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    wait_for_count(&data, "test.public.p", 1, &|| w.log_text());
    let shown = w.get("/connectors/providers/config").json();
    assert_eq!(
        shown["database.password"], "${env:TRIBUTARY_TEST_PG_SECRET}",
        "references are returned unresolved"
    );
    w.stop();

    // Without config.providers the reference is not resolved: the connector cannot log in.
    let data2 = dir.path().join("data2");
    let w = Worker::serve(&data2);
    let mut config = config_json(
        &db,
        &[("database.password", "${env:TRIBUTARY_TEST_PG_SECRET}")],
    );
    config.insert(
        "slot.name".into(),
        json!(format!("{}_2", db.unique("slot"))),
    );
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": "no-providers", "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let status = w.wait_for("/connectors/no-providers/status", "FAILED", |s| {
        state(s).1 == vec!["FAILED"]
    });
    assert!(
        status.to_string().contains("env"),
        "the trace names the provider: {status}"
    );
    w.stop();
}

/// A schema registry that cannot be reached when the snapshot's records are converted: the
/// AvroConverter asks again with backoff (`errors.retry.delay.max.ms`) instead of failing the
/// task, and once the registry is back every row is written, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_registry_outage_is_waited_out_and_loses_nothing() {
    const ROWS: i64 = 50;
    let db = PgFixture::start("rest_registry_outage").await;
    db.exec(&format!(
        "CREATE TABLE r (id int PRIMARY KEY, name text);
         INSERT INTO r SELECT g, 'row ' || g FROM generate_series(1, {ROWS}) g;"
    ))
    .await;
    // The worker's own registry on a port of its own, reached through a proxy that is down at
    // first: the converter sees an external registry that is unavailable.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let proxy = Proxy::start(port).await;
    proxy.cut();
    let url = format!("http://127.0.0.1:{}", proxy.port);
    let worker = super::client::Standalone::new(
        &format!(
            "offset.flush.interval.ms=100\nschema.registry.listeners=http://127.0.0.1:{port}\n"
        ),
        "pg",
        db.connector_config(&[
            ("topic.prefix", "reg"),
            ("value.converter", "io.confluent.connect.avro.AvroConverter"),
            ("value.converter.schema.registry.url", &url),
            ("errors.retry.delay.max.ms", "500"),
        ]),
    );
    let w = worker.start();
    let log = || w.log_text();
    let start = Instant::now();
    while !log().contains("schema registry unavailable, asking again") {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the converter never waited for the registry:\n{}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let status = w.get("/connectors/pg/status").json();
    assert_eq!(state(&status), ("RUNNING", vec!["RUNNING"]), "{status}");
    proxy.restore();
    wait_for_count(&worker.data, "reg.public.r", ROWS as u64, &log);
    db.exec("INSERT INTO r VALUES (1000, 'streamed')").await;
    wait_for_count(&worker.data, "reg.public.r", ROWS as u64 + 1, &log);
    w.stop();
}

//! A cluster on a broker that only lets authenticated TLS clients in (SASL_SSL): the group
//! membership, the internal topics and the tasks' producers all connect with Connect's
//! `security.protocol`, `sasl.*` and `ssl.*` properties. And the group client's own answers
//! to PLAIN, SCRAM and a wrong password, on the same broker.

use std::time::Duration;

use group_client::{GroupConfig, GroupError, GroupMember, Mechanism, Sasl, Security};
use serde_json::json;

use super::cluster::Cluster;
use super::formats::{ids, pg_connector};
use crate::kafka::broker::{self, OwnBroker};
use crate::support::PgFixture;

fn tls(ca: &std::path::Path) -> std::sync::Arc<rustls::ClientConfig> {
    cdc_core::tls::ClientTls {
        verify: cdc_core::tls::Verify::Full,
        roots: cdc_core::tls::Roots::Pem {
            property: "ssl.ca.location".into(),
            path: ca.to_owned(),
        },
        identity: None,
    }
    .client_config()
    .unwrap()
}

async fn join(bootstrap: &str, security: Security) -> Result<(), GroupError> {
    let mut m = GroupMember::new(GroupConfig {
        bootstrap: vec![bootstrap.to_owned()],
        group_id: format!("secured-{}", std::process::id()),
        client_id: "secured-test".into(),
        protocol_type: connect_group::PROTOCOL_TYPE.into(),
        session_timeout: Duration::from_secs(10),
        rebalance_timeout: Duration::from_secs(10),
        security,
    });
    let meta = connect_group::WorkerMetadata {
        url: "http://x:1/".into(),
        config_offset: -1,
        allocation: None,
    };
    let p = connect_group::Subprotocol::Sessioned;
    let protocols = [(p.name().to_owned(), meta.encode(p))];
    // A new broker's group coordinator loads for a moment (as the worker's loop, try again).
    let start = std::time::Instant::now();
    loop {
        match m.join(&protocols).await {
            Err(GroupError::Coordinator { .. }) if start.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => {
                other?;
                break;
            }
        }
    }
    m.leave().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_runs_on_a_sasl_ssl_broker_with_scram() {
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("dist-secured-broker");
    let _ = std::fs::remove_dir_all(&root);
    let own = OwnBroker::start_sasl_ssl(&root);
    let secured = format!("localhost:{}", own.sasl_ssl_port.unwrap());
    let ca = root.join("tls/ca.crt");

    // The group client alone: each mechanism joins; a wrong password is refused by name.
    for mechanism in [
        Mechanism::Plain,
        Mechanism::ScramSha256,
        Mechanism::ScramSha512,
    ] {
        let security = Security {
            tls: Some(tls(&ca)),
            sasl: Some(Sasl {
                mechanism,
                username: "tributary".into(),
                password: "tributary-secret".into(),
            }),
        };
        join(&secured, security)
            .await
            .unwrap_or_else(|e| panic!("{mechanism:?}: {e}"));
    }
    let wrong = Security {
        tls: Some(tls(&ca)),
        sasl: Some(Sasl {
            mechanism: Mechanism::ScramSha256,
            username: "tributary".into(),
            password: "not-it".into(),
        }),
    };
    match join(&secured, wrong).await {
        Err(GroupError::Authentication { reason, .. }) => {
            assert!(reason.to_lowercase().contains("authentication"), "{reason}")
        }
        other => panic!("a wrong password: {other:?}"),
    }

    // A cluster of two workers with Connect's properties, tasks producing over SASL_SSL too.
    let db = PgFixture::start("dist_secured").await;
    db.exec("CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL)")
        .await;
    db.exec("INSERT INTO t SELECT g, 'r' || g FROM generate_series(1, 50) g")
        .await;
    let jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"tributary\" password=\"tributary-secret\";";
    let ca = ca.to_str().unwrap();
    let mut props = vec![("bootstrap.servers", secured.as_str())];
    for prefix in ["", "producer."] {
        for (k, v) in [
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.jaas.config", jaas),
            ("ssl.ca.location", ca),
        ] {
            props.push((Box::leak(format!("{prefix}{k}").into_boxed_str()), v));
        }
    }
    let mut cluster = Cluster::start(&db.unique("secured"), 2, &props);
    // The tests read the topics through the broker's plaintext listener.
    cluster.bootstrap = own.bootstrap();
    let leader = cluster.wait_for_group(2);
    let created = cluster.nodes[(leader + 1) % 2].send(
        "POST",
        "/connectors",
        &json!({"name": "pg", "config": pg_connector(&db, &db.dbname)}),
    );
    assert_eq!(
        created.status,
        201,
        "{}; logs:\n{}",
        created.body,
        cluster.logs()
    );
    cluster.task_owner(leader, "pg");
    let topic = format!("{}.public.t", db.dbname);
    let records = broker::read_all(&cluster.bootstrap, &topic, 50, Duration::from_secs(60));
    assert_eq!(ids(&records).len(), 50, "logs:\n{}", cluster.logs());
}

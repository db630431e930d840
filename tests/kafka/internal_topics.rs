//! Connect's internal topics on the real broker (distributed mode, issue 18): created
//! compacted as Connect creates them, refused as Connect refuses them, written where the Java
//! producer puts each key, and read back to their end.

use connect_group::{
    partition_for_key, ConfigRecord, ConnectorTaskId, Status, StatusRecord, TargetState,
    TopicSettings,
};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use tributary::distributed::topic_log::{ensure_topic, read_to_end, InternalTopic, TopicWriter};

use super::broker;

fn client() -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", broker::bootstrap());
    c
}

fn settings(name: &str, partitions: Option<i32>) -> TopicSettings {
    TopicSettings {
        name: name.to_owned(),
        partitions,
        replication_factor: Some(1),
        topic_configs: [("min.insync.replicas".to_owned(), "1".to_owned())]
            .into_iter()
            .collect(),
    }
}

fn policy(topic: &str) -> String {
    let admin: AdminClient<DefaultClientContext> = client().create().unwrap();
    let described = futures::executor::block_on(
        admin.describe_configs([&ResourceSpecifier::Topic(topic)], &AdminOptions::new()),
    )
    .unwrap();
    described
        .into_iter()
        .next()
        .unwrap()
        .unwrap()
        .get("cleanup.policy")
        .and_then(|e| e.value.clone())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_topics_are_compacted_keyed_like_java_and_read_to_their_end() {
    let tag = std::process::id();
    let config = settings(&format!("it-{tag}-configs"), None);
    let status = settings(&format!("it-{tag}-status"), Some(5));
    ensure_topic(&client(), InternalTopic::Config, &config).unwrap();
    ensure_topic(&client(), InternalTopic::Status, &status).unwrap();
    // Again: the existing topics pass Connect's checks.
    ensure_topic(&client(), InternalTopic::Config, &config).unwrap();
    ensure_topic(&client(), InternalTopic::Status, &status).unwrap();
    assert_eq!(policy(&config.name), "compact");
    assert_eq!(policy(&status.name), "compact");

    let writer = TopicWriter::new(&client(), &status.name).unwrap();
    let mut written = Vec::new();
    for n in 0..20 {
        let record = StatusRecord::Task {
            id: ConnectorTaskId::new(format!("conn-{n}"), n % 3),
            status: Some(Status {
                state: "RUNNING".into(),
                trace: None,
                worker_id: "127.0.0.1:8083".into(),
                generation: 4,
                version: None,
            }),
        };
        let key = record.key();
        let (partition, _) = writer
            .send(key.as_bytes(), record.value().as_deref())
            .await
            .unwrap();
        assert_eq!(
            partition as u32,
            partition_for_key(key.as_bytes(), 5),
            "{key} is not where the Java producer puts it"
        );
        written.push(record);
    }
    let read = read_to_end(&client(), &status.name).unwrap();
    assert_eq!(read.len(), 20);
    let mut back: Vec<StatusRecord> = read
        .iter()
        .map(|r| {
            let key = String::from_utf8(r.key.clone().unwrap()).unwrap();
            StatusRecord::parse(&key, r.value.as_deref())
                .unwrap()
                .unwrap()
        })
        .collect();
    back.sort_by_key(StatusRecord::key);
    written.sort_by_key(StatusRecord::key);
    assert_eq!(back, written);

    // The config topic keeps order: one partition.
    let writer = TopicWriter::new(&client(), &config.name).unwrap();
    let records = [
        ConfigRecord::TargetState {
            name: "c".into(),
            state: Some(TargetState::Started),
        },
        ConfigRecord::Connector {
            name: "c".into(),
            config: Some([("name".to_owned(), "c".to_owned())].into_iter().collect()),
        },
        ConfigRecord::Connector {
            name: "c".into(),
            config: None,
        },
    ];
    for r in &records {
        writer
            .send(r.key().as_bytes(), r.value().as_deref())
            .await
            .unwrap();
    }
    let read = read_to_end(&client(), &config.name).unwrap();
    let back: Vec<ConfigRecord> = read
        .iter()
        .map(|r| {
            let key = String::from_utf8(r.key.clone().unwrap()).unwrap();
            ConfigRecord::parse(&key, r.value.as_deref())
                .unwrap()
                .unwrap()
        })
        .collect();
    assert_eq!(back, records, "in order, the tombstone last");
}

#[test]
fn a_topic_that_is_not_compacted_or_a_config_topic_with_partitions_is_refused() {
    let tag = std::process::id();
    let admin: AdminClient<DefaultClientContext> = client().create().unwrap();
    let deleting = format!("it-{tag}-deleting");
    let spread = format!("it-{tag}-spread");
    let topics = [
        NewTopic::new(&deleting, 1, TopicReplication::Fixed(1)).set("cleanup.policy", "delete"),
        NewTopic::new(&spread, 3, TopicReplication::Fixed(1)).set("cleanup.policy", "compact"),
    ];
    futures::executor::block_on(admin.create_topics(&topics, &AdminOptions::new())).unwrap();
    let err = ensure_topic(
        &client(),
        InternalTopic::Offsets,
        &settings(&deleting, Some(25)),
    )
    .unwrap_err();
    assert!(
        err.starts_with("offset.storage.topic: ") && err.contains("cleanup.policy=\"delete\""),
        "{err}"
    );
    let err = ensure_topic(&client(), InternalTopic::Config, &settings(&spread, None)).unwrap_err();
    assert!(
        err.starts_with("config.storage.topic: ") && err.contains("has 3 partitions"),
        "{err}"
    );
}

//! What the Kafka benchmarks share: a one-partition topic, and client settings with
//! Tributary's producer defaults plus extra `k=v,k=v` settings from an environment variable.

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;

/// Creates `topic` with one partition (an existing topic is left as it is).
pub async fn create_topic(bootstrap: &str, topic: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("admin client");
    let _ = admin
        .create_topics(
            [&NewTopic::new(topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await;
}

/// Applies the `k=v,k=v` settings in the environment variable `var` (to match a worker's
/// `producer.*` properties, say).
pub fn apply_env(config: &mut ClientConfig, var: &str) {
    for kv in std::env::var(var).unwrap_or_default().split(',') {
        if let Some((k, v)) = kv.split_once('=') {
            config.set(k.trim(), v.trim());
        }
    }
}

/// A producer config with Tributary's defaults and `KAFKA_PRODUCER_SET`.
pub fn producer_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    for (k, v) in tributary::kafka::config::DEFAULTS {
        config.set(*k, *v);
    }
    config.set("bootstrap.servers", bootstrap);
    apply_env(&mut config, "KAFKA_PRODUCER_SET");
    config
}

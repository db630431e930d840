//! A sink's offsets on Kafka, in its consumer group `connect-<name>`: what
//! `GET/PATCH/DELETE /connectors/{name}/offsets` read and change for a sink when the worker runs
//! on Kafka (Connect does it with the admin client: `listConsumerGroupOffsets`,
//! `alterConsumerGroupOffsets`, `deleteConsumerGroupOffsets`). The connector is STOPPED when they
//! are changed, so the group has no member and takes commits from outside.
//!
//! librdkafka's Rust binding has no call to delete some of a group's offsets: resetting
//! partitions deletes the group and commits the positions that stay. A crash between the two
//! leaves the group without them: the sink then starts those partitions per
//! `auto.offset.reset` (Connect's `earliest`), redelivering, never skipping.

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::ClientConfig;

use cdc_core::{ConnectorError, Positions, TopicPartition};

use super::{KafkaSide, SinkConsumer, TopicSelection};
use crate::kafka::config::ProducerProperties;

/// The group's committed positions of the selected topics' partitions.
pub async fn read(
    props: &ProducerProperties,
    selection: TopicSelection,
) -> Result<Positions, ConnectorError> {
    KafkaSide::new(props, selection)?.committed().await
}

/// Commits `set`, and forgets the positions of `reset`.
pub async fn alter(
    props: &ProducerProperties,
    selection: TopicSelection,
    set: Positions,
    reset: Vec<TopicPartition>,
) -> Result<(), ConnectorError> {
    let mut side = KafkaSide::new(props, selection)?;
    let mut commit = Positions::new();
    if !reset.is_empty() {
        commit = side.committed().await?;
        for tp in &reset {
            commit.remove(tp);
        }
        delete_group(props).await?;
    }
    commit.extend(set);
    if commit.is_empty() {
        return Ok(());
    }
    side.commit(&commit).await
}

/// Forgets every position (deletes the group).
pub async fn reset(props: &ProducerProperties) -> Result<(), ConnectorError> {
    delete_group(props).await
}

async fn delete_group(props: &ProducerProperties) -> Result<(), ConnectorError> {
    let group = props
        .0
        .iter()
        .find(|(k, _)| *k == "group.id")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| ConnectorError::fatal_msg("the sink consumer has no group.id"))?;
    let mut config = ClientConfig::new();
    for (k, v) in &props.0 {
        config.set(k, v);
    }
    let admin: AdminClient<DefaultClientContext> = config.create().map_err(|e| {
        ConnectorError::fatal_msg(format!("cannot create an admin client for {group}: {e}"))
    })?;
    let results = admin
        .delete_groups(&[&group], &AdminOptions::new())
        .await
        .map_err(|e| ConnectorError::fatal_msg(format!("cannot delete group {group}: {e}")))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::GroupIdNotFound)) => {}
            Err((_, code)) => {
                return Err(ConnectorError::fatal_msg(format!(
                    "cannot delete group {group}: {code}"
                )))
            }
        }
    }
    Ok(())
}

//! What the sink runtime reads from: a topic backend's consumer and where it commits positions.

use std::time::Duration;

use async_trait::async_trait;
use cdc_core::{ConnectorError, Positions, Retry, TopicPartition};
use tokio_util::sync::CancellationToken;

use super::{from_stored, to_stored, Consumed, LogConsumer};
use crate::log::EmbeddedLog;

/// A sink task's consumer: its partitions, its committed positions, reading, committing.
#[async_trait]
pub trait SinkConsumer: Send {
    /// The partitions of the selected topics that exist now.
    async fn partitions(&mut self) -> Result<Vec<TopicPartition>, ConnectorError>;
    /// The positions committed for the connector (partitions without one are absent).
    async fn committed(&mut self) -> Result<Positions, ConnectorError>;
    /// Starts these partitions at these next offsets; others start at the committed position,
    /// or at the beginning.
    async fn seek(&mut self, positions: &Positions) -> Result<(), ConnectorError>;
    /// The next offset of every partition read from so far.
    fn positions(&self) -> Positions;
    /// Up to `max_records` records (about `max_bytes`), waiting for one up to `max_wait`
    /// (`None`: until there is one); empty when the wait is over or `shutdown` is cancelled.
    /// Never cancelled by the runtime: records read are returned, and positions move past them.
    async fn poll(
        &mut self,
        max_records: usize,
        max_bytes: usize,
        max_wait: Option<Duration>,
        shutdown: &CancellationToken,
    ) -> Result<Vec<Consumed>, ConnectorError>;
    /// Commits positions durably (only ever positions the task has flushed).
    async fn commit(&mut self, positions: &Positions) -> Result<(), ConnectorError>;
    /// Does its blocking reads on the task's thread, where the batch is converted and freed.
    fn use_lane(&mut self, lane: &super::Lane) {
        let _ = lane;
    }
}

/// The embedded log: the consumer, and positions in the log's `sink_offsets` table under the
/// connector's name.
pub struct LogSide {
    pub consumer: LogConsumer,
    pub log: EmbeddedLog,
    pub connector: String,
}

fn fatal(e: crate::log::LogError) -> ConnectorError {
    ConnectorError::new(Retry::Fatal, e)
}

#[async_trait]
impl SinkConsumer for LogSide {
    async fn partitions(&mut self) -> Result<Vec<TopicPartition>, ConnectorError> {
        self.consumer.partitions().map_err(fatal)
    }

    async fn committed(&mut self) -> Result<Positions, ConnectorError> {
        let (log, name) = (self.log.clone(), self.connector.clone());
        let stored = tokio::task::spawn_blocking(move || log.sink_offsets(&name))
            .await
            .map_err(|e| ConnectorError::fatal_msg(format!("reading sink offsets panicked: {e}")))?
            .map_err(fatal)?;
        Ok(stored.as_ref().map(from_stored).unwrap_or_default())
    }

    async fn seek(&mut self, positions: &Positions) -> Result<(), ConnectorError> {
        self.consumer.seek(positions);
        Ok(())
    }

    fn positions(&self) -> Positions {
        self.consumer.positions()
    }

    async fn poll(
        &mut self,
        max_records: usize,
        max_bytes: usize,
        max_wait: Option<Duration>,
        shutdown: &CancellationToken,
    ) -> Result<Vec<Consumed>, ConnectorError> {
        self.consumer
            .poll(max_records, max_bytes, max_wait, shutdown)
            .await
            .map_err(fatal)
    }

    fn use_lane(&mut self, lane: &super::Lane) {
        self.consumer.use_lane(lane.clone());
    }

    async fn commit(&mut self, positions: &Positions) -> Result<(), ConnectorError> {
        let (log, name, stored) = (
            self.log.clone(),
            self.connector.clone(),
            to_stored(positions),
        );
        tokio::task::spawn_blocking(move || log.set_sink_offsets(&name, &stored))
            .await
            .map_err(|e| ConnectorError::fatal_msg(format!("storing sink offsets panicked: {e}")))?
            .map_err(fatal)
    }
}

//! The Elasticsearch sink task: records → actions ([`super::document`]) → `_bulk` requests
//! ([`super::bulk`]) sent `max.in.flight.requests` at a time, so `put` returning means the
//! documents are written and `flush` has nothing left to do.
//!
//! Indices are created when first written to (and, unless the schema is ignored, given a
//! mapping from the record's schema when they have none). Item outcomes follow Confluent: a
//! version conflict on an externally versioned action is success (a newer write is there); a
//! malformed document follows `behavior.on.malformed.documents`; items refused with 429/5xx are
//! sent again (Confluent fails the task on them); anything else is refused. A request that
//! still fails after `max.retries` is a transient error: the runtime calls `put` again with the
//! same records, which is harmless (external versions, ids from offsets, upserts of whole
//! documents), so an engine that is away for a while loses nothing.

use std::collections::HashSet;

use async_trait::async_trait;
use cdc_core::{
    ConfigErrors, ConfigMap, ConnectorError, Positions, Refused, SinkRecord, SinkTask,
    TopicPartition,
};
use futures::StreamExt;
use reqwest::{Method, StatusCode};

use super::bulk::{self, Outcome};
use super::client::{error_type, RequestError, SearchClient};
use super::config::{Malformed, SearchSinkConfig};
use super::document::{self, Action};
use super::index_name::{data_stream_for_topic, index_for_topic};
use super::mapping;

/// An Elasticsearch/OpenSearch sink task.
pub struct SearchSinkTask {
    config: SearchSinkConfig,
    client: Option<SearchClient>,
    /// Indices known to exist.
    indices: HashSet<String>,
    /// Indices known to have a mapping (or whose schema is ignored).
    mapped: HashSet<String>,
}

fn transient(message: String) -> ConnectorError {
    ConnectorError::transient(std::io::Error::other(message))
}

fn request_error(e: RequestError) -> ConnectorError {
    match e {
        RequestError::Exhausted { .. } => transient(e.to_string()),
        RequestError::Refused { .. } => ConnectorError::fatal_msg(e.to_string()),
    }
}

impl SearchSinkTask {
    /// Reads and checks the config; opens nothing.
    pub fn from_config(config: &ConfigMap) -> Result<Self, ConfigErrors> {
        let config = SearchSinkConfig::from_map(config)?;
        for name in &config.ignored {
            tracing::warn!(property = %name, "property accepted but not acted on by the Elasticsearch sink");
        }
        Ok(SearchSinkTask {
            config,
            client: None,
            indices: HashSet::new(),
            mapped: HashSet::new(),
        })
    }

    fn client(&mut self) -> Result<&SearchClient, ConnectorError> {
        if self.client.is_none() {
            self.client = Some(SearchClient::new(&self.config).map_err(ConnectorError::fatal_msg)?);
        }
        Ok(self.client.as_ref().expect("made above"))
    }

    /// Creates `index` unless it exists; gives it a mapping from `record`'s schema unless the
    /// schema is ignored or it has one.
    async fn prepare(&mut self, index: &str, record: &SinkRecord) -> Result<(), ConnectorError> {
        if !self.indices.contains(index) {
            // A data stream needs an index template naming it a data stream (Elasticsearch
            // ships them for logs-*-* and metrics-*-*; on OpenSearch create one).
            let path = match &self.config.data_stream {
                Some(_) => format!("_data_stream/{index}"),
                None => index.to_owned(),
            };
            let client = self.client()?;
            let (status, _) = client
                .send(
                    &format!("checking index {index}"),
                    Method::HEAD,
                    index,
                    None,
                )
                .await
                .map_err(request_error)?;
            if status == StatusCode::NOT_FOUND {
                let (status, body) = client
                    .send(&format!("creating {index}"), Method::PUT, &path, None)
                    .await
                    .map_err(request_error)?;
                if !status.is_success()
                    && !error_type(&body).starts_with("resource_already_exists_exception")
                {
                    return Err(ConnectorError::fatal_msg(format!(
                        "creating {index} was refused with HTTP {status}: {}",
                        error_type(&body)
                    )));
                }
                tracing::info!(index, "index created");
            }
            self.indices.insert(index.to_owned());
        }
        if !self.mapped.contains(index) && !self.config.ignores_schema(&record.topic) {
            let Some(schema) = record.value.as_ref().and_then(|v| v.schema.clone()) else {
                // A tombstone says nothing of the mapping; a schemaless value cannot be mapped.
                if record.value.is_none() {
                    return Ok(());
                }
                return Err(ConnectorError::fatal_msg(format!(
                    "{}: the value has no schema to build index {index}'s mapping from; set schema.ignore=true (or topic.schema.ignore) for schemaless values",
                    document::at(record)
                )));
            };
            let client = self.client()?;
            let body = client
                .send_ok(
                    &format!("reading index {index}'s mapping"),
                    Method::GET,
                    &format!("{index}/_mapping"),
                    None,
                )
                .await
                .map_err(request_error)?;
            let current: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let has = current[index]["mappings"]
                .as_object()
                .is_some_and(|m| !m.is_empty());
            if !has {
                let m = mapping::mapping(&schema).map_err(|e| {
                    ConnectorError::fatal_msg(format!("cannot map index {index}'s schema: {e}"))
                })?;
                let m = serde_json::to_vec(&m).expect("serializing JSON");
                client
                    .send_ok(
                        &format!("creating index {index}'s mapping"),
                        Method::PUT,
                        &format!("{index}/_mapping"),
                        Some((&m, "application/json")),
                    )
                    .await
                    .map_err(request_error)?;
                tracing::info!(index, "mapping created from the record schema");
            }
            self.mapped.insert(index.to_owned());
        }
        Ok(())
    }

    /// Sends `actions` (each with its record's index in the batch) and returns the records the
    /// engine refused for good.
    async fn write(
        &mut self,
        actions: Vec<(usize, Action)>,
    ) -> Result<Vec<Refused>, ConnectorError> {
        let sizes: Vec<usize> = actions.iter().map(|(_, a)| bulk::action_len(a)).collect();
        let ranges = bulk::chunks(&sizes, self.config.batch_size, self.config.bulk_size_bytes);
        // Requests run side by side only when their order cannot matter: every action is
        // checked against its external version, or ids never repeat (offsets).
        let versioned = actions.iter().all(|(_, a)| a.external_version());
        let ids: HashSet<(&str, &str)> = actions
            .iter()
            .filter_map(|(_, a)| match a {
                Action::Index {
                    index,
                    id: Some(id),
                    ..
                }
                | Action::Upsert { index, id, .. }
                | Action::Delete { index, id, .. } => Some((index.as_str(), id.as_str())),
                Action::Index { id: None, .. } => None,
            })
            .collect();
        let in_flight = if versioned || ids.len() == actions.len() {
            self.config.max_in_flight
        } else {
            1
        };
        self.client()?;
        let client = self.client.as_ref().expect("made above");
        let malformed = self.config.malformed;
        let actions = &actions;
        let results: Vec<Result<Vec<Refused>, ConnectorError>> = futures::stream::iter(
            ranges
                .into_iter()
                .map(|range| send_bulk(client, &actions[range], malformed)),
        )
        .buffered(in_flight)
        .collect()
        .await;
        let mut refused = Vec::new();
        for r in results {
            refused.extend(r?);
        }
        Ok(refused)
    }
}

/// Sends one bulk request, again for its items refused with 429/5xx, and reads its outcomes.
async fn send_bulk(
    client: &SearchClient,
    actions: &[(usize, Action)],
    malformed: Malformed,
) -> Result<Vec<Refused>, ConnectorError> {
    let mut pending: Vec<&(usize, Action)> = actions.iter().collect();
    let mut refused = Vec::new();
    let mut round = 0u32;
    while !pending.is_empty() {
        let mut body = Vec::new();
        for (_, a) in &pending {
            bulk::write_action(&mut body, a);
        }
        let answer = client
            .send_ok(
                &format!("a bulk request of {} actions", pending.len()),
                Method::POST,
                "_bulk",
                Some((&body, "application/x-ndjson")),
            )
            .await
            .map_err(request_error)?;
        let outcomes = bulk::outcomes(&answer, pending.len())
            .map_err(|e| transient(format!("unreadable bulk answer: {e}")))?;
        let mut again = Vec::new();
        for (item, outcome) in pending.into_iter().zip(outcomes) {
            let (index, action) = item;
            match outcome {
                Outcome::Done => {}
                Outcome::VersionConflict if action.external_version() => {
                    tracing::debug!("external version conflict: a newer write is there");
                }
                Outcome::VersionConflict if matches!(action, Action::Index { create: true, .. }) => {
                    // A data stream document created before (a replay).
                    tracing::debug!("data stream document already there");
                }
                Outcome::VersionConflict => {
                    tracing::warn!("version conflict on a write without external version");
                }
                Outcome::Malformed { kind, reason } => match malformed {
                    Malformed::Ignore => {
                        tracing::debug!(error = %kind, "malformed document ignored");
                    }
                    Malformed::Warn => {
                        tracing::warn!(error = %kind, reason = %reason, "malformed document not indexed");
                    }
                    Malformed::Fail => refused.push(Refused {
                        index: *index,
                        error: ConnectorError::fatal_msg(format!(
                            "the engine refused the document as malformed ({kind}: {reason}); to skip such documents set behavior.on.malformed.documents to warn or ignore"
                        )),
                    }),
                },
                Outcome::Again { status, kind } => again.push((item, status, kind)),
                Outcome::Failed {
                    status,
                    kind,
                    reason,
                } => refused.push(Refused {
                    index: *index,
                    error: ConnectorError::fatal_msg(format!(
                        "the engine refused the action with HTTP {status} ({kind}: {reason})"
                    )),
                }),
            }
        }
        if !again.is_empty() {
            round += 1;
            let (_, status, kind) = &again[0];
            if round > client_max_retries(client) {
                return Err(transient(format!(
                    "{} bulk items still refused with HTTP {status} ({kind}) after {round} attempts",
                    again.len()
                )));
            }
            tracing::warn!(items = again.len(), status, error = %kind, "bulk items refused for now; sending them again");
            tokio::time::sleep(std::time::Duration::from_millis(100u64 << round.min(10))).await;
        }
        pending = again.into_iter().map(|(item, _, _)| item).collect();
    }
    Ok(refused)
}

fn client_max_retries(client: &SearchClient) -> u32 {
    client.max_retries()
}

#[async_trait]
impl SinkTask for SearchSinkTask {
    async fn open(&mut self, _: &[TopicPartition]) -> Result<Option<Positions>, ConnectorError> {
        let client = self.client()?;
        // The engine answers (or the runtime waits for it, as for any transient error). A
        // user without the right to read the cluster's info is let through, as Confluent's
        // connector only warns when it cannot read the version.
        match client
            .send_ok("reaching the search engine", Method::GET, "", None)
            .await
        {
            Ok(_) => {}
            Err(e @ RequestError::Refused { .. }) => {
                tracing::warn!(error = %e, "cannot read the search engine's info; going on");
            }
            Err(e) => return Err(request_error(e)),
        }
        Ok(None)
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<Vec<Refused>, ConnectorError> {
        let timeout = self.config.flush_timeout;
        match tokio::time::timeout(timeout, self.put_all(records)).await {
            Ok(r) => r,
            Err(_) => Err(ConnectorError::fatal_msg(format!(
                "writing {} records took longer than flush.timeout.ms ({} ms)",
                records.len(),
                timeout.as_millis()
            ))),
        }
    }

    async fn flush(&mut self) -> Result<(), ConnectorError> {
        Ok(())
    }
}

impl SearchSinkTask {
    async fn put_all(&mut self, records: &[SinkRecord]) -> Result<Vec<Refused>, ConnectorError> {
        let mut refused = Vec::new();
        let mut actions = Vec::with_capacity(records.len());
        for (i, record) in records.iter().enumerate() {
            let index = match &self.config.data_stream {
                Some(ds) => data_stream_for_topic(ds, &record.topic),
                None => index_for_topic(&record.topic),
            };
            self.prepare(&index, record).await?;
            match document::convert(&self.config, record, &index) {
                Ok(Some(a)) => actions.push((i, a)),
                Ok(None) => {}
                Err(e) if self.config.drop_invalid_message => {
                    tracing::error!(error = %e, "record dropped (drop.invalid.message=true)");
                }
                Err(e) => refused.push(Refused {
                    index: i,
                    error: ConnectorError::fatal_msg(e.to_string()),
                }),
            }
        }
        refused.extend(self.write(actions).await?);
        refused.sort_by_key(|r| r.index);
        Ok(refused)
    }
}

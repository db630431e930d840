//! Confluent's Elasticsearch sink (`io.confluent.connect.elasticsearch.ElasticsearchSinkConnector`)
//! for Elasticsearch 7/8 and OpenSearch 2, over the `_bulk` API (see `CONTEXT.md`).

mod bulk;
mod client;
pub mod config;
mod document;
mod index_name;
mod mapping;
mod task;

pub use config::{config_def, SearchSinkConfig, CLASS};
pub use index_name::index_for_topic;
pub use task::SearchSinkTask;

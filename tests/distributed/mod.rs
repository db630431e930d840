//! Distributed mode against Apache Kafka: three (or four) `tributary distributed` processes
//! on loopback sharing one group, with PostgreSQL connectors. Issue 18's scenarios: work
//! created through any worker runs once, the internal topics hold Connect's formats, a killed
//! worker's task moves with no row lost, a frozen worker fences itself, a rolling restart loses
//! nothing.

pub(crate) mod cluster;
mod failover;
mod formats;
mod jdbc_source;
mod migrate;
mod secured;
mod sink;

//! End-to-end runtime throughput: a source that produces Debezium change events as fast as it
//! can, through `run_source` (coalescing, conversion, durable appends with the offset) onto the
//! embedded log. Reports events/s from the first send to the last committed offset.
//!
//! ```text
//! cargo bench --bench pipeline                  # 1,000,000 events, schemas enabled
//! cargo bench --bench pipeline -- 200000 schemaless
//! cargo bench --bench pipeline -- generate-only     # the generator's own rate
//! ```

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use cdc_core::envelope::{envelope_schema, envelope_value, Op, ProcessingTime};
use cdc_core::{
    Batch, ConnectorError, Data, JsonConverter, QueueBounds, Record, Schema, Source, SourceContext,
    SourceOffset, Value,
};
use tokio_util::sync::CancellationToken;
use tributary::log::EmbeddedLog;
use tributary::runtime::{run_source, Converters};

struct Generator {
    count: usize,
    /// Build the batches but do not send them: the generator's own cost.
    dry: bool,
    elapsed: Arc<std::sync::Mutex<Option<f64>>>,
}

fn offset(n: usize) -> SourceOffset {
    let m = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
    SourceOffset::new(
        m(serde_json::json!({"server": "shop"})),
        m(serde_json::json!({"lsn": n})),
    )
}

#[async_trait]
impl Source for Generator {
    async fn run(&mut self, mut ctx: SourceContext) -> Result<(), ConnectorError> {
        let row = Arc::new(
            Schema::structure("shop.public.customers.Value")
                .optional()
                .field("id", Schema::int32())
                .field("first_name", Schema::string())
                .field("last_name", Schema::string())
                .field("email", Schema::string())
                .field("active", Schema::boolean()),
        );
        let source = Arc::new(
            Schema::structure("io.debezium.connector.postgresql.Source")
                .field("connector", Schema::string())
                .field("name", Schema::string())
                .field("ts_ms", Schema::int64())
                .field("db", Schema::string())
                .field("schema", Schema::string())
                .field("table", Schema::string())
                .field("lsn", Schema::int64().optional()),
        );
        let key_schema =
            Arc::new(Schema::structure("shop.public.customers.Key").field("id", Schema::int32()));
        let envelope = envelope_schema("shop.public.customers", row, source);
        let topic: Arc<str> = "shop.public.customers".into();
        let batch_size = ctx.output.max_batch_records();
        let started = Instant::now();
        let mut n = 0;
        while n < self.count {
            let end = (n + batch_size).min(self.count);
            let records = (n..end)
                .map(|i| {
                    let id = i as i32;
                    let after = Value::Struct(vec![
                        Value::Int32(id),
                        Value::String(format!("First{id}").into()),
                        Value::String("Last".into()),
                        Value::String(format!("c{id}@example.com").into()),
                        Value::Boolean(id % 2 == 0),
                    ]);
                    let src = Value::Struct(vec![
                        Value::String("postgresql".into()),
                        Value::String("shop".into()),
                        Value::Int64(1_700_000_000_000),
                        Value::String("shop".into()),
                        Value::String("public".into()),
                        Value::String("customers".into()),
                        Value::Int64(i as i64 * 64),
                    ]);
                    Record {
                        topic: topic.clone(),
                        key: Some(Data::new(
                            key_schema.clone(),
                            Value::Struct(vec![Value::Int32(id)]),
                        )),
                        value: Some(Data::new(
                            envelope.clone(),
                            envelope_value(
                                Op::Create,
                                None,
                                Some(after),
                                src,
                                None,
                                ProcessingTime::now(),
                            ),
                        )),
                        headers: Vec::new(),
                        timestamp_ms: 1_700_000_000_000,
                    }
                })
                .collect();
            let batch = Batch::new(records, offset(end));
            if self.dry {
                drop(batch);
            } else {
                ctx.output
                    .send(batch)
                    .await
                    .map_err(ConnectorError::fatal)?;
            }
            n = end;
        }
        if self.dry {
            *self.elapsed.lock().unwrap() = Some(started.elapsed().as_secs_f64());
            return Ok(());
        }
        let last = Some(offset(self.count));
        ctx.committed
            .wait_for(|c| *c == last)
            .await
            .map_err(ConnectorError::fatal)?;
        *self.elapsed.lock().unwrap() = Some(started.elapsed().as_secs_f64());
        Ok(())
    }
}

fn main() {
    let mut count = 1_000_000;
    let mut schemas_enable = true;
    let mut dry = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "schemaless" => schemas_enable = false,
            "generate-only" => dry = true,
            "--bench" => {}
            other => count = other.parse().unwrap_or(count),
        }
    }
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-pipeline");
    let _ = std::fs::remove_dir_all(&dir);
    let log = EmbeddedLog::open(&dir).expect("open log");
    let elapsed = Arc::new(std::sync::Mutex::new(None));
    let json = JsonConverter {
        schemas_enable,
        ..Default::default()
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(run_source(
        "bench".into(),
        Box::new(Generator {
            count,
            dry,
            elapsed: elapsed.clone(),
        }),
        log.clone(),
        Converters::new(json, json),
        QueueBounds::default(),
        CancellationToken::new(),
    ))
    .expect("run");
    let secs = elapsed.lock().unwrap().expect("finished");
    if dry {
        println!(
            "{count} events generated (not sent): {:.0} events/s",
            count as f64 / secs
        );
        return;
    }
    let topic = &log.topics().expect("topics")[0];
    assert_eq!(topic.records, count as u64);
    let bytes: usize = log
        .read(&topic.name, 0, 1)
        .expect("read")
        .first()
        .and_then(|r| r.value.as_ref().map(Vec::len))
        .unwrap_or(0);
    println!(
        "{count} events, schemas.enable={schemas_enable}, ~{bytes} B values: {:.0} events/s end to end ({secs:.2} s), durable with offsets",
        count as f64 / secs
    );
    drop(log);
    let _ = std::fs::remove_dir_all(&dir);
}

//! Record conversion throughput: Connect's JsonConverter per record against the runtime's
//! `RecordConverter` (same bytes, each schema serialized once), on Debezium change events of a
//! six-column table with the PostgreSQL `source` block.
//!
//! ```text
//! cargo bench --bench convert            # 200,000 events
//! cargo bench --bench convert -- 50000
//! ```

use std::sync::Arc;
use std::time::Instant;

use cdc_core::envelope::{envelope_schema, envelope_value, Op, ProcessingTime};
use cdc_core::{Data, JsonConverter, Schema, Value};
use tributary::runtime::{Converters, RecordConverter};

/// The PostgreSQL connector's `source` block schema.
fn source_schema() -> Arc<Schema> {
    pg_wal::source_info::schema()
}

fn main() {
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200_000);
    let row = Arc::new(
        Schema::structure("shop.public.customers.Value")
            .optional()
            .field("id", Schema::int32())
            .field("first_name", Schema::string())
            .field("last_name", Schema::string())
            .field("email", Schema::string())
            .field(
                "balance",
                Schema::bytes()
                    .named("org.apache.kafka.connect.data.Decimal")
                    .param("scale", "2")
                    .optional(),
            )
            .field("active", Schema::boolean()),
    );
    let key_schema =
        Arc::new(Schema::structure("shop.public.customers.Key").field("id", Schema::int32()));
    let envelope = envelope_schema("shop.public.customers", row, source_schema());
    let events: Vec<(Data, Data)> = (0..count as i32)
        .map(|i| {
            let after = Value::Struct(vec![
                Value::Int32(i),
                Value::String(format!("First{i}").into()),
                Value::String(format!("Last{}", i % 977).into()),
                Value::String(format!("c{i}@example.com").into()),
                Value::Bytes(vec![0x01, (i % 251) as u8]),
                Value::Boolean(i % 2 == 0),
            ]);
            let source = Value::Struct(vec![
                Value::String("3.0.0.Final".into()),
                Value::String("postgresql".into()),
                Value::String("shop".into()),
                Value::Int64(1_700_000_000_000),
                Value::String("false".into()),
                Value::String("shop".into()),
                Value::String(format!("[\"{i}\",\"{}\"]", i + 1).into()),
                Value::Int64(1_700_000_000_000_000),
                Value::Int64(1_700_000_000_000_000_000),
                Value::String("public".into()),
                Value::String("customers".into()),
                Value::Int64(i as i64 / 10),
                Value::Int64(i as i64 * 64),
                Value::Null,
            ]);
            let value = envelope_value(
                Op::Create,
                None,
                Some(after),
                source,
                None,
                ProcessingTime::now(),
            );
            (
                Data::new(key_schema.clone(), Value::Struct(vec![Value::Int32(i)])),
                Data::new(envelope.clone(), value),
            )
        })
        .collect();

    println!("{count} Debezium create events (6 columns), key and value converted\n");
    println!(
        "{:<16} {:<15} {:>12} {:>14}",
        "schemas.enable", "converter", "events/s", "value bytes"
    );
    for schemas_enable in [true, false] {
        let json = JsonConverter {
            schemas_enable,
            ..Default::default()
        };
        let t = Instant::now();
        let mut bytes = 0;
        for (k, v) in &events {
            bytes += json.to_bytes(Some(k)).map_or(0, |b| b.len());
            bytes += json.to_bytes(Some(v)).map_or(0, |b| b.len());
        }
        let plain = count as f64 / t.elapsed().as_secs_f64();
        let mut rc = RecordConverter::new(Converters {
            key: json,
            value: json,
        });
        let t = Instant::now();
        let mut cached_bytes = 0;
        for (k, v) in &events {
            cached_bytes += rc.key(Some(k)).map_or(0, |b| b.len());
            cached_bytes += rc.value(Some(v)).map_or(0, |b| b.len());
        }
        let cached = count as f64 / t.elapsed().as_secs_f64();
        assert_eq!(bytes, cached_bytes);
        let avg = json.to_bytes(Some(&events[0].1)).map_or(0, |b| b.len());
        println!(
            "{schemas_enable:<16} {:<15} {plain:>12.0} {avg:>14}",
            "JsonConverter"
        );
        println!(
            "{schemas_enable:<16} {:<15} {cached:>12.0} {avg:>14}",
            "RecordConverter"
        );
    }
}

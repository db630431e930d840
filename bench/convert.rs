//! Record conversion throughput: Connect's JsonConverter per record against the runtime's
//! `RecordConverter` (same bytes, each schema serialized once), and the AvroConverter
//! (Confluent wire format, schema ids from the embedded registry, cached), on Debezium change
//! events of a six-column table with the PostgreSQL `source` block. Ratios are against the
//! runtime's JsonConverter with `schemas.enable=true` (the worker's default) in the same run.
//!
//! ```text
//! cargo bench --bench convert            # 200,000 events
//! cargo bench --bench convert -- 50000
//! ```

use std::sync::Arc;
use std::time::Instant;

use cdc_core::envelope::{envelope_schema, envelope_value, Op, ProcessingTime};
use cdc_core::{Data, JsonConverter, Schema, Value};
use tributary::runtime::{AvroSettings, Converter, Converters, RecordConverter};

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

    let topic: Arc<str> = "shop.public.customers".into();
    println!("{count} Debezium create events (6 columns), key and value converted\n");
    println!(
        "{:<16} {:<15} {:>12} {:>14}",
        "schemas.enable", "converter", "events/s", "value bytes"
    );
    let mut baseline = 0.0;
    let mut schemaless = 0.0;
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
        let mut rc = RecordConverter::new(Converters::new(json, json));
        let t = Instant::now();
        let mut cached_bytes = 0;
        for (k, v) in &events {
            cached_bytes += rc.key(&topic, Some(k)).unwrap().map_or(0, |b| b.len());
            cached_bytes += rc.value(&topic, Some(v)).unwrap().map_or(0, |b| b.len());
        }
        let cached = count as f64 / t.elapsed().as_secs_f64();
        assert_eq!(bytes, cached_bytes);
        if schemas_enable {
            baseline = cached;
        } else {
            schemaless = cached;
        }
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

    // The AvroConverter on the embedded registry (ids cached after the first record).
    let dir = tempfile::tempdir().expect("temporary directory");
    let log = tributary::log::EmbeddedLog::open(dir.path()).expect("embedded log");
    let registry = tributary::registry::Registry::of(&log).expect("embedded registry");
    let avro = Converter::Avro(AvroSettings {
        registry_urls: Vec::new(),
        auth: None,
        auto_register: true,
        use_latest_version: false,
        strategy: Default::default(),
    });
    let mut rc =
        RecordConverter::new(Converters::new(avro.clone(), avro).with_embedded_registry(registry));
    let t = Instant::now();
    for (k, v) in &events {
        rc.key(&topic, Some(k)).expect("avro key");
        rc.value(&topic, Some(v)).expect("avro value");
    }
    let avro_rate = count as f64 / t.elapsed().as_secs_f64();
    let avg = rc
        .value(&topic, Some(&events[0].1))
        .expect("avro value")
        .map_or(0, |b| b.len());
    println!(
        "{:<16} {:<15} {avro_rate:>12.0} {avg:>14}",
        "-", "AvroConverter"
    );
    println!(
        "\nAvroConverter / RecordConverter(JSON, schemas.enable=true): {:.2}x",
        avro_rate / baseline
    );
    println!(
        "AvroConverter / RecordConverter(JSON, schemas.enable=false): {:.2}x",
        avro_rate / schemaless
    );
}

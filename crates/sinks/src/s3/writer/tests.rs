use std::sync::Arc;

use cdc_core::{SchemaAndValue, SchemaType, Value};

use super::*;
use crate::s3::format::FormatKind;
use crate::s3::partitioner::{Extractor, TimeBased};
use crate::s3::path_format::PathFormat;

fn layout(partitioner: Partitioner, flush_size: u64, rotate: Option<i64>) -> Layout {
    Layout {
        format: FormatKind::Json { gzip: None }.build(),
        key_format: None,
        header_format: None,
        tombstone_partition: None,
        compatibility: Default::default(),
        partitioner,
        flush_size,
        rotate_interval_ms: rotate,
        rotate_schedule: None,
        topics_dir: "topics".into(),
        directory_delim: "/".into(),
        file_delim: "+".into(),
        zero_pad_width: 10,
    }
}

fn hourly() -> Partitioner {
    Partitioner::TimeBased(TimeBased {
        duration_ms: 3_600_000,
        format: PathFormat::parse("'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH").unwrap(),
        zone: TimeZone::UTC,
        extractor: Extractor::Record,
    })
}

fn record(offset: u64, ts: i64) -> SinkRecord {
    let schema = Schema::structure("v").field("id", Schema::new(SchemaType::Int64));
    SinkRecord {
        topic: Arc::from("pg.public.orders"),
        partition: 0,
        offset,
        timestamp_ms: Some(ts),
        key: None,
        value: Some(SchemaAndValue {
            schema: Some(Arc::new(schema)),
            value: Value::Struct(vec![Value::Int64(offset as i64)]),
        }),
        headers: Vec::new(),
        origin: None,
    }
}

fn run(layout: &Layout, records: &[SinkRecord]) -> (Vec<ClosedFile>, PartitionWriter) {
    let mut w = PartitionWriter::new(Arc::from("pg.public.orders"), 0, layout, 0);
    let mut out = Vec::new();
    for r in records {
        out.extend(w.write(layout, r, 0).unwrap());
    }
    (out, w)
}

#[test]
fn flush_size_cuts_files_named_by_their_first_offset() {
    let l = layout(Partitioner::Default, 3, None);
    let records: Vec<_> = (0..7).map(|o| record(o, 0)).collect();
    let (files, w) = run(&l, &records);
    let keys: Vec<&str> = files.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "topics/pg.public.orders/partition=0/pg.public.orders+0+0000000000.json",
            "topics/pg.public.orders/partition=0/pg.public.orders+0+0000000003.json",
        ]
    );
    assert_eq!(
        files[1].bytes.to_vec().unwrap(),
        b"{\"id\":3}\n{\"id\":4}\n{\"id\":5}\n"
    );
    let open: Vec<u64> = w.open_from().values().copied().collect();
    assert_eq!(open, [6]);
}

#[test]
fn record_time_rotates_on_a_new_hour_and_after_the_interval() {
    const H: i64 = 3_600_000;
    let base = 1_709_596_800_000; // 2024-03-05T00:00:00Z
    let l = layout(hourly(), 1000, Some(H));
    let records = [
        record(10, base + 1),
        record(11, base + H - 1),
        record(12, base + H + 5), // next hour: closes the first file
        record(13, base + H + 6),
    ];
    let (files, w) = run(&l, &records);
    assert_eq!(files.len(), 1);
    assert_eq!(
        files[0].key,
        "topics/pg.public.orders/year=2024/month=03/day=05/hour=00/pg.public.orders+0+0000000010.json"
    );
    assert_eq!(
        files[0].bytes.to_vec().unwrap(),
        b"{\"id\":10}\n{\"id\":11}\n"
    );
    assert_eq!(w.open_from().values().copied().collect::<Vec<_>>(), [12]);
}

#[test]
fn the_same_records_give_the_same_objects_from_the_first_open_offset() {
    let l = layout(hourly(), 4, Some(3_600_000));
    let records: Vec<_> = (0..20)
        .map(|o| record(o, 1_709_596_800_000 + o as i64 * 1_000_000))
        .collect();
    let (all, w) = run(&l, &records);
    let replay_from = w.open_from().values().next().copied().unwrap_or(20);
    // A restart after the files of the first half were uploaded: read again from the first
    // record of the files that were open then.
    let (first_half, w2) = run(&l, &records[..10]);
    let from = w2.open_from().values().next().copied().unwrap() as usize;
    let (second, _) = run(&l, &records[from..]);
    let mut again = first_half;
    again.extend(second);
    assert_eq!(again, all);
    assert!(replay_from < 20);
}

fn keyed(offset: u64, value: bool) -> SinkRecord {
    let mut r = record(offset, 0);
    r.key = Some(SchemaAndValue {
        schema: Some(Arc::new(
            Schema::structure("k").field("id", Schema::new(SchemaType::Int64)),
        )),
        value: Value::Struct(vec![Value::Int64(offset as i64)]),
    });
    r.headers = vec![("op".into(), Some(b"c".to_vec()))];
    if !value {
        r.value = None;
    }
    r
}

#[test]
fn keys_and_headers_files_sit_beside_each_data_file_and_tombstones_keep_only_their_keys() {
    let mut l = layout(Partitioner::Default, 3, None);
    l.key_format = Some(FormatKind::Json { gzip: None }.build_view(crate::s3::view::View::Key));
    l.header_format = Some(
        FormatKind::Avro {
            codec: Default::default(),
        }
        .build_view(crate::s3::view::View::Headers),
    );
    l.tombstone_partition = Some("tombstone".into());
    let (files, _) = run(&l, &[keyed(0, true), keyed(1, false), keyed(2, true)]);
    let names: Vec<&str> = files.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        names,
        [
            "topics/pg.public.orders/partition=0/pg.public.orders+0+0000000000.json",
            "topics/pg.public.orders/partition=0/pg.public.orders+0+0000000000.keys.json",
            "topics/pg.public.orders/partition=0/pg.public.orders+0+0000000000.headers.avro",
            "topics/pg.public.orders/tombstone/pg.public.orders+0+0000000001.keys.json",
            "topics/pg.public.orders/tombstone/pg.public.orders+0+0000000001.headers.avro",
        ]
    );
    assert_eq!(
        files[0].bytes.to_vec().unwrap(),
        b"{\"id\":0}\n{\"id\":2}\n"
    );
    assert_eq!(
        files[1].bytes.to_vec().unwrap(),
        b"{\"id\":0}\n{\"id\":2}\n"
    );
    assert_eq!(files[3].bytes.to_vec().unwrap(), b"{\"id\":1}\n");
    assert!(files[2].bytes.to_vec().unwrap().starts_with(b"Obj\x01"));
}

#[test]
fn a_null_key_is_refused_when_keys_are_stored_and_nothing_is_half_written() {
    let mut l = layout(Partitioner::Default, 10, None);
    l.key_format = Some(FormatKind::Json { gzip: None }.build_view(crate::s3::view::View::Key));
    let mut w = PartitionWriter::new(Arc::from("pg.public.orders"), 0, &l, 0);
    w.write(&l, &keyed(0, true), 0).unwrap();
    let err = w.write(&l, &record(1, 0), 0).unwrap_err().to_string();
    assert!(err.contains("has a null key"), "{err}");
    w.write(&l, &keyed(2, true), 0).unwrap();
    let files = w.close_all(&l).unwrap();
    assert_eq!(
        files[0].bytes.to_vec().unwrap(),
        b"{\"id\":0}\n{\"id\":2}\n"
    );
    assert_eq!(
        files[1].bytes.to_vec().unwrap(),
        b"{\"id\":0}\n{\"id\":2}\n"
    );
}

#[test]
fn backward_compatibility_rotates_for_a_newer_schema_and_projects_an_older_record() {
    let mut l = layout(Partitioner::Default, 100, None);
    l.compatibility = crate::s3::compatibility::Compatibility::Backward;
    let v1 = Arc::new(
        Schema::structure("v")
            .version(1)
            .field("id", Schema::new(SchemaType::Int64)),
    );
    let v2 = Arc::new(
        Schema::structure("v")
            .version(2)
            .field("id", Schema::new(SchemaType::Int64))
            .field("note", Schema::new(SchemaType::String).optional()),
    );
    let with = |offset: u64, schema: &Arc<Schema>| {
        let mut r = record(offset, 0);
        let mut fields = vec![Value::Int64(offset as i64)];
        if schema.fields.len() == 2 {
            fields.push(Value::String(Arc::from("n")));
        }
        r.value = Some(SchemaAndValue {
            schema: Some(schema.clone()),
            value: Value::Struct(fields),
        });
        r
    };
    let mut w = PartitionWriter::new(Arc::from("pg.public.orders"), 0, &l, 0);
    assert!(w.write(&l, &with(0, &v1), 0).unwrap().is_empty());
    // A newer schema closes the file of the older one.
    let closed = w.write(&l, &with(1, &v2), 0).unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].bytes.to_vec().unwrap(), b"{\"id\":0}\n");
    // An older record goes into the newer file, projected (its missing field null).
    assert!(w.write(&l, &with(2, &v1), 0).unwrap().is_empty());
    let files = w.close_all(&l).unwrap();
    assert_eq!(
        files[0].bytes.to_vec().unwrap(),
        b"{\"id\":1,\"note\":\"n\"}\n{\"id\":2,\"note\":null}\n"
    );
    // Under NONE the older record would have closed the file again.
    l.compatibility = crate::s3::compatibility::Compatibility::None;
    let mut w = PartitionWriter::new(Arc::from("pg.public.orders"), 0, &l, 0);
    w.write(&l, &with(1, &v2), 0).unwrap();
    assert_eq!(w.write(&l, &with(2, &v1), 0).unwrap().len(), 1);
}

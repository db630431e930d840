//! The S3 sink end to end: PostgreSQL → the embedded log → Confluent's `S3SinkConnector` on the
//! same worker → the S3 test server (moto, `scripts/lib/s3.sh`), no Kafka. Objects are listed
//! and read with boto3: their names are Confluent's, their JSON lines are exactly the records,
//! time-based partitions land in their hours, objects above `s3.part.size` go up in parts,
//! a `kill -9` mid-run followed by a restart writes the same objects with the same bytes,
//! no record twice and none missing, and ParquetFormat's and AvroFormat's objects (Confluent's
//! `.snappy.parquet` and `.avro` names) read back by pyarrow and fastavro are exactly the
//! records, types included.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::client::{wait_for_count, Standalone, Worker};
use crate::support::PgFixture;

/// The S3 test server scripts/test.sh started, and boto3 to read it.
struct S3 {
    url: String,
    key: String,
    secret: String,
    python: String,
}

/// An object as boto3 reads it: every stored version's SHA-256 (oldest first; the bucket keeps
/// versions) and the latest body.
#[derive(Debug)]
struct Object {
    versions: Vec<String>,
    body: Vec<u8>,
}

const BOTO: &str = r#"
import base64, hashlib, json, sys, boto3
url, key, secret, bucket, action = sys.argv[1:6]
s3 = boto3.client("s3", endpoint_url=url, aws_access_key_id=key,
                  aws_secret_access_key=secret, region_name="us-east-1")
if action == "create":
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    sys.exit(0)
out = {}
for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
    for v in page.get("Versions", []):
        body = s3.get_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])["Body"].read()
        o = out.setdefault(v["Key"], {"versions": [], "modified": []})
        o["versions"].append((v["LastModified"].timestamp(), hashlib.sha256(body).hexdigest()))
        if v["IsLatest"]:
            o["body"] = base64.b64encode(body).decode()
for o in out.values():
    o["versions"] = [h for _, h in sorted(o["versions"])]
json.dump(out, sys.stdout)
"#;

impl S3 {
    fn from_env() -> S3 {
        let var = |n: &str| {
            std::env::var(n).unwrap_or_else(|_| {
                panic!("{n} is not set: run the tests through scripts/test.sh (scripts/lib/s3.sh)")
            })
        };
        S3 {
            url: var("TRIBUTARY_S3_URL"),
            key: var("TRIBUTARY_S3_ACCESS_KEY"),
            secret: var("TRIBUTARY_S3_SECRET_KEY"),
            python: var("TRIBUTARY_S3_PYTHON"),
        }
    }

    fn boto(&self, bucket: &str, action: &str) -> Vec<u8> {
        let out = Command::new(&self.python)
            .args([
                "-c",
                BOTO,
                &self.url,
                &self.key,
                &self.secret,
                bucket,
                action,
            ])
            .output()
            .expect("run boto3");
        assert!(
            out.status.success(),
            "boto3 {action} {bucket}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// A new versioned bucket.
    fn bucket(&self, name: &str) -> String {
        let name = format!("{name}-{}", std::process::id());
        self.boto(&name, "create");
        name
    }

    fn objects(&self, bucket: &str) -> BTreeMap<String, Object> {
        use base64::Engine as _;
        let listed: BTreeMap<String, Value> =
            serde_json::from_slice(&self.boto(bucket, "list")).expect("boto3's listing");
        listed
            .into_iter()
            .map(|(k, v)| {
                let versions = v["versions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h.as_str().unwrap().to_owned())
                    .collect();
                let body = base64::engine::general_purpose::STANDARD
                    .decode(v["body"].as_str().unwrap_or_default())
                    .unwrap();
                (k, Object { versions, body })
            })
            .collect()
    }

    /// The sink's config: the issue's, with this server's endpoint and credentials.
    fn sink(&self, bucket: &str, topic: &str, extra: &[(&str, &str)]) -> Value {
        let mut config = json!({
            "connector.class": "io.confluent.connect.s3.S3SinkConnector", "tasks.max": "4",
            "topics": topic, "s3.region": "us-east-1", "s3.bucket.name": bucket,
            "s3.part.size": "67108864", "storage.class": "io.confluent.connect.s3.storage.S3Storage",
            "format.class": "io.confluent.connect.s3.format.json.JsonFormat", "flush.size": "10000",
            "rotate.interval.ms": "3600000",
            "store.url": self.url, "aws.access.key.id": self.key, "aws.secret.access.key": self.secret,
        });
        for (k, v) in extra {
            config[*k] = json!(v);
        }
        config
    }
}

fn create(w: &Worker, name: &str, config: Value) {
    let created = w.send(
        "POST",
        "/connectors",
        &json!({"name": name, "config": config}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
}

/// Waits (`secs` at most) until the bucket holds `n` objects.
fn wait_for_objects(
    s3: &S3,
    bucket: &str,
    n: usize,
    secs: u64,
    w: &Worker,
) -> BTreeMap<String, Object> {
    let start = Instant::now();
    loop {
        let objects = s3.objects(bucket);
        if objects.len() >= n {
            return objects;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "{} objects of {n} after {secs} s: {:?}; log:\n{}",
            objects.len(),
            objects.keys().collect::<Vec<_>>(),
            w.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The JSON documents of an object, one per line.
fn lines(body: &[u8]) -> Vec<Value> {
    std::str::from_utf8(body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// A gzip object's bytes, decompressed by Python's gzip module (a reader we did not write).
fn gunzip(body: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let python = std::env::var("TRIBUTARY_S3_PYTHON").unwrap();
    let mut child = Command::new(python)
        .args([
            "-c",
            "import gzip,sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body).unwrap();
    let done = child.wait_with_output().unwrap();
    assert!(done.status.success(), "not a gzip object");
    done.stdout
}

fn key(topic: &str, encoded: &str, start: u64, ext: &str) -> String {
    format!("topics/{topic}/{encoded}/{topic}+0+{start:010}{ext}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issue_s3_config_writes_confluent_object_names_and_only_whole_files() {
    let s3 = S3::from_env();
    let src = PgFixture::start("s3_issue").await;
    src.exec(
        "CREATE TABLE orders (id int PRIMARY KEY, item text, qty int);
         INSERT INTO orders SELECT g, 'item ' || g, g % 7 FROM generate_series(1, 20500) g;",
    )
    .await;
    let topic = "test.public.orders";
    let worker = Standalone::new(
        "offset.flush.interval.ms=500\n",
        "pg",
        src.connector_config(&[]),
    );
    let w = worker.start();
    wait_for_count(&worker.data, topic, 20_500, &|| w.log_text());
    let bucket = s3.bucket("my-data-lake");
    create(&w, "s3-sink", s3.sink(&bucket, topic, &[]));

    let objects = wait_for_objects(&s3, &bucket, 2, 60, &w);
    let names: Vec<&String> = objects.keys().collect();
    assert_eq!(
        names,
        [
            &key(topic, "partition=0", 0, ".json"),
            &key(topic, "partition=0", 10_000, ".json")
        ]
    );
    let mut ids = Vec::new();
    for o in objects.values() {
        for doc in lines(&o.body) {
            assert_eq!(doc["op"], "r", "{doc}");
            assert_eq!(doc["after"]["item"], format!("item {}", doc["after"]["id"]));
            ids.push(doc["after"]["id"].as_i64().unwrap());
        }
    }
    assert_eq!(ids, (1..=20_000).collect::<Vec<_>>());
    // The last 500 records are in a file that is not complete: not written, not committed.
    let start = Instant::now();
    loop {
        let offsets = w.get("/connectors/s3-sink/offsets").json();
        if offsets["offsets"][0]["offset"]["kafka_offset"] == json!(20_000) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "committed: {offsets}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(s3.objects(&bucket).len(), 2);
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hourly_partitions_by_a_row_timestamp_land_in_their_hours_and_big_objects_go_in_parts() {
    let s3 = S3::from_env();
    let src = PgFixture::start("s3_hourly").await;
    // Rows every 10 minutes from midnight; a long text makes the hour-2 object larger than
    // the 5 MiB part size.
    src.exec(
        "CREATE TABLE events (id int PRIMARY KEY, created timestamp(3), note text);
         INSERT INTO events SELECT g, '2024-03-05 00:00'::timestamp + g * interval '10 min',
           CASE WHEN g BETWEEN 12 AND 17 THEN repeat('x', 1200000) ELSE 'n' || g END
           FROM generate_series(1, 18) g;",
    )
    .await;
    let topic = "test.public.events";
    let worker = Standalone::new(
        "offset.flush.interval.ms=500\n",
        "pg",
        src.connector_config(&[("time.precision.mode", "connect")]),
    );
    let w = worker.start();
    wait_for_count(&worker.data, topic, 18, &|| w.log_text());
    let bucket = s3.bucket("hourly");
    create(
        &w,
        "s3-hourly",
        s3.sink(
            &bucket,
            topic,
            &[
                (
                    "partitioner.class",
                    "io.confluent.connect.storage.partitioner.HourlyPartitioner",
                ),
                ("locale", "en-US"),
                ("timezone", "UTC"),
                ("timestamp.extractor", "RecordField"),
                ("timestamp.field", "after.created"),
                ("s3.part.size", "5242880"),
            ],
        ),
    );
    let objects = wait_for_objects(&s3, &bucket, 3, 60, &w);
    let hour = |h: &str| format!("year=2024/month=03/day=05/hour={h}");
    let names: Vec<&String> = objects.keys().collect();
    // 00:10–00:50 are offsets 0–4, 01:00–01:50 are 5–10, 02:00–02:50 are 11–16; 03:00 opens
    // the next file, which is not complete.
    assert_eq!(
        names,
        [
            &key(topic, &hour("00"), 0, ".json"),
            &key(topic, &hour("01"), 5, ".json"),
            &key(topic, &hour("02"), 11, ".json"),
        ]
    );
    let ids = |k: &str| -> Vec<i64> {
        lines(&objects[k].body)
            .iter()
            .map(|d| d["after"]["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids(names[0]), [1, 2, 3, 4, 5]);
    assert_eq!(ids(names[1]), [6, 7, 8, 9, 10, 11]);
    assert_eq!(ids(names[2]), [12, 13, 14, 15, 16, 17]);
    assert!(
        objects[names[2]].body.len() > 5 * 1024 * 1024,
        "a multipart object"
    );
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_run_then_restart_rewrites_the_same_objects_byte_for_byte() {
    const ROWS: u64 = 40_000;
    let s3 = S3::from_env();
    let src = PgFixture::start("s3_kill").await;
    src.exec(&format!(
        "CREATE TABLE items (id int PRIMARY KEY, name text, qty int);
         INSERT INTO items SELECT g, 'n' || g, g % 97 FROM generate_series(1, {ROWS}) g;"
    ))
    .await;
    let topic = "test.public.items";
    // Positions are committed every second: a kill loses some, and the objects they cover are
    // written again after the restart.
    let worker = Standalone::new(
        "offset.flush.interval.ms=1000\n",
        "pg",
        src.connector_config(&[]),
    );
    let w = worker.start();
    wait_for_count(&worker.data, topic, ROWS, &|| w.log_text());
    assert_eq!(
        w.request("PUT", "/connectors/pg/stop", None, b"").status,
        204
    );
    let bucket = s3.bucket("kill");
    create(
        &w,
        "s3-kill",
        s3.sink(
            &bucket,
            topic,
            &[("flush.size", "1000"), ("s3.compression.type", "gzip")],
        ),
    );
    let before = wait_for_objects(&s3, &bucket, 5, 60, &w);
    drop(w); // SIGKILL
    assert!(before.len() < 40, "the sink finished before the kill");
    let w = worker.start();
    let after = wait_for_objects(&s3, &bucket, 40, 120, &w);
    let want: Vec<String> = (0..40)
        .map(|i| key(topic, "partition=0", i * 1000, ".json.gz"))
        .collect();
    assert_eq!(after.keys().cloned().collect::<Vec<_>>(), want);
    // Every version of every object (those written before the kill and again after it) has
    // the same bytes.
    let mut rewritten = 0;
    for (k, o) in &after {
        assert!(
            o.versions.iter().all(|v| *v == o.versions[0]),
            "{k}: {:?}",
            o.versions
        );
        rewritten += usize::from(o.versions.len() > 1);
    }
    for (k, o) in &before {
        assert_eq!(after[k].body, o.body, "{k} changed after the restart");
    }
    eprintln!(
        "{} objects before the kill, {rewritten} written again after it",
        before.len()
    );
    let mut ids = Vec::new();
    for o in after.values() {
        ids.extend(
            lines(&gunzip(&o.body))
                .iter()
                .map(|d| d["after"]["id"].as_u64().unwrap()),
        );
    }
    assert_eq!(
        ids,
        (1..=ROWS).collect::<Vec<_>>(),
        "no record twice, none missing"
    );
    w.stop();
}

#[test]
fn validate_names_what_the_s3_sink_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::serve(dir.path());
    let mut config = json!({
        "connector.class": "io.confluent.connect.s3.S3SinkConnector", "topics": "t",
        "s3.bucket.name": "b", "flush.size": "10",
        "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat",
        "parquet.codec": "lzo", "behavior.on.null.values": "write",
    });
    config["name"] = json!("s3");
    let r = w.send(
        "PUT",
        "/connector-plugins/io.confluent.connect.s3.S3SinkConnector/config/validate",
        &config,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    let errors = |name: &str| -> Vec<String> {
        body["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == name)
            .map(|c| {
                c["value"]["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    // ParquetFormat is implemented; its lzo codec is not.
    assert!(errors("format.class").is_empty(), "{body}");
    let codec = errors("parquet.codec");
    assert!(codec.iter().any(|e| e.contains("lzo")), "{codec:?}");
    // Writing tombstones keeps their keys: it needs store.kafka.keys.
    let nulls = errors("behavior.on.null.values");
    assert!(
        nulls.iter().any(|e| e.contains("store.kafka.keys=true")),
        "{nulls:?}"
    );
    w.stop();
}

/// A table with a column of each kind the format tests read back: int, bigint, numeric,
/// unicode text, timestamptz, date, boolean, bytea; row 3 is NULL but for its key.
async fn typed_table(src: &PgFixture, rows: u32) {
    src.exec(&format!(
        r"CREATE TABLE kinds (id int PRIMARY KEY, big bigint, amount numeric(10,2), note text,
             at timestamptz(3), day date, flag boolean, data bytea);
         INSERT INTO kinds VALUES
           (1, 9223372036854775807, 12345678.90, 'héllo wörld ✓ 日本語 🎉 \x', '2024-03-05 12:34:56.789+00',
            '2024-02-29', true, '\x00ff10'),
           (2, -9223372036854775808, -0.01, '', '1970-01-01 00:00:00+00', '1970-01-01', false, ''),
           (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
         INSERT INTO kinds SELECT g, g::bigint * 1000000007, (g * 1.25)::numeric(10,2),
           'row ' || g || ' ✓', timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute',
           date '2000-01-01' + g, g % 2 = 0, int4send(g) FROM generate_series(4, {rows}) g;"
    ))
    .await;
}

/// Row `id` of [`typed_table`] as plain values: (big, amount, note, at, days since the epoch,
/// flag, data as hex), `None` for NULL.
#[allow(clippy::type_complexity)]
fn typed_row(id: i64) -> Option<(i64, String, String, String, i64, bool, String)> {
    match id {
        1 => Some((
            i64::MAX,
            "12345678.90".into(),
            "héllo wörld ✓ 日本語 🎉 \\x".into(),
            "2024-03-05T12:34:56.789Z".into(),
            19_782,
            true,
            "00ff10".into(),
        )),
        2 => Some((
            i64::MIN,
            "-0.01".into(),
            String::new(),
            "1970-01-01T00:00:00.000Z".into(),
            0,
            false,
            String::new(),
        )),
        3 => None,
        g => {
            let cents = g * 125;
            Some((
                g * 1_000_000_007,
                format!("{}.{:02}", cents / 100, cents % 100),
                format!("row {g} ✓"),
                format!(
                    "2024-01-{:02}T{:02}:{:02}:00.000Z",
                    1 + g / 1440,
                    g % 1440 / 60,
                    g % 60
                ),
                10_957 + g,
                g % 2 == 0,
                format!("{g:08x}"),
            ))
        }
    }
}

/// `days` since 1970-01-01 as `YYYY-MM-DD` (Howard Hinnant's civil_from_days).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// What readers we did not write (pyarrow for Parquet, fastavro for Avro) make of an object:
/// tests/python/s3_format_read.py's JSON, every value tagged with its type.
fn read_with_python(name: &str, body: &[u8]) -> Value {
    let python = std::env::var("TRIBUTARY_PYTHON")
        .or_else(|_| std::env::var("TRIBUTARY_S3_PYTHON"))
        .expect("TRIBUTARY_PYTHON: run the tests through scripts/test.sh");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name.rsplit('/').next().unwrap());
    std::fs::write(&path, body).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/s3_format_read.py"
    );
    let out = Command::new(python)
        .arg(script)
        .arg(&path)
        .output()
        .expect("run s3_format_read.py");
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the reader's JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issue_config_with_parquet_writes_snappy_parquet_objects_pyarrow_reads_exactly() {
    const ROWS: u32 = 10_004;
    let s3 = S3::from_env();
    let src = PgFixture::start("s3_parquet").await;
    typed_table(&src, ROWS).await;
    let topic = "test.public.kinds";
    // Dates as Connect's Date (a Parquet DATE); the Avro test keeps Debezium's default.
    let worker = Standalone::new(
        "offset.flush.interval.ms=500\n",
        "pg",
        src.connector_config(&[("time.precision.mode", "connect")]),
    );
    let w = worker.start();
    wait_for_count(&worker.data, topic, u64::from(ROWS), &|| w.log_text());
    let bucket = s3.bucket("parquet-lake");
    create(
        &w,
        "s3-parquet",
        s3.sink(
            &bucket,
            topic,
            &[(
                "format.class",
                "io.confluent.connect.s3.format.parquet.ParquetFormat",
            )],
        ),
    );
    let objects = wait_for_objects(&s3, &bucket, 1, 60, &w);
    let name = key(topic, "partition=0", 0, ".snappy.parquet");
    assert_eq!(objects.keys().collect::<Vec<_>>(), [&name]);
    let read = read_with_python(&name, &objects[&name].body);
    assert_eq!(read["codecs"], json!(["SNAPPY"]), "{}", read["codecs"]);
    assert_eq!(read["metadata"]["writer.model.name"], "avro");
    assert!(read["metadata"]["parquet.avro.schema"]
        .as_str()
        .unwrap()
        .contains("\"connect.name\":\"test.public.kinds.Envelope\""));
    // pyarrow's schema text: the `after` struct's children, one a line.
    let schema = read["schema"].as_str().unwrap();
    let after: Vec<&str> = schema
        .lines()
        .skip_while(|l| !l.starts_with("after: struct<"))
        .skip(1)
        .take(8)
        .map(str::trim)
        .collect();
    assert_eq!(
        after,
        [
            "child 0, id: int32 not null",
            "child 1, big: int64",
            "child 2, amount: decimal128(10, 2)",
            "child 3, note: string",
            "child 4, at: string",
            "child 5, day: date32[day]",
            "child 6, flag: bool",
            "child 7, data: binary",
        ],
        "{schema}"
    );
    let rows = read["rows"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        10_000,
        "flush.size records, the rest not complete"
    );
    for (i, row) in rows.iter().enumerate() {
        let id = i as i64 + 1;
        assert_eq!(row["op"], json!({"string": "r"}), "{row}");
        assert_eq!(row["before"], Value::Null, "{row}");
        let after = match typed_row(id) {
            None => json!({"struct": {
                "id": {"int32": id}, "big": null, "amount": null, "note": null, "at": null,
                "day": null, "flag": null, "data": null,
            }}),
            Some((big, amount, note, at, days, flag, data)) => json!({"struct": {
                "id": {"int32": id},
                "big": {"int64": big},
                "amount": {"decimal128(10, 2)": amount},
                "note": {"string": note},
                "at": {"string": at},
                "day": {"date32[day]": civil(days)},
                "flag": {"bool": flag},
                "data": {"binary": data},
            }}),
        };
        assert_eq!(row["after"], after, "row {id}");
    }
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_format_writes_avro_objects_fastavro_reads_exactly() {
    const ROWS: u32 = 2_005;
    let s3 = S3::from_env();
    let src = PgFixture::start("s3_avro").await;
    typed_table(&src, ROWS).await;
    let topic = "test.public.kinds";
    let worker = Standalone::new(
        "offset.flush.interval.ms=500\n",
        "pg",
        src.connector_config(&[]),
    );
    let w = worker.start();
    wait_for_count(&worker.data, topic, u64::from(ROWS), &|| w.log_text());
    let bucket = s3.bucket("avro-lake");
    create(
        &w,
        "s3-avro",
        s3.sink(
            &bucket,
            topic,
            &[
                (
                    "format.class",
                    "io.confluent.connect.s3.format.avro.AvroFormat",
                ),
                ("avro.codec", "deflate"),
                ("flush.size", "1000"),
            ],
        ),
    );
    let objects = wait_for_objects(&s3, &bucket, 2, 60, &w);
    let names = [
        key(topic, "partition=0", 0, ".avro"),
        key(topic, "partition=0", 1000, ".avro"),
    ];
    assert_eq!(
        objects.keys().collect::<Vec<_>>(),
        names.iter().collect::<Vec<_>>()
    );
    let mut id = 0;
    for name in &names {
        let read = read_with_python(name, &objects[name].body);
        assert_eq!(read["codec"], "deflate");
        assert_eq!(read["schema"]["connect.name"], "test.public.kinds.Envelope");
        let rows = read["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1000, "{name}");
        for row in rows {
            id += 1;
            let (record, fields) = row
                .as_object()
                .and_then(|o| o.iter().next())
                .expect("a record");
            assert!(record.starts_with("record "), "{row}");
            assert_eq!(fields["op"], json!({"string": "r"}), "{row}");
            assert_eq!(fields["before"], Value::Null, "{row}");
            let after = fields["after"].as_object().unwrap();
            assert_eq!(after.len(), 1);
            let (value_name, after) = after.iter().next().unwrap();
            assert!(value_name.ends_with("Value"), "{value_name}");
            let expected = match typed_row(id) {
                None => json!({
                    "id": {"int": id}, "big": null, "amount": null, "note": null, "at": null,
                    "day": null, "flag": null, "data": null,
                }),
                // Debezium's default io.debezium.time.Date: days since the epoch, a plain int.
                Some((big, amount, note, at, days, flag, data)) => json!({
                    "id": {"int": id},
                    "big": {"long": big},
                    "amount": {"decimal(10,2)": amount},
                    "note": {"string": note},
                    "at": {"string": at},
                    "day": {"int": days},
                    "flag": {"boolean": flag},
                    "data": {"bytes": data},
                }),
            };
            assert_eq!(*after, expected, "row {id}");
        }
    }
    assert_eq!(id, 2000);
    w.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_keys_and_headers_sit_beside_the_values_and_tombstones_keep_their_keys() {
    let s3 = S3::from_env();
    let src = PgFixture::start("s3_keys").await;
    src.exec(
        "CREATE TABLE items (id int PRIMARY KEY, name text);
         INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 4) g;",
    )
    .await;
    let topic = "test.public.items";
    let worker = Standalone::new(
        "offset.flush.interval.ms=500\n",
        "pg",
        src.connector_config(&[]),
    );
    let w = worker.start();
    wait_for_count(&worker.data, topic, 4, &|| w.log_text());
    // A delete (then its tombstone) and an insert: offsets 4, 5 and 6.
    src.exec("DELETE FROM items WHERE id = 2; INSERT INTO items VALUES (5, 'item 5');")
        .await;
    wait_for_count(&worker.data, topic, 7, &|| w.log_text());
    let bucket = s3.bucket("keys-lake");
    create(
        &w,
        "s3-keys",
        s3.sink(
            &bucket,
            topic,
            &[
                ("flush.size", "7"),
                ("store.kafka.keys", "true"),
                ("store.kafka.headers", "true"),
                (
                    "headers.format.class",
                    "io.confluent.connect.s3.format.json.JsonFormat",
                ),
                ("behavior.on.null.values", "write"),
                ("transforms", "origin"),
                (
                    "transforms.origin.type",
                    "org.apache.kafka.connect.transforms.InsertHeader",
                ),
                ("transforms.origin.header", "origin"),
                ("transforms.origin.value.literal", "pg"),
            ],
        ),
    );
    let objects = wait_for_objects(&s3, &bucket, 5, 60, &w);
    let data = key(topic, "partition=0", 0, "");
    let tombstones = key(topic, "tombstone", 5, "");
    let names: Vec<String> = vec![
        format!("{data}.headers.json"),
        format!("{data}.json"),
        format!("{data}.keys.avro"),
        format!("{tombstones}.headers.json"),
        format!("{tombstones}.keys.avro"),
    ];
    assert_eq!(
        objects.keys().collect::<Vec<_>>(),
        names.iter().collect::<Vec<_>>()
    );
    // Values: the six records with one, in order; the tombstone has none.
    let values = lines(&objects[&names[1]].body);
    let ops: Vec<(String, i64)> = values
        .iter()
        .map(|d| {
            let row = if d["op"] == "d" {
                &d["before"]
            } else {
                &d["after"]
            };
            (
                d["op"].as_str().unwrap().to_owned(),
                row["id"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, i64)> = [("r", 1), ("r", 2), ("r", 3), ("r", 4), ("d", 2), ("c", 5)]
        .iter()
        .map(|(o, i)| ((*o).to_owned(), *i))
        .collect();
    assert_eq!(ops, expected);
    // Keys, read by fastavro: aligned with the values line by line.
    let key_ids = |name: &str| -> Vec<Value> {
        let read = read_with_python(name, &objects[name].body);
        assert_eq!(read["schema"]["connect.name"], "test.public.items.Key");
        read["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let (record, fields) = r.as_object().and_then(|o| o.iter().next()).unwrap();
                assert!(
                    record.starts_with("record ") && record.ends_with("Key"),
                    "{r}"
                );
                fields["id"].clone()
            })
            .collect()
    };
    let ints = |ids: &[i32]| -> Vec<Value> { ids.iter().map(|i| json!({"int": i})).collect() };
    assert_eq!(key_ids(&names[2]), ints(&[1, 2, 3, 4, 2, 5]));
    assert_eq!(key_ids(&names[4]), ints(&[2]));
    // Headers, enveloped for JSON as Confluent's HeaderRecordView: every record's.
    for (name, n) in [(&names[0], 6), (&names[3], 1)] {
        let docs = lines(&objects[name].body);
        assert_eq!(docs.len(), n, "{name}");
        for doc in docs {
            let headers = doc["headers"].as_array().expect("{\"headers\": [...]}");
            assert!(
                headers.contains(&json!({"key": "origin", "value": "pg"})),
                "{doc}"
            );
        }
    }
    w.stop();
}

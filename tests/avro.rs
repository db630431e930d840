//! Avro end to end, checked by Confluent's own Python client: every value of the PostgreSQL
//! type golden tests (`crates/pg-wal/tests/type_families.rs`), snapshotted and streamed, is written by
//! two connectors on one worker — one with the JsonConverter, one with the AvroConverter on the
//! embedded registry — and `confluent_kafka`'s `SchemaRegistryClient` + `AvroDeserializer`,
//! talking to the worker's registry, must decode every Avro event to what the JsonConverter
//! wrote. A column added mid-stream registers a second schema version; both decode.
//!
//! The Avro bytes are read from the embedded log (`topics tail --hex`); with the Kafka backend
//! they will come from the broker.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

use crate::support::PgFixture;
use crate::worker::stop;

struct Family {
    name: String,
    setup: String,
    sql_type: String,
    values: Vec<String>,
}

include!("../crates/pg-wal/tests/type_families.rs");

macro_rules! as_families {
    ($($name:ident: $setup:expr, $ty:expr, [$($v:expr),* $(,)?];)*) => {
        vec![$(Family {
            name: stringify!($name).to_owned(),
            setup: $setup.to_owned(),
            sql_type: $ty.to_owned(),
            values: vec![$($v.to_owned()),*],
        }),*]
    };
}

/// The golden type families (`crates/pg-wal/tests/type_families.rs`).
fn families() -> Vec<Family> {
    type_families!(as_families)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn python() -> String {
    std::env::var("TRIBUTARY_PYTHON").unwrap_or_else(|_| {
        panic!("TRIBUTARY_PYTHON is not set: run through scripts/test.sh, which makes a venv with confluent-kafka")
    })
}

/// The worker process; killed if the test fails before stopping it.
struct Worker(Option<Child>);

impl Worker {
    fn stop(&mut self) {
        if let Some(mut c) = self.0.take() {
            stop(&mut c);
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

struct Avro {
    root: PathBuf,
    data: PathBuf,
    registry: String,
    /// The Kafka broker the worker writes to; `None` for the embedded log.
    bootstrap: Option<String>,
    /// Topic prefixes of the JSON and the Avro connector.
    prefixes: (String, String),
}

impl Avro {
    /// A worker on the embedded log (`bootstrap` `None`) or on the Kafka broker at `bootstrap`,
    /// with a JsonConverter and an AvroConverter connector on the embedded registry.
    fn new(db: &PgFixture, bootstrap: Option<&str>) -> Avro {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(&db.dbname);
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let port = free_port();
        let mut properties = format!("schema.registry.listeners=http://127.0.0.1:{port}\n");
        if let Some(b) = bootstrap {
            properties.push_str(&format!("bootstrap.servers={b}\n"));
        }
        std::fs::write(root.join("worker.properties"), properties).unwrap();
        // On the shared broker every run needs topics of its own.
        let prefixes = match bootstrap {
            Some(_) => (format!("j_{}", db.dbname), format!("a_{}", db.dbname)),
            None => ("j".to_owned(), "a".to_owned()),
        };
        for (prefix, converter) in [
            (&prefixes.0, "org.apache.kafka.connect.json.JsonConverter"),
            (&prefixes.1, "io.confluent.connect.avro.AvroConverter"),
        ] {
            let config: serde_json::Map<String, Json> = db
                .connector_config(&[
                    ("topic.prefix", prefix),
                    ("slot.name", &db.unique(&format!("slot_{}", &prefix[..1]))),
                    (
                        "publication.name",
                        &db.unique(&format!("pub_{}", &prefix[..1])),
                    ),
                    ("key.converter", converter),
                    ("key.converter.schemas.enable", "false"),
                    ("value.converter", converter),
                    ("value.converter.schemas.enable", "false"),
                    ("topic.creation.default.partitions", "1"),
                    ("topic.creation.default.replication.factor", "1"),
                ])
                .into_iter()
                .map(|(k, v)| (k, Json::String(v)))
                .collect();
            std::fs::write(
                root.join(format!("{}.json", &prefix[..1])),
                json!({"name": format!("{prefix}-connector"), "config": config}).to_string(),
            )
            .unwrap();
        }
        Avro {
            data: root.join("data"),
            registry: format!("http://127.0.0.1:{port}"),
            root,
            bootstrap: bootstrap.map(str::to_owned),
            prefixes,
        }
    }

    /// The JSON and the Avro connector's topic of `table`.
    fn topics(&self, table: &str) -> (String, String) {
        (
            format!("{}.public.{table}", self.prefixes.0),
            format!("{}.public.{table}", self.prefixes.1),
        )
    }

    fn start(&self) -> Worker {
        let log = std::fs::File::create(self.root.join("worker.log")).unwrap();
        Command::new(env!("CARGO_BIN_EXE_tributary"))
            .args(["standalone", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&self.data)
            .arg(self.root.join("worker.properties"))
            .arg(self.root.join("j.json"))
            .arg(self.root.join("a.json"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .map(|c| Worker(Some(c)))
            .expect("start the tributary binary")
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.root.join("worker.log")).unwrap_or_default()
    }

    /// `topics tail --keys`, with `--hex` or decoding through `registry`.
    fn tail(&self, topic: &str, hex: bool, registry: Option<&str>) -> Vec<(String, String)> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tributary"));
        cmd.args([
            "topics",
            "tail",
            topic,
            "--from-beginning",
            "--keys",
            "--data-dir",
        ])
        .arg(&self.data);
        if hex {
            cmd.arg("--hex");
        }
        if let Some(url) = registry {
            cmd.args(["--schema-registry-url", url]);
        }
        let out = cmd.output().expect("run tributary topics tail");
        assert!(
            out.status.success(),
            "topics tail {topic}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                let (k, v) = l.split_once('\t').expect("key<TAB>value");
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    fn counts(&self) -> std::collections::HashMap<String, u64> {
        let out = Command::new(env!("CARGO_BIN_EXE_tributary"))
            .args(["topics", "list", "--data-dir"])
            .arg(&self.data)
            .output()
            .expect("run tributary topics list");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let (t, n) = l.split_once('\t')?;
                Some((t.to_owned(), n.parse().ok()?))
            })
            .collect()
    }

    /// Waits until every topic holds its number of records (read back from the broker on Kafka).
    fn wait_for(&self, topics: &[(String, u64)]) {
        let start = Instant::now();
        loop {
            let counts = match &self.bootstrap {
                Some(b) => crate::kafka::broker::counts(b, topics.iter().map(|(t, _)| t.as_str())),
                None => self.counts(),
            };
            let missing: Vec<_> = topics
                .iter()
                .filter(|(t, n)| counts.get(t).copied().unwrap_or(0) < *n)
                .collect();
            if missing.is_empty() {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "topics short of records after 120 s: {missing:?}; worker log:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Runs the Python decoder over the Avro and JSON records of `tables` (`expected` records
    /// each): read from the embedded log here, or, on Kafka, by Confluent's consumer itself.
    fn decode_with_confluent(&self, tables: &[(String, u64)]) -> String {
        let pairs: Vec<Json> = tables
            .iter()
            .map(|(t, expected)| {
                let (json_topic, avro) = self.topics(t);
                if self.bootstrap.is_some() {
                    return json!({"avro": avro, "json": json_topic, "expected": expected});
                }
                let json_records: Vec<Json> = self
                    .tail(&json_topic, false, None)
                    .into_iter()
                    .map(|(k, v)| {
                        json!([
                            serde_json::from_str::<Json>(&k).unwrap(),
                            serde_json::from_str::<Json>(&v).unwrap()
                        ])
                    })
                    .collect();
                let avro_records: Vec<Json> = self
                    .tail(&avro, true, None)
                    .into_iter()
                    .map(|(k, v)| json!([k, v]))
                    .collect();
                json!({"avro": avro, "json": json_topic,
                       "avro_records": avro_records, "json_records": json_records})
            })
            .collect();
        let manifest = self.root.join("manifest.json");
        std::fs::write(
            &manifest,
            json!({"pairs": pairs, "bootstrap": self.bootstrap}).to_string(),
        )
        .unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/avro_decode.py");
        let out = Command::new(python())
            .arg(script)
            .arg(&self.registry)
            .arg(&manifest)
            .output()
            .expect("run the Python decoder");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "Confluent's AvroDeserializer disagrees with the JsonConverter:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluents_avro_deserializer_decodes_every_golden_type_like_the_json_converter() {
    golden_types_decode_like_the_json_converter(None).await;
}

/// The golden-type scenario: every family snapshotted and streamed by a JSON and an Avro
/// connector on one worker (on the embedded log, or on Kafka at `bootstrap`), then decoded by
/// Confluent's `AvroDeserializer` against the worker's registry and compared with the JSON.
pub(crate) async fn golden_types_decode_like_the_json_converter(bootstrap: Option<&str>) {
    let families = families();
    assert!(
        families.len() >= 30,
        "parsed only {} families",
        families.len()
    );
    let tag = if bootstrap.is_some() {
        "kafka_avro_golden"
    } else {
        "avro_golden"
    };
    let db = PgFixture::start(tag).await;
    let mut setup = String::new();
    for f in &families {
        if !f.setup.is_empty() {
            setup.push_str(&f.setup);
            setup.push_str(";\n");
        }
        setup.push_str(&format!(
            "CREATE TABLE t_{} (id int PRIMARY KEY, v {});\n",
            f.name, f.sql_type
        ));
    }
    db.exec(&setup).await;
    let insert = |base: usize| {
        families
            .iter()
            .flat_map(|f| {
                f.values.iter().enumerate().map(move |(i, v)| {
                    format!("INSERT INTO t_{} VALUES ({}, {v});\n", f.name, base + i)
                })
            })
            .collect::<String>()
    };
    db.exec(&insert(0)).await;
    // The schema change table: one row before the new column, one after.
    db.exec("CREATE TABLE t_change (id int PRIMARY KEY, a text); INSERT INTO t_change VALUES (1, 'before');")
        .await;

    // The connectors run as the least-privileged user: the superuser creates their
    // publications (`FOR ALL TABLES` needs one).
    for side in ["j", "a"] {
        db.create_publication(&db.unique(&format!("pub_{side}")))
            .await;
    }
    let w = Avro::new(&db, bootstrap);
    let mut worker = w.start();
    // (table, records per connector)
    let mut tables: Vec<(String, u64)> = families
        .iter()
        .map(|f| (format!("t_{}", f.name), f.values.len() as u64))
        .collect();
    let expected = |tables: &[(String, u64)]| -> Vec<(String, u64)> {
        tables
            .iter()
            .flat_map(|(t, n)| {
                let (j, a) = w.topics(t);
                [(j, *n), (a, *n)]
            })
            .collect()
    };
    w.wait_for(&expected(&tables));
    // Streaming: the same values again, through pgoutput.
    db.exec(&insert(100)).await;
    db.exec(
        "ALTER TABLE t_change ADD COLUMN b bigint; INSERT INTO t_change VALUES (2, 'after', 42);",
    )
    .await;
    for t in &mut tables {
        t.1 *= 2;
    }
    tables.push(("t_change".into(), 2));
    w.wait_for(&expected(&tables));

    // The column added mid-stream registered a second version of the value subject.
    let (_, change_topic) = w.topics("t_change");
    let http = reqwest::Client::new();
    let versions: Json = http
        .get(format!(
            "{}/subjects/{change_topic}-value/versions",
            w.registry
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(versions, json!([1, 2]), "worker log:\n{}", w.log_text());

    let summary = tokio::task::block_in_place(|| w.decode_with_confluent(&tables));
    let events: u64 = tables.iter().map(|(_, n)| n).sum();
    assert!(
        summary.contains(&format!("decoded {events} events")),
        "{summary}"
    );
    if bootstrap.is_some() {
        worker.stop();
        return;
    }

    // `topics tail` shows Avro records decoded (through the running worker's registry).
    let shown = w.tail(&change_topic, false, Some(&w.registry));
    let last: Json = serde_json::from_str(&shown[1].1).unwrap();
    assert_eq!(last["after"], json!({"id": 2, "a": "after", "b": 42}));
    worker.stop();
    // ... and from the data directory's registry when no worker runs.
    let shown = w.tail(&change_topic, false, None);
    let first: Json = serde_json::from_str(&shown[0].1).unwrap();
    assert_eq!(first["after"], json!({"id": 1, "a": "before"}));
}

//! Column masking end to end: what a connector is told to mask or hash never leaves the
//! database in clear, neither in the records nor anywhere the worker writes (its data
//! directory, its log, the Kafka topics). Debezium's semantics of each mapper are the
//! differential tests' (`differential::pg::column_masking_*`).

use std::path::Path;
use std::time::Duration;

use sha2::Digest;

use crate::kafka::broker;
use crate::support::PgFixture;
use crate::worker::{stop, WorkerDir};

/// Values that must never be written: SSNs (masked) and card numbers (hashed), snapshot and
/// streamed, before and after images.
const SECRETS: &[&str] = &[
    "SSN-SNAPSHOT-4f1c9a",
    "SSN-UPDATED-d29e07",
    "SSN-DELETED-77ab3c",
    "SSN-STREAMED-0c5e81",
    "CARD-SNAPSHOT-4111111111111111",
    "CARD-DELETED-5500005555555559",
    "CARD-STREAMED-340000000000009",
];
/// Values of an unmasked column, which must be found where the secrets are looked for.
const VISIBLE: &[&str] = &["NOTE-VISIBLE-1b2e", "NOTE-VISIBLE-7d3f"];

/// Every file under `dir`, with its bytes.
pub(super) fn files(dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
}

pub(super) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn masked_columns_never_leave_in_clear(bootstrap: Option<&str>) {
    let tag = if bootstrap.is_some() { "kafka" } else { "log" };
    let db = PgFixture::start(&format!("masking_{tag}")).await;
    db.exec(&format!(
        "CREATE TABLE people (id int PRIMARY KEY, ssn varchar(40) NOT NULL, card text, note text);
         ALTER TABLE people REPLICA IDENTITY FULL;
         INSERT INTO people VALUES (1, '{}', '{}', '{}'), (2, '{}', '{}', NULL);",
        SECRETS[0], SECRETS[4], VISIBLE[0], SECRETS[2], SECRETS[5]
    ))
    .await;
    let prefix = format!("masked_{tag}_{}", db.dbname);
    let mut dir = WorkerDir::with_config(&format!("{}_{tag}", db.dbname), |more| {
        let mut all = more.to_vec();
        all.extend_from_slice(&[
            ("topic.prefix", prefix.as_str()),
            ("column.mask.with.5.chars", "public\\.people\\.ssn"),
            (
                "column.mask.hash.v2.SHA-256.with.salt.s4lt",
                "public\\.people\\.card",
            ),
        ]);
        db.connector_config(&all)
    });
    if let Some(b) = bootstrap {
        dir = dir.with_worker_properties(&[("bootstrap.servers", b)]);
    }
    let mut worker = dir.start();
    let topic = format!("{prefix}.public.people");
    let read_topic = |n: usize| -> Vec<serde_json::Value> {
        match bootstrap {
            None => {
                dir.wait_for(&topic, n as u64, Duration::from_secs(60));
                dir.values(&topic)
            }
            Some(b) => broker::read_all(b, &topic, n, Duration::from_secs(60))
                .into_iter()
                .map(|r| match r.value {
                    Some(v) => serde_json::from_slice(&v).unwrap(),
                    None => serde_json::Value::Null,
                })
                .collect(),
        }
    };
    assert_eq!(read_topic(2).len(), 2, "{}", dir.log_text());
    db.exec(&format!(
        "INSERT INTO people VALUES (3, '{}', '{}', '{}');
         UPDATE people SET ssn = '{}' WHERE id = 1;
         DELETE FROM people WHERE id = 2;",
        SECRETS[3], SECRETS[6], VISIBLE[1], SECRETS[1]
    ))
    .await;
    // Snapshot 2, insert, update, delete and its tombstone.
    let values = read_topic(6);
    assert_eq!(values.len(), 6, "{}", dir.log_text());
    stop(&mut worker);

    // The records: the masks and hashes are there, the notes in clear.
    let hash = |card: &str| hex(&sha2::Sha256::digest(format!("s4lt{card}").as_bytes()));
    let images: Vec<&serde_json::Value> = values
        .iter()
        .flat_map(|v| [&v["before"], &v["after"]])
        .filter(|i| i.is_object())
        .collect();
    for image in &images {
        assert_eq!(image["ssn"], "*****", "{image}");
    }
    let cards: Vec<&str> = images.iter().filter_map(|i| i["card"].as_str()).collect();
    for (i, secret) in [SECRETS[4], SECRETS[5], SECRETS[6]].iter().enumerate() {
        assert!(
            cards.contains(&hash(secret).as_str()),
            "card {i} hashed as Debezium's v2 does: {cards:?}"
        );
    }
    let text = serde_json::to_string(&values).unwrap();
    for note in VISIBLE {
        assert!(text.contains(note), "the unmasked note {note} is written");
    }

    // Nowhere in clear: every file the worker wrote (data directory, log), and, on Kafka, every
    // record of every topic it wrote (keys, values, headers).
    let mut written = Vec::new();
    files(&dir.root, &mut written);
    if let Some(b) = bootstrap {
        for t in crate::differential::topics_with_prefix(b, &prefix) {
            for r in broker::read_all(b, &t, 0, Duration::from_secs(30)) {
                let mut bytes = r.key.unwrap_or_default();
                bytes.extend(r.value.unwrap_or_default());
                for (k, v) in r.headers {
                    bytes.extend(k.into_bytes());
                    bytes.extend(v);
                }
                written.push((Path::new(&t).to_owned(), bytes));
            }
        }
    } else {
        // The log's chunks may be compressed: its records as the CLI decodes them too.
        for (t, _) in dir.topics() {
            let decoded = serde_json::to_vec(&dir.values(&t)).unwrap();
            written.push((Path::new(&t).to_owned(), decoded));
        }
    }
    for secret in SECRETS {
        for (path, bytes) in &written {
            assert!(
                !contains(bytes, secret),
                "{secret} is in clear in {}",
                path.display()
            );
        }
    }
    for note in VISIBLE {
        assert!(
            written.iter().any(|(_, bytes)| contains(bytes, note)),
            "the search finds {note}, written in clear"
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masked_and_hashed_columns_are_nowhere_in_clear_on_the_embedded_log() {
    masked_columns_never_leave_in_clear(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masked_and_hashed_columns_are_nowhere_in_clear_on_kafka() {
    masked_columns_never_leave_in_clear(Some(&broker::bootstrap())).await;
}

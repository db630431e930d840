//! The `_bulk` API's text: actions as NDJSON (action line, then the document), cut into requests
//! by `batch.size` and `bulk.size.bytes`, and the response read item by item into outcomes
//! (the same JSON on Elasticsearch 7/8 and OpenSearch 2).

use serde_json::{json, Value as Json};

use super::document::Action;

/// The NDJSON lines of one action.
pub fn write_action(out: &mut Vec<u8>, action: &Action) {
    let line = match action {
        Action::Index {
            index,
            create,
            id,
            version,
            ..
        } => {
            let mut meta = json!({"_index": index});
            if let Some(id) = id {
                meta["_id"] = json!(id);
            }
            if let Some(v) = version {
                meta["version"] = json!(v);
                meta["version_type"] = json!("external");
            }
            if *create {
                json!({ "create": meta })
            } else {
                json!({ "index": meta })
            }
        }
        Action::Upsert {
            index,
            id,
            retry_on_conflict,
            ..
        } => {
            json!({"update": {"_index": index, "_id": id, "retry_on_conflict": retry_on_conflict}})
        }
        Action::Delete { index, id, version } => {
            let mut meta = json!({"_index": index, "_id": id});
            if let Some(v) = version {
                meta["version"] = json!(v);
                meta["version_type"] = json!("external");
            }
            json!({ "delete": meta })
        }
    };
    serde_json::to_writer(&mut *out, &line).expect("writing to a Vec");
    out.push(b'\n');
    match action {
        Action::Index { source, .. } => {
            out.extend_from_slice(source);
            out.push(b'\n');
        }
        Action::Upsert { source, .. } => {
            out.extend_from_slice(b"{\"doc\":");
            out.extend_from_slice(source);
            out.extend_from_slice(b",\"upsert\":");
            out.extend_from_slice(source);
            out.extend_from_slice(b"}\n");
        }
        Action::Delete { .. } => {}
    }
}

/// The size of an action's lines.
pub fn action_len(action: &Action) -> usize {
    let mut out = Vec::new();
    write_action(&mut out, action);
    out.len()
}

/// Cuts `sizes` (each action's bytes) into consecutive ranges of at most `batch_size` actions
/// and `max_bytes` bytes (an action larger than that alone in its request).
pub fn chunks(
    sizes: &[usize],
    batch_size: usize,
    max_bytes: Option<usize>,
) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, &len) in sizes.iter().enumerate() {
        let full =
            i - start >= batch_size || max_bytes.is_some_and(|m| i > start && bytes + len > m);
        if full {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += len;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

/// What the engine did with one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written (or, for a delete, nothing was there to delete).
    Done,
    /// A version conflict: with an external version, a newer write is already there.
    VersionConflict,
    /// The document was refused for its content (Confluent's malformed-document errors).
    Malformed { kind: String, reason: String },
    /// Refused for now (429, 5xx): worth sending again.
    Again { status: u16, kind: String },
    /// Refused for another reason.
    Failed {
        status: u16,
        kind: String,
        reason: String,
    },
}

/// The error types Confluent treats as a malformed document.
const MALFORMED: &[&str] = &[
    "strict_dynamic_mapping_exception",
    "mapper_parsing_exception",
    "illegal_argument_exception",
    "action_request_validation_exception",
    "document_parsing_exception",
];

/// Reads a `_bulk` response: one outcome per item, in order.
pub fn outcomes(body: &[u8], expected: usize) -> Result<Vec<Outcome>, String> {
    let json: Json = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let items = json["items"].as_array().ok_or("no items in the response")?;
    if items.len() != expected {
        return Err(format!(
            "{} items in the response for {expected} actions",
            items.len()
        ));
    }
    Ok(items.iter().map(outcome).collect())
}

fn outcome(item: &Json) -> Outcome {
    let Some(result) = item.as_object().and_then(|o| o.values().next()) else {
        return Outcome::Failed {
            status: 0,
            kind: "unknown".into(),
            reason: "an empty item".into(),
        };
    };
    let status = result["status"].as_u64().unwrap_or(0) as u16;
    let error = &result["error"];
    if error.is_null() {
        return Outcome::Done;
    }
    let kind = error["type"].as_str().unwrap_or("unknown").to_owned();
    let caused = error["caused_by"]["type"].as_str().unwrap_or("");
    let reason = without_values(error["reason"].as_str().unwrap_or(""));
    if kind == "version_conflict_engine_exception" {
        Outcome::VersionConflict
    } else if MALFORMED.contains(&kind.as_str()) || MALFORMED.contains(&caused) {
        Outcome::Malformed { kind, reason }
    } else if status == 429 || status >= 500 {
        Outcome::Again { status, kind }
    } else {
        Outcome::Failed {
            status,
            kind,
            reason,
        }
    }
}

/// An engine's reason without the document's values it may quote (`Preview of field's value`).
fn without_values(reason: &str) -> String {
    let cut = reason
        .find(" Preview of field's value")
        .unwrap_or(reason.len());
    reason[..cut].trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_cut_by_count_and_bytes() {
        assert_eq!(chunks(&[10; 5], 2, None), vec![0..2, 2..4, 4..5]);
        assert_eq!(
            chunks(&[10, 10, 30, 10], 100, Some(25)),
            vec![0..2, 2..3, 3..4]
        );
        assert!(chunks(&[], 2, None).is_empty());
    }

    #[test]
    fn the_action_lines_carry_the_external_version() {
        let mut out = Vec::new();
        write_action(
            &mut out,
            &Action::Index {
                index: "t".into(),
                create: false,
                id: Some("1".into()),
                version: Some(42),
                source: b"{\"a\":1}".to_vec(),
            },
        );
        write_action(
            &mut out,
            &Action::Upsert {
                index: "t".into(),
                id: "2".into(),
                retry_on_conflict: 5,
                source: b"{}".to_vec(),
            },
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"index\":{\"_index\":\"t\",\"_id\":\"1\",\"version\":42,\"version_type\":\"external\"}}\n{\"a\":1}\n\
             {\"update\":{\"_index\":\"t\",\"_id\":\"2\",\"retry_on_conflict\":5}}\n{\"doc\":{},\"upsert\":{}}\n"
        );
    }

    #[test]
    fn outcomes_are_read_from_opensearchs_answer() {
        // An OpenSearch 2.19 answer (values shortened).
        let body = br#"{"took":3,"errors":true,"items":[
          {"index":{"_index":"t1","_id":"1","_version":5,"result":"created","status":201}},
          {"index":{"_index":"t1","_id":"1","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[1]: version conflict"}}},
          {"index":{"_index":"t1","_id":"2","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [a] of type [long] in document with id '2'. Preview of field's value: 'secret'","caused_by":{"type":"illegal_argument_exception"}}}},
          {"index":{"_index":"t1","_id":"3","status":429,"error":{"type":"rejected_execution_exception","reason":"queue full"}}},
          {"delete":{"_index":"t1","_id":"9","result":"not_found","status":404}}]}"#;
        let got = outcomes(body, 5).unwrap();
        assert_eq!(got[0], Outcome::Done);
        assert_eq!(got[1], Outcome::VersionConflict);
        assert_eq!(
            got[2],
            Outcome::Malformed {
                kind: "mapper_parsing_exception".into(),
                reason: "failed to parse field [a] of type [long] in document with id '2'".into()
            }
        );
        assert_eq!(
            got[3],
            Outcome::Again {
                status: 429,
                kind: "rejected_execution_exception".into()
            }
        );
        assert_eq!(got[4], Outcome::Done);
        assert!(outcomes(body, 4).is_err());
    }

    #[test]
    fn outcomes_are_read_from_elasticsearchs_answers() {
        // Elasticsearch 7.17.29 (`_type` still in each item) and 8.19.21 (`document_parsing_exception`,
        // the position in the reason) to the same five actions, values shortened.
        let es7 = br#"{"took":381,"errors":true,"items":[
          {"index":{"_index":"cap","_type":"_doc","_id":"1","_version":5,"result":"created","status":201}},
          {"index":{"_index":"cap","_type":"_doc","_id":"1","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[1]: version conflict, current version [5] is higher or equal to the one provided [3]","shard":"0","index":"cap"}}},
          {"index":{"_index":"cap","_type":"_doc","_id":"2","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [a] of type [long] in document with id '2'. Preview of field's value: 'secret'","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"secret\""}}}},
          {"delete":{"_index":"cap","_type":"_doc","_id":"9","_version":4,"result":"not_found","status":404}},
          {"update":{"_index":"cap","_type":"_doc","_id":"3","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [a] of type [long] in document with id '3'. Preview of field's value: 'x'","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"x\""}}}}]}"#;
        let es8 = br#"{"errors":true,"took":629,"items":[
          {"index":{"_index":"cap","_id":"1","_version":5,"result":"created","status":201}},
          {"index":{"_index":"cap","_id":"1","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[1]: version conflict, current version [5] is higher or equal to the one provided [3]","shard":"0","index":"cap"}}},
          {"index":{"_index":"cap","_id":"2","status":400,"error":{"type":"document_parsing_exception","reason":"[1:6] failed to parse field [a] of type [long] in document with id '2'. Preview of field's value: 'secret'","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"secret\""}}}},
          {"delete":{"_index":"cap","_id":"9","_version":4,"result":"not_found","status":404}},
          {"update":{"_index":"cap","_id":"3","status":400,"error":{"type":"document_parsing_exception","reason":"[1:6] failed to parse field [a] of type [long] in document with id '3'. Preview of field's value: 'x'","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"x\""}}}}]}"#;
        for (body, kind, at) in [
            (&es7[..], "mapper_parsing_exception", ""),
            (&es8[..], "document_parsing_exception", "[1:6] "),
        ] {
            let got = outcomes(body, 5).unwrap();
            assert_eq!(got[0], Outcome::Done);
            assert_eq!(got[1], Outcome::VersionConflict);
            assert_eq!(
                got[2],
                Outcome::Malformed {
                    kind: kind.into(),
                    reason: format!(
                        "{at}failed to parse field [a] of type [long] in document with id '2'"
                    )
                }
            );
            assert_eq!(got[3], Outcome::Done);
            assert!(
                matches!(&got[4], Outcome::Malformed { reason, .. } if !reason.contains("'x'"))
            );
        }
    }
}

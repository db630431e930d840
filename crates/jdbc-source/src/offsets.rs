//! Confluent's source partitions and offsets (`OffsetProtocols`, `TimestampIncrementingOffset`):
//!
//! * incremental modes over a table: `{"protocol":"1","table":"<schema>.<table>"}` (the unquoted
//!   qualified name), written with `protocol` first as Java's `HashMap` orders it; on resume the
//!   legacy `{"table":"<bare name>"}` is looked up second;
//! * a custom query: `{"query":"query"}` whatever the query's text;
//! * bulk: `{"table":"<bare name>"}` with no offset;
//! * the offset: `incrementing` (long), `timestamp` (epoch milliseconds) and `timestamp_nanos`
//!   (the nanoseconds of that second, the milliseconds included), each present when the mode
//!   uses it.

use serde_json::{json, Map, Value};

use crate::sql::TableId;

/// A source partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Partition {
    /// Protocol 1: the qualified table.
    Table(String),
    /// Protocol 0 (and bulk): the bare table name.
    LegacyTable(String),
    Query,
}

impl Partition {
    pub fn of_table(table: &TableId) -> Partition {
        Partition::Table(table.fqn())
    }

    /// The maps to look up at start, most current first (`possibleTablePartitions`).
    pub fn lookups(table: &TableId) -> [Partition; 2] {
        [
            Partition::Table(table.fqn()),
            Partition::LegacyTable(table.table.clone()),
        ]
    }

    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match self {
            Partition::Table(fqn) => {
                m.insert("protocol".into(), json!("1"));
                m.insert("table".into(), json!(fqn));
            }
            Partition::LegacyTable(name) => {
                m.insert("table".into(), json!(name));
            }
            Partition::Query => {
                m.insert("query".into(), json!("query"));
            }
        }
        m
    }
}

/// A querier's position: what it has read past.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Offset {
    pub incrementing: Option<i64>,
    /// Seconds since the epoch and nanoseconds of that second.
    pub timestamp: Option<(i64, u32)>,
}

impl Offset {
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(id) = self.incrementing {
            m.insert("incrementing".into(), json!(id));
        }
        if let Some((secs, nanos)) = self.timestamp {
            m.insert(
                "timestamp".into(),
                json!(secs * 1000 + i64::from(nanos / 1_000_000)),
            );
            m.insert("timestamp_nanos".into(), json!(nanos));
        }
        m
    }

    /// Reads a stored offset; a key of the wrong type is an error naming it.
    pub fn from_map(m: &Map<String, Value>) -> Result<Offset, String> {
        let long = |k: &str| -> Result<Option<i64>, String> {
            match m.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| format!("the stored offset's {k:?} is not a whole number: {v}")),
            }
        };
        let incrementing = long("incrementing")?;
        let timestamp = match long("timestamp")? {
            None => None,
            Some(ms) => {
                let secs = ms.div_euclid(1000);
                let nanos = match long("timestamp_nanos")? {
                    Some(n) if (0..1_000_000_000).contains(&n) => n as u32,
                    Some(n) => {
                        return Err(format!(
                            "the stored offset's \"timestamp_nanos\" is out of range: {n}"
                        ))
                    }
                    // Only milliseconds were stored (an older worker).
                    None => (ms.rem_euclid(1000) * 1_000_000) as u32,
                };
                Some((secs, nanos))
            }
        };
        Ok(Offset {
            incrementing,
            timestamp,
        })
    }
}

/// Where a table's querier starts (`JdbcSourceTask.start`): the stored protocol-1 offset, else
/// the legacy one, else `timestamp.initial` (−1: the database's current time, asked only then),
/// else nothing (−1 and the epoch are bound).
pub fn starting_offset(
    stored_v1: Option<&Map<String, Value>>,
    stored_v0: Option<&Map<String, Value>>,
    timestamp_initial: Option<i64>,
    db_now: impl FnOnce() -> (i64, u32),
) -> Result<Offset, String> {
    if let Some(m) = stored_v1.or(stored_v0) {
        return Offset::from_map(m);
    }
    Ok(match timestamp_initial {
        Some(-1) => Offset {
            incrementing: None,
            timestamp: Some(db_now()),
        },
        Some(ms) => Offset {
            incrementing: None,
            timestamp: Some((
                ms.div_euclid(1000),
                (ms.rem_euclid(1000) * 1_000_000) as u32,
            )),
        },
        None => Offset::default(),
    })
}

/// The timestamp each row of a `timestamp`-mode pass commits (`TimestampTableQuerier`): a row
/// carries its own timestamp only when it is the last of its group of equal timestamps (or the
/// last row read); the others carry the last committable one, so a restart in the middle of a
/// group reads the whole group again rather than skipping its rest. `start` is where the pass
/// began.
pub fn timestamp_mode_offsets<T: Copy + PartialEq>(start: T, rows: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(rows.len());
    let mut committable = start;
    for (i, ts) in rows.iter().enumerate() {
        let last_of_group = rows.get(i + 1).is_none_or(|next| next != ts);
        if last_of_group {
            committable = *ts;
        }
        out.push(committable);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_mode_commits_a_group_of_equal_timestamps_only_at_its_end() {
        // Confluent's PR #1093 table: rows T1,T1,T2,T2,T3 read from T0.
        assert_eq!(timestamp_mode_offsets(0, &[1, 1, 2, 2, 3]), [0, 1, 1, 2, 3]);
        assert_eq!(timestamp_mode_offsets(5, &[]), Vec::<i32>::new());
        assert_eq!(timestamp_mode_offsets(0, &[4, 4]), [0, 4]);
    }

    #[test]
    fn a_stored_offset_beats_timestamp_initial_and_minus_one_asks_the_database() {
        let v1: Map<String, Value> = serde_json::from_str(r#"{"incrementing":5}"#).unwrap();
        let v0: Map<String, Value> = serde_json::from_str(r#"{"incrementing":3}"#).unwrap();
        let never = || -> (i64, u32) { panic!("the database's clock is not asked") };
        assert_eq!(
            starting_offset(Some(&v1), Some(&v0), Some(-1), never)
                .unwrap()
                .incrementing,
            Some(5)
        );
        assert_eq!(
            starting_offset(None, Some(&v0), Some(-1), never)
                .unwrap()
                .incrementing,
            Some(3)
        );
        assert_eq!(
            starting_offset(None, None, Some(-1), || (42, 7))
                .unwrap()
                .timestamp,
            Some((42, 7))
        );
        assert_eq!(
            starting_offset(None, None, Some(1_500), never)
                .unwrap()
                .timestamp,
            Some((1, 500_000_000))
        );
        assert_eq!(
            starting_offset(None, None, None, never).unwrap(),
            Offset::default()
        );
    }

    #[test]
    fn partitions_are_confluents_maps_in_javas_key_order() {
        let t = TableId::new(Some("public"), "orders");
        let [v1, v0] = Partition::lookups(&t);
        assert_eq!(
            serde_json::to_string(&v1.to_map()).unwrap(),
            r#"{"protocol":"1","table":"public.orders"}"#
        );
        assert_eq!(
            serde_json::to_string(&v0.to_map()).unwrap(),
            r#"{"table":"orders"}"#
        );
        assert_eq!(
            serde_json::to_string(&Partition::Query.to_map()).unwrap(),
            r#"{"query":"query"}"#
        );
    }

    #[test]
    fn offsets_keep_nanoseconds_and_read_what_connect_wrote() {
        let o = Offset {
            incrementing: Some(42),
            timestamp: Some((1_700_000_000, 123_456_789)),
        };
        let m = o.to_map();
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"incrementing":42,"timestamp":1700000000123,"timestamp_nanos":123456789}"#
        );
        assert_eq!(Offset::from_map(&m).unwrap(), o);
        // Milliseconds only, and before the epoch.
        let m: Map<String, Value> = serde_json::from_str(r#"{"timestamp":-1500}"#).unwrap();
        assert_eq!(
            Offset::from_map(&m).unwrap().timestamp,
            Some((-2, 500_000_000))
        );
        let bad: Map<String, Value> = serde_json::from_str(r#"{"incrementing":"x"}"#).unwrap();
        assert!(Offset::from_map(&bad).unwrap_err().contains("incrementing"));
    }
}

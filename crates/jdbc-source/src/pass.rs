//! One querier pass: what its statement binds, and the offset each record it reads carries
//! (research §2.2, §3; `TimestampIncrementingCriteria`, `TimestampTableQuerier`).

use crate::offsets::{timestamp_mode_offsets, Offset};
use crate::sql::{Mode, Param};

/// A value bound to a `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Long(i64),
    /// Seconds since the epoch and nanoseconds of that second.
    Timestamp(i64, u32),
}

/// The parameters of a pass from `offset` with the database's `end` bound (its current time
/// minus `timestamp.delay.interval.ms`): −1 and the epoch where nothing is stored.
pub fn bounds(params: &[Param], offset: &Offset, end: (i64, u32)) -> Vec<Bound> {
    params
        .iter()
        .map(|p| match p {
            Param::Incrementing => Bound::Long(offset.incrementing.unwrap_or(-1)),
            Param::Begin => {
                let (s, n) = offset.timestamp.unwrap_or((0, 0));
                Bound::Timestamp(s, n)
            }
            Param::End => Bound::Timestamp(end.0, end.1),
        })
        .collect()
}

/// What a row contributes to offsets: its (coalesced) timestamp and its incrementing value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowKey {
    pub timestamp: Option<(i64, u32)>,
    pub incrementing: Option<i64>,
}

/// The offset each row of a pass carries, in order; `start` is the pass's starting offset.
/// A NULL incrementing value fails, as Confluent fails ("Null value for incrementing column").
pub fn record_offsets(mode: &Mode, start: &Offset, rows: &[RowKey]) -> Result<Vec<Offset>, String> {
    let id = |r: &RowKey, column: &str| {
        r.incrementing
            .ok_or_else(|| format!("Null value for incrementing column {column}"))
    };
    match mode {
        Mode::Bulk => Ok(vec![Offset::default(); rows.len()]),
        Mode::Incrementing { column } => rows
            .iter()
            .map(|r| {
                Ok(Offset {
                    incrementing: Some(id(r, column)?),
                    timestamp: None,
                })
            })
            .collect(),
        Mode::TimestampIncrementing { incrementing, .. } => rows
            .iter()
            .map(|r| {
                Ok(Offset {
                    incrementing: Some(id(r, incrementing)?),
                    timestamp: r.timestamp,
                })
            })
            .collect(),
        Mode::Timestamp { .. } => {
            // Rows come ordered by their timestamp, never NULL (the WHERE excludes NULL).
            let ts: Vec<Option<(i64, u32)>> = rows.iter().map(|r| r.timestamp).collect();
            Ok(timestamp_mode_offsets(start.timestamp, &ts)
                .into_iter()
                .map(|timestamp| Offset {
                    incrementing: None,
                    timestamp,
                })
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_pass_binds_minus_one_and_the_epoch() {
        let params = [Param::End, Param::Begin, Param::Incrementing, Param::Begin];
        assert_eq!(
            bounds(&params, &Offset::default(), (100, 5)),
            [
                Bound::Timestamp(100, 5),
                Bound::Timestamp(0, 0),
                Bound::Long(-1),
                Bound::Timestamp(0, 0)
            ]
        );
        let stored = Offset {
            incrementing: Some(7),
            timestamp: Some((50, 1)),
        };
        assert_eq!(
            bounds(&[Param::Incrementing, Param::Begin], &stored, (0, 0)),
            [Bound::Long(7), Bound::Timestamp(50, 1)]
        );
    }

    #[test]
    fn each_record_carries_its_modes_offset() {
        let row = |ts: i64, id: i64| RowKey {
            timestamp: Some((ts, 0)),
            incrementing: Some(id),
        };
        let rows = [row(1, 10), row(1, 11), row(2, 12)];
        let inc = record_offsets(
            &Mode::Incrementing {
                column: "id".into(),
            },
            &Offset::default(),
            &rows,
        )
        .unwrap();
        assert_eq!(inc[2].incrementing, Some(12));
        let ts = record_offsets(
            &Mode::Timestamp {
                columns: vec!["ts".into()],
            },
            &Offset::default(),
            &rows,
        )
        .unwrap();
        let got: Vec<Option<(i64, u32)>> = ts.iter().map(|o| o.timestamp).collect();
        assert_eq!(got, [None, Some((1, 0)), Some((2, 0))]);
        let both = record_offsets(
            &Mode::TimestampIncrementing {
                columns: vec!["ts".into()],
                incrementing: "id".into(),
            },
            &Offset::default(),
            &rows,
        )
        .unwrap();
        assert_eq!(
            both[1],
            Offset {
                incrementing: Some(11),
                timestamp: Some((1, 0))
            }
        );
        let null = RowKey {
            timestamp: None,
            incrementing: None,
        };
        assert!(record_offsets(
            &Mode::Incrementing {
                column: "id".into()
            },
            &Offset::default(),
            &[null]
        )
        .unwrap_err()
        .contains("Null value for incrementing column id"));
    }
}

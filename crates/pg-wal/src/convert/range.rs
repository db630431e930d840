//! Range types: Debezium sends the text PostgreSQL prints (`[1,10)`, `["2019-03-31 15:30:00",)`),
//! so the binary form is printed as `range_out` does. Timestamps with time zone print in UTC
//! (`+00`): the text form depends on the session's TimeZone, the binary form does not.

use super::calendar::{pg_date_text, pg_timestamp, PG_EPOCH_DAYS};
use super::mapping::RangeKind;
use super::numeric::{self, PgNumeric};
use super::temporal::{PgDate, PgTimestamp};
use super::wire::{exact, Decoded, Fault, Wire};

const RANGE_EMPTY: u8 = 0x01;
const RANGE_LB_INC: u8 = 0x02;
const RANGE_UB_INC: u8 = 0x04;
const RANGE_LB_INF: u8 = 0x08;
const RANGE_UB_INF: u8 = 0x10;

/// The binary form: flags, then each finite bound as a length-prefixed subtype value.
pub(crate) fn text_from_binary(kind: RangeKind, raw: &[u8]) -> Decoded<String> {
    let mut w = Wire::new(raw);
    let flags = w.u8()?;
    if flags & RANGE_EMPTY != 0 {
        w.finish()?;
        return Ok("empty".to_owned());
    }
    let mut bound = |infinite: bool| -> Decoded<String> {
        if infinite {
            return Ok(String::new());
        }
        let value = w.field()?.ok_or(Fault::Malformed("null range bound"))?;
        Ok(quote(&subtype_text(kind, value)?))
    };
    let lower = bound(flags & RANGE_LB_INF != 0)?;
    let upper = bound(flags & RANGE_UB_INF != 0)?;
    w.finish()?;
    Ok(format!(
        "{}{lower},{upper}{}",
        if flags & RANGE_LB_INC != 0 { '[' } else { '(' },
        if flags & RANGE_UB_INC != 0 { ']' } else { ')' },
    ))
}

fn subtype_text(kind: RangeKind, raw: &[u8]) -> Decoded<String> {
    let mut out = String::with_capacity(32);
    match kind {
        RangeKind::Int4 => return Ok(i32::from_be_bytes(exact(raw)?).to_string()),
        RangeKind::Int8 => return Ok(i64::from_be_bytes(exact(raw)?).to_string()),
        RangeKind::Num => {
            return Ok(match numeric::from_binary(raw)? {
                PgNumeric::Finite(dec) => dec.to_plain(),
                PgNumeric::NaN => "NaN".to_owned(),
                PgNumeric::PosInf => "Infinity".to_owned(),
                PgNumeric::NegInf => "-Infinity".to_owned(),
            })
        }
        RangeKind::Date => {
            let date = PgDate::from_binary(raw)?;
            if date.is_infinite() {
                return Ok(infinity(date.0 > 0));
            }
            pg_date_text(&mut out, i64::from(date.0) + PG_EPOCH_DAYS);
        }
        RangeKind::Ts | RangeKind::TsTz => {
            let ts = PgTimestamp::from_binary(raw)?;
            if let Some(positive) = ts.infinity() {
                return Ok(infinity(positive));
            }
            pg_timestamp(&mut out, ts.epoch_micros(), kind == RangeKind::TsTz);
        }
    }
    Ok(out)
}

fn infinity(positive: bool) -> String {
    if positive { "infinity" } else { "-infinity" }.to_owned()
}

/// `range_bound_escape`: quote a bound that is empty or holds `"\()[],` or whitespace,
/// doubling `"` and `\` inside the quotes.
fn quote(value: &str) -> String {
    let needs = value.is_empty()
        || value.chars().any(|c| {
            matches!(c, '"' | '\\' | '(' | ')' | '[' | ']' | ',') || c.is_ascii_whitespace()
        });
    if !needs {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_range_out() {
        let mut raw = vec![RANGE_LB_INC];
        raw.extend_from_slice(&4i32.to_be_bytes());
        raw.extend_from_slice(&1000i32.to_be_bytes());
        raw.extend_from_slice(&4i32.to_be_bytes());
        raw.extend_from_slice(&6000i32.to_be_bytes());
        assert_eq!(
            text_from_binary(RangeKind::Int4, &raw).unwrap(),
            "[1000,6000)"
        );
        assert_eq!(
            text_from_binary(RangeKind::Int4, &[RANGE_EMPTY]).unwrap(),
            "empty"
        );
        let mut raw = vec![RANGE_LB_INC | RANGE_UB_INF];
        raw.extend_from_slice(&8i32.to_be_bytes());
        raw.extend_from_slice(&0i64.to_be_bytes());
        assert_eq!(
            text_from_binary(RangeKind::TsTz, &raw).unwrap(),
            "[\"2000-01-01 00:00:00+00\",)"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(text_from_binary(RangeKind::Int4, &[]).is_err());
        assert!(text_from_binary(RangeKind::Int4, &[0, 0, 0, 0, 9]).is_err());
        assert!(
            text_from_binary(RangeKind::Int8, &[RANGE_UB_INF, 0, 0, 0, 4, 0, 0, 0, 1]).is_err()
        );
        assert!(text_from_binary(RangeKind::Int4, &[RANGE_EMPTY, 1]).is_err());
    }
}

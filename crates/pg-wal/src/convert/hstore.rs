//! hstore: a JSON object string (`hstore.handling.mode=json`) or a Connect map.
//!
//! Debezium parses the text with pgjdbc's `HStoreConverter` into a `java.util.HashMap`, so both
//! the JSON string and the map come out in HashMap iteration order (by bucket of the key's
//! `String.hashCode`), not in hstore's order. We reproduce that order, and Jackson's escaping.

use std::fmt::Write as _;

use cdc_core::Value;

use super::modes::{HstoreHandling, TypeModes};
use super::wire::{utf8, Decoded, Fault, Wire};

pub(crate) type Pairs = Vec<(String, Option<String>)>;

const BAD: Fault = Fault::Malformed("not an hstore");

/// The binary form: pair count, then each key and (nullable) value length-prefixed.
pub(crate) fn from_binary(raw: &[u8]) -> Decoded<Pairs> {
    let mut w = Wire::new(raw);
    let count = usize::try_from(w.i32()?).map_err(|_| BAD)?;
    // Every pair takes at least 8 bytes: do not trust the count for the allocation.
    let mut pairs = Vec::with_capacity(count.min(w.remaining() / 8));
    for _ in 0..count {
        let key = w.field()?.ok_or(Fault::Malformed("null hstore key"))?;
        let value = w.field()?;
        pairs.push((
            utf8(key)?.to_owned(),
            value.map(utf8).transpose()?.map(str::to_owned),
        ));
    }
    w.finish()?;
    Ok(pairs)
}

/// The text form `"a"=>"1", "b"=>NULL`, parsed as `HStoreConverter.fromString` does.
pub(crate) fn from_text(s: &str) -> Decoded<Pairs> {
    let mut pairs = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let (key, after) = quoted(rest)?;
        let after = after
            .trim_start()
            .strip_prefix("=>")
            .ok_or(BAD)?
            .trim_start();
        let (value, after) = if let Some(after) = after.strip_prefix("NULL") {
            (None, after)
        } else {
            let (v, after) = quoted(after)?;
            (Some(v), after)
        };
        pairs.push((key, value));
        let after = after.trim_start();
        rest = match after.strip_prefix(',') {
            Some(next) => next.trim_start(),
            None if after.is_empty() => after,
            None => return Err(BAD),
        };
    }
    Ok(pairs)
}

/// A `"..."` string with backslash escapes, and what follows it.
fn quoted(s: &str) -> Decoded<(String, &str)> {
    let body = s.strip_prefix('"').ok_or(BAD)?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &body[i + 1..])),
            '\\' => out.push(chars.next().ok_or(BAD)?.1),
            c => out.push(c),
        }
    }
    Err(BAD)
}

/// Java's `String.hashCode` over UTF-16 code units.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// The iteration order of a `java.util.HashMap` filled with these pairs in order: buckets by
/// `(h ^ h >>> 16) & (capacity - 1)`, insertion order within a bucket. The capacity starts at 16
/// and doubles past a 0.75 load factor, or when a bucket would grow past 8 entries below 64
/// (treeification, whose bins keep insertion order for iteration in practice, is not modelled).
fn java_hashmap_order(pairs: Pairs) -> Pairs {
    let mut unique: Pairs = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match unique.iter_mut().find(|(existing, _)| *existing == k) {
            Some(slot) => slot.1 = v,
            None => unique.push((k, v)),
        }
    }
    let spread: Vec<u32> = unique
        .iter()
        .map(|(k, _)| {
            let h = java_hash(k) as u32;
            h ^ (h >> 16)
        })
        .collect();
    let mut capacity: u32 = 16;
    while unique.len() as u64 * 4 > u64::from(capacity) * 3 {
        capacity *= 2;
    }
    while capacity < 64 {
        let mut counts = vec![0usize; capacity as usize];
        for h in &spread {
            counts[(h & (capacity - 1)) as usize] += 1;
        }
        if counts.iter().all(|&c| c <= 8) {
            break;
        }
        capacity *= 2;
    }
    let mut indexed: Vec<(u32, usize)> = spread
        .iter()
        .enumerate()
        .map(|(i, h)| (h & (capacity - 1), i))
        .collect();
    indexed.sort();
    let mut slots: Vec<Option<(String, Option<String>)>> = unique.into_iter().map(Some).collect();
    indexed
        .into_iter()
        .filter_map(|(_, i)| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// A JSON string literal as Jackson writes it: `\"`, `\\`, the short escapes `\b \t \n \f \r`,
/// `\u00XX` (upper-case hex) for other control characters, everything else as is.
pub(crate) fn jackson_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The column's value.
pub(crate) fn value(pairs: Pairs, modes: &TypeModes) -> Value {
    let pairs = java_hashmap_order(pairs);
    match modes.hstore {
        HstoreHandling::Json => {
            let mut json = String::from("{");
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    json.push(',');
                }
                jackson_string(&mut json, k);
                json.push(':');
                match v {
                    Some(v) => jackson_string(&mut json, v),
                    None => json.push_str("null"),
                }
            }
            json.push('}');
            Value::String(json.into())
        }
        HstoreHandling::Map => Value::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (Value::String(k.into()), v.map_or(Value::Null, Value::from)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_follows_java_hashmap_order() {
        let json = |s: &str| value(from_text(s).unwrap(), &TypeModes::default());
        // Debezium's own expectations (AbstractRecordsProducerTest).
        assert_eq!(
            json(r#""key4"=>"val4", "key5"=>NULL"#),
            Value::String(r#"{"key5":null,"key4":"val4"}"#.into())
        );
        assert_eq!(
            json(r#""key1"=>"val1", "key2"=>"val2", "key3"=>"val3""#),
            Value::String(r#"{"key1":"val1","key2":"val2","key3":"val3"}"#.into())
        );
        assert_eq!(
            json(r#""key 2"=>" ##123 78", "key_#1"=>"val 1""#),
            Value::String(r#"{"key_#1":"val 1","key 2":" ##123 78"}"#.into())
        );
        assert_eq!(json(""), Value::String("{}".into()));
    }

    #[test]
    fn text_escapes_and_binary_agree() {
        let text = from_text(r#""a\"b"=>"c\\d", "e"=>NULL"#).unwrap();
        assert_eq!(
            text,
            vec![
                ("a\"b".to_owned(), Some("c\\d".to_owned())),
                ("e".to_owned(), None)
            ]
        );
        let mut raw = 2i32.to_be_bytes().to_vec();
        for (k, v) in [("a\"b", Some("c\\d")), ("e", None)] {
            raw.extend_from_slice(&(k.len() as i32).to_be_bytes());
            raw.extend_from_slice(k.as_bytes());
            match v {
                Some(v) => {
                    raw.extend_from_slice(&(v.len() as i32).to_be_bytes());
                    raw.extend_from_slice(v.as_bytes());
                }
                None => raw.extend_from_slice(&(-1i32).to_be_bytes()),
            }
        }
        assert_eq!(from_binary(&raw).unwrap(), text);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(from_text(r#""a"=>"#).is_err());
        assert!(from_text(r#""a"=>"b" x"#).is_err());
        assert!(from_text(r#""a"#).is_err());
        assert!(from_binary(&[0x7f, 0xff, 0xff, 0xff]).is_err());
        assert!(from_binary(&[0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]).is_err());
    }
}

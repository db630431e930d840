//! A header's bytes as Connect's default header converter (`SimpleHeaderConverter`, through
//! `Values.parseString`) makes them a typed value: `null`, `true`/`false`, integers as the
//! smallest of int8/int16/int32/int64, other numbers as float32 or float64 (a `Decimal` past
//! those), `yyyy-MM-dd`, `HH:mm:ss.SSSZ` and `yyyy-MM-ddTHH:mm:ss.SSSZ` texts as the `Date`,
//! `Time` and `Timestamp` logical types, anything else a string. Only a leading number counts
//! (`12:30` is the int8 12), as in Connect.
//!
//! Headers whose text is an array (`[...]`) or a map (`{...}`) are not typed here: reading one
//! is an error rather than a guess.

use std::sync::Arc;

use cdc_core::{Schema, Value};

/// A header's schema and value (`None` schema: a null header).
pub type Typed = (Option<Arc<Schema>>, Value);

/// The header `bytes` typed as `SimpleHeaderConverter.toConnectHeader` types them.
pub fn parse(bytes: Option<&[u8]>) -> Result<Typed, String> {
    let Some(bytes) = bytes else {
        return Ok((None, Value::Null));
    };
    // Connect decodes with `new String(bytes, UTF_8)`, replacing what is not UTF-8.
    let text = String::from_utf8_lossy(bytes);
    if text.is_empty() {
        return Ok(string(&text));
    }
    let tokens = tokenize(&text);
    // Single-token literals: the first non-blank token, when nothing follows it.
    if let Some(first) = tokens.iter().position(|t| !t.trim().is_empty()) {
        let literal = tokens[first].trim();
        if first + 1 == tokens.len() {
            match literal {
                "null" => return Ok((None, Value::Null)),
                "true" => return Ok((Some(Arc::new(Schema::boolean())), Value::Boolean(true))),
                "false" => return Ok((Some(Arc::new(Schema::boolean())), Value::Boolean(false))),
                _ => {}
            }
        }
        if literal == "[" || literal == "{" {
            return Err(format!(
                "the header value {text:?} is an array or map text, which Tributary does not \
                 type as Connect's SimpleHeaderConverter does yet"
            ));
        }
    }
    let token = tokens.first().map(String::as_str).unwrap_or("");
    if token.trim().is_empty() {
        return Ok(string(token));
    }
    let token = token.trim();
    let first = token.chars().next().unwrap_or(' ');
    if first.is_ascii_digit() {
        // Times and timestamps are split at their colons: the token and the 4 after it first.
        if tokens.len() >= 5 {
            let joined = format!("{token}{}", tokens[1..5].concat());
            if let Some(t) = temporal(&joined)? {
                return Ok(t);
            }
        }
        if let Some(t) = temporal(token)? {
            return Ok(t);
        }
    }
    if first.is_ascii_digit() || first == '+' || first == '-' {
        if let Some(n) = number(token) {
            return Ok(n);
        }
    }
    Ok(string(&text))
}

fn string(s: &str) -> Typed {
    (Some(Arc::new(Schema::string())), Value::String(s.into()))
}

/// `Values.Parser`'s tokens: runs between unescaped delimiters, and each delimiter alone.
fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in text.chars() {
        match c {
            '\\' => {
                escaped = !escaped;
                current.push(c);
            }
            ':' | ',' | '{' | '}' | '[' | ']' | '"' if !escaped => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
                tokens.push(c.to_string());
            }
            _ => {
                escaped = false;
                current.push(c);
            }
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// `parseAsTemporal`: by length, a time (13), timestamp (24) or date (10) as `SimpleDateFormat`
/// parses them (leniently, in UTC: the harness's and Connect's usual JVM zone).
fn temporal(token: &str) -> Result<Option<Typed>, String> {
    let token = token.replace("\\:", ":");
    let logical = |name: &str, schema: Schema| Some(Arc::new(schema.named(name).version(1)));
    Ok(match token.chars().count() {
        13 => match lenient(
            &token,
            &[Num, Lit(':'), Num, Lit(':'), Num, Lit('.'), Num, Lit('Z')],
        ) {
            Some(n) => {
                let ms = n[0] * 3_600_000 + n[1] * 60_000 + n[2] * 1000 + n[3];
                if !(0..86_400_000).contains(&ms) {
                    return Err(format!(
                        "the header value {token:?} is a Connect Time with date fields set"
                    ));
                }
                Some((
                    logical("org.apache.kafka.connect.data.Time", Schema::int32()),
                    Value::Int32(ms as i32),
                ))
            }
            None => None,
        },
        24 => match lenient(
            &token,
            &[
                Num,
                Lit('-'),
                Num,
                Lit('-'),
                Num,
                Lit('T'),
                Num,
                Lit(':'),
                Num,
                Lit(':'),
                Num,
                Lit('.'),
                Num,
                Lit('Z'),
            ],
        ) {
            Some(n) => {
                let days = civil_days(n[0], n[1], n[2]);
                let ms = days * 86_400_000 + n[3] * 3_600_000 + n[4] * 60_000 + n[5] * 1000 + n[6];
                Some((
                    logical("org.apache.kafka.connect.data.Timestamp", Schema::int64()),
                    Value::Int64(ms),
                ))
            }
            None => None,
        },
        10 => match lenient(&token, &[Num, Lit('-'), Num, Lit('-'), Num]) {
            Some(n) => {
                let days = civil_days(n[0], n[1], n[2]);
                let days = i32::try_from(days)
                    .map_err(|_| format!("the header value {token:?} is out of a Date's range"))?;
                Some((
                    logical("org.apache.kafka.connect.data.Date", Schema::int32()),
                    Value::Int32(days),
                ))
            }
            None => None,
        },
        _ => None,
    })
}

#[derive(Clone, Copy)]
enum Part {
    /// A run of digits (as many as there are).
    Num,
    Lit(char),
}
use Part::{Lit, Num};

/// The numbers of `text` read by `pattern` from its start (what follows is ignored, as
/// `SimpleDateFormat.parse(text, position)` ignores it); `None` when a part does not match.
fn lenient(text: &str, pattern: &[Part]) -> Option<Vec<i64>> {
    let mut rest = text;
    let mut out = Vec::new();
    for part in pattern {
        match part {
            Num => {
                let end = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                if end == 0 || end > 12 {
                    return None;
                }
                out.push(rest[..end].parse().ok()?);
                rest = &rest[end..];
            }
            Lit(c) => rest = rest.strip_prefix(*c)?,
        }
    }
    Some(out)
}

/// Days since 1970-01-01 of year/month/day as a lenient (proleptic Gregorian) calendar counts
/// them: a month past 12 runs into the next year, a day past the month's end into the next.
fn civil_days(year: i64, month: i64, day: i64) -> i64 {
    let m0 = month - 1;
    let y = year + m0.div_euclid(12);
    let m = m0.rem_euclid(12) + 1;
    // Howard Hinnant's days_from_civil, for the first of the month.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468 + (day - 1)
}

/// `parseAsNumber`: an integer as the smallest integer type holding it; otherwise float32 when
/// finite, float64 when finite, else a `Decimal`. `None` when it is not a `BigDecimal` text.
fn number(token: &str) -> Option<Typed> {
    let (negative, body) = match token.as_bytes().first()? {
        b'-' => (true, &token[1..]),
        b'+' => (false, &token[1..]),
        _ => (false, token),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => {
            let exp = &body[at + 1..];
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (&body[..at], exp.parse::<i64>().ok()?)
        }
        None => (body, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
        || int_part.len() + frac_part.len() == 0
    {
        return None;
    }
    let digits = format!("{int_part}{frac_part}");
    let scale = frac_part.len() as i64 - exponent;
    let significant = digits.trim_start_matches('0');
    // Integral when the digits past the decimal point are all zeros.
    let integral = scale <= 0
        || digits
            .len()
            .checked_sub(scale as usize)
            .map_or(significant.is_empty(), |keep| {
                digits[keep..].bytes().all(|b| b == b'0')
            });
    if integral {
        let whole = if scale <= 0 {
            if significant.is_empty() {
                Some(0i128)
            } else if significant.len() as i64 - scale > 38 {
                None
            } else {
                format!("{significant}{}", "0".repeat((-scale) as usize))
                    .parse::<i128>()
                    .ok()
            }
        } else {
            let keep = digits.len().saturating_sub(scale as usize);
            let head = digits[..keep].trim_start_matches('0');
            if head.is_empty() {
                Some(0)
            } else {
                head.parse::<i128>().ok()
            }
        };
        if let Some(w) = whole.map(|w| if negative { -w } else { w }) {
            if let Ok(n) = i64::try_from(w) {
                return Some(if let Ok(n) = i8::try_from(n) {
                    (Some(Arc::new(Schema::int8())), Value::Int8(n))
                } else if let Ok(n) = i16::try_from(n) {
                    (Some(Arc::new(Schema::int16())), Value::Int16(n))
                } else if let Ok(n) = i32::try_from(n) {
                    (Some(Arc::new(Schema::int32())), Value::Int32(n))
                } else {
                    (Some(Arc::new(Schema::int64())), Value::Int64(n))
                });
            }
        }
    }
    let normalized = format!(
        "{}{}e{}",
        if negative { "-" } else { "" },
        if digits.is_empty() { "0" } else { &digits },
        -scale
    );
    if scale != 0 {
        if let Ok(f) = normalized.parse::<f32>() {
            if f.is_finite() {
                return Some((Some(Arc::new(Schema::float32())), Value::Float32(f)));
            }
        }
        if let Ok(f) = normalized.parse::<f64>() {
            if f.is_finite() {
                return Some((Some(Arc::new(Schema::float64())), Value::Float64(f)));
            }
        }
    }
    // A Decimal of this scale: its unscaled value as two's complement bytes.
    let unscaled: i128 = significant
        .parse()
        .ok()
        .or(significant.is_empty().then_some(0))?;
    let unscaled = if negative { -unscaled } else { unscaled };
    let bytes = unscaled.to_be_bytes();
    let skip = bytes
        .windows(2)
        .take_while(|w| (w[0] == 0 && w[1] & 0x80 == 0) || (w[0] == 0xff && w[1] & 0x80 != 0))
        .count();
    let schema = Schema::bytes()
        .named("org.apache.kafka.connect.data.Decimal")
        .version(1)
        .param("scale", scale.to_string());
    Some((Some(Arc::new(schema)), Value::Bytes(bytes[skip..].to_vec())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> (String, Value) {
        let (s, v) = parse(Some(text.as_bytes())).unwrap();
        let s = s.map_or("null".to_owned(), |s| {
            s.name
                .clone()
                .unwrap_or_else(|| s.kind.json_name().to_owned())
        });
        (s, v)
    }

    #[test]
    fn headers_typed_as_connects_simple_header_converter() {
        assert_eq!(kind("abc"), ("string".into(), Value::String("abc".into())));
        assert_eq!(kind("42"), ("int8".into(), Value::Int8(42)));
        assert_eq!(kind("300"), ("int16".into(), Value::Int16(300)));
        assert_eq!(kind("-70000"), ("int32".into(), Value::Int32(-70000)));
        assert_eq!(
            kind("1700000000000"),
            ("int64".into(), Value::Int64(1_700_000_000_000))
        );
        assert_eq!(kind("1.0"), ("int8".into(), Value::Int8(1)));
        assert_eq!(kind("1.5"), ("float".into(), Value::Float32(1.5)));
        assert_eq!(kind("12:30"), ("int8".into(), Value::Int8(12)));
        assert_eq!(kind("true"), ("boolean".into(), Value::Boolean(true)));
        assert_eq!(
            kind("True"),
            ("string".into(), Value::String("True".into()))
        );
        assert_eq!(kind("null").0, "null");
        assert_eq!(
            kind("12abc"),
            ("string".into(), Value::String("12abc".into()))
        );
        assert_eq!(
            kind("2023-11-14"),
            (
                "org.apache.kafka.connect.data.Date".into(),
                Value::Int32(19675)
            )
        );
        assert_eq!(
            kind("2023-11-14T22:13:20.123Z"),
            (
                "org.apache.kafka.connect.data.Timestamp".into(),
                Value::Int64(1_700_000_000_123)
            )
        );
        assert_eq!(
            kind("01:00:00.000Z"),
            (
                "org.apache.kafka.connect.data.Time".into(),
                Value::Int32(3_600_000)
            )
        );
        assert!(parse(Some(b"[1,2]")).is_err());
    }
}

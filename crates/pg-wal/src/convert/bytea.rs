//! bytea, and every value sent through `binary.handling.mode` (unknown types too).

use std::fmt::Write as _;

use base64::Engine as _;
use cdc_core::Value;

use super::modes::BinaryHandling;
use super::wire::{Decoded, Fault};

/// Bytes as `binary.handling.mode` wants them (Java's encoders pad, as base64's engines do).
pub(crate) fn binary_value(bytes: &[u8], mode: BinaryHandling) -> Value {
    match mode {
        BinaryHandling::Bytes => Value::Bytes(bytes.to_vec()),
        BinaryHandling::Base64 => Value::String(
            base64::engine::general_purpose::STANDARD
                .encode(bytes)
                .into(),
        ),
        BinaryHandling::Base64UrlSafe => Value::String(
            base64::engine::general_purpose::URL_SAFE
                .encode(bytes)
                .into(),
        ),
        BinaryHandling::Hex => Value::String(hex(bytes).into()),
    }
}

/// Lower-case hex, as Debezium's HexConverter writes it.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Hex digit pairs into bytes.
pub(crate) fn unhex(s: &[u8]) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks_exact(2)
        .map(|p| Some(hex_digit(p[0])? << 4 | hex_digit(p[1])?))
        .collect()
}

/// bytea's text form: `\x0102ff` (bytea_output = hex) or the escape format (`a\000\\`).
pub(crate) fn from_text(s: &str) -> Decoded<Vec<u8>> {
    const BAD: Fault = Fault::Malformed("not a bytea");
    if let Some(hex) = s.strip_prefix("\\x") {
        return unhex(hex.as_bytes()).ok_or(BAD);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
        } else if bytes.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else {
            let octal = bytes.get(i + 1..i + 4).ok_or(BAD)?;
            let mut v: u32 = 0;
            for &d in octal {
                if !(b'0'..=b'7').contains(&d) {
                    return Err(BAD);
                }
                v = v * 8 + u32::from(d - b'0');
            }
            out.push(u8::try_from(v).map_err(|_| BAD)?);
            i += 4;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_encode_like_java() {
        assert_eq!(
            binary_value(&[1, 2, 3], BinaryHandling::Base64),
            Value::String("AQID".into())
        );
        assert_eq!(
            binary_value(&[0xfb, 0xff], BinaryHandling::Base64UrlSafe),
            Value::String("-_8=".into())
        );
        assert_eq!(
            binary_value(&[0xab, 1], BinaryHandling::Hex),
            Value::String("ab01".into())
        );
    }

    #[test]
    fn both_text_formats() {
        assert_eq!(from_text("\\x00ff").unwrap(), vec![0, 0xff]);
        assert_eq!(
            from_text("a\\000\\\\b").unwrap(),
            vec![b'a', 0, b'\\', b'b']
        );
        assert!(from_text("\\x0").is_err());
        assert!(from_text("\\xzz").is_err());
        assert!(from_text("\\9").is_err());
        assert!(from_text("\\477").is_err());
    }
}

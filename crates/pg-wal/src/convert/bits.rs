//! BIT and BIT VARYING.
//!
//! Debezium reads the bit string as text and builds a `java.util.BitSet` in which the *last*
//! character is bit 0, then sends `BitSet.toByteArray()`: little-endian bytes, only as many as
//! the highest set bit needs (so `B'00'` is an empty array, whatever the declared length).
//! Columns of length 1 (`bit`, `bit(1)`, `varbit(1)`) are booleans instead.

use cdc_core::Value;

use super::wire::{Decoded, Fault, Wire};

/// The binary form: bit count, then the bits most significant first, zero-padded.
pub(crate) fn from_binary(raw: &[u8]) -> Decoded<String> {
    let mut w = Wire::new(raw);
    let nbits = usize::try_from(w.i32()?).map_err(|_| Fault::Malformed("negative bit length"))?;
    let bytes = w.rest();
    if bytes.len() != nbits.div_ceil(8) {
        return Err(Fault::Malformed("bit length does not match the data"));
    }
    Ok((0..nbits)
        .map(|i| {
            let byte = bytes.get(i / 8).copied().unwrap_or(0);
            if byte & (0x80 >> (i % 8)) != 0 {
                '1'
            } else {
                '0'
            }
        })
        .collect())
}

pub(crate) fn from_text(s: &str) -> Decoded<String> {
    if s.bytes().all(|b| b == b'0' || b == b'1') {
        Ok(s.to_owned())
    } else {
        Err(Fault::Malformed("not a bit string"))
    }
}

/// The column's value given its declared length.
pub(crate) fn value(bits: &str, length: i32) -> Value {
    if length <= 1 {
        // Integer.valueOf(bits, 2) != 0
        return Value::Boolean(bits.contains('1'));
    }
    let n = bits.len();
    let highest = bits.bytes().position(|b| b == b'1').map(|first| n - first);
    let mut out = vec![0u8; highest.unwrap_or(0).div_ceil(8)];
    for (i, b) in bits.bytes().rev().enumerate() {
        if b == b'1' {
            if let Some(byte) = out.get_mut(i / 8) {
                *byte |= 1 << (i % 8);
            }
        }
    }
    Value::Bytes(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_endian_bitset_bytes_like_debezium() {
        assert_eq!(value("11", 2), Value::Bytes(vec![3]));
        assert_eq!(value("1000000", 7), Value::Bytes(vec![64]));
        assert_eq!(value("00", 2), Value::Bytes(vec![]));
        assert_eq!(
            value("000000110000001000000001", 24),
            Value::Bytes(vec![1, 2, 3])
        );
        let long = format!("1{}", "0".repeat(63));
        assert_eq!(
            value(&long, 64),
            Value::Bytes(vec![0, 0, 0, 0, 0, 0, 0, 0x80])
        );
        assert_eq!(
            value("111011010001000110000001000000001", i32::MAX),
            Value::Bytes(vec![1, 2, 35, 0xda, 1])
        );
        assert_eq!(value("1", 1), Value::Boolean(true));
        assert_eq!(value("0", 1), Value::Boolean(false));
    }

    #[test]
    fn binary_matches_text() {
        assert_eq!(from_binary(&[0, 0, 0, 3, 0b1010_0000]).unwrap(), "101");
        assert!(from_binary(&[0, 0, 0, 9, 0]).is_err());
        assert!(from_binary(&[0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(from_text("102").is_err());
    }
}

//! Java's `Object.hashCode()` of the objects Connect holds for each kind of value (boxed
//! primitives, `String`, `BigDecimal` for a `Decimal`, `java.util.Date` for the `Date`, `Time`
//! and `Timestamp` logical types, `ArrayList`, `HashMap`), and the MurmurHash3 (x64, 32-bit,
//! seed 9001) that Debezium's `io.debezium.util.MurmurHash3.hash(Object)` computes, for
//! `PartitionRouting`.
//!
//! Java's own hash of a `byte[]` and of a `Struct` (which hashes its schema, and so enum
//! identities) differs from one JVM run to the next; here they hash by content
//! (`Arrays.hashCode`, and a struct's values as `Arrays.deepHashCode`).

use cdc_core::{Schema, Value};

/// `hashCode()` of the Java object Connect holds for `value` under `schema`; 0 for null.
pub fn java_hash(schema: Option<&Schema>, value: &Value) -> i32 {
    let logical = schema.and_then(|s| s.name.as_deref());
    match value {
        Value::Null => 0,
        Value::Boolean(b) => {
            if *b {
                1231
            } else {
                1237
            }
        }
        Value::Int8(n) => i32::from(*n),
        Value::Int16(n) => i32::from(*n),
        Value::Int32(n) => match logical {
            // A java.util.Date: the hash of its epoch milliseconds.
            Some("org.apache.kafka.connect.data.Date") => long_hash(i64::from(*n) * 86_400_000),
            Some("org.apache.kafka.connect.data.Time") => long_hash(i64::from(*n)),
            _ => *n,
        },
        Value::Int64(n) => long_hash(*n),
        Value::Float32(f) => float_bits(*f) as i32,
        Value::Float64(f) => long_hash(double_bits(*f) as i64),
        Value::String(s) => string_hash(s),
        Value::Bytes(b) => match (logical, schema.and_then(|s| s.parameter("scale"))) {
            (Some("org.apache.kafka.connect.data.Decimal"), Some(scale)) => {
                big_decimal_hash(b, scale.parse().unwrap_or(0))
            }
            _ => b.iter().fold(1i32, |h, &x| {
                h.wrapping_mul(31).wrapping_add(i32::from(x as i8))
            }),
        },
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.items.as_deref());
            items.iter().fold(1i32, |h, v| {
                h.wrapping_mul(31).wrapping_add(java_hash(item_schema, v))
            })
        }
        Value::Map(entries) => {
            let key_schema = schema.and_then(|s| s.keys.as_deref());
            let value_schema = schema.and_then(|s| s.items.as_deref());
            entries.iter().fold(0i32, |h, (k, v)| {
                h.wrapping_add(java_hash(key_schema, k) ^ java_hash(value_schema, v))
            })
        }
        Value::Struct(values) => values.iter().enumerate().fold(1i32, |h, (i, v)| {
            let field_schema = schema.and_then(|s| s.fields.get(i)).map(|f| &*f.schema);
            h.wrapping_mul(31).wrapping_add(java_hash(field_schema, v))
        }),
    }
}

/// `Long.hashCode`.
fn long_hash(v: i64) -> i32 {
    (v ^ ((v as u64) >> 32) as i64) as i32
}

/// `Float.floatToIntBits` (NaN canonical).
fn float_bits(f: f32) -> u32 {
    if f.is_nan() {
        0x7fc0_0000
    } else {
        f.to_bits()
    }
}

/// `Double.doubleToLongBits` (NaN canonical).
fn double_bits(f: f64) -> u64 {
    if f.is_nan() {
        0x7ff8_0000_0000_0000
    } else {
        f.to_bits()
    }
}

/// `String.hashCode`, over UTF-16 code units.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// `BigDecimal.hashCode` of `new BigDecimal(new BigInteger(unscaled), scale)`: the compact form
/// for an unscaled value of at most 63 bits, `BigInteger.hashCode` otherwise.
fn big_decimal_hash(unscaled: &[u8], scale: i32) -> i32 {
    let negative = unscaled.first().is_some_and(|b| b & 0x80 != 0);
    // The magnitude, big-endian, without leading zeros.
    let mut magnitude: Vec<u8> = if negative {
        // Two's complement negation.
        let mut m: Vec<u8> = unscaled.iter().map(|b| !b).collect();
        for b in m.iter_mut().rev() {
            let (sum, carry) = b.overflowing_add(1);
            *b = sum;
            if !carry {
                break;
            }
        }
        m
    } else {
        unscaled.to_vec()
    };
    let leading = magnitude.iter().take_while(|b| **b == 0).count();
    magnitude.drain(..leading);
    if magnitude.is_empty() {
        return scale; // 31 * 0 + scale
    }
    let bits = magnitude.len() * 8 - magnitude[0].leading_zeros() as usize;
    if bits <= 63 {
        let mut val2 = 0u64;
        for b in &magnitude {
            val2 = (val2 << 8) | u64::from(*b);
        }
        let hi = (val2 >> 32) as i32;
        let temp = (i64::from(hi.wrapping_mul(31)) + (val2 & 0xffff_ffff) as i64) as i32;
        let signed = if negative { temp.wrapping_neg() } else { temp };
        return signed.wrapping_mul(31).wrapping_add(scale);
    }
    // BigInteger.hashCode: the magnitude's 32-bit words, most significant first.
    let pad = (4 - magnitude.len() % 4) % 4;
    let mut padded = vec![0u8; pad];
    padded.extend_from_slice(&magnitude);
    let h = padded.chunks(4).fold(0i32, |h, w| {
        let word = u32::from_be_bytes([w[0], w[1], w[2], w[3]]);
        h.wrapping_mul(31).wrapping_add(word as i32)
    });
    let h = if negative { h.wrapping_neg() } else { h };
    h.wrapping_mul(31).wrapping_add(scale)
}

/// `MurmurHash3.hash(Object)`: a byte array or a string (as UTF-8) hashed itself, anything else
/// its `hashCode()` as 4 little-endian bytes.
pub fn murmur_hash(schema: Option<&Schema>, value: &Value) -> i32 {
    let is_decimal =
        schema.and_then(|s| s.name.as_deref()) == Some("org.apache.kafka.connect.data.Decimal");
    match value {
        Value::Bytes(b) if !is_decimal => murmur3_32(b),
        Value::String(s) => murmur3_32(s.as_bytes()),
        other => murmur3_32(&java_hash(schema, other).to_le_bytes()),
    }
}

struct State {
    h1: u64,
    h2: u64,
    k1: u64,
    k2: u64,
    c1: u64,
    c2: u64,
}

impl State {
    fn bmix(&mut self) {
        self.k1 = self.k1.wrapping_mul(self.c1);
        self.k1 = self.k1.rotate_left(23);
        self.k1 = self.k1.wrapping_mul(self.c2);
        self.h1 ^= self.k1;
        self.h1 = self.h1.wrapping_add(self.h2);
        self.h2 = self.h2.rotate_left(41);
        self.k2 = self.k2.wrapping_mul(self.c2);
        self.k2 = self.k2.rotate_left(23);
        self.k2 = self.k2.wrapping_mul(self.c1);
        self.h2 ^= self.k2;
        self.h2 = self.h2.wrapping_add(self.h1);
        self.h1 = self.h1.wrapping_mul(3).wrapping_add(0x52dc_e729);
        self.h2 = self.h2.wrapping_mul(3).wrapping_add(0x3849_5ab5);
        self.c1 = self.c1.wrapping_mul(5).wrapping_add(0x7b7d_159c);
        self.c2 = self.c2.wrapping_mul(5).wrapping_add(0x6bce_6396);
    }
}

fn fmix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

/// Infinispan's `MurmurHash3_x64_32(key, 9001)`, tail bytes sign-extended as Java's are.
fn murmur3_32(key: &[u8]) -> i32 {
    const SEED: u64 = 9001;
    let mut s = State {
        h1: 0x9368_e53c_2f6a_f274 ^ SEED,
        h2: 0x586d_cd20_8f7c_d3fd ^ SEED,
        k1: 0,
        k2: 0,
        c1: 0x87c3_7b91_1142_53d5,
        c2: 0x4cf5_ad43_2745_937f,
    };
    let blocks = key.len() / 16;
    for i in 0..blocks {
        let block = &key[i * 16..i * 16 + 16];
        s.k1 = u64::from_le_bytes(block[..8].try_into().unwrap_or([0; 8]));
        s.k2 = u64::from_le_bytes(block[8..].try_into().unwrap_or([0; 8]));
        s.bmix();
    }
    s.k1 = 0;
    s.k2 = 0;
    let tail = &key[blocks * 16..];
    // Each byte sign-extended to 64 bits before the shift, as `(long) key[i] << n`.
    let ext = |b: u8| b as i8 as i64 as u64;
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate().skip(8).rev() {
            s.k2 ^= ext(b) << ((i - 8) * 8);
        }
        for (i, &b) in tail.iter().enumerate().take(8).rev() {
            s.k1 ^= ext(b) << (i * 8);
        }
        s.bmix();
    }
    s.h2 ^= key.len() as u64;
    s.h1 = s.h1.wrapping_add(s.h2);
    s.h2 = s.h2.wrapping_add(s.h1);
    s.h1 = fmix(s.h1);
    s.h2 = fmix(s.h2);
    s.h1 = s.h1.wrapping_add(s.h2);
    (s.h1 >> 32) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_codes() {
        assert_eq!(string_hash("hello"), 99_162_322);
        assert_eq!(string_hash(""), 0);
        assert_eq!(
            long_hash(1_700_000_000_000),
            1_700_000_000_000i64 as i32 ^ 395
        );
        assert_eq!(java_hash(None, &Value::Boolean(true)), 1231);
        // new BigDecimal("123.45").hashCode() == 31 * 12345 + 2
        assert_eq!(big_decimal_hash(&[0x30, 0x39], 2), 31 * 12345 + 2);
        // new BigDecimal("-1").hashCode() == -31
        assert_eq!(big_decimal_hash(&[0xff], 0), -31);
    }
}

//! A property test without a dependency: seeded arbitrary schemas and values, written by
//! `json.rs` and read back equal.

use std::sync::Arc;

use super::*;
use crate::schema::logical;

/// xorshift64*: a seeded generator, so a failing case can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

fn arbitrary_schema(rng: &mut Rng, depth: u32) -> Schema {
    let leaf = depth >= 3 || rng.chance(2);
    let mut schema = if leaf {
        match rng.below(11) {
            0 => Schema::int8(),
            1 => Schema::int16(),
            2 => Schema::int32(),
            3 => Schema::int64(),
            4 => Schema::float32(),
            5 => Schema::float64(),
            6 => Schema::boolean(),
            7 => Schema::string(),
            8 => Schema::bytes(),
            9 => Schema::bytes()
                .named(logical::DECIMAL)
                .param("scale", rng.below(8).to_string()),
            _ => Schema::int32().named(logical::CONNECT_DATE).version(1),
        }
    } else {
        match rng.below(4) {
            0 => Schema::array(arbitrary_schema(rng, depth + 1)),
            1 => Schema::map(Schema::string(), arbitrary_schema(rng, depth + 1)),
            2 => {
                let mut key = arbitrary_schema(rng, depth + 1);
                key.optional = false;
                Schema::map(key, arbitrary_schema(rng, depth + 1))
            }
            _ => {
                let mut s = Schema::structure(format!("r{}", rng.below(100)));
                for i in 0..rng.below(5) {
                    s = s.field(format!("f{i}"), arbitrary_schema(rng, depth + 1));
                }
                s
            }
        }
    };
    if rng.chance(3) {
        schema.optional = true;
    }
    if rng.chance(4) {
        schema.doc = Some(format!("doc \"{}\"", rng.below(10)));
    }
    schema
}

fn arbitrary_value(rng: &mut Rng, schema: &Schema) -> Value {
    if schema.optional && rng.chance(4) {
        return Value::Null;
    }
    match schema.kind {
        SchemaType::Int8 => Value::Int8(rng.next() as i8),
        SchemaType::Int16 => Value::Int16(rng.next() as i16),
        SchemaType::Int32 => Value::Int32(rng.next() as i32),
        SchemaType::Int64 => Value::Int64(rng.next() as i64),
        SchemaType::Float32 => Value::Float32(loop {
            let v = f32::from_bits(rng.next() as u32);
            if !v.is_nan() {
                break v;
            }
        }),
        SchemaType::Float64 => Value::Float64(loop {
            let v = f64::from_bits(rng.next());
            if !v.is_nan() {
                break v;
            }
        }),
        SchemaType::Boolean => Value::Boolean(rng.chance(2)),
        SchemaType::String => {
            let chars = ['a', 'é', '"', '\\', '\n', '\u{1}', '𝄞', ' ', 'z'];
            let n = rng.below(8);
            Value::String(
                (0..n)
                    .map(|_| chars[rng.below(9) as usize])
                    .collect::<String>()
                    .into(),
            )
        }
        SchemaType::Bytes if schema.name.as_deref() == Some(logical::DECIMAL) => {
            // At most 15 digits: `decimal.format=NUMERIC` is written through a double.
            let digits: String = (0..1 + rng.below(15))
                .map(|_| char::from(b'0' + rng.below(10) as u8))
                .collect();
            let sign = if rng.chance(2) { "-" } else { "" };
            Value::Bytes(
                crate::decimal::parse_decimal(&format!("{sign}{digits}"))
                    .expect("digits")
                    .0,
            )
        }
        SchemaType::Bytes => Value::Bytes((0..rng.below(6)).map(|_| rng.next() as u8).collect()),
        SchemaType::Array => {
            let items = schema.items.as_deref().expect("items");
            Value::Array(
                (0..rng.below(4))
                    .map(|_| arbitrary_value(rng, items))
                    .collect(),
            )
        }
        SchemaType::Map => {
            let keys = schema.keys.as_deref().expect("keys");
            let values = schema.items.as_deref().expect("values");
            let mut entries: Vec<(Value, Value)> = Vec::new();
            for _ in 0..rng.below(4) {
                let key = arbitrary_value(rng, keys);
                // String keys become object keys, which must be distinct.
                if keys.kind == SchemaType::String && entries.iter().any(|(k, _)| *k == key) {
                    continue;
                }
                entries.push((key, arbitrary_value(rng, values)));
            }
            Value::Map(entries)
        }
        SchemaType::Struct => Value::Struct(
            schema
                .fields
                .iter()
                .map(|f| arbitrary_value(rng, &f.schema))
                .collect(),
        ),
    }
}

#[test]
fn arbitrary_schemas_and_values_read_back_as_written() {
    for seed in 1..=2000u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let schema = arbitrary_schema(&mut rng, 0);
        let value = arbitrary_value(&mut rng, &schema);
        let conv = if rng.chance(2) {
            with_schemas()
        } else {
            numeric()
        };
        let schema = Arc::new(schema);
        let bytes = conv
            .to_bytes(Some(&Data::new(schema.clone(), value.clone())))
            .expect("bytes");
        let read = conv
            .reader()
            .to_connect("t", Some(&bytes))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{}", String::from_utf8_lossy(&bytes)))
            .expect("a value");
        assert_eq!(read.schema.as_deref(), Some(&*schema), "seed {seed}");
        assert_eq!(
            read.value,
            value,
            "seed {seed}: {}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

/// Every prefix and byte-level mutation of valid documents reads to a value or an error, never a
/// panic (what a fuzz target would check, seeded so it runs with the unit tests).
#[test]
fn mutated_documents_never_panic() {
    let specials = b"{}[]\",:0-9.eE+-tfnul\\ \x00\xff";
    for seed in 1..=300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let schema = arbitrary_schema(&mut rng, 0);
        let value = arbitrary_value(&mut rng, &schema);
        let conv = if rng.chance(2) {
            with_schemas()
        } else {
            numeric()
        };
        let bytes = conv
            .to_bytes(Some(&Data::new(Arc::new(schema), value)))
            .expect("bytes");
        let readers = [conv.reader(), schemaless_converter().reader()];
        for reader in &readers {
            let _ = reader.to_connect(
                "t",
                Some(&bytes[..rng.below(bytes.len() as u64 + 1) as usize]),
            );
        }
        for _ in 0..20 {
            let mut mutated = bytes.clone();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(mutated.len() as u64 + 1) as usize;
                let byte = specials[rng.below(specials.len() as u64) as usize];
                match rng.below(3) {
                    0 if at < mutated.len() => mutated[at] = byte,
                    1 if at < mutated.len() => {
                        mutated.remove(at);
                    }
                    _ => mutated.insert(at, byte),
                }
            }
            for reader in &readers {
                let _ = reader.to_connect("t", Some(&mutated));
            }
        }
    }
}

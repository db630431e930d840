//! The geometric types, as Debezium maps them: point → `Point` struct, box/lseg/path/polygon →
//! `Geometry` (WKB, with the original type in `extensions`), circle → `Circle`, line → `Line`.

use cdc_core::Value;

use super::mapping::Mapping;
use super::wire::{Decoded, Fault, Wire};

const BAD: Fault = Fault::Malformed("not a geometric value");

/// The numbers of a geometric value in text order, and whether a path is open.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shape {
    numbers: Vec<f64>,
    open: bool,
}

/// The binary forms: float8 coordinates (box: high corner first), a path's closed flag and
/// point count, a polygon's point count.
pub(crate) fn from_binary(mapping: &Mapping, raw: &[u8]) -> Decoded<Shape> {
    let mut w = Wire::new(raw);
    let mut open = false;
    let count = match mapping {
        Mapping::Point => 2,
        Mapping::Line | Mapping::Circle => 3,
        Mapping::Lseg | Mapping::Box => 4,
        Mapping::Path | Mapping::Polygon => {
            if matches!(mapping, Mapping::Path) {
                open = w.u8()? == 0;
            }
            let points = usize::try_from(w.i32()?).map_err(|_| BAD)?;
            if points.checked_mul(16) != Some(w.remaining()) {
                return Err(BAD);
            }
            points * 2
        }
        _ => return Err(BAD),
    };
    let numbers = (0..count).map(|_| w.f64()).collect::<Decoded<Vec<_>>>()?;
    w.finish()?;
    Ok(Shape { numbers, open })
}

/// The text forms: `(x,y)`, `{a,b,c}`, `[(x1,y1),(x2,y2)]`, `(x1,y1),(x2,y2)`,
/// `((x,y),...)` or `[(x,y),...]` (an open path), `<(x,y),r>`.
pub(crate) fn from_text(mapping: &Mapping, s: &str) -> Decoded<Shape> {
    let numbers = s
        .split(|c: char| "()[]{}<>,".contains(c))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.parse::<f64>().map_err(|_| BAD))
        .collect::<Decoded<Vec<_>>>()?;
    let expected_ok = match mapping {
        Mapping::Point => numbers.len() == 2,
        Mapping::Line | Mapping::Circle => numbers.len() == 3,
        Mapping::Lseg | Mapping::Box => numbers.len() == 4,
        Mapping::Path | Mapping::Polygon => numbers.len().is_multiple_of(2),
        _ => false,
    };
    if !expected_ok {
        return Err(BAD);
    }
    Ok(Shape {
        numbers,
        open: s.trim_start().starts_with('['),
    })
}

fn wkb_header(kind: u32, capacity: usize) -> Vec<u8> {
    let mut wkb = Vec::with_capacity(capacity);
    wkb.push(1); // little-endian
    wkb.extend_from_slice(&kind.to_le_bytes());
    wkb
}

fn push_points(wkb: &mut Vec<u8>, points: &[(f64, f64)]) {
    wkb.extend_from_slice(&(points.len() as u32).to_le_bytes());
    for (x, y) in points {
        wkb.extend_from_slice(&x.to_le_bytes());
        wkb.extend_from_slice(&y.to_le_bytes());
    }
}

/// `Point.createValue(schema, x, y)`: x, y, a WKB point, no SRID.
fn point(x: f64, y: f64) -> Value {
    let mut wkb = wkb_header(1, 21);
    wkb.extend_from_slice(&x.to_le_bytes());
    wkb.extend_from_slice(&y.to_le_bytes());
    Value::Struct(vec![
        Value::Float64(x),
        Value::Float64(y),
        Value::Bytes(wkb),
        Value::Null,
    ])
}

fn line_string(points: &[(f64, f64)]) -> Vec<u8> {
    let mut wkb = wkb_header(2, 9 + points.len() * 16);
    push_points(&mut wkb, points);
    wkb
}

fn polygon(ring: &[(f64, f64)]) -> Vec<u8> {
    let mut wkb = wkb_header(3, 13 + ring.len() * 16);
    wkb.extend_from_slice(&1u32.to_le_bytes());
    push_points(&mut wkb, ring);
    wkb
}

fn geometry(wkb: Vec<u8>, extensions: &[(&str, &str)]) -> Value {
    let map = extensions
        .iter()
        .map(|(k, v)| (Value::String((*k).into()), Value::String((*v).into())))
        .collect();
    Value::Struct(vec![Value::Bytes(wkb), Value::Null, Value::Map(map)])
}

/// The Connect value of a shape.
pub(crate) fn value(mapping: &Mapping, shape: &Shape) -> Decoded<Value> {
    let n = &shape.numbers;
    let at = |i: usize| n.get(i).copied().ok_or(BAD);
    let points: Vec<(f64, f64)> = n.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    Ok(match mapping {
        Mapping::Point => point(at(0)?, at(1)?),
        Mapping::Line => Value::Struct(vec![
            Value::Float64(at(0)?),
            Value::Float64(at(1)?),
            Value::Float64(at(2)?),
        ]),
        Mapping::Circle => Value::Struct(vec![point(at(0)?, at(1)?), Value::Float64(at(2)?)]),
        Mapping::Box => {
            let (x1, y1, x2, y2) = (at(0)?, at(1)?, at(2)?, at(3)?);
            let ring = [(x1, y1), (x1, y2), (x2, y2), (x2, y1), (x1, y1)];
            geometry(polygon(&ring), &[("type", "box")])
        }
        Mapping::Lseg => geometry(line_string(&points), &[("type", "lseg")]),
        Mapping::Path => geometry(
            line_string(&points),
            &[
                ("type", "path"),
                ("closed", if shape.open { "false" } else { "true" }),
            ],
        ),
        Mapping::Polygon => {
            let mut ring = points;
            if let (Some(&first), Some(&last)) = (ring.first(), ring.last()) {
                if ring.len() >= 2 && (first.0 != last.0 || first.1 != last.1) {
                    ring.push(first);
                }
            }
            geometry(polygon(&ring), &[("type", "polygon")])
        }
        _ => return Err(BAD),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_binary_agree() {
        let mut raw = vec![1u8];
        raw.extend_from_slice(&2i32.to_be_bytes());
        for v in [1.0f64, 2.0, 3.5, -4.0] {
            raw.extend_from_slice(&v.to_be_bytes());
        }
        let bin = from_binary(&Mapping::Path, &raw).unwrap();
        let text = from_text(&Mapping::Path, "((1,2),(3.5,-4))").unwrap();
        assert_eq!(bin, text);
        assert!(!text.open);
    }

    #[test]
    fn point_value_carries_wkb() {
        let v = value(
            &Mapping::Point,
            &from_text(&Mapping::Point, "(1,1)").unwrap(),
        )
        .unwrap();
        let mut wkb = vec![1, 1, 0, 0, 0];
        wkb.extend_from_slice(&1f64.to_le_bytes());
        wkb.extend_from_slice(&1f64.to_le_bytes());
        assert_eq!(
            v,
            Value::Struct(vec![
                Value::Float64(1.0),
                Value::Float64(1.0),
                Value::Bytes(wkb),
                Value::Null
            ])
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(from_binary(&Mapping::Point, &[0; 15]).is_err());
        assert!(from_binary(&Mapping::Polygon, &[0x7f, 0xff, 0xff, 0xff]).is_err());
        assert!(from_binary(&Mapping::Path, &[1, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(from_text(&Mapping::Circle, "<(1,2)>").is_err());
        assert!(from_text(&Mapping::Point, "(a,b)").is_err());
    }
}

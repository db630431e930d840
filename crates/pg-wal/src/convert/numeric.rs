//! NUMERIC and MONEY: both wire formats to one decimal form, then Debezium's value per
//! `decimal.handling.mode`.

use std::fmt::Write as _;

use cdc_core::decimal::parse_decimal;
use cdc_core::Value;

use super::modes::{DecimalHandling, TypeModes};
use super::wire::{Decoded, Fault, Wire};

/// A decimal as Java's BigDecimal sees it: sign, unscaled digits, scale (never negative here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dec {
    neg: bool,
    /// Unscaled decimal digits without leading zeros ("0" for zero).
    digits: String,
    scale: u32,
}

/// A NUMERIC value, special values included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PgNumeric {
    Finite(Dec),
    NaN,
    PosInf,
    NegInf,
}

const MALFORMED: Fault = Fault::Malformed("not a decimal number");

impl Dec {
    fn new(neg: bool, digits: &str, scale: u32) -> Dec {
        let trimmed = digits.trim_start_matches('0');
        let digits = if trimmed.is_empty() { "0" } else { trimmed };
        Dec {
            neg: neg && digits != "0",
            digits: digits.to_owned(),
            scale,
        }
    }

    /// Parses a plain decimal (`-12.340`, `.5`, `7`); no exponent.
    pub(crate) fn parse(s: &str) -> Decoded<Dec> {
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(MALFORMED);
        }
        let scale = u32::try_from(frac.len()).map_err(|_| MALFORMED)?;
        Ok(Dec::new(neg, &format!("{int}{frac}"), scale))
    }

    pub(crate) fn from_unscaled(unscaled: i64, scale: u32) -> Dec {
        Dec::new(unscaled < 0, &unscaled.unsigned_abs().to_string(), scale)
    }

    fn is_zero(&self) -> bool {
        self.digits == "0"
    }

    /// `BigDecimal.setScale(scale, HALF_UP)`.
    fn with_scale(&self, scale: u32) -> Dec {
        if scale >= self.scale {
            let zeros = "0".repeat((scale - self.scale) as usize);
            return Dec::new(self.neg, &format!("{}{zeros}", self.digits), scale);
        }
        let drop = (self.scale - scale) as usize;
        let keep_len = self.digits.len().saturating_sub(drop);
        let (keep, dropped) = self.digits.split_at(keep_len);
        // Pad the dropped part on the left when the number has fewer digits than were dropped.
        let first_dropped = if dropped.len() == drop {
            dropped.bytes().next().unwrap_or(b'0')
        } else {
            b'0'
        };
        let mut kept = if keep.is_empty() {
            "0".to_owned()
        } else {
            keep.to_owned()
        };
        if first_dropped >= b'5' {
            kept = increment(&kept);
        }
        Dec::new(self.neg, &kept, scale)
    }

    /// `BigDecimal.stripTrailingZeros()`, then `setScale(0)` if the scale went negative.
    fn strip_trailing_zeros(&self) -> Dec {
        let removable = self
            .digits
            .bytes()
            .rev()
            .take(self.scale as usize)
            .take_while(|&b| b == b'0')
            .count();
        if self.is_zero() {
            return Dec::new(false, "0", 0);
        }
        let keep = self.digits.len() - removable;
        Dec::new(
            self.neg,
            &self.digits[..keep],
            self.scale - removable as u32,
        )
    }

    /// `BigDecimal.toPlainString()`.
    pub(crate) fn to_plain(&self) -> String {
        let scale = self.scale as usize;
        let mut out = String::with_capacity(self.digits.len() + 3);
        if self.neg {
            out.push('-');
        }
        if scale == 0 {
            out.push_str(&self.digits);
        } else if self.digits.len() > scale {
            let (int, frac) = self.digits.split_at(self.digits.len() - scale);
            let _ = write!(out, "{int}.{frac}");
        } else {
            out.push_str("0.");
            out.push_str(&"0".repeat(scale - self.digits.len()));
            out.push_str(&self.digits);
        }
        out
    }

    /// `BigDecimal.doubleValue()` (correctly rounded).
    fn to_f64(&self) -> f64 {
        self.to_plain().parse().unwrap_or(f64::NAN)
    }

    /// Big-endian two's complement unscaled value, as `BigInteger.toByteArray()`.
    pub(crate) fn unscaled_bytes(&self) -> Vec<u8> {
        let signed = if self.neg {
            format!("-{}", self.digits)
        } else {
            self.digits.clone()
        };
        parse_decimal(&signed)
            .map(|(b, _)| b)
            .unwrap_or_else(|| vec![0])
    }

    fn scale_i32(&self) -> i32 {
        i32::try_from(self.scale).unwrap_or(i32::MAX)
    }
}

fn increment(digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    for b in bytes.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return String::from_utf8(bytes).unwrap_or_default();
        }
    }
    let mut out = String::with_capacity(bytes.len() + 1);
    out.push('1');
    out.push_str(&String::from_utf8(bytes).unwrap_or_default());
    out
}

/// The binary NUMERIC format: ndigits, weight, sign, dscale, then base-10000 digits.
pub(crate) fn from_binary(raw: &[u8]) -> Decoded<PgNumeric> {
    let mut w = Wire::new(raw);
    let ndigits = w.i16()?;
    let weight = i32::from(w.i16()?);
    let sign = w.u16()?;
    let dscale = w.u16()?;
    let ndigits = usize::try_from(ndigits).map_err(|_| Fault::Malformed("negative digit count"))?;
    let mut digits = Vec::with_capacity(ndigits);
    for _ in 0..ndigits {
        let d = w.i16()?;
        if !(0..10000).contains(&d) {
            return Err(Fault::Malformed("numeric digit out of range"));
        }
        digits.push(d);
    }
    w.finish()?;
    let neg = match sign {
        0x0000 => false,
        0x4000 => true,
        0xC000 => return Ok(PgNumeric::NaN),
        0xD000 => return Ok(PgNumeric::PosInf),
        0xF000 => return Ok(PgNumeric::NegInf),
        _ => return Err(Fault::Malformed("invalid numeric sign")),
    };
    if dscale > 0x3FFF {
        return Err(Fault::Malformed("numeric scale out of range"));
    }
    // Render as numeric_out does, then parse: the text and binary paths then agree by construction.
    let digit = |k: i32| -> i16 {
        usize::try_from(k)
            .ok()
            .and_then(|k| digits.get(k).copied())
            .unwrap_or(0)
    };
    let mut text = String::new();
    if weight < 0 {
        text.push('0');
    } else {
        for k in 0..=weight {
            let d = digit(k);
            let _ = if k == 0 {
                write!(text, "{d}")
            } else {
                write!(text, "{d:04}")
            };
        }
    }
    if dscale > 0 {
        text.push('.');
        let mut frac = String::with_capacity(usize::from(dscale) + 4);
        let mut k = weight + 1;
        while frac.len() < usize::from(dscale) {
            let _ = write!(frac, "{:04}", digit(k));
            k += 1;
        }
        frac.truncate(usize::from(dscale));
        text.push_str(&frac);
    }
    let dec = Dec::parse(&text)?;
    Ok(PgNumeric::Finite(Dec {
        neg: neg && !dec.is_zero(),
        ..dec
    }))
}

/// numeric_out's text: a plain decimal, `NaN`, `Infinity` or `-Infinity`.
pub(crate) fn from_text(s: &str) -> Decoded<PgNumeric> {
    match s {
        "NaN" => Ok(PgNumeric::NaN),
        "Infinity" => Ok(PgNumeric::PosInf),
        "-Infinity" => Ok(PgNumeric::NegInf),
        _ => Dec::parse(s).map(PgNumeric::Finite),
    }
}

/// A NUMERIC column's value (`PostgresValueConverter.convertDecimal`).
pub(crate) fn numeric_value(
    n: PgNumeric,
    scale: i32,
    variable: bool,
    modes: &TypeModes,
) -> Decoded<Value> {
    let dec = match n {
        PgNumeric::Finite(dec) => dec,
        // SpecialValueDecimal: only double and string can carry these; string uses the enum
        // constant names, as Debezium does.
        special => {
            return match modes.decimal {
                DecimalHandling::Precise => Err(Fault::SpecialNumeric),
                DecimalHandling::Double => Ok(Value::Float64(match special {
                    PgNumeric::NaN => f64::NAN,
                    PgNumeric::PosInf => f64::INFINITY,
                    _ => f64::NEG_INFINITY,
                })),
                DecimalHandling::String => Ok(Value::String(
                    match special {
                        PgNumeric::NaN => "NAN",
                        PgNumeric::PosInf => "POSITIVE_INFINITY",
                        _ => "NEGATIVE_INFINITY",
                    }
                    .into(),
                )),
            };
        }
    };
    // withScaleAdjustedIfNeeded: a constrained column's values carry the column scale.
    let dec = if variable {
        dec
    } else {
        dec.with_scale(u32::try_from(scale).unwrap_or(0))
    };
    Ok(match modes.decimal {
        DecimalHandling::Precise if variable => {
            let dec = dec.strip_trailing_zeros();
            Value::Struct(vec![
                Value::Int32(dec.scale_i32()),
                Value::Bytes(dec.unscaled_bytes()),
            ])
        }
        DecimalHandling::Precise => Value::Bytes(dec.unscaled_bytes()),
        DecimalHandling::Double => Value::Float64(dec.to_f64()),
        DecimalHandling::String => Value::String(dec.to_plain().into()),
    })
}

/// MONEY's binary form: a 64-bit count of the currency's minor units. The server's
/// `lc_monetary` decides how many fraction digits that is; we take `money.fraction.digits`.
pub(crate) fn money_from_binary(raw: &[u8], modes: &TypeModes) -> Decoded<Dec> {
    let units = i64::from_be_bytes(super::wire::exact(raw)?);
    Ok(Dec::from_unscaled(
        units,
        u32::from(modes.money_fraction_digits),
    ))
}

/// MONEY's text form (`$1,234.56`, `-$1,234.56`, `($1,234.56)`), parsed as
/// Debezium's `PostgresMoney` does: parentheses, one currency symbol and `,` removed.
pub(crate) fn money_from_text(s: &str) -> Decoded<Dec> {
    let negative = s.starts_with('(') || s.starts_with('-');
    let mut value = s.strip_prefix('-').unwrap_or(s);
    if let Some(inner) = value.strip_prefix('(').and_then(|v| v.strip_suffix(')')) {
        value = inner;
    }
    if let Some(first) = value.chars().next() {
        if !first.is_ascii_digit() && first != '.' {
            value = &value[first.len_utf8()..];
        }
    }
    let plain: String = value.chars().filter(|&c| c != ',').collect();
    let dec = Dec::parse(&plain)?;
    Ok(Dec {
        neg: negative && !dec.is_zero(),
        ..dec
    })
}

/// A MONEY column's value (`PostgresValueConverter.convertMoney`).
pub(crate) fn money_value(dec: Dec, modes: &TypeModes) -> Value {
    match modes.decimal {
        DecimalHandling::Precise => Value::Bytes(
            dec.with_scale(u32::from(modes.money_fraction_digits))
                .unscaled_bytes(),
        ),
        DecimalHandling::Double => Value::Float64(dec.to_f64()),
        DecimalHandling::String => Value::String(dec.to_plain().into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(ndigits: i16, weight: i16, sign: u16, dscale: u16, digits: &[i16]) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [
            ndigits.to_be_bytes(),
            weight.to_be_bytes(),
            sign.to_be_bytes(),
            dscale.to_be_bytes(),
        ] {
            v.extend_from_slice(&x);
        }
        for d in digits {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v
    }

    fn plain(n: PgNumeric) -> String {
        match n {
            PgNumeric::Finite(d) => d.to_plain(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn binary_renders_like_numeric_out() {
        assert_eq!(
            plain(from_binary(&bin(3, 1, 0, 3, &[1, 2345, 6780])).unwrap()),
            "12345.678"
        );
        assert_eq!(
            plain(from_binary(&bin(1, -1, 0x4000, 4, &[5])).unwrap()),
            "-0.0005"
        );
        assert_eq!(
            plain(from_binary(&bin(1, 2, 0, 0, &[7])).unwrap()),
            "700000000"
        );
        assert_eq!(plain(from_binary(&bin(0, 0, 0, 2, &[])).unwrap()), "0.00");
        assert_eq!(
            from_binary(&bin(0, 0, 0xC000, 0, &[])).unwrap(),
            PgNumeric::NaN
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(from_binary(&[0, 1]).is_err());
        assert!(from_binary(&bin(2, 0, 0, 0, &[1])).is_err());
        assert!(from_binary(&bin(1, 0, 0, 0, &[10000])).is_err());
        assert!(from_binary(&bin(1, 0, 0x1234, 0, &[1])).is_err());
        assert!(from_binary(&bin(-1, 0, 0, 0, &[])).is_err());
        assert!(from_text("1e5").is_err());
        assert!(from_text("").is_err());
        assert!(money_from_text("").is_err());
    }

    #[test]
    fn scale_adjustments_follow_bigdecimal() {
        let d = Dec::parse("1.10").unwrap();
        assert_eq!(d.strip_trailing_zeros().to_plain(), "1.1");
        assert_eq!(
            Dec::parse("100").unwrap().strip_trailing_zeros().to_plain(),
            "100"
        );
        assert_eq!(
            Dec::parse("0.000")
                .unwrap()
                .strip_trailing_zeros()
                .to_plain(),
            "0"
        );
        assert_eq!(
            Dec::parse("1.005").unwrap().with_scale(2).to_plain(),
            "1.01"
        );
        assert_eq!(
            Dec::parse("-9.995").unwrap().with_scale(2).to_plain(),
            "-10.00"
        );
        assert_eq!(
            Dec::parse("0.004").unwrap().with_scale(2).to_plain(),
            "0.00"
        );
        assert_eq!(Dec::parse("3").unwrap().with_scale(2).to_plain(), "3.00");
    }

    #[test]
    fn money_text_as_postgres_money() {
        assert_eq!(money_from_text("$1,234.11").unwrap().to_plain(), "1234.11");
        assert_eq!(
            money_from_text("-$1,234.11").unwrap().to_plain(),
            "-1234.11"
        );
        assert_eq!(
            money_from_text("($1,234.11)").unwrap().to_plain(),
            "-1234.11"
        );
    }
}

//! Numbers as the scripts see them: Java's `BigDecimal` (Groovy's decimal literals and the
//! quotient of its `/` on integers) in 128 bits, and the text Java and JavaScript give a number.

use std::cmp::Ordering;

/// A `BigDecimal`: `unscaled × 10^-scale`. Operations that would leave 128 bits fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dec {
    pub unscaled: i128,
    pub scale: i32,
}

const TOO_BIG: &str = "a decimal number beyond what this interpreter holds (38 digits)";

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

fn digits(mut n: i128) -> u32 {
    let mut d = 1;
    while n.abs() >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

impl Dec {
    pub fn int(n: i64) -> Dec {
        Dec {
            unscaled: n.into(),
            scale: 0,
        }
    }

    /// `new BigDecimal(text)` for a literal (`1.50`, `2e3`).
    pub fn parse(text: &str) -> Option<Dec> {
        let (mantissa, exp) = match text.find(['e', 'E']) {
            Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
            None => (text, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all: String = format!("{int}{frac}");
        if all.len() > 38 {
            return None;
        }
        let unscaled = all.parse::<i128>().ok()?;
        let scale = i32::try_from(frac.len()).ok()?.checked_sub(exp)?;
        Some(Dec { unscaled, scale })
    }

    /// A Connect `Decimal`: big-endian two's complement, at `scale`.
    pub fn from_bytes(bytes: &[u8], scale: i32) -> Option<Dec> {
        if bytes.is_empty() || bytes.len() > 16 {
            return None;
        }
        let mut n: i128 = if bytes[0] & 0x80 != 0 { -1 } else { 0 };
        for b in bytes {
            n = (n << 8) | i128::from(*b);
        }
        Some(Dec { unscaled: n, scale })
    }

    pub fn to_f64(self) -> f64 {
        // Through text: exact to the nearest double.
        self.to_java_string().parse::<f64>().unwrap_or(f64::NAN)
    }

    fn precision(self) -> u32 {
        digits(self.unscaled)
    }

    /// Both at the larger scale.
    fn align(a: Dec, b: Dec) -> Result<(i128, i128, i32), String> {
        let scale = a.scale.max(b.scale);
        let up = |d: Dec| -> Result<i128, String> {
            let by = u32::try_from(scale - d.scale).map_err(|_| TOO_BIG)?;
            pow10(by)
                .and_then(|p| d.unscaled.checked_mul(p))
                .ok_or_else(|| TOO_BIG.to_owned())
        };
        Ok((up(a)?, up(b)?, scale))
    }

    pub fn cmp(self, other: Dec) -> Ordering {
        match Dec::align(self, other) {
            Ok((a, b, _)) => a.cmp(&b),
            Err(_) => self
                .to_f64()
                .partial_cmp(&other.to_f64())
                .unwrap_or(Ordering::Equal),
        }
    }

    pub fn add(self, other: Dec) -> Result<Dec, String> {
        let (a, b, scale) = Dec::align(self, other)?;
        let unscaled = a.checked_add(b).ok_or(TOO_BIG)?;
        Ok(Dec { unscaled, scale })
    }

    pub fn sub(self, other: Dec) -> Result<Dec, String> {
        self.add(Dec {
            unscaled: other.unscaled.checked_neg().ok_or(TOO_BIG)?,
            scale: other.scale,
        })
    }

    pub fn mul(self, other: Dec) -> Result<Dec, String> {
        let unscaled = self.unscaled.checked_mul(other.unscaled).ok_or(TOO_BIG)?;
        let scale = self.scale.checked_add(other.scale).ok_or(TOO_BIG)?;
        Ok(Dec { unscaled, scale })
    }

    pub fn rem(self, other: Dec) -> Result<Dec, String> {
        let (a, b, scale) = Dec::align(self, other)?;
        if b == 0 {
            return Err("java.lang.ArithmeticException: Division by zero".to_owned());
        }
        Ok(Dec {
            unscaled: a % b,
            scale,
        })
    }

    /// Groovy's `/` on integers and decimals (`BigDecimalMath.divideImpl`): the exact quotient
    /// when it terminates (at the preferred scale `a.scale - b.scale` or the least that holds
    /// it), else `max(precision) + 10` significant digits, at most `max(scale, 10)` decimals,
    /// rounded half up.
    pub fn div(self, other: Dec) -> Result<Dec, String> {
        if other.unscaled == 0 {
            return Err("java.lang.ArithmeticException: Division by zero".to_owned());
        }
        let preferred = self.scale - other.scale;
        if self.unscaled == 0 {
            return Ok(Dec {
                unscaled: 0,
                scale: preferred.max(0),
            });
        }
        let g = gcd(self.unscaled.unsigned_abs(), other.unscaled.unsigned_abs());
        let mut r = other.unscaled.unsigned_abs() / g;
        let (mut twos, mut fives) = (0u32, 0u32);
        while r.is_multiple_of(2) {
            r /= 2;
            twos += 1;
        }
        while r.is_multiple_of(5) {
            r /= 5;
            fives += 1;
        }
        if r == 1 {
            let k = twos.max(fives);
            let n = pow10(k)
                .and_then(|p| self.unscaled.checked_mul(p))
                .ok_or(TOO_BIG)?;
            let mut q = Dec {
                unscaled: n / other.unscaled,
                scale: preferred + i32::try_from(k).map_err(|_| TOO_BIG)?,
            };
            while q.scale > preferred && q.unscaled % 10 == 0 {
                q.unscaled /= 10;
                q.scale -= 1;
            }
            return Ok(q);
        }
        let precision = self.precision().max(other.precision()) + 10;
        // Enough digits: shift the dividend so the integer quotient has precision + 1 of them.
        let shift = (precision + 1 + other.precision()).saturating_sub(self.precision());
        let n = pow10(shift)
            .and_then(|p| self.unscaled.checked_mul(p))
            .ok_or(TOO_BIG)?;
        let mut q = Dec {
            unscaled: n / other.unscaled,
            scale: preferred + i32::try_from(shift).map_err(|_| TOO_BIG)?,
        };
        // The remainder only decides ties, and a non-terminating quotient has none.
        let extra = q.precision().saturating_sub(precision);
        q = q.round_down_digits(extra);
        let max_scale = self.scale.max(other.scale).max(10);
        if q.scale > max_scale {
            let drop = u32::try_from(q.scale - max_scale).map_err(|_| TOO_BIG)?;
            q = q.round_down_digits(drop);
        }
        Ok(q)
    }

    /// Drops `n` trailing digits, rounding half up (away from zero on a tie).
    fn round_down_digits(self, n: u32) -> Dec {
        if n == 0 {
            return self;
        }
        let Some(p) = pow10(n) else {
            return Dec {
                unscaled: 0,
                scale: self.scale - n as i32,
            };
        };
        let q = self.unscaled / p;
        let r = (self.unscaled % p).abs();
        let up = r * 2 >= p;
        Dec {
            unscaled: if up { q + self.unscaled.signum() } else { q },
            scale: self.scale - n as i32,
        }
    }

    /// `BigDecimal.toString()`.
    pub fn to_java_string(self) -> String {
        let neg = self.unscaled < 0;
        let digits = self.unscaled.unsigned_abs().to_string();
        let adjusted = -i64::from(self.scale) + (digits.len() as i64 - 1);
        let mut out = String::new();
        if neg {
            out.push('-');
        }
        if self.scale >= 0 && adjusted >= -6 {
            let scale = self.scale as usize;
            if scale == 0 {
                out.push_str(&digits);
            } else if digits.len() > scale {
                let (i, f) = digits.split_at(digits.len() - scale);
                out.push_str(i);
                out.push('.');
                out.push_str(f);
            } else {
                out.push_str("0.");
                out.push_str(&"0".repeat(scale - digits.len()));
                out.push_str(&digits);
            }
        } else {
            out.push_str(&digits[..1]);
            if digits.len() > 1 {
                out.push('.');
                out.push_str(&digits[1..]);
            }
            out.push('E');
            if adjusted >= 0 {
                out.push('+');
            }
            out.push_str(&adjusted.to_string());
        }
        out
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// The shortest digits that read back as `x` (positive, finite, non-zero) and the decimal
/// exponent `e` such that `x = 0.d1d2... × 10^e`.
fn shortest(x: f64) -> (String, i32) {
    let s = format!("{x:e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = m.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (digits.to_owned(), e.parse::<i32>().unwrap_or(0) + 1)
}

/// `Double.toString` (and `Float.toString` given the float's shortest digits).
pub fn java_double(x: f64) -> String {
    java_floating(x, shortest)
}

pub fn java_float(x: f32) -> String {
    java_floating(f64::from(x), |v| {
        let s = format!("{:e}", v as f32);
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let digits: String = m.chars().filter(char::is_ascii_digit).collect();
        let digits = digits.trim_end_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        (digits.to_owned(), e.parse::<i32>().unwrap_or(0) + 1)
    })
}

fn java_floating(x: f64, shortest: impl Fn(f64) -> (String, i32)) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let (d, e) = shortest(x.abs());
    let a = x.abs();
    if (1e-3..1e7).contains(&a) {
        let body = if e <= 0 {
            format!("0.{}{d}", "0".repeat((-e) as usize))
        } else if d.len() as i32 <= e {
            format!("{d}{}.0", "0".repeat((e - d.len() as i32) as usize))
        } else {
            let (i, f) = d.split_at(e as usize);
            format!("{i}.{f}")
        };
        format!("{sign}{body}")
    } else {
        let frac = if d.len() > 1 { &d[1..] } else { "0" };
        format!("{sign}{}.{frac}E{}", &d[..1], e - 1)
    }
}

/// JavaScript's `Number.prototype.toString()`.
pub fn js_number(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let (d, n) = shortest(x.abs());
    let k = d.len() as i32;
    let body = if k <= n && n <= 21 {
        format!("{d}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (i, f) = d.split_at(n as usize);
        format!("{i}.{f}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{d}", "0".repeat((-n) as usize))
    } else {
        let exp = n - 1;
        let sign = if exp >= 0 { "+" } else { "-" };
        let frac = if k > 1 {
            format!(".{}", &d[1..])
        } else {
            String::new()
        };
        format!("{}{frac}e{sign}{}", &d[..1], exp.abs())
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_print_and_divide_as_groovy() {
        let d = |s| Dec::parse(s).unwrap();
        assert_eq!(d("1.0").to_java_string(), "1.0");
        assert_eq!(d("2e3").to_java_string(), "2E+3");
        assert_eq!(d("0.0000001").to_java_string(), "1E-7");
        assert_eq!(
            Dec::int(7).div(Dec::int(2)).unwrap().to_java_string(),
            "3.5"
        );
        assert_eq!(Dec::int(4).div(Dec::int(2)).unwrap().to_java_string(), "2");
        assert_eq!(d("6.0").div(Dec::int(2)).unwrap().to_java_string(), "3.0");
        assert_eq!(
            Dec::int(1).div(Dec::int(3)).unwrap().to_java_string(),
            "0.3333333333"
        );
        assert_eq!(
            Dec::int(2).div(Dec::int(3)).unwrap().to_java_string(),
            "0.6666666667"
        );
        assert_eq!(
            Dec::int(-2).div(Dec::int(3)).unwrap().to_java_string(),
            "-0.6666666667"
        );
        assert!(Dec::int(1).div(Dec::int(0)).is_err());
        assert_eq!(
            Dec::from_bytes(&[0x30, 0x39], 2).unwrap().to_java_string(),
            "123.45"
        );
    }

    #[test]
    fn doubles_print_as_java_and_javascript() {
        assert_eq!(java_double(1.5), "1.5");
        assert_eq!(java_double(3.0), "3.0");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(1.234e-5), "1.234E-5");
        assert_eq!(java_double(0.001), "0.001");
        assert_eq!(java_float(0.1), "0.1");
        assert_eq!(js_number(3.0), "3");
        assert_eq!(js_number(3.5), "3.5");
        assert_eq!(js_number(1e21), "1e+21");
        assert_eq!(js_number(1e-7), "1e-7");
        assert_eq!(js_number(0.000001), "0.000001");
        assert_eq!(js_number(-120.0), "-120");
    }
}

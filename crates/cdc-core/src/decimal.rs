//! Decimal helpers: Connect's Decimal is a big-endian two's complement unscaled integer plus a scale.

/// Encodes a decimal string (`-12.345`, `7`, `1e3` not accepted) as (unscaled bytes, scale).
/// Returns `None` for anything that is not a plain decimal.
pub fn parse_decimal(s: &str) -> Option<(Vec<u8>, i32)> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let scale = i32::try_from(frac_part.len()).ok()?;
    let mut mag: Vec<u8> = vec![0]; // big-endian magnitude
    for b in int_part.bytes().chain(frac_part.bytes()) {
        mul_add(&mut mag, 10, u32::from(b - b'0'));
    }
    Some((to_twos_complement(mag, neg), scale))
}

/// Builds unscaled bytes from a big-endian magnitude in base 10000 digits (Postgres NUMERIC's form).
pub fn from_base10000(digits: &[i16], weight: i16, neg: bool, dscale: u16) -> (Vec<u8>, i32) {
    let mut mag: Vec<u8> = vec![0];
    // value = sum d_i * 10000^(weight - i); we want value * 10^dscale as an integer.
    let ndigits = digits.len() as i32;
    let weight = i32::from(weight);
    let dscale = i32::from(dscale);
    // number of base-10000 digits after the point we need to cover dscale
    let frac_groups = (dscale + 3) / 4;
    let last_group = weight + 1 + frac_groups; // number of groups from highest to needed
    for i in 0..last_group.max(0) {
        let d = if i < ndigits {
            digits[i as usize].max(0) as u32
        } else {
            0
        };
        mul_add(&mut mag, 10000, d);
    }
    // We now have value * 10000^frac_groups; divide out the extra 10^(4*frac_groups - dscale).
    let extra = 4 * frac_groups - dscale;
    for _ in 0..extra {
        div_small(&mut mag, 10);
    }
    if last_group <= 0 {
        mag = vec![0];
    }
    (to_twos_complement(mag, neg), dscale)
}

fn mul_add(mag: &mut Vec<u8>, mul: u32, add: u32) {
    let mut carry = add;
    for byte in mag.iter_mut().rev() {
        let v = u32::from(*byte) * mul + carry;
        *byte = (v & 0xff) as u8;
        carry = v >> 8;
    }
    while carry > 0 {
        mag.insert(0, (carry & 0xff) as u8);
        carry >>= 8;
    }
}

fn div_small(mag: &mut [u8], div: u32) {
    let mut rem = 0u32;
    for byte in mag.iter_mut() {
        let cur = (rem << 8) | u32::from(*byte);
        *byte = (cur / div) as u8;
        rem = cur % div;
    }
}

fn to_twos_complement(mut mag: Vec<u8>, neg: bool) -> Vec<u8> {
    while mag.len() > 1 && mag[0] == 0 {
        mag.remove(0);
    }
    if mag.first().is_some_and(|b| b & 0x80 != 0) {
        mag.insert(0, 0);
    }
    if neg && mag.iter().any(|b| *b != 0) {
        for b in mag.iter_mut() {
            *b = !*b;
        }
        for b in mag.iter_mut().rev() {
            let (v, overflow) = b.overflowing_add(1);
            *b = v;
            if !overflow {
                break;
            }
        }
        if mag[0] & 0x80 == 0 {
            mag.insert(0, 0xff);
        }
    }
    mag
}

/// Renders unscaled two's complement bytes with a scale as a plain decimal string.
pub fn unscaled_to_string(bytes: &[u8], scale: i32) -> String {
    if bytes.is_empty() {
        return "0".into();
    }
    let neg = bytes[0] & 0x80 != 0;
    let mut mag = bytes.to_vec();
    if neg {
        for b in mag.iter_mut() {
            *b = !*b;
        }
        for b in mag.iter_mut().rev() {
            let (v, overflow) = b.overflowing_add(1);
            *b = v;
            if !overflow {
                break;
            }
        }
    }
    let mut digits = Vec::new();
    while mag.iter().any(|b| *b != 0) {
        let mut rem = 0u32;
        for byte in mag.iter_mut() {
            let cur = (rem << 8) | u32::from(*byte);
            *byte = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits.push(b'0' + rem as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    let scale = scale.max(0) as usize;
    while digits.len() <= scale {
        digits.push(b'0');
    }
    digits.reverse();
    let mut s = String::with_capacity(digits.len() + 2);
    if neg {
        s.push('-');
    }
    let point = digits.len() - scale;
    s.push_str(std::str::from_utf8(&digits[..point]).unwrap_or("0"));
    if scale > 0 {
        s.push('.');
        s.push_str(std::str::from_utf8(&digits[point..]).unwrap_or("0"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_plain_decimals() {
        for s in [
            "0",
            "1",
            "-1",
            "127",
            "128",
            "-128",
            "-129",
            "12.345",
            "-0.01",
            "99999999999999999999.5",
        ] {
            let (b, scale) = parse_decimal(s).unwrap();
            assert_eq!(unscaled_to_string(&b, scale), s, "{s}");
        }
    }

    #[test]
    fn base10000_matches_string_parse() {
        // 12345.678 = digits [1, 2345, 6780], weight 1, dscale 3
        let (b, scale) = from_base10000(&[1, 2345, 6780], 1, false, 3);
        assert_eq!(unscaled_to_string(&b, scale), "12345.678");
        let (b, scale) = from_base10000(&[5], -1, true, 4);
        assert_eq!(unscaled_to_string(&b, scale), "-0.0005");
    }
}

//! inet, cidr, macaddr, macaddr8 and uuid: Debezium sends the strings PostgreSQL prints; the
//! binary forms are formatted the same way (`network_out`, `pg_inet_net_ntop`, `macaddr_out`).

use std::fmt::Write as _;

use super::wire::{exact, Decoded, Fault, Wire};

const PGSQL_AF_INET: u8 = 2;
const PGSQL_AF_INET6: u8 = 3;

/// inet/cidr binary: family, bits, is_cidr, address length, address.
pub(crate) fn inet_text(raw: &[u8], cidr: bool) -> Decoded<String> {
    let mut w = Wire::new(raw);
    let family = w.u8()?;
    let bits = w.u8()?;
    let _is_cidr = w.u8()?;
    let len = w.u8()?;
    let addr = w.take(usize::from(len))?;
    w.finish()?;
    let mut out = match (family, addr.len()) {
        (PGSQL_AF_INET, 4) if bits <= 32 => {
            let mut s = format!("{}.{}.{}.{}", addr[0], addr[1], addr[2], addr[3]);
            if bits != 32 {
                let _ = write!(s, "/{bits}");
            }
            s
        }
        (PGSQL_AF_INET6, 16) if bits <= 128 => ipv6(addr, bits),
        _ => return Err(Fault::Malformed("invalid inet address")),
    };
    // network_out: a cidr always shows its mask length.
    if cidr && !out.contains('/') {
        let _ = write!(out, "/{bits}");
    }
    Ok(out)
}

/// `inet_net_ntop_ipv6`: the longest run (2+) of zero words becomes `::`; IPv4-mapped and
/// -compatible addresses end in dotted quad.
fn ipv6(addr: &[u8], bits: u8) -> String {
    let mut words = [0u32; 8];
    for (i, pair) in addr.chunks_exact(2).enumerate().take(8) {
        words[i] = (u32::from(pair[0]) << 8) | u32::from(pair[1]);
    }
    let (mut best_base, mut best_len) = (None::<usize>, 0usize);
    let (mut cur_base, mut cur_len) = (None::<usize>, 0usize);
    for (i, &word) in words.iter().enumerate() {
        if word == 0 {
            if cur_base.is_none() {
                cur_base = Some(i);
                cur_len = 1;
            } else {
                cur_len += 1;
            }
        } else if let Some(base) = cur_base.take() {
            if best_base.is_none() || cur_len > best_len {
                best_base = Some(base);
                best_len = cur_len;
            }
        }
    }
    if let Some(base) = cur_base {
        if best_base.is_none() || cur_len > best_len {
            best_base = Some(base);
            best_len = cur_len;
        }
    }
    if best_len < 2 {
        best_base = None;
    }
    let mut out = String::with_capacity(48);
    for (i, &word) in words.iter().enumerate() {
        if let Some(base) = best_base {
            if i >= base && i < base + best_len {
                if i == base {
                    out.push(':');
                }
                continue;
            }
        }
        if i != 0 {
            out.push(':');
        }
        let embedded_v4 = best_base == Some(0)
            && (best_len == 6
                || (best_len == 7 && words[7] != 1)
                || (best_len == 5 && words[5] == 0xffff));
        if i == 6 && embedded_v4 {
            let _ = write!(out, "{}.{}.{}.{}", addr[12], addr[13], addr[14], addr[15]);
            break;
        }
        let _ = write!(out, "{word:x}");
    }
    if let Some(base) = best_base {
        if base + best_len == 8 {
            out.push(':');
        }
    }
    if bits != 128 {
        let _ = write!(out, "/{bits}");
    }
    out
}

pub(crate) fn macaddr_text(raw: &[u8]) -> Decoded<String> {
    let a: [u8; 6] = exact(raw)?;
    Ok(format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        a[0], a[1], a[2], a[3], a[4], a[5]
    ))
}

pub(crate) fn macaddr8_text(raw: &[u8]) -> Decoded<String> {
    let a: [u8; 8] = exact(raw)?;
    Ok(format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
    ))
}

/// uuid binary: 16 bytes, printed lower-case with hyphens.
pub(crate) fn uuid_text(raw: &[u8]) -> Decoded<String> {
    let a: [u8; 16] = exact(raw)?;
    Ok(format_uuid(&a))
}

pub(crate) fn format_uuid(a: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, b) in a.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inet(family: u8, bits: u8, addr: &[u8]) -> Vec<u8> {
        let mut v = vec![family, bits, 0, addr.len() as u8];
        v.extend_from_slice(addr);
        v
    }

    #[test]
    fn formats_like_postgres() {
        assert_eq!(
            inet_text(&inet(2, 12, &[192, 168, 2, 0]), false).unwrap(),
            "192.168.2.0/12"
        );
        assert_eq!(
            inet_text(&inet(2, 32, &[10, 0, 0, 1]), false).unwrap(),
            "10.0.0.1"
        );
        assert_eq!(
            inet_text(&inet(2, 32, &[10, 0, 0, 1]), true).unwrap(),
            "10.0.0.1/32"
        );
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert_eq!(inet_text(&inet(3, 128, &v6), false).unwrap(), "::1");
        v6[10] = 0xff;
        v6[11] = 0xff;
        v6[12] = 1;
        v6[13] = 2;
        v6[14] = 3;
        v6[15] = 4;
        assert_eq!(
            inet_text(&inet(3, 128, &v6), false).unwrap(),
            "::ffff:1.2.3.4"
        );
        let addr = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
        assert_eq!(
            inet_text(&inet(3, 64, &addr), false).unwrap(),
            "2001:db8::1:0:0:1/64"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(inet_text(&[2, 32, 0, 4, 1, 2], false).is_err());
        assert!(inet_text(&inet(2, 33, &[1, 2, 3, 4]), false).is_err());
        assert!(inet_text(&inet(9, 0, &[]), false).is_err());
        assert!(macaddr_text(&[1, 2, 3]).is_err());
        assert!(uuid_text(&[0; 17]).is_err());
    }
}

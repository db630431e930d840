//! tsvector: Debezium sends the text (`io.debezium.data.Tsvector`); the binary form is printed
//! as `tsvectorout` does: `'fat':2A,4 'rat':3`.

use std::fmt::Write as _;

use super::wire::{utf8, Decoded, Fault, Wire};

/// `tsvectorsend`: lexeme count, then each lexeme NUL-terminated with its positions.
pub(crate) fn text_from_binary(raw: &[u8]) -> Decoded<String> {
    let mut w = Wire::new(raw);
    let count = usize::try_from(w.i32()?).map_err(|_| Fault::Malformed("negative lexeme count"))?;
    let mut out = String::with_capacity(raw.len());
    for i in 0..count {
        let lexeme = utf8(w.cstring()?)?;
        let npos = w.u16()?;
        if i > 0 {
            out.push(' ');
        }
        out.push('\'');
        for c in lexeme.chars() {
            if c == '\'' || c == '\\' {
                out.push(c);
            }
            out.push(c);
        }
        out.push('\'');
        for p in 0..npos {
            let entry = w.u16()?;
            out.push(if p == 0 { ':' } else { ',' });
            let _ = write!(out, "{}", entry & 0x3fff);
            match entry >> 14 {
                3 => out.push('A'),
                2 => out.push('B'),
                1 => out.push('C'),
                _ => {}
            }
        }
    }
    w.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_tsvectorout() {
        let mut raw = 2i32.to_be_bytes().to_vec();
        raw.extend_from_slice(b"it's\0");
        raw.extend_from_slice(&2u16.to_be_bytes());
        raw.extend_from_slice(&(2u16 | 3 << 14).to_be_bytes());
        raw.extend_from_slice(&4u16.to_be_bytes());
        raw.extend_from_slice(b"rat\0");
        raw.extend_from_slice(&0u16.to_be_bytes());
        assert_eq!(text_from_binary(&raw).unwrap(), "'it''s':2A,4 'rat'");
        assert!(text_from_binary(&raw[..raw.len() - 1]).is_err());
        assert!(text_from_binary(&[0, 0, 0, 1, b'a']).is_err());
    }
}

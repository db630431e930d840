//! Column character sets: binlog row events carry a string column's bytes in the column's own
//! character set (snapshot rows arrive already converted to the connection's utf8mb4), so
//! streaming decodes them here to the same text.
//!
//! MySQL's names map to the WHATWG encodings of `encoding_rs` (MySQL's `latin1` is
//! windows-1252, `latin5` windows-1254, `ucs2` UTF-16BE, ...); `utf32` is decoded here. A
//! character set with no decoder is decoded as UTF-8 with replacement characters, and is
//! reported once when the table's schema is built.

use std::borrow::Cow;

use encoding_rs::Encoding;

/// How a string column's binlog bytes become text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Charset {
    /// utf8mb4, utf8mb3, ascii, binary-safe text, or unknown.
    #[default]
    Utf8,
    Encoded(&'static Encoding),
    /// UTF-32 big-endian (`utf32`).
    Utf32,
}

impl Charset {
    /// The decoder of MySQL/MariaDB character set `name` (or a collation name, whose prefix is
    /// the character set); `None` when there is none.
    pub fn of(name: &str) -> Option<Charset> {
        let name = name.trim().to_ascii_lowercase();
        // A collation (`latin1_swedish_ci`) names its character set first.
        let cs = KNOWN
            .iter()
            .filter(|(n, _)| name == *n || name.starts_with(&format!("{n}_")))
            .max_by_key(|(n, _)| n.len())
            .map(|(_, label)| *label)?;
        Some(match cs {
            "utf-8" => Charset::Utf8,
            "utf-32be" => Charset::Utf32,
            label => Charset::Encoded(Encoding::for_label(label.as_bytes())?),
        })
    }

    /// `bytes` as text; malformed sequences become U+FFFD.
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> Cow<'a, str> {
        match self {
            Charset::Utf8 => String::from_utf8_lossy(bytes),
            Charset::Encoded(e) => e.decode_without_bom_handling(bytes).0,
            Charset::Utf32 => Cow::Owned(
                bytes
                    .chunks(4)
                    .map(|c| {
                        <[u8; 4]>::try_from(c)
                            .ok()
                            .and_then(|b| char::from_u32(u32::from_be_bytes(b)))
                            .unwrap_or(char::REPLACEMENT_CHARACTER)
                    })
                    .collect(),
            ),
        }
    }
}

/// MySQL/MariaDB character sets and the WHATWG label of their decoder.
const KNOWN: &[(&str, &str)] = &[
    ("utf8mb4", "utf-8"),
    ("utf8mb3", "utf-8"),
    ("utf8", "utf-8"),
    ("ascii", "utf-8"),
    ("binary", "utf-8"),
    ("latin1", "windows-1252"),
    ("latin2", "iso-8859-2"),
    ("latin5", "windows-1254"),
    ("latin7", "iso-8859-13"),
    ("cp1250", "windows-1250"),
    ("cp1251", "windows-1251"),
    ("cp1256", "windows-1256"),
    ("cp1257", "windows-1257"),
    ("cp866", "ibm866"),
    ("greek", "iso-8859-7"),
    ("hebrew", "iso-8859-8"),
    ("koi8r", "koi8-r"),
    ("koi8u", "koi8-u"),
    ("macroman", "macintosh"),
    ("tis620", "windows-874"),
    ("sjis", "shift_jis"),
    ("cp932", "shift_jis"),
    ("ujis", "euc-jp"),
    ("eucjpms", "euc-jp"),
    ("gbk", "gbk"),
    ("gb2312", "gbk"),
    ("gb18030", "gb18030"),
    ("big5", "big5"),
    ("euckr", "euc-kr"),
    ("ucs2", "utf-16be"),
    ("utf16", "utf-16be"),
    ("utf16le", "utf-16le"),
    ("utf32", "utf-32be"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_collations_find_their_decoder() {
        assert_eq!(Charset::of("utf8mb4"), Some(Charset::Utf8));
        assert_eq!(Charset::of("utf8mb4_unicode_ci"), Some(Charset::Utf8));
        assert_eq!(
            Charset::of("LATIN1_swedish_ci"),
            Some(Charset::Encoded(encoding_rs::WINDOWS_1252))
        );
        // The longest name wins: utf16le is not utf16.
        assert_eq!(
            Charset::of("utf16le"),
            Some(Charset::Encoded(encoding_rs::UTF_16LE))
        );
        assert_eq!(Charset::of("utf32_general_ci"), Some(Charset::Utf32));
        assert_eq!(Charset::of("geostd8"), None);
    }

    #[test]
    fn bytes_decode_as_the_server_wrote_them() {
        let latin1 = Charset::of("latin1").unwrap();
        // MySQL's latin1 is windows-1252: 0x80 is the euro sign.
        assert_eq!(latin1.decode(b"caf\xe9 \x80"), "café €");
        assert_eq!(
            Charset::of("cp1251").unwrap().decode(b"\xcf\xf0\xe8"),
            "При"
        );
        assert_eq!(
            Charset::of("sjis").unwrap().decode(b"\x93\xfa\x96\x7b"),
            "日本"
        );
        assert_eq!(
            Charset::of("gbk").unwrap().decode(b"\xd6\xd0\xce\xc4"),
            "中文"
        );
        assert_eq!(Charset::of("ucs2").unwrap().decode(b"\x00h\x00\xe9"), "hé");
        assert_eq!(
            Charset::of("utf32")
                .unwrap()
                .decode(b"\x00\x01\xf6\x00\x00\x00\x00a"),
            "😀a"
        );
        // Malformed input never panics.
        assert_eq!(
            Charset::of("utf32").unwrap().decode(b"\x00\x00"),
            "\u{fffd}"
        );
        assert_eq!(Charset::Utf8.decode(b"\xff"), "\u{fffd}");
    }
}

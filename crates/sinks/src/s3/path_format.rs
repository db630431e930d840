//! `path.format`: the numeric subset of Joda-Time's `DateTimeFormat` patterns that
//! storage-common's time-based partitioners print (`'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH`).
//!
//! Supported letters: `y`/`Y` (year; `yy` its last two digits), `M` (month, numeric: `M`/`MM`),
//! `d` (day of month), `D` (day of year), `H` (hour 0–23), `m` (minute), `s` (second); quoted
//! text (`'year'`, `''` for a quote) and every non-letter print as they are. Any other letter
//! (text fields such as `MMM` or `EEE`, whose output depends on `locale`) is refused when the
//! pattern is parsed, so `locale` never changes a path.

use jiff::ZonedDateTime as Zoned;

/// One piece of a parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    /// A numeric field and its minimum width.
    Field(char, usize),
}

/// A parsed `path.format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathFormat {
    pieces: Vec<Piece>,
}

impl PathFormat {
    /// Parses a Joda-Time pattern; the error says which letter is not supported.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                // '' is a quote; 'text' is text ('' inside it a quote).
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("has an unterminated quote".to_owned()),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            literal.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            literal.push(ch);
                            i += 1;
                        }
                    }
                }
                continue;
            }
            if c.is_ascii_alphabetic() {
                let mut n = 1;
                while chars.get(i + n) == Some(&c) {
                    n += 1;
                }
                match c {
                    'y' | 'Y' | 'd' | 'D' | 'H' | 'm' | 's' => {}
                    'M' if n <= 2 => {}
                    _ => {
                        return Err(format!(
                            "uses the pattern letters {:?}, which Tributary does not print yet; \
                             supported: y, Y, M, MM, d, D, H, m, s and quoted text",
                            chars[i..i + n].iter().collect::<String>()
                        ))
                    }
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Field(c, n));
                i += n;
                continue;
            }
            literal.push(c);
            i += 1;
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(PathFormat { pieces })
    }

    /// The path of a partition's start time, in its time zone.
    pub fn print(&self, at: &Zoned) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(s) => out.push_str(s),
                Piece::Field(c, width) => {
                    let value: i64 = match c {
                        'y' | 'Y' if *width == 2 => i64::from(at.year()).rem_euclid(100),
                        'y' | 'Y' => i64::from(at.year()),
                        'M' => i64::from(at.month()),
                        'd' => i64::from(at.day()),
                        'D' => i64::from(at.day_of_year()),
                        'H' => i64::from(at.hour()),
                        'm' => i64::from(at.minute()),
                        _ => i64::from(at.second()),
                    };
                    let digits = value.unsigned_abs().to_string();
                    if value < 0 {
                        out.push('-');
                    }
                    for _ in digits.len()..*width {
                        out.push('0');
                    }
                    out.push_str(&digits);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str, tz: &str) -> Zoned {
        s.parse::<jiff::Timestamp>()
            .unwrap()
            .to_zoned_datetime(jiff::tz::TimeZone::get(tz).unwrap())
    }

    #[test]
    fn hourly_pattern_prints_padded_fields_and_quoted_names() {
        let f = PathFormat::parse("'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH").unwrap();
        assert_eq!(
            f.print(&at("2024-03-05T07:08:09Z", "UTC")),
            "year=2024/month=03/day=05/hour=07"
        );
        assert_eq!(
            f.print(&at("2024-03-05T23:08:09Z", "Europe/Paris")),
            "year=2024/month=03/day=06/hour=00"
        );
    }

    #[test]
    fn quotes_two_digit_years_and_day_of_year() {
        let f = PathFormat::parse("yy-D-'o''clock'-H''m").unwrap();
        assert_eq!(
            f.print(&at("2024-02-01T05:04:00Z", "UTC")),
            "24-32-o'clock-5'4"
        );
    }

    #[test]
    fn text_fields_and_unknown_letters_are_refused() {
        for p in ["MMM", "EEE", "'a'=a", "'x"] {
            assert!(PathFormat::parse(p).is_err(), "{p}");
        }
    }
}

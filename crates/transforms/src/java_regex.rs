//! Java's regular expressions as Connect's transforms use them, on Rust's `regex`: a whole-input
//! match (`Matcher.matches()`), and `Matcher.replaceFirst`'s replacement syntax (`$1`, `${name}`,
//! `\$` and `\\` escapes) translated to Rust's. Patterns using what `regex` lacks (backreferences,
//! lookaround) are configuration errors naming the construct's position.

use regex::Regex;

/// `pattern` anchored to match a whole input.
pub fn whole(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| format!("{pattern:?} is not a regular expression Tributary can evaluate: {e}"))
}

/// A `Matcher.replaceFirst` replacement as a `regex` replacement: `$n` and `${name}` are group
/// references, `\x` is `x` literally; everything else is literal.
pub fn replacement(java: &str) -> Result<String, String> {
    let mut out = String::with_capacity(java.len() + 8);
    let mut chars = java.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => return Err("character to be escaped is missing".into()),
            },
            '$' => match chars.peek() {
                Some('{') => {
                    chars.next();
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(n) if n.is_ascii_alphanumeric() => name.push(n),
                            _ => return Err("named capturing group is missing trailing '}'".into()),
                        }
                    }
                    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
                        return Err("named capturing group has 0 length name".into());
                    }
                    out.push_str(&format!("${{{name}}}"));
                }
                Some(d) if d.is_ascii_digit() => {
                    let mut digits = String::new();
                    while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                        digits.push(*d);
                        chars.next();
                    }
                    out.push_str(&format!("${{{digits}}}"));
                }
                _ => return Err("Illegal group reference".into()),
            },
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Java's error for a replacement (translated by [`replacement`]) that names a group `re`
/// does not have, if it does.
pub fn missing_group(re: &Regex, replacement: &str) -> Option<String> {
    let names: Vec<&str> = re.capture_names().flatten().collect();
    let mut rest = replacement;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        if let Some(r) = after.strip_prefix('$') {
            rest = r;
            continue;
        }
        let Some(inner) = after.strip_prefix('{') else {
            rest = after;
            continue;
        };
        let end = inner.find('}')?;
        let group = &inner[..end];
        match group.parse::<usize>() {
            Ok(n) if n >= re.captures_len() => return Some(format!("No group {n}")),
            Err(_) if !names.contains(&group) => {
                return Some(format!("No group with name {{{group}}}"))
            }
            _ => {}
        }
        rest = &inner[end + 1..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_replacements_translate() {
        assert_eq!(replacement("prod-$1").unwrap(), "prod-${1}");
        assert_eq!(replacement("a${name}b").unwrap(), "a${name}b");
        assert_eq!(replacement(r"cost\$5\\").unwrap(), r"cost$$5\");
        assert!(replacement("$").is_err());
        let re = whole("(.*)-(\\d+)").unwrap();
        assert_eq!(
            re.replace("t-12", replacement("$2_$1").unwrap().as_str()),
            "12_t"
        );
        assert!(!re.is_match("t-12x"));
        assert_eq!(missing_group(&re, "${3}").as_deref(), Some("No group 3"));
        assert_eq!(missing_group(&re, "$${3}${2}"), None);
    }
}

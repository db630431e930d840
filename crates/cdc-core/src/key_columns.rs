//! `message.key.columns`: custom message keys per table, as Debezium's `CustomKeyMapper` reads
//! them.
//!
//! The property is a `;`-separated list of `<fully-qualified table regex>:<column>,<column>`
//! entries, for example `inventory.customers:pk1,pk2;(.*).purchaseorders:pk3`. The table part is
//! an anchored regular expression matched against `schema.table` (PostgreSQL) or
//! `database.table` (MySQL); the first entry that matches a table gives its key columns, in the
//! listed order. Listed columns the table does not have are skipped; a table none of whose listed
//! columns exist keeps its primary key.

use regex::Regex;

use crate::config::ConfigReader;

/// The property's name.
pub const PROPERTY: &str = "message.key.columns";

/// The parsed `message.key.columns` entries, in the order given.
#[derive(Debug, Clone, Default)]
pub struct MessageKeyColumns {
    entries: Vec<(Regex, Vec<String>)>,
}

impl MessageKeyColumns {
    /// Parses the property's value; an error names the bad entry and the expected shape.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries = Vec::new();
        for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((table, columns)) = entry.rsplit_once(':') else {
                return Err(format!(
                    "entry {entry:?} has no ':'; expected <fully-qualified table regex>:<column>,<column> (entries separated by ';')"
                ));
            };
            let table = table.trim();
            let columns: Vec<String> = columns
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect();
            if table.is_empty() || columns.is_empty() {
                return Err(format!(
                    "entry {entry:?} needs a table regex and at least one column; expected <fully-qualified table regex>:<column>,<column>"
                ));
            }
            let regex = Regex::new(&format!("^(?:{table})$")).map_err(|e| {
                format!("the table part {table:?} of entry {entry:?} is not a valid regular expression: {e}")
            })?;
            entries.push((regex, columns));
        }
        Ok(MessageKeyColumns { entries })
    }

    /// Reads the property from `reader`, recording a problem when it does not parse.
    pub fn read(reader: &mut ConfigReader<'_>) -> Self {
        let text = reader.optional_string(PROPERTY).unwrap_or_default();
        match Self::parse(&text) {
            Ok(k) => k,
            Err(message) => {
                reader.problem(PROPERTY, message);
                Self::default()
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The key columns configured for the table named `qualified` (`schema.table`), if any.
    pub fn for_table(&self, qualified: &str) -> Option<&[String]> {
        self.entries
            .iter()
            .find(|(r, _)| r.is_match(qualified))
            .map(|(_, c)| c.as_slice())
    }

    /// Positions in `columns` of the key configured for `qualified`, in the listed order:
    /// `None` when no entry matches or none of its columns exist (the table keeps its primary
    /// key). A name matches exactly, or else ignoring ASCII case, as Debezium looks columns up.
    pub fn positions<'a>(
        &self,
        qualified: &str,
        columns: impl Iterator<Item = &'a str> + Clone,
    ) -> Option<Vec<usize>> {
        let wanted = self.for_table(qualified)?;
        let mut out = Vec::with_capacity(wanted.len());
        for name in wanted {
            let found = columns
                .clone()
                .position(|c| c == name)
                .or_else(|| columns.clone().position(|c| c.eq_ignore_ascii_case(name)));
            if let Some(i) = found {
                if !out.contains(&i) {
                    out.push(i);
                }
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_match_fully_qualified_names_in_order() {
        let k = MessageKeyColumns::parse(
            " inventory.customers:pk1, pk2 ; (.*).purchaseorders:pk3;public.t.*:a",
        )
        .unwrap();
        assert_eq!(
            k.for_table("inventory.customers"),
            Some(&["pk1".to_owned(), "pk2".to_owned()][..])
        );
        assert_eq!(
            k.for_table("sales.purchaseorders"),
            Some(&["pk3".to_owned()][..])
        );
        // Anchored: a prefix does not match.
        assert_eq!(k.for_table("inventory.customers2"), None);
        assert_eq!(k.for_table("public.things"), Some(&["a".to_owned()][..]));
        assert!(MessageKeyColumns::parse("").unwrap().is_empty());
    }

    #[test]
    fn positions_follow_the_listed_order_and_skip_missing_columns() {
        let k = MessageKeyColumns::parse("s.t:B,missing,a").unwrap();
        let cols = ["a", "b", "c"];
        assert_eq!(k.positions("s.t", cols.iter().copied()), Some(vec![1, 0]));
        let k = MessageKeyColumns::parse("s.t:nope").unwrap();
        assert_eq!(k.positions("s.t", cols.iter().copied()), None);
        assert_eq!(k.positions("s.u", cols.iter().copied()), None);
    }

    #[test]
    fn bad_entries_say_what_is_expected() {
        let e = MessageKeyColumns::parse("inventory.customers").unwrap_err();
        assert!(
            e.contains("inventory.customers") && e.contains("<column>"),
            "{e}"
        );
        let e = MessageKeyColumns::parse("a.b:").unwrap_err();
        assert!(e.contains("at least one column"), "{e}");
        let e = MessageKeyColumns::parse("a.(b:c").unwrap_err();
        assert!(e.contains("not a valid regular expression"), "{e}");
    }
}

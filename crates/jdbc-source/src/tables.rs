//! Which of the database's tables a connector reads, their topics, and how they are spread over
//! `tasks.max` tasks (research §5; `TableMonitorThread`, `TableCollectionUtils`,
//! `ConnectorUtils.groupPartitions`).

use crate::config::Tables;
use crate::sql::{SqlDialect, TableId};

/// The tables of `all` (in the database's listing order) the config selects.
///
/// * include/exclude lists: full matches on the unquoted `schema.table` or, unlike Confluent, on
///   the bare table name (so `table.include.list=articles` selects `news.articles`, which
///   Confluent would not; `docs/decisions/jdbc-source.md`), exclude after include;
/// * legacy lists: the whitelist wins over the blacklist; a name matches the unquoted qualified
///   name, the quoted one or the bare table name.
pub fn select(all: &[TableId], tables: &Tables, dialect: SqlDialect) -> Vec<TableId> {
    match tables {
        Tables::Query(_) => Vec::new(),
        Tables::Patterns { include, exclude } => all
            .iter()
            .filter(|t| {
                let fqn = t.fqn();
                let matches = |r: &regex::Regex| r.is_match(&fqn) || r.is_match(&t.table);
                include.iter().any(matches) && !exclude.iter().any(matches)
            })
            .cloned()
            .collect(),
        Tables::Legacy {
            whitelist,
            blacklist,
        } => {
            let names = |t: &TableId| [t.fqn(), t.quoted(dialect), t.table.clone()];
            let listed = |list: &[String], t: &TableId| {
                let n = names(t);
                list.iter().any(|item| n.contains(item))
            };
            all.iter()
                .filter(|t| {
                    if !whitelist.is_empty() {
                        listed(whitelist, t)
                    } else {
                        !listed(blacklist, t)
                    }
                })
                .cloned()
                .collect()
        }
    }
}

/// The topic of a table: `topic.prefix` and the bare table name.
pub fn topic(prefix: &str, table: &TableId) -> String {
    format!("{prefix}{}", table.table)
}

/// Two selected tables with the same bare name would write one topic: Confluent fails the
/// connector, with this message.
pub fn check_bare_names(tables: &[TableId]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for t in tables {
        if !seen.insert(t.table.as_str()) {
            return Err(format!(
                "The connector uses the unqualified table name as the topic name and has detected duplicate unqualified table names. This could lead to mixed data types in the topic and downstream processing errors. To prevent such processing errors, the JDBC Source connector fails to start when it detects duplicate table name configurations. Duplicate table: {}",
                t.table
            ));
        }
    }
    Ok(())
}

/// Kafka's `ConnectorUtils.groupPartitions`: `items` in contiguous chunks over
/// `min(len, max_groups)` groups, the first `len mod groups` one larger.
pub fn group<T: Clone>(items: &[T], max_groups: usize) -> Vec<Vec<T>> {
    let groups = max_groups.min(items.len()).max(1);
    let (each, extra) = (items.len() / groups, items.len() % groups);
    let mut out = Vec::with_capacity(groups);
    let mut at = 0;
    for g in 0..groups {
        let n = each + usize::from(g < extra);
        out.push(items[at..at + n].to_vec());
        at += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn t(s: &str, n: &str) -> TableId {
        TableId::new(Some(s), n)
    }

    fn all() -> Vec<TableId> {
        vec![
            t("public", "orders"),
            t("public", "items"),
            t("audit", "orders"),
        ]
    }

    #[test]
    fn legacy_lists_match_qualified_quoted_or_bare_names_and_the_whitelist_wins() {
        let legacy = |w: &[&str], b: &[&str]| Tables::Legacy {
            whitelist: w.iter().map(|s| (*s).to_owned()).collect(),
            blacklist: b.iter().map(|s| (*s).to_owned()).collect(),
        };
        let pg = SqlDialect::Postgres;
        assert_eq!(
            select(&all(), &legacy(&["orders"], &[]), pg),
            [t("public", "orders"), t("audit", "orders")]
        );
        assert_eq!(
            select(&all(), &legacy(&["\"public\".\"items\""], &["items"]), pg),
            [t("public", "items")]
        );
        assert_eq!(
            select(&all(), &legacy(&[], &["audit.orders"]), pg),
            [t("public", "orders"), t("public", "items")]
        );
    }

    #[test]
    fn patterns_fully_match_the_qualified_name() {
        let p = Tables::Patterns {
            include: vec![Regex::new("^(?:public\\..*)$").unwrap()],
            exclude: vec![Regex::new("^(?:public\\.items)$").unwrap()],
        };
        assert_eq!(
            select(&all(), &p, SqlDialect::Postgres),
            [t("public", "orders")]
        );
    }

    #[test]
    fn topics_use_the_bare_name_and_duplicates_fail() {
        assert_eq!(topic("pg-", &t("public", "products")), "pg-products");
        assert!(check_bare_names(&all())
            .unwrap_err()
            .ends_with("Duplicate table: orders"));
        assert!(check_bare_names(&all()[..2]).is_ok());
    }

    #[test]
    fn tables_spread_over_tasks_as_connects_group_partitions() {
        let items = [1, 2, 3, 4, 5];
        assert_eq!(group(&items, 2), [vec![1, 2, 3], vec![4, 5]]);
        assert_eq!(group(&items, 3), [vec![1, 2], vec![3, 4], vec![5]]);
        assert_eq!(group(&items[..2], 4), [vec![1], vec![2]]);
        assert_eq!(group::<i32>(&[], 3), [Vec::<i32>::new()]);
    }
}

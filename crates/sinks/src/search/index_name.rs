//! Index names from topic names, by Confluent's rules (`convertTopicToIndexName`): lower-cased,
//! cut to 255 characters, one leading `-` or `_` dropped, and `.` or `..` spelled `dot`/`dotdot`.

/// The index records of `topic` are written to.
pub fn index_for_topic(topic: &str) -> String {
    let mut index = topic.to_lowercase();
    if let Some((at, _)) = index.char_indices().nth(255) {
        index.truncate(at);
    }
    if index.starts_with('-') || index.starts_with('_') {
        index.remove(0);
    }
    if index == "." || index == ".." {
        index = index.replace('.', "dot");
    }
    index
}

#[cfg(test)]
mod tests {
    use super::index_for_topic;

    #[test]
    fn names_follow_confluents_rules() {
        assert_eq!(index_for_topic("pg.public.Orders"), "pg.public.orders");
        assert_eq!(index_for_topic("_private"), "private");
        assert_eq!(index_for_topic("--x"), "-x");
        assert_eq!(index_for_topic("."), "dot");
        assert_eq!(index_for_topic(".."), "dotdot");
        assert_eq!(index_for_topic(&"A".repeat(300)), "a".repeat(255));
    }
}

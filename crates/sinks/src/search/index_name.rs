//! Index and data stream names from topic names, by Confluent's rules (`convertTopicToIndexName`): lower-cased,
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

/// The data stream records of `topic` are written to (Confluent's
/// `convertTopicToDataStreamName`): `<type>-<dataset>-<namespace>`, `${topic}` in the namespace
/// standing for the topic lower-cased, the namespace cut to 100 characters.
pub fn data_stream_for_topic(ds: &super::config::DataStream, topic: &str) -> String {
    let mut namespace = ds.namespace.replace("${topic}", &topic.to_lowercase());
    if let Some((at, _)) = namespace.char_indices().nth(100) {
        namespace.truncate(at);
    }
    format!("{}-{}-{}", ds.kind, ds.dataset, namespace)
}

#[cfg(test)]
mod tests {
    use super::{data_stream_for_topic, index_for_topic};

    #[test]
    fn names_follow_confluents_rules() {
        assert_eq!(index_for_topic("pg.public.Orders"), "pg.public.orders");
        assert_eq!(index_for_topic("_private"), "private");
        assert_eq!(index_for_topic("--x"), "-x");
        assert_eq!(index_for_topic("."), "dot");
        assert_eq!(index_for_topic(".."), "dotdot");
        assert_eq!(index_for_topic(&"A".repeat(300)), "a".repeat(255));
    }

    #[test]
    fn data_stream_names_are_type_dataset_namespace() {
        let ds = crate::search::config::DataStream {
            kind: "logs".into(),
            dataset: "cdc".into(),
            namespace: "${topic}".into(),
            timestamp_fields: Vec::new(),
        };
        assert_eq!(data_stream_for_topic(&ds, "Orders"), "logs-cdc-orders");
        let long = data_stream_for_topic(&ds, &"x".repeat(150));
        assert_eq!(long.len(), "logs-cdc-".len() + 100);
    }
}

// The reference side of tests/transforms: Kafka Connect's (and Debezium's) single message
// transforms, run on records the way a Connect sink task runs them. A test peer only: Tributary
// itself needs no Java. Run through scripts/lib/smt-harness.sh:
//
//   bash scripts/lib/smt-harness.sh tests/transforms/cases.json > outputs.json
//
// Input: a JSON array of cases
//   {"name", "config": {connector-style properties}, "schemas": true|false,
//    "records": [{"topic", "partition", "offset", "timestamp", "key", "value",
//                 "headers": [[name, string-or-null], ...]}]}
// where key and value are what JsonConverter wrote (an envelope {"schema","payload"} when
// "schemas" is true, plain JSON otherwise; null for a null key or a tombstone).
//
// Output: a JSON array, one element a case, in the input's order:
//   {"name", "config_error": "<class>: <message>"}   when instantiating or configuring failed
//   {"name", "outputs": [...]}                         otherwise, one element an input record:
//     null                                             the chain dropped it
//     {"error": "<class>: <message>"}                  decoding or a transform threw
//     {"topic", "partition", "offset", "timestamp", "key", "value", "headers"}
// key and value written back by JsonConverter in the case's schemas mode, headers by
// SimpleHeaderConverter.fromConnectHeader as strings.
//
// The chain is built as ConnectorConfig.transformationStages builds it: for each alias of
// `transforms`, the class of `transforms.<alias>.type`, configured with every property under
// `transforms.<alias>.` (prefix stripped, `predicate` and `negate` removed, `type` kept); its
// predicate (`predicates.<name>.type`) configured with every property under `predicates.<name>.`.
// Records go through it as TransformationChain/TransformationStage apply them: a stage runs its
// transform when it has no predicate or when negate XOR predicate.test(record); a null result
// drops the record and ends the chain.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

@SuppressWarnings({"deprecation", "rawtypes", "unchecked"})
public final class SmtHarness {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** One TransformationStage: a transform and its optional predicate. */
  private static final class Stage {
    final Transformation transform;
    final Predicate predicate;
    final boolean negate;

    Stage(Transformation transform, Predicate predicate, boolean negate) {
      this.transform = transform;
      this.predicate = predicate;
      this.negate = negate;
    }

    ConnectRecord apply(ConnectRecord record) {
      if (predicate == null || (negate ^ predicate.test(record))) {
        return (ConnectRecord) transform.apply(record);
      }
      return record;
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--definitions")) {
      definitions(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length != 1) {
      System.err.println("usage: SmtHarness <cases.json> | --definitions <class>...");
      System.exit(2);
    }
    JsonNode cases = MAPPER.readTree(new File(args[0]));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    // One case a line: the golden file diffs case by case.
    out.print("[\n");
    boolean first = true;
    for (JsonNode c : cases) {
      if (!first) {
        out.print(",\n");
      }
      first = false;
      out.print(MAPPER.writeValueAsString(runCase(c)));
    }
    out.print("\n]\n");
    out.flush();
  }

  /**
   * The --definitions mode: each named transformation's or predicate's config().configKeys(), in
   * definition order, as AbstractHerder.convertConfigKey writes a ConfigKeyInfo (default through
   * ConfigDef.convertToString, required when it has none), with the key's group order
   * (ConfigDef.groups()) and its validator's text; "valid_values" when the validator is a
   * ValidString or CaseInsensitiveValidString (one of a fixed set). Classes sorted by name.
   */
  private static void definitions(String[] classes) throws Exception {
    ObjectNode root = NODES.objectNode();
    for (String name : new java.util.TreeSet<>(Arrays.asList(classes))) {
      Class<?> cls = Class.forName(name);
      Object instance = cls.getDeclaredConstructor().newInstance();
      org.apache.kafka.common.config.ConfigDef def;
      String kind;
      if (instance instanceof Transformation) {
        kind = "transformation";
        def = ((Transformation) instance).config();
      } else if (instance instanceof Predicate) {
        kind = "predicate";
        def = ((Predicate) instance).config();
      } else {
        throw new IllegalArgumentException(name + " is neither a Transformation nor a Predicate");
      }
      ObjectNode c = root.putObject(name);
      c.put("kind", kind);
      ArrayNode groups = c.putArray("groups");
      def.groups().forEach(groups::add);
      ArrayNode keys = c.putArray("keys");
      for (org.apache.kafka.common.config.ConfigDef.ConfigKey k : def.configKeys().values()) {
        ObjectNode o = keys.addObject();
        o.put("name", k.name);
        o.put("type", k.type.name());
        boolean required =
            org.apache.kafka.common.config.ConfigDef.NO_DEFAULT_VALUE.equals(k.defaultValue);
        o.put("required", required);
        o.put("default_value", required
            ? null
            : org.apache.kafka.common.config.ConfigDef.convertToString(k.defaultValue, k.type));
        o.put("importance", k.importance.name());
        o.put("documentation", k.documentation);
        o.put("group", k.group);
        o.put("order_in_group", k.orderInGroup);
        o.put("width", k.width.name());
        o.put("display_name", k.displayName);
        ArrayNode dependents = o.putArray("dependents");
        k.dependents.forEach(dependents::add);
        o.put("validator", k.validator == null ? null : validatorText(k.validator));
        if (k.validator instanceof org.apache.kafka.common.config.ConfigDef.ValidString
            || k.validator instanceof org.apache.kafka.common.config.ConfigDef.CaseInsensitiveValidString) {
          String text = k.validator.toString();
          ArrayNode valid = o.putArray("valid_values");
          // "[a, b]", or "(case insensitive) [a, b]".
          for (String v : text.substring(text.indexOf('[') + 1, text.lastIndexOf(']'))
              .split(", ", -1)) {
            valid.add(v);
          }
        }
      }
    }
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    out.print(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    out.print("\n");
    out.flush();
  }

  /** A validator's toString, without what changes from run to run (a lambda's class and hash). */
  private static String validatorText(Object validator) {
    String text = validator.toString();
    if (text.contains("$$Lambda")) {
      return "<lambda>";
    }
    return text.replaceAll("([\\w$])@[0-9a-f]{1,8}\\b", "$1@<hash>");
  }

  private static ObjectNode runCase(JsonNode c) {
    ObjectNode result = NODES.objectNode();
    result.put("name", c.get("name").asText());
    Map<String, String> config = new HashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = c.get("config").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      config.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText());
    }
    List<Stage> chain;
    try {
      chain = buildChain(config);
    } catch (Throwable e) {
      result.put("config_error", describe(e));
      return result;
    }
    boolean schemas = !c.has("schemas") || c.get("schemas").asBoolean();
    // Source records (no partition, no offset), for transforms that only run on sources.
    boolean source = c.has("source") && c.get("source").asBoolean();
    JsonConverter keyConverter = new JsonConverter();
    keyConverter.configure(Map.of("schemas.enable", Boolean.toString(schemas)), true);
    JsonConverter valueConverter = new JsonConverter();
    valueConverter.configure(Map.of("schemas.enable", Boolean.toString(schemas)), false);
    SimpleHeaderConverter headerConverter = new SimpleHeaderConverter();
    headerConverter.configure(Map.of());

    ArrayNode outputs = result.putArray("outputs");
    for (JsonNode r : c.get("records")) {
      ObjectNode error = NODES.objectNode();
      try {
        ConnectRecord record = toRecord(r, source, keyConverter, valueConverter, headerConverter);
        for (Stage stage : chain) {
          record = stage.apply(record);
          if (record == null) {
            break;
          }
        }
        outputs.add(record == null
            ? NODES.nullNode()
            : fromRecord(record, keyConverter, valueConverter, headerConverter));
      } catch (Throwable e) {
        error.put("error", describe(e));
        outputs.add(error);
      }
    }
    for (Stage stage : chain) {
      stage.transform.close();
      if (stage.predicate != null) {
        stage.predicate.close();
      }
    }
    return result;
  }

  @SuppressWarnings("unchecked")
  private static List<Stage> buildChain(Map<String, String> config) throws Exception {
    List<Stage> stages = new ArrayList<>();
    String list = config.get("transforms");
    if (list == null || list.trim().isEmpty()) {
      return stages;
    }
    // ConfigDef's LIST parsing: trimmed, split on commas with the whitespace around them.
    for (String alias : Arrays.asList(list.trim().split("\\s*,\\s*", -1))) {
      String prefix = "transforms." + alias + ".";
      Map<String, Object> props = withPrefix(config, prefix);
      Object predicateAlias = props.remove("predicate");
      Object negate = props.remove("negate");
      Transformation transform =
          (Transformation) newInstance(config, prefix + "type", Transformation.class);
      transform.configure(props);
      Predicate predicate = null;
      if (predicateAlias != null) {
        String predicatePrefix = "predicates." + predicateAlias + ".";
        predicate =
            (Predicate) newInstance(config, predicatePrefix + "type", Predicate.class);
        predicate.configure(withPrefix(config, predicatePrefix));
      }
      stages.add(new Stage(transform, predicate,
          negate != null && Boolean.parseBoolean(negate.toString())));
    }
    return stages;
  }

  private static Object newInstance(Map<String, String> config, String property, Class<?> kind)
      throws Exception {
    String name = config.get(property);
    if (name == null) {
      throw new org.apache.kafka.common.config.ConfigException(
          "Missing required configuration \"" + property + "\" which has no default value.");
    }
    Class<?> cls = Class.forName(name.trim());
    if (!kind.isAssignableFrom(cls)) {
      throw new org.apache.kafka.common.config.ConfigException(
          property, name, "Class " + name + " is not a " + kind.getSimpleName());
    }
    return cls.getDeclaredConstructor().newInstance();
  }

  /** AbstractConfig.originalsWithPrefix: the properties under prefix, prefix stripped. */
  private static Map<String, Object> withPrefix(Map<String, String> config, String prefix) {
    Map<String, Object> props = new HashMap<>();
    for (Map.Entry<String, String> e : config.entrySet()) {
      if (e.getKey().startsWith(prefix) && e.getKey().length() > prefix.length()) {
        props.put(e.getKey().substring(prefix.length()), e.getValue());
      }
    }
    return props;
  }

  private static ConnectRecord toRecord(JsonNode r, boolean source, JsonConverter keyConverter,
      JsonConverter valueConverter, SimpleHeaderConverter headerConverter) throws Exception {
    String topic = r.get("topic").asText();
    int partition = r.path("partition").asInt(0);
    long offset = r.path("offset").asLong(0);
    Long timestamp = r.hasNonNull("timestamp") ? r.get("timestamp").asLong() : null;
    SchemaAndValue key = keyConverter.toConnectData(topic, bytes(r.get("key")));
    SchemaAndValue value = valueConverter.toConnectData(topic, bytes(r.get("value")));
    ConnectHeaders headers = new ConnectHeaders();
    if (r.has("headers")) {
      for (JsonNode h : r.get("headers")) {
        String name = h.get(0).asText();
        byte[] raw = h.get(1).isNull() ? null : h.get(1).asText().getBytes(StandardCharsets.UTF_8);
        headers.add(name, headerConverter.toConnectHeader(topic, name, raw));
      }
    }
    if (source) {
      return new SourceRecord(null, null, topic, null, key.schema(), key.value(), value.schema(),
          value.value(), timestamp, headers);
    }
    return new SinkRecord(topic, partition, key.schema(), key.value(), value.schema(),
        value.value(), offset, timestamp,
        timestamp == null ? TimestampType.NO_TIMESTAMP_TYPE : TimestampType.CREATE_TIME, headers);
  }

  private static byte[] bytes(JsonNode node) throws Exception {
    if (node == null || node.isNull()) {
      return null;
    }
    return MAPPER.writeValueAsBytes(node);
  }

  private static ObjectNode fromRecord(ConnectRecord record, JsonConverter keyConverter,
      JsonConverter valueConverter, SimpleHeaderConverter headerConverter) throws Exception {
    ObjectNode out = NODES.objectNode();
    String topic = record.topic();
    out.put("topic", topic);
    if (record.kafkaPartition() == null) {
      out.putNull("partition");
    } else {
      out.put("partition", record.kafkaPartition());
    }
    if (record instanceof SinkRecord) {
      out.put("offset", ((SinkRecord) record).kafkaOffset());
    } else {
      out.putNull("offset");
    }
    if (record.timestamp() == null) {
      out.putNull("timestamp");
    } else {
      out.put("timestamp", record.timestamp());
    }
    out.set("key", json(keyConverter.fromConnectData(topic, record.keySchema(), record.key())));
    out.set("value",
        json(valueConverter.fromConnectData(topic, record.valueSchema(), record.value())));
    ArrayNode headers = out.putArray("headers");
    for (Header h : record.headers()) {
      ArrayNode pair = headers.addArray();
      pair.add(h.key());
      byte[] raw = headerConverter.fromConnectHeader(topic, h.key(), h.schema(), h.value());
      if (raw == null) {
        pair.addNull();
      } else {
        pair.add(new String(raw, StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static JsonNode json(byte[] bytes) throws Exception {
    return bytes == null ? NODES.nullNode() : MAPPER.readTree(bytes);
  }

  /**
   * "<class>: <message>", an object's identity hash in the message (Object.toString, as
   * InsertField's "No value specified for static field: ...InsertionSpec@7920ba90") made
   * "@<hash>": it changes from run to run.
   */
  private static String describe(Throwable e) {
    String message = String.valueOf(e.getMessage()).replaceAll("([\\w$])@[0-9a-f]{1,8}\\b", "$1@<hash>");
    return e.getClass().getName() + ": " + message;
  }
}

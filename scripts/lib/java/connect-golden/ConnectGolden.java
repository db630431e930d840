// Golden bytes of Kafka Connect's distributed mode, written by Connect's own classes (the jars
// of scripts/lib/java/kafka-pom.xml), for crates/connect-group's tests. A test peer only.
//
// Prints one JSON object per line: {"case": <name>, "hex": <bytes>} for the group protocol's
// member metadata and assignments, and {"case": "partition", "key": <key>, "partitions": n,
// "partition": p, "murmur2": h} for the Java producer's partitioner, and {"case": "config",
// "key": <key>, "value": <JSON text>} for config topic records, written as
// KafkaConfigBackingStore writes them (its schemas, the internal JsonConverter).

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import java.util.Base64;
import java.util.Map;

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.storage.KafkaConfigBackingStore;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.connect.runtime.distributed.ConnectProtocol;
import org.apache.kafka.connect.runtime.distributed.DistributedConfig;
import org.apache.kafka.connect.runtime.distributed.ExtendedAssignment;
import org.apache.kafka.connect.runtime.distributed.ExtendedWorkerState;
import org.apache.kafka.connect.runtime.distributed.IncrementalCooperativeConnectProtocol;
import org.apache.kafka.connect.util.ConnectorTaskId;

public class ConnectGolden {
    static String hex(ByteBuffer b) {
        StringBuilder s = new StringBuilder();
        ByteBuffer d = b.duplicate();
        while (d.hasRemaining()) s.append(String.format("%02x", d.get() & 0xff));
        return s.toString();
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    static void emit(String name, ByteBuffer bytes) {
        System.out.println("{\"case\":" + quote(name) + ",\"hex\":" + quote(hex(bytes)) + "}");
    }

    static ConnectorTaskId task(String c, int t) {
        return new ConnectorTaskId(c, t);
    }

    static final JsonConverter INTERNAL = new JsonConverter();

    static void config(String key, Schema schema, Struct value) {
        byte[] bytes = INTERNAL.fromConnectData("connect-configs", schema, value);
        System.out.println("{\"case\":\"config\",\"key\":" + quote(key) + ",\"value\":"
            + quote(new String(bytes, StandardCharsets.UTF_8)) + "}");
    }

    static void configRecords() {
        // Connect's internal converter (Worker, ConnectDistributed): schemas off.
        INTERNAL.configure(Map.of("schemas.enable", "false"), false);
        config(KafkaConfigBackingStore.CONNECTOR_KEY("inventory-connector"),
            KafkaConfigBackingStore.CONNECTOR_CONFIGURATION_V0,
            new Struct(KafkaConfigBackingStore.CONNECTOR_CONFIGURATION_V0)
                .put("properties", Map.of("name", "inventory-connector")));
        config(KafkaConfigBackingStore.TASK_KEY(new ConnectorTaskId("my-conn-1", 12)),
            KafkaConfigBackingStore.TASK_CONFIGURATION_V0,
            new Struct(KafkaConfigBackingStore.TASK_CONFIGURATION_V0)
                .put("properties", Map.of("task.class", "T")));
        config(KafkaConfigBackingStore.COMMIT_TASKS_KEY("inventory-connector"),
            KafkaConfigBackingStore.CONNECTOR_TASKS_COMMIT_V0,
            new Struct(KafkaConfigBackingStore.CONNECTOR_TASKS_COMMIT_V0).put("tasks", 2));
        // putTargetState: STOPPED is written as PAUSED in the old field.
        config(KafkaConfigBackingStore.TARGET_STATE_KEY("a"), KafkaConfigBackingStore.TARGET_STATE_V1,
            new Struct(KafkaConfigBackingStore.TARGET_STATE_V1).put("state", "PAUSED").put("state.v2", "STOPPED"));
        config(KafkaConfigBackingStore.TARGET_STATE_KEY("b"), KafkaConfigBackingStore.TARGET_STATE_V1,
            new Struct(KafkaConfigBackingStore.TARGET_STATE_V1).put("state", "STARTED").put("state.v2", "STARTED"));
        config(KafkaConfigBackingStore.SESSION_KEY_KEY, KafkaConfigBackingStore.SESSION_KEY_V0,
            new Struct(KafkaConfigBackingStore.SESSION_KEY_V0)
                .put("key", Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, (byte) 250}))
                .put("algorithm", "HmacSHA256")
                .put("creation-timestamp", 1732180000000L));
        config(KafkaConfigBackingStore.RESTART_KEY("a"), KafkaConfigBackingStore.RESTART_REQUEST_V0,
            new Struct(KafkaConfigBackingStore.RESTART_REQUEST_V0)
                .put(KafkaConfigBackingStore.INCLUDE_TASKS_FIELD_NAME, true)
                .put(KafkaConfigBackingStore.ONLY_FAILED_FIELD_NAME, false));
        config(KafkaConfigBackingStore.TASK_COUNT_RECORD_KEY("a"), KafkaConfigBackingStore.TASK_COUNT_RECORD_V0,
            new Struct(KafkaConfigBackingStore.TASK_COUNT_RECORD_V0).put("task-count", 3));
        config(KafkaConfigBackingStore.LOGGER_CLUSTER_KEY("org.apache"), KafkaConfigBackingStore.LOGGER_LEVEL_V0,
            new Struct(KafkaConfigBackingStore.LOGGER_LEVEL_V0).put("level", "DEBUG"));
    }

    // DistributedConfig's defaults for the properties crates/connect-group reads.
    static void distributedDefaults() {
        Map<String, String> props = new java.util.HashMap<>();
        props.put("bootstrap.servers", "127.0.0.1:9092");
        props.put("group.id", "g");
        props.put("config.storage.topic", "c");
        props.put("offset.storage.topic", "o");
        props.put("status.storage.topic", "s");
        props.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        props.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        Map<String, ?> values = new DistributedConfig(props).values();
        for (String key : List.of("session.timeout.ms", "heartbeat.interval.ms", "rebalance.timeout.ms",
                "worker.sync.timeout.ms", "worker.unsync.backoff.ms", "offset.storage.partitions",
                "offset.storage.replication.factor", "config.storage.replication.factor",
                "status.storage.partitions", "status.storage.replication.factor", "connect.protocol",
                "scheduled.rebalance.max.delay.ms", "inter.worker.key.generation.algorithm",
                "inter.worker.key.size", "inter.worker.key.ttl.ms", "inter.worker.signature.algorithm",
                "inter.worker.verification.algorithms", "exactly.once.source.support")) {
            Object v = values.get(key);
            String text = v instanceof List ? String.join(",", ((List<?>) v).stream().map(String::valueOf).toList())
                : String.valueOf(v);
            System.out.println("{\"case\":\"distributed_default\",\"key\":" + quote(key) + ",\"value\":" + quote(text) + "}");
        }
    }

    // KIP-507's request signature: HMAC over the body with the session key, as
    // InternalRequestSignature signs (Connect's Crypto), checked by its isValid.
    static void signature() throws Exception {
        byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++) key[i] = (byte) (i * 7 + 1);
        javax.crypto.SecretKey secret = new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256");
        byte[] body = "[{\"task.class\":\"T\",\"name\":\"c\"}]".getBytes(StandardCharsets.UTF_8);
        javax.crypto.Mac mac = org.apache.kafka.connect.runtime.distributed.Crypto.SYSTEM.mac("HmacSHA256");
        mac.init(secret);
        byte[] sig = mac.doFinal(body);
        boolean valid = new org.apache.kafka.connect.runtime.rest.InternalRequestSignature(body,
            org.apache.kafka.connect.runtime.distributed.Crypto.SYSTEM.mac("HmacSHA256"), sig).isValid(secret);
        System.out.println("{\"case\":\"signature\",\"body\":" + quote(new String(body, StandardCharsets.UTF_8))
            + ",\"signature\":" + quote(Base64.getEncoder().encodeToString(sig)) + ",\"valid\":" + valid + "}");
    }

    // `read-topics <bootstrap> <group> <config topic> <status topic>`: what Connect's own
    // KafkaConfigBackingStore and KafkaStatusBackingStore read from a cluster's internal topics,
    // as one JSON object: every connector's config, target state, task configs, status and task
    // statuses, and the session key's algorithm.
    static void readTopics(String[] args) throws Exception {
        Map<String, String> props = new java.util.HashMap<>();
        props.put("bootstrap.servers", args[1]);
        props.put("group.id", args[2]);
        props.put("config.storage.topic", args[3]);
        props.put("status.storage.topic", args[4]);
        props.put("offset.storage.topic", args[2] + "-unused-offsets");
        props.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        props.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        DistributedConfig config = new DistributedConfig(props);
        JsonConverter converter = new JsonConverter();
        converter.configure(Map.of("schemas.enable", "false"), false);
        Map<String, Object> admin = Map.of("bootstrap.servers", args[1]);
        KafkaConfigBackingStore configs = new KafkaConfigBackingStore(converter, config, null,
            () -> new org.apache.kafka.connect.util.TopicAdmin(admin), "tributary-check-");
        configs.start();
        org.apache.kafka.connect.storage.KafkaStatusBackingStore statuses =
            new org.apache.kafka.connect.storage.KafkaStatusBackingStore(
                org.apache.kafka.common.utils.Time.SYSTEM, converter,
                () -> new org.apache.kafka.connect.util.TopicAdmin(admin), "tributary-check-");
        statuses.configure(config);
        statuses.start();
        org.apache.kafka.connect.storage.ClusterConfigState snapshot = configs.snapshot();
        Map<String, Object> out = new java.util.TreeMap<>();
        for (String name : snapshot.connectors()) {
            Map<String, Object> c = new java.util.TreeMap<>();
            c.put("config", new java.util.TreeMap<>(snapshot.rawConnectorConfig(name)));
            c.put("target_state", String.valueOf(snapshot.targetState(name)));
            List<Object> tasks = new java.util.ArrayList<>();
            for (ConnectorTaskId id : snapshot.tasks(name)) {
                Map<String, Object> t = new java.util.TreeMap<>();
                t.put("id", id.task());
                t.put("config", new java.util.TreeMap<>(snapshot.rawTaskConfig(id)));
                org.apache.kafka.connect.runtime.TaskStatus ts = statuses.get(id);
                if (ts != null) {
                    t.put("state", ts.state().toString());
                    t.put("worker_id", ts.workerId());
                    t.put("generation", ts.generation());
                }
                tasks.add(t);
            }
            c.put("tasks", tasks);
            org.apache.kafka.connect.runtime.ConnectorStatus cs = statuses.get(name);
            if (cs != null) {
                c.put("state", cs.state().toString());
                c.put("worker_id", cs.workerId());
            }
            List<String> topics = new java.util.ArrayList<>();
            for (org.apache.kafka.connect.runtime.TopicStatus t : statuses.getAllTopics(name)) {
                topics.add(t.topic());
            }
            java.util.Collections.sort(topics);
            c.put("topics", topics);
            out.put(name, c);
        }
        Map<String, Object> all = new java.util.TreeMap<>();
        all.put("connectors", out);
        all.put("inconsistent", new java.util.TreeSet<>(snapshot.inconsistentConnectors()));
        all.put("session_key_algorithm",
            snapshot.sessionKey() == null ? null : snapshot.sessionKey().key().getAlgorithm());
        System.out.println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(all));
        statuses.stop();
        configs.stop();
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("read-topics")) {
            readTopics(args);
            return;
        }
        signature();
        distributedDefaults();
        configRecords();
        String url = "http://127.0.0.1:8083/";
        emit("metadata_v0", ConnectProtocol.serializeMetadata(new ConnectProtocol.WorkerState(url, 5)));
        emit("metadata_v1_first_join", IncrementalCooperativeConnectProtocol.serializeMetadata(
            new ExtendedWorkerState(url, 5, ExtendedAssignment.empty()), false));
        emit("metadata_v2_first_join", IncrementalCooperativeConnectProtocol.serializeMetadata(
            new ExtendedWorkerState(url, 5, ExtendedAssignment.empty()), true));
        ExtendedAssignment held = new ExtendedAssignment((short) 2, ConnectProtocol.Assignment.NO_ERROR,
            "connect-127.0.0.1:8083-1b2c", "http://127.0.0.1:8084/", 7,
            List.of("inventory"), List.of(task("inventory", 0), task("inventory", 1), task("orders-sink", 2)),
            Collections.emptyList(), Collections.emptyList(), 0);
        emit("metadata_v2_with_allocation", IncrementalCooperativeConnectProtocol.serializeMetadata(
            new ExtendedWorkerState(url, 12, held), true));
        emit("assignment_v0", ConnectProtocol.serializeAssignment(new ConnectProtocol.Assignment(
            ConnectProtocol.Assignment.NO_ERROR, "leader-1", url, 9,
            List.of("a"), List.of(task("a", 0), task("a", 1)))));
        emit("assignment_v1_revoking_with_delay", IncrementalCooperativeConnectProtocol.serializeAssignment(
            new ExtendedAssignment((short) 1, ConnectProtocol.Assignment.NO_ERROR, "leader-1", url, 9,
                List.of("a"), List.of(task("a", 0), task("b", 3)),
                List.of("c"), List.of(task("c", 0), task("c", 1)), 300000), false));
        emit("assignment_v2_config_mismatch", IncrementalCooperativeConnectProtocol.serializeAssignment(
            new ExtendedAssignment((short) 2, ConnectProtocol.Assignment.CONFIG_MISMATCH, "leader-1", url, 41,
                Collections.emptyList(), Collections.emptyList(),
                Collections.emptyList(), Collections.emptyList(), 0), true));
        for (String key : Arrays.asList(
                "[\"inventory-connector\",{\"server\":\"dbserver1\"}]",
                "[\"pg\",{\"server\":\"test\"}]",
                "status-connector-inventory-connector",
                "status-task-inventory-connector-0",
                "status-topic-dbserver1.inventory.customers:connector-inventory-connector",
                "", "a", "ab", "abc", "abcd", "abcde",
                "\u00e9t\u00e9 \u2603")) {
            byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
            for (int n : new int[] {1, 5, 25}) {
                System.out.println("{\"case\":\"partition\",\"key\":" + quote(key) + ",\"partitions\":" + n
                    + ",\"partition\":" + BuiltInPartitioner.partitionForKey(bytes, n)
                    + ",\"murmur2\":" + Utils.murmur2(bytes) + "}");
            }
        }
    }
}

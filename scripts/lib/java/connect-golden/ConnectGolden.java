// Golden bytes of Kafka Connect's distributed mode, written by Connect's own classes (the jars
// of scripts/lib/java/kafka-pom.xml), for crates/connect-group's tests. A test peer only.
//
// Prints one JSON object per line: {"case": <name>, "hex": <bytes>} for the group protocol's
// member metadata and assignments, and {"case": "partition", "key": <key>, "partitions": n,
// "partition": p, "murmur2": h} for the Java producer's partitioner.

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.connect.runtime.distributed.ConnectProtocol;
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

    public static void main(String[] args) {
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

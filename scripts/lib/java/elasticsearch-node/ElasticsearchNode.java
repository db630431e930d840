import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.Netty4Plugin;

/**
 * One single-node Elasticsearch 7.17 cluster in this JVM, for tests: the server's own Node class
 * with the Netty4 module (HTTP and transport) on the class path, as the distribution's bootstrap
 * would load it from modules/, minus what a test does not need (the security manager, bootstrap
 * checks, the other modules). A bare server, as the OSS distribution was: no x-pack, so no
 * security, no built-in index templates and no data streams (x-pack's data-streams module
 * registers the {@code _data_stream_timestamp} mapper and the {@code _data_stream} APIs).
 * Discovery is single-node.
 *
 * <pre>java -cp classes:lib/* ElasticsearchNode &lt;home&gt; &lt;http-port&gt;</pre>
 *
 * Data lives under &lt;home&gt;/data and is kept across restarts. Prints one line once the node
 * answers, then runs until it is signalled (a shutdown hook closes the node).
 */
public final class ElasticsearchNode {
    /** Node's constructor with class-path plugins is protected (the test framework's MockNode uses it). */
    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment environment) {
            super(environment, List.of(Netty4Plugin.class), true);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ElasticsearchNode <home> <http-port>");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "tributary-test")
            .put("node.name", "node-0")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", args[1])
            .put("transport.port", "0")
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            // A test machine's disk may be fuller than the watermarks allow.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();
        LogConfigurator.configureWithoutConfig(settings);
        Environment environment =
            InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "node-0");
        Node node = new EmbeddedNode(environment);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }));
        node.start();
        System.out.println("Elasticsearch node started on 127.0.0.1:" + args[1]);
        Thread.currentThread().join();
    }
}

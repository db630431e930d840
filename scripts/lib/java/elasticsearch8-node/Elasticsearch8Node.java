import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginsLoader;

/**
 * One single-node Elasticsearch 8 cluster in this JVM, for tests: the server's own Node class
 * with the Netty4 module (HTTP and transport) loaded from &lt;home&gt;/modules/transport-netty4 as
 * the distribution's bootstrap loads its modules, minus what a test does not need (entitlements,
 * bootstrap checks, the other modules, x-pack). The server and its libraries run on the module
 * path, as in the distribution (the plugin loader needs the server's module); the module's jars
 * (transport-netty4-*.jar and Netty's netty-*.jar of &lt;lib&gt;, kept off the module path) are
 * linked into the module directory with the descriptor Elasticsearch publishes in the module's
 * jar. No security (no x-pack), discovery is single-node. The distribution's other modules are
 * not on Maven Central: no {@code GET /} (rest-root), no {@code _data_stream} APIs
 * (data-streams), no built-in index templates.
 *
 * <pre>java --module-path &lt;lib without the module's jars&gt; --add-modules=ALL-MODULE-PATH
 *     -cp classes Elasticsearch8Node &lt;home&gt; &lt;http-port&gt; &lt;lib&gt;</pre>
 *
 * Data lives under &lt;home&gt;/data and is kept across restarts. Prints one line once the node
 * answers, then runs until it is signalled (a shutdown hook closes the node).
 */
public final class Elasticsearch8Node {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: Elasticsearch8Node <home> <http-port> <lib>");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(home.resolve("plugins"));
        Path module = home.resolve("modules").resolve("transport-netty4");
        Files.createDirectories(module);
        try (Stream<Path> jars = Files.list(Path.of(args[2]))) {
            for (Path jar : (Iterable<Path>) jars::iterator) {
                String name = jar.getFileName().toString();
                if (!name.startsWith("netty-") && !name.startsWith("transport-netty4-")) {
                    continue;
                }
                Path link = module.resolve(jar.getFileName());
                Files.deleteIfExists(link);
                Files.createSymbolicLink(link, jar.toAbsolutePath());
            }
        }
        Files.writeString(module.resolve("plugin-descriptor.properties"), String.join("\n",
            "description=Netty 4 based transport implementation",
            "version=" + org.elasticsearch.Build.current().version(),
            "name=transport-netty4",
            "java.version=17",
            "elasticsearch.version=" + org.elasticsearch.Build.current().version(),
            "classname=org.elasticsearch.transport.netty4.Netty4Plugin",
            "modulename=org.elasticsearch.transport.netty4", ""));
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
        LogConfigurator.configureESLogging();
        LogConfigurator.configureWithoutConfig(settings);
        Environment environment =
            InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "node-0");
        PluginsLoader plugins = PluginsLoader.createPluginsLoader(
            PluginsLoader.loadModulesBundles(environment.modulesDir()),
            PluginsLoader.loadPluginsBundles(environment.pluginsDir()),
            Map.of());
        Node node = new Node(environment, plugins);
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

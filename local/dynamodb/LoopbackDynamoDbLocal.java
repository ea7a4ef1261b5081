// Starts the official DynamoDB Local bound to one host (127.0.0.1 by default) instead of every interface.
// DynamoDB Local has no host option; its Jetty connector is reachable through the proxy server's private `server`
// field, and a connector's host can be set before it opens. Run in Java's single-file source mode by local/dynamodb-local.ts.
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("sendwell.host", "127.0.0.1");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    int bound = 0;
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector) {
        ((ServerConnector) connector).setHost(host);
        bound++;
      }
    }
    if (bound == 0) {
      System.err.println("sendwell: could not find DynamoDB Local's HTTP connector to bind it to " + host);
      System.exit(3);
    }
    // When the Node process that started us goes away for any reason, our stdin closes: stop with it, so no
    // DynamoDB Local is ever left running on its own.
    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() != -1) { }
      } catch (java.io.IOException ignored) {
      }
      System.exit(0);
    }, "sendwell-parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    proxy.start();
    System.out.println("sendwell-dynamodb-local listening on " + host);
    proxy.join();
  }
}

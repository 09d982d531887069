// The upstreams and the TCP echo client of bench/agent/run.sh, one source file so that it runs with the
// JDK's source launcher (`java AgentBench.java MODE ...`) and needs no build: the benchmark measures the
// agent, not this program, and must not wait for the bench module's JMH jar.
//
//   http-upstream PORT                      JDK HttpServer answering every request 200 "ok\n" (keep-alive)
//   echo-upstream PORT                      one thread per connection, writes back every byte it reads
//   echo-client HOST:PORT CONNS WARMUP_S RUN_S SIZE
//                                           CONNS connections, each sends SIZE bytes and reads SIZE back,
//                                           in a loop; prints "round-trips/s p50_us p99_us" for RUN_S
//                                           seconds after WARMUP_S seconds of warm-up
import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

public class AgentBench {
  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "http-upstream" -> httpUpstream(Integer.parseInt(args[1]));
      case "echo-upstream" -> echoUpstream(Integer.parseInt(args[1]));
      case "echo-client" -> echoClient(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]),
          Integer.parseInt(args[4]), Integer.parseInt(args[5]));
      default -> throw new IllegalArgumentException("mode: " + args[0]);
    }
  }

  static void httpUpstream(int port) throws Exception {
    byte[] body = "ok\n".getBytes(StandardCharsets.US_ASCII);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
    server.createContext("/", exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
      }
      exchange.getResponseHeaders().set("Content-Type", "text/plain");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    // The default executor is the dispatcher thread itself: one thread, as small as an upstream gets.
    server.start();
    System.err.println("http-upstream listening on " + port);
  }

  static void echoUpstream(int port) throws Exception {
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress("127.0.0.1", port), 1024);
    System.err.println("echo-upstream listening on " + port);
    while (true) {
      Socket socket = server.accept();
      socket.setTcpNoDelay(true);
      Thread thread = new Thread(() -> {
        byte[] buffer = new byte[16 * 1024];
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
          int n;
          while ((n = in.read(buffer)) >= 0) {
            out.write(buffer, 0, n);
          }
        } catch (Exception closed) {
          // the client went away; nothing to report
        }
      });
      thread.setDaemon(true);
      thread.start();
    }
  }

  static void echoClient(String target, int connections, int warmupSeconds, int runSeconds, int size)
      throws Exception {
    int colon = target.lastIndexOf(':');
    InetSocketAddress address = new InetSocketAddress(target.substring(0, colon),
        Integer.parseInt(target.substring(colon + 1)));
    long start = System.nanoTime();
    long measureFrom = start + warmupSeconds * 1_000_000_000L;
    long measureTo = measureFrom + runSeconds * 1_000_000_000L;
    List<long[]> samples = new ArrayList<>();
    int[] counts = new int[connections];
    CountDownLatch done = new CountDownLatch(connections);
    List<Throwable> failures = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      long[] mine = new long[1_000_000];
      samples.add(mine);
      int index = c;
      Thread thread = new Thread(() -> {
        byte[] request = new byte[size];
        Arrays.fill(request, (byte) 'x');
        byte[] response = new byte[size];
        try (Socket socket = new Socket()) {
          socket.setTcpNoDelay(true);
          socket.connect(address, 5000);
          InputStream in = socket.getInputStream();
          OutputStream out = socket.getOutputStream();
          int n = 0;
          while (true) {
            long sent = System.nanoTime();
            if (sent >= measureTo) {
              break;
            }
            out.write(request);
            int read = 0;
            while (read < size) {
              int r = in.read(response, read, size - read);
              if (r < 0) {
                throw new IllegalStateException("connection closed by " + target);
              }
              read += r;
            }
            long received = System.nanoTime();
            if (sent >= measureFrom && n < mine.length) {
              mine[n++] = received - sent;
            }
          }
          counts[index] = n;
        } catch (Throwable e) {
          synchronized (failures) {
            failures.add(e);
          }
        } finally {
          done.countDown();
        }
      });
      thread.start();
    }
    done.await();
    if (!failures.isEmpty()) {
      throw new IllegalStateException("echo-client: " + failures.size() + " connections failed", failures.get(0));
    }
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int at = 0;
    for (int c = 0; c < connections; c++) {
      System.arraycopy(samples.get(c), 0, all, at, counts[c]);
      at += counts[c];
    }
    Arrays.sort(all);
    System.out.printf("%.0f %.0f %.0f%n", total / (double) runSeconds,
        all[(int) (total * 0.50)] / 1000.0, all[(int) Math.min(total - 1, total * 0.99)] / 1000.0);
  }
}

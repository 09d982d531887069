package dev.meridian.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.xds.server.SidecarXdsServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meridian xds-serve}: its arguments, its errors in the command line's one format, and a served directory. */
class XdsServeCommandTest {

    static final String REVIEWS = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              ports: [{number: 9080, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints:
              - {address: 10.0.1.1, locality: us-east/us-east-1a}
            """;

    @TempDir
    Path dir;

    @Test
    void badArgumentsExitWithStatusTwoAndOneLine() {
        Runs.Invocation none = Runs.meridian("xds-serve");
        assertThat(none.status()).isEqualTo(2);
        assertThat(none.err()).isEqualTo("meridian: xds-serve: DIR is required, got nothing "
                + "(meridian xds-serve --help lists the options)\n");
        Runs.Invocation port = Runs.meridian("xds-serve", dir.toString(), "--port", "http");
        assertThat(port.status()).isEqualTo(2);
        assertThat(port.err()).isEqualTo("meridian: --port: expected a port number from 0 to 65535, got 'http' "
                + "(meridian xds-serve --help lists the options)\n");
        Runs.Invocation missing = Runs.meridian("xds-serve", dir.resolve("nope").toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("meridian: " + dir.resolve("nope")
                + ": expected a directory of Istio YAML, got nothing (no such directory)\n");
    }

    @Test
    void anInvalidDirectoryNamesTheFileThePathAndTheValue() throws IOException {
        Files.writeString(dir.resolve("reviews.yaml"), REVIEWS.replace("10.0.1.1", "10.0.1.300"));
        Runs.Invocation r = Runs.meridian("xds-serve", dir.toString(), "--port", "0");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("meridian: " + dir.resolve("reviews.yaml")
                + ": spec.endpoints[0].address: endpoint address is not a valid IP address, got '10.0.1.300'\n");
    }

    @Test
    void helpListsTheOptions() {
        Runs.Invocation r = Runs.meridian("xds-serve", "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).startsWith("usage: meridian xds-serve DIR [--port N]");
        assertThat(Runs.meridian("--help").out()).contains("xds-serve DIR");
    }

    @Test
    void servesPrintsItsPortAndReloadsOnChange() throws Exception {
        Files.writeString(dir.resolve("reviews.yaml"), REVIEWS);
        BlockingQueue<String> outLines = new LinkedBlockingQueue<>();
        BlockingQueue<String> errLines = new LinkedBlockingQueue<>();
        CompletableFuture<Void> stop = new CompletableFuture<>();
        CompletableFuture<SidecarXdsServer> started = new CompletableFuture<>();
        CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> XdsServeCommand.serve(
                new String[] {dir.toString(), "--port", "0"}, lines(outLines), lines(errLines), stop,
                started::complete));
        SidecarXdsServer server = started.get(30, TimeUnit.SECONDS);
        assertThat(server.port()).isPositive();
        assertThat(outLines.poll(30, TimeUnit.SECONDS)).isEqualTo("meridian: serving " + dir + " on port "
                + server.port() + " (ADS, plaintext gRPC): version 1, 1 service, 1 cluster, Istio 1.30");

        replace(dir.resolve("reviews.yaml"), REVIEWS.replace("metadata: {name: reviews}",
                "metadata: {name: reviews, labels: {team: a}}"));
        replace(dir.resolve("rule.yaml"), "kind: DestinationRule\napiVersion: networking.istio.io/v1\n"
                + "metadata: {name: r}\nspec: {host: reviews.default.svc.cluster.local, subsets: [{name: v1}]}\n");
        String changed = outLines.poll(30, TimeUnit.SECONDS);
        while (changed != null && !changed.contains("2 clusters")) {
            changed = outLines.poll(30, TimeUnit.SECONDS);
        }
        assertThat(changed).as("stderr: %s", errLines).startsWith("meridian: " + dir + " changed: version ").endsWith("1 service, 2 clusters, "
                + "Istio 1.30");

        replace(dir.resolve("rule.yaml"), "kind: [");
        assertThat(errLines.poll(30, TimeUnit.SECONDS)).startsWith("meridian: " + dir.resolve("rule.yaml")
                + ": invalid YAML").contains("(keeping version ");

        stop.complete(null);
        assertThat(status.get(30, TimeUnit.SECONDS)).isZero();
    }

    private static void replace(Path file, String text) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(temp, text, StandardCharsets.UTF_8);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A print stream that hands each complete line to a queue. */
    private static PrintStream lines(BlockingQueue<String> queue) {
        return new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                if (b == '\n') {
                    queue.add(line.toString(StandardCharsets.UTF_8));
                    line.reset();
                } else {
                    line.write(b);
                }
            }
        }, true, StandardCharsets.UTF_8);
    }
}

package dev.meridian.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import dev.meridian.lb.LbConfig;
import dev.meridian.lb.LbPolicy;
import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.LocalityLbSetting;
import dev.meridian.topology.LocalityPriorities;
import dev.meridian.topology.PriorityAssignment;
import java.util.List;
import dev.meridian.core.ManualClock;
import org.junit.jupiter.api.Test;

/** The README's quick start, on a manual clock and a seeded source, so the front door stays true. */
class ReadmeExampleTest {

    @Test
    void quickStartFailsOverWhenTheLocalRegionReturnsGatewayErrors() {
        ManualClock clock = Clocks.manual();
        List<Endpoint> endpoints = List.of(
                Endpoint.of("10.1.0.11:9080", Locality.parse("r1/z1")),
                Endpoint.of("10.1.0.12:9080", Locality.parse("r1/z1")),
                Endpoint.of("10.2.0.13:9080", Locality.parse("r2/z1")));
        Caller me = Caller.at(Locality.parse("r1/z1"));
        PriorityAssignment assignment = LocalityPriorities.assign(endpoints, me, LocalityLbSetting.DEFAULT, null, true);
        Cluster reviews = Cluster.builder(LbConfig.builder().policy(LbPolicy.ROUND_ROBIN).panicThreshold(0).build())
                .endpoints(assignment.toTable())
                .outlierDetection(OutlierDetectionConfig.builder().consecutive5xx(5).maxEjectionPercent(100).build())
                .clock(clock).random(RandomSource.seeded(1)).build();

        for (int i = 0; i < 100; i++) {
            Host target = reviews.pick();
            assertThat(target).isNotNull();
            boolean local = target.endpoint().locality().region().equals("r1");
            if (i < 10) {
                assertThat(local).as("nearby access while r1 is healthy").isTrue();
            }
            // From request 10 on, r1 answers 503: after 5 in a row each r1 host is ejected at the
            // control thread's next drain.
            reviews.record(target, i >= 10 && local ? 503 : 200);
            reviews.drain();
        }
        assertThat(reviews.pick().address()).isEqualTo("10.2.0.13:9080");
    }

    /**
     * Compiles the README's quick-start block as written, inside a method with the two names it
     * leaves to the reader ({@code scheduler} and {@code send}), so an API change that breaks the
     * front door fails here.
     */
    @Test
    void readmeQuickStartCompiles() throws java.io.IOException {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("../README.md"));
        int start = readme.indexOf("```java", readme.indexOf("## Quick start"));
        assertThat(start).as("README has a java block after '## Quick start'").isPositive();
        String block = readme.substring(readme.indexOf('\n', start) + 1, readme.indexOf("```", start + 7));
        StringBuilder imports = new StringBuilder("import java.util.*;\nimport java.util.concurrent.*;\n");
        StringBuilder body = new StringBuilder();
        for (String line : block.split("\n")) {
            (line.startsWith("import ") ? imports : body).append(line).append('\n');
        }
        String source = imports + "class QuickStart {\n"
                + "  static int send(dev.meridian.core.Endpoint e) { return 200; }\n"
                + "  void run(ScheduledExecutorService scheduler) {\n" + body + "  }\n}\n";
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("readme");
        java.nio.file.Path file = dir.resolve("QuickStart.java");
        java.nio.file.Files.writeString(file, source);
        javax.tools.JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
        java.io.ByteArrayOutputStream errors = new java.io.ByteArrayOutputStream();
        int status = javac.run(null, null, errors, "-d", dir.toString(), "-classpath",
                System.getProperty("java.class.path"), file.toString());
        assertThat(status).as(errors.toString() + "\n" + source).isZero();
    }

    /** The runnable quick start ends, as the README promises, on the other region once r1 keeps failing. */
    @Test
    void quickStartProgramFailsOverToTheOtherRegion() {
        java.util.concurrent.ScheduledExecutorService scheduler =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            Endpoint last = QuickStart.run(scheduler, new java.io.PrintStream(out, true,
                    java.nio.charset.StandardCharsets.UTF_8));
            assertThat(last.address()).isEqualTo("10.2.0.13:9080");
        } finally {
            scheduler.shutdownNow();
        }
        assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).startsWith("request 0: 10.1.0.1");
    }
}

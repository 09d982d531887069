package dev.meridian.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The gRPC example runs over loopback and shows what the README says it shows. */
class GrpcFailoverExampleTest {

    @Test
    void theLocalZoneServesThenItsRegionThenItAgainThenTheOtherRegion() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        List<Map<String, Integer>> phases = GrpcFailoverExample.run(new PrintStream(printed, true, StandardCharsets.UTF_8));

        assertThat(phases.get(0)).containsEntry("r1/z1", 30).containsEntry("r1/z2", 0).containsEntry("r2/z1", 0);
        // Three failures eject r1/z1; a call that starts before the ejection is applied may fail too.
        assertThat(phases.get(1).get("failed")).isBetween(3, 4);
        assertThat(phases.get(1).get("r1/z2")).isEqualTo(30 - phases.get(1).get("failed"));
        assertThat(phases.get(1)).containsEntry("r2/z1", 0);
        assertThat(phases.get(2)).containsEntry("r1/z1", 30);
        // A call that started on a connection the stopped server was closing fails, as it would
        // through a sidecar without retries; every other call goes to the other region.
        assertThat(phases.get(3)).containsEntry("r1/z1", 0).containsEntry("r1/z2", 0);
        assertThat(phases.get(3).get("r2/z1")).isBetween(28, 30);
        assertThat(phases.get(3).get("r2/z1") + phases.get(3).getOrDefault("failed", 0)).isEqualTo(30);
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("r1/z1 ejected (CONSECUTIVE_5XX) for 2000 ms")
                .contains("r1/z1 returned to service");
    }
}

package dev.meridian.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The HTTP failover example does what the README shows: each phase served by the zone it names. */
class HttpFailoverExampleTest {

    @Test
    void eachPhaseIsServedByTheNearestZoneStillUp() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<String, Integer> served = HttpFailoverExample.run(new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(served).containsExactly(Map.entry("r1/z1", 20), Map.entry("r1/z2", 20), Map.entry("r2/z1", 20));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("all zones up:\n  served: r1/z1=20 r1/z2=0 r2/z1=0\n");
        assertThat(printed).contains("r1/z1 stopped:\n  ejected the r1/z1 server (CONSECUTIVE_5XX)\n"
                + "  served: r1/z1=0 r1/z2=20 r2/z1=0\n");
        assertThat(printed).contains("r1/z2 stopped too:\n  ejected the r1/z2 server (CONSECUTIVE_5XX)\n"
                + "  served: r1/z1=0 r1/z2=0 r2/z1=20\n");
    }
}

package dev.meridian.outlier;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.Clocks;
import dev.meridian.core.RandomSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import dev.meridian.core.ManualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Ejections and returns are Flight Recorder events carrying the detector's own (virtual) clock. */
class FlightRecorderEventsTest {

    @Test
    @DisplayName("an ejection and a return each commit one event with host, address, type and virtual time")
    void ejectionAndReturnAreRecorded() throws Exception {
        ManualClock clock = Clocks.manual();
        OutlierDetector d = OutlierDetector.create(OutlierDetectionConfig.defaults(), Fixtures.hosts(10),
                RandomSource.seeded(1), clock, null);
        Path file = Files.createTempFile("outlier", ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable("dev.meridian.outlier.Ejection");
            recording.enable("dev.meridian.outlier.Return");
            recording.start();
            clock.advance(5_000_000_000L);
            for (int i = 0; i < 5; i++) {
                d.record(3, 500);
            }
            clock.advance(30_000_000_000L);
            d.sweep();
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Files.deleteIfExists(file);
        assertThat(events).extracting(e -> e.getEventType().getName())
                .containsExactly("dev.meridian.outlier.Ejection", "dev.meridian.outlier.Return");
        RecordedEvent ejection = events.get(0);
        assertThat(ejection.getInt("hostId")).isEqualTo(3);
        assertThat(ejection.getString("address")).isEqualTo(Fixtures.address(3));
        assertThat(ejection.getString("ejectionType")).isEqualTo("CONSECUTIVE_5XX");
        assertThat(ejection.getInt("ejectionCount")).isEqualTo(1);
        assertThat(ejection.getLong("durationNanos")).isEqualTo(30_000_000_000L);
        assertThat(ejection.getLong("atNanos")).isEqualTo(5_000_000_000L);
        RecordedEvent ret = events.get(1);
        assertThat(ret.getInt("hostId")).isEqualTo(3);
        assertThat(ret.getLong("ejectedForNanos")).isEqualTo(30_000_000_000L);
        assertThat(ret.getLong("atNanos")).isEqualTo(35_000_000_000L);
    }
}

package dev.meridian.istio;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Properties of the Go duration grammar (Go {@code src/time/format.go}, {@code ParseDuration} and
 * {@code Duration.String}), as Istio reads DestinationRule durations.
 */
class IstioDurationProperties {

    @Property
    @Label("what format writes, parse reads back to the same duration")
    void formatThenParseIsIdentity(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long nanos) {
        Duration d = Duration.ofNanos(nanos);
        assertThat(IstioDuration.parse("d", IstioDuration.format(d))).isEqualTo(d);
    }

    @Property
    @Label("a count of nanoseconds parses exactly")
    void nanosecondsParseExactly(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long nanos) {
        assertThat(IstioDuration.parse("d", nanos + "ns")).isEqualTo(Duration.ofNanos(nanos));
    }

    @Property
    @Label("hours, minutes, seconds and milliseconds add up, in any notation")
    void componentsAddUp(@ForAll @IntRange(min = 0, max = 10_000) int h, @ForAll @IntRange(min = 0, max = 59) int m,
                         @ForAll @IntRange(min = 0, max = 59) int s, @ForAll @IntRange(min = 0, max = 999) int ms) {
        Duration expected = Duration.ofHours(h).plusMinutes(m).plusSeconds(s).plusMillis(ms);
        assertThat(IstioDuration.parse("d", h + "h" + m + "m" + s + "s" + ms + "ms")).isEqualTo(expected);
        assertThat(IstioDuration.parse("d", ms + "ms" + s + "s" + m + "m" + h + "h")).isEqualTo(expected);
        assertThat(IstioDuration.parse("d", (h * 3600L + m * 60L + s) + "." + String.format("%03d", ms) + "s"))
                .isEqualTo(expected);
    }
}

package dev.meridian.outlier;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * A Flight Recorder event for a host brought back after an ejection. The event's own timestamp is
 * wall time; {@link #atNanos} is the detector's injected clock.
 */
@Name("dev.meridian.outlier.Return")
@Label("Outlier Return")
@Category({"Meridian", "Outlier Detection"})
@Description("An ejected upstream host was brought back into load balancing")
@StackTrace(false)
final class ReturnEvent extends Event {
    @Label("Host Id")
    int hostId;

    @Label("Address")
    String address;

    @Label("Ejected For")
    @Timespan(Timespan.NANOSECONDS)
    long ejectedForNanos;

    @Label("Detector Clock")
    long atNanos;
}

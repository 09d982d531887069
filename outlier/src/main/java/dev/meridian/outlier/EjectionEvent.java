package dev.meridian.outlier;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * A Flight Recorder event for an ejection. The event's own timestamp is wall time; {@link #atNanos}
 * is the detector's injected clock, which is what a simulation on virtual time needs.
 */
@Name("dev.meridian.outlier.Ejection")
@Label("Outlier Ejection")
@Category({"Meridian", "Outlier Detection"})
@Description("An upstream host was ejected from load balancing by outlier detection")
@StackTrace(false)
final class EjectionEvent extends Event {
    @Label("Host Id")
    int hostId;

    @Label("Address")
    String address;

    @Label("Ejection Type")
    String ejectionType;

    @Label("Times Ejected")
    int ejectionCount;

    @Label("Ejection Time")
    @Timespan(Timespan.NANOSECONDS)
    long durationNanos;

    @Label("Detector Clock")
    long atNanos;
}

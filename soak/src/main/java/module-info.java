/**
 * The soak of {@link dev.meridian.cluster.Cluster}: churn, picking threads, failure bursts and
 * configuration changes on virtual or real time, with every pick and ejection checked. A program and
 * its test, not a library: nothing here is published.
 */
module dev.meridian.soak {
    requires dev.meridian.cluster;
    requires java.management;

    exports dev.meridian.soak;
}

/** The discrete-event locality simulator and its scenario format, over the public Meridian API. */
module dev.meridian.simulator {
    requires transitive dev.meridian.cluster;
    requires transitive dev.meridian.istio;
    requires HdrHistogram;

    exports dev.meridian.simulator;
}

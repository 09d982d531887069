/** Envoy's outlier detection, its per-host monitors and Istio's translation of outlierDetection. */
module dev.meridian.outlier {
    requires transitive dev.meridian.core;
    requires jdk.jfr;

    exports dev.meridian.outlier;
}

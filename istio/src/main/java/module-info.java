/**
 * Istio configuration (DestinationRule, ServiceEntry, WorkloadEntry, mesh localityLbSetting) read into
 * validated settings, and
 * {@link dev.meridian.istio.DestinationPolicy}, the façade from a rule to a destination's
 * configuration.
 */
module dev.meridian.istio {
    requires transitive dev.meridian.topology;
    requires transitive dev.meridian.lb;
    requires transitive dev.meridian.outlier;
    requires org.snakeyaml.engine.v2;

    exports dev.meridian.istio;
}

/** Istio's locality priorities for a caller: proximity, failover, failoverPriority, distribute. */
module dev.meridian.topology {
    requires transitive dev.meridian.core;

    exports dev.meridian.topology;
}

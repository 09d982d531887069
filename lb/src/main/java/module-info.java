/**
 * Envoy's priority load, panic, locality weights, zone-aware routing and host selection. The
 * configuration and plan types are the API; the snapshot builder and picker are internal, open only
 * to the module that owns a destination's state.
 */
module dev.meridian.lb {
    requires transitive dev.meridian.core;

    exports dev.meridian.lb;
    exports dev.meridian.lb.internal to dev.meridian.cluster;
}

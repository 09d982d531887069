/** Localities, endpoints, endpoint tables, clocks and random sources: what every other module shares. */
module dev.meridian.core {
    exports dev.meridian.core;
}

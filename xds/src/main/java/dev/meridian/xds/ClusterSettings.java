package dev.meridian.xds;

import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;

/** Stand-in for the translation contract (replaced by the xds-translate branch). */
public record ClusterSettings(String name, LbConfig lb, OutlierDetectionConfig outlierDetection) { }

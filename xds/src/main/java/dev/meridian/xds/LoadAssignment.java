package dev.meridian.xds;

import dev.meridian.core.EndpointTable;
import dev.meridian.lb.LbConfig;

/** Stand-in for the translation contract (replaced by the xds-translate branch). */
public record LoadAssignment(String clusterName, EndpointTable table, int overprovisioningFactor,
                             boolean weightedPriorityHealth) {
    public LbConfig applyTo(LbConfig base) {
        return base.toBuilder().overprovisioningFactor(overprovisioningFactor)
                .weightedPriorityHealth(weightedPriorityHealth).build();
    }
}

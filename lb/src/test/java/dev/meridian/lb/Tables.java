package dev.meridian.lb;

import dev.meridian.lb.internal.LoadBalancer;
import dev.meridian.core.Clocks;
import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.core.RandomSource;
import java.util.Map;

/** Builds endpoint tables and balancers for tests. */
final class Tables {
    static final Locality X = Locality.of("r1", "x", "");
    static final Locality Y = Locality.of("r1", "y", "");
    static final Locality Z = Locality.of("r1", "z", "");

    private Tables() {
    }

    static Endpoint endpoint(int n, Locality locality, HealthStatus health, int weight) {
        return new Endpoint("10." + (n >> 16 & 255) + "." + (n >> 8 & 255) + "." + (n & 255), 8080, locality,
                Map.of(), weight, health, Endpoint.NO_PRIORITY);
    }

    /**
     * One locality per priority; for each priority {@code {hosts, healthy, degraded}}, the rest
     * unhealthy.
     */
    static EndpointTable priorities(int[]... spec) {
        EndpointTable.Builder b = EndpointTable.builder();
        int n = 0;
        for (int p = 0; p < spec.length; p++) {
            int hosts = spec[p][0];
            int healthy = spec[p][1];
            int degraded = spec[p].length > 2 ? spec[p][2] : 0;
            for (int i = 0; i < hosts; i++) {
                HealthStatus h = i < healthy ? HealthStatus.HEALTHY
                        : i < healthy + degraded ? HealthStatus.DEGRADED : HealthStatus.UNHEALTHY;
                b.add(endpoint(n++, X, h, 1), p, 0);
            }
        }
        return b.build();
    }

    static LoadBalancer balancer(LbConfig config, EndpointTable table) {
        return LoadBalancer.create(config, table, RandomSource.seeded(42), Clocks.manual());
    }

    static LoadPlan plan(EndpointTable table) {
        return balancer(LbConfig.defaults(), table).plan();
    }
}

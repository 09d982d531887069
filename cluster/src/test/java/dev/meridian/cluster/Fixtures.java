package dev.meridian.cluster;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import java.util.ArrayList;
import java.util.List;

/** Endpoint tables the cluster tests share. */
final class Fixtures {
    private Fixtures() {
    }

    /** A table of {@code n} hosts 10.0.x.y:8080 in one locality, all at priority 0. */
    static EndpointTable hosts(int n) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            endpoints.add(Endpoint.of(address(i), Locality.of("r1", "z1", "")));
        }
        return EndpointTable.of(endpoints);
    }

    static String address(int i) {
        return "10.0." + (i / 250) + "." + (i % 250 + 1) + ":8080";
    }
}

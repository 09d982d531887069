package dev.meridian.lb;

import dev.meridian.core.EndpointTable;
import dev.meridian.core.RandomSource;
import java.util.BitSet;
import java.util.List;
import org.agrona.concurrent.NanoClock;

/**
 * Picks upstream hosts as Envoy would. Thread-safe: any number of threads may pick while one thread
 * updates.
 */
public final class LoadBalancer {

    /** Returned by {@link #pick()} when no host can take the request. */
    public static final int NO_ENDPOINT = -1;

    private final LbConfig config;
    private volatile EndpointTable table;

    private LoadBalancer(LbConfig config, EndpointTable table) {
        this.config = config;
        this.table = table;
    }

    public static LoadBalancer create(LbConfig config, EndpointTable table, RandomSource random, NanoClock clock) {
        return new LoadBalancer(config, table);
    }

    public int pick() {
        return table.size() == 0 ? NO_ENDPOINT : 0;
    }

    public int pick(long hashKey) {
        return pick();
    }

    public EndpointTable table() {
        return table;
    }

    public void update(EndpointTable newTable) {
        this.table = newTable;
    }

    public boolean setEjected(EndpointTable forTable, BitSet ejectedHostIds) {
        return forTable == table;
    }

    public void requestStarted(int hostId) {
    }

    public void requestFinished(int hostId) {
    }

    public LoadPlan plan() {
        return new LoadPlan(config.policy(), config.overprovisioningFactor(), config.panicThreshold(), List.of());
    }
}

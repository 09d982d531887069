package dev.meridian.grpc;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.SubchannelPicker;
import java.util.IdentityHashMap;

/**
 * Picks through the cluster and hands out the {@link PickResult} prebuilt for the host: the
 * subchannel with the host's outcome tracer, or the host's connection error when its subchannel is
 * in {@code TRANSIENT_FAILURE} (a panic pick may land there, and Envoy would answer it with a 503
 * rather than wait). Allocation-free: {@code Cluster.pick()} allocates nothing, and an
 * {@link IdentityHashMap} lookup neither.
 *
 * <p>Immutable and thread-safe. A pick may return a host of a snapshot newer than this picker (the
 * balancer publishes a new picker right after every drain); such a pick gets "no result" and the
 * call waits for that picker.
 */
final class HostPicker extends SubchannelPicker {

    /** For a host this picker was not built with: the call waits for the picker that has it. */
    private static final PickResult NEWER_SNAPSHOT = PickResult.withNoResult();

    private final Cluster cluster;
    private final IdentityHashMap<Host, PickResult> results;
    private final PickResult none;

    /**
     * @param results one prebuilt result per host of the snapshot the picker was built for
     * @param none the result when the cluster has no host to pick
     */
    HostPicker(Cluster cluster, IdentityHashMap<Host, PickResult> results, PickResult none) {
        this.cluster = cluster;
        this.results = results;
        this.none = none;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
        Host host = cluster.pick();
        if (host == null) {
            return none;
        }
        PickResult result = results.get(host);
        return result != null ? result : NEWER_SNAPSHOT;
    }

    @Override
    public String toString() {
        return "HostPicker[" + results.size() + " hosts, " + cluster + "]";
    }
}

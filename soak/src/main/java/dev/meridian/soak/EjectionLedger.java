package dev.meridian.soak;

import dev.meridian.cluster.Cluster;
import dev.meridian.cluster.Host;
import dev.meridian.core.EndpointTable;
import dev.meridian.outlier.EjectionListener;
import dev.meridian.outlier.EjectionType;
import dev.meridian.outlier.OutlierDetector;
import java.util.List;

/**
 * The cluster's ejection listener, keeping per address what it has been told, and the checks that
 * nothing it was told is lost: an address is ejected at most once at a time, returns only when
 * ejected, and every ejection ends in a return, in the host leaving the endpoint set, or is still on
 * at the end. Envoy reports no return when an ejected host leaves the set: its detector erases the
 * host's monitor and lowers the active count without an event ({@code DetectorImpl::initialize}'s
 * member-update callback in {@code source/common/upstream/outlier_detection_impl.cc}), so a
 * departure ends an ejection here too.
 *
 * <p>Not thread-safe: the cluster calls the listener on its control thread, and the harness reads
 * and reconciles on the same thread.
 */
final class EjectionLedger implements EjectionListener {

    private final AddressPool pool;
    private final StringBuilder problems = new StringBuilder();
    private final boolean[] ejected;
    /** Per address, ejections told since its current handle appeared: the monitor's own count. */
    private final int[] ejectionsOfHandle;
    /** Per address, every ejection ever told. */
    private final long[] ejectionsOfAddress;
    private final Host[] handle;
    private long ejections;
    private long returns;
    private long endedByDeparture;

    EjectionLedger(AddressPool pool) {
        this.pool = pool;
        ejected = new boolean[pool.size()];
        ejectionsOfHandle = new int[pool.size()];
        ejectionsOfAddress = new long[pool.size()];
        handle = new Host[pool.size()];
    }

    @Override
    public void onEjected(EndpointTable table, int hostId, EjectionType type, long atNanos, long untilNanos) {
        int id = pool.id(table.address(hostId));
        if (ejected[id]) {
            problem("ejected " + table.address(hostId) + " (" + type + ") while it was ejected already");
        }
        ejected[id] = true;
        ejectionsOfHandle[id]++;
        ejectionsOfAddress[id]++;
        ejections++;
    }

    @Override
    public void onReturned(EndpointTable table, int hostId, long atNanos) {
        int id = pool.id(table.address(hostId));
        if (!ejected[id]) {
            problem("returned " + table.address(hostId) + " which was not ejected");
        }
        ejected[id] = false;
        returns++;
    }

    /**
     * Takes in a publication: an address whose handle changed or went has left the set, and an
     * ejection it carried is over. Called after every publication, the first included, so that the
     * events of a drain always concern the handles of the publication before it or new ones; that
     * holds because the soak replaces the endpoint set at most once per drain, so an address never
     * leaves and comes back within one.
     */
    void reconcile(PublishedView view) {
        for (int id = 0; id < handle.length; id++) {
            Host now = view.handle(id);
            if (now != handle[id]) {
                if (ejected[id]) {
                    ejected[id] = false;
                    endedByDeparture++;
                }
                ejectionsOfHandle[id] = 0;
                handle[id] = now;
            }
        }
    }

    /**
     * Compares what the listener was told with the cluster as published: each host's ejection, each
     * host's ejection count as its detector keeps it, and the detector's count of ejected hosts.
     * Control thread, after a drain.
     */
    void compareWith(Cluster cluster) {
        EndpointTable table = cluster.table();
        List<Host> hosts = cluster.hosts();
        OutlierDetector detector = cluster.detector();
        int active = 0;
        for (int h = 0; h < table.size(); h++) {
            String address = table.address(h);
            int id = pool.id(address);
            boolean isEjected = detector != null && hosts.get(h).isEjected();
            if (isEjected != ejected[id]) {
                problem(address + " is " + (isEjected ? "" : "not ") + "ejected in the cluster, but the listener was "
                        + (ejected[id] ? "told it is" : "told it is not"));
            }
            if (detector != null) {
                int counted = detector.ejectionCount(detector.table().indexOf(address));
                if (counted != ejectionsOfHandle[id]) {
                    problem(address + ": the detector counts " + counted + " ejections of its handle, the listener "
                            + ejectionsOfHandle[id]);
                }
            }
            if (isEjected) {
                active++;
            }
        }
        int detectorCount = detector == null ? 0 : detector.ejectedCount();
        if (detectorCount != active) {
            problem("the detector counts " + detectorCount + " hosts ejected, the hosts " + active);
        }
        if (ejectedNow() != active) {
            problem("the listener holds " + ejectedNow() + " ejections open, the cluster " + active);
        }
    }

    /** Ejections told and not yet returned or ended by a departure. */
    int ejectedNow() {
        int n = 0;
        for (boolean e : ejected) {
            n += e ? 1 : 0;
        }
        return n;
    }

    boolean isEjected(int addressId) {
        return ejected[addressId];
    }

    long ejectionsOf(int addressId) {
        return ejectionsOfAddress[addressId];
    }

    long ejections() {
        return ejections;
    }

    long returns() {
        return returns;
    }

    long endedByDeparture() {
        return endedByDeparture;
    }

    /** What went wrong so far, or an empty string. */
    String problems() {
        return problems.toString();
    }

    private void problem(String what) {
        if (problems.length() < 4000) {
            problems.append(what).append('\n');
        }
    }
}

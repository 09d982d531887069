package dev.meridian.xds;

import java.util.HashMap;
import java.util.Map;

/**
 * What the client keeps per resource type across streams: the version it last accepted (state of
 * the world), each resource's accepted version (incremental), and the pacing of repeated NACKs.
 *
 * <p>Not thread-safe: the ADS client touches it only inside its synchronization context.
 */
final class TypeState {

    final String typeUrl;
    /** The last ACKed {@code version_info}; "" before the first. */
    String acceptedVersion = "";
    /**
     * What identifies the last NACK until a response is ACKed: the {@code version_info} in state
     * of the world, the {@code error_detail} in incremental xDS (whose versions are per resource).
     */
    String lastRejection;
    /** Paces NACKs of a version already NACKed; reset by an ACK. */
    final JitteredBackoff rejectionBackoff;
    /** Incremental xDS: each accepted resource's version, sent as {@code initial_resource_versions}. */
    final Map<String, String> resourceVersions = new HashMap<>();

    TypeState(String typeUrl, JitteredBackoff rejectionBackoff) {
        this.typeUrl = typeUrl;
        this.rejectionBackoff = rejectionBackoff;
    }
}

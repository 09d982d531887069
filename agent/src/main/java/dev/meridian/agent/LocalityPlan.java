package dev.meridian.agent;

import dev.meridian.cluster.Cluster;
import dev.meridian.core.EndpointTable;
import dev.meridian.grpc.ResolvedService;
import dev.meridian.istio.CallerProxy;
import dev.meridian.lb.LbConfig;
import dev.meridian.outlier.OutlierDetectionConfig;
import dev.meridian.topology.Caller;
import dev.meridian.topology.PriorityAssignment;
import java.util.Objects;

/**
 * What one listener's {@link Cluster} runs for the VM: the priorities, balancing and outlier detection
 * an Envoy sidecar configured by Istio runs for a pod at the VM's locality with the VM's labels. It is
 * computed by {@link CallerProxy#SIDECAR}, the same call {@code meridian_locality},
 * {@code KubernetesEndpointSource} and {@code xds-serve} make, so the VM and a pod decide alike.
 *
 * <p>Immutable and thread-safe.
 *
 * @param service the service as the mesh source resolved it
 * @param assignment the endpoints' priorities for the VM
 * @param lb the balancing configuration
 * @param outlier the outlier detection, or null when the rule configures none
 */
public record LocalityPlan(ResolvedService service, PriorityAssignment assignment, LbConfig lb,
                           OutlierDetectionConfig outlier) {

    /** @throws IllegalArgumentException when the service, assignment or balancing is null */
    public LocalityPlan {
        if (service == null || assignment == null || lb == null) {
            throw new IllegalArgumentException("localityPlan: service, assignment and lb must not be null");
        }
    }

    /**
     * The plan a sidecar at {@code caller} runs for a resolved service.
     *
     * @throws IllegalArgumentException when an argument is null or the policy rejects the endpoints
     */
    public static LocalityPlan of(ResolvedService service, Caller caller) {
        if (service == null || caller == null) {
            throw new IllegalArgumentException("service and caller: must not be null");
        }
        if (service.policy() == null) {
            throw new IllegalArgumentException("service " + service.name() + ": has no destination policy");
        }
        CallerProxy sidecar = CallerProxy.SIDECAR;
        PriorityAssignment a = sidecar.assign(service.policy(), service.endpoints(), caller,
                service.kubernetesService(), service.release());
        return new LocalityPlan(service, a, sidecar.lbConfig(service.policy(), a, service.kubernetesService(),
                service.release()), sidecar.outlier(service.policy()));
    }

    /** The endpoint table the cluster runs. */
    public EndpointTable table() {
        return assignment.toTable();
    }

    /**
     * Queues on {@code cluster} the commands that turn the plan it runs ({@code previous}, or null at
     * first) into this one: the balancing and the outlier detection only when they changed, then the
     * endpoints. Never drains.
     */
    public void queueOn(Cluster cluster, LocalityPlan previous) {
        if (previous == null || !previous.lb.equals(lb)) {
            cluster.configure(lb);
        }
        if (previous == null || !Objects.equals(previous.outlier, outlier)) {
            cluster.configure(outlier);
        }
        if (previous == null || !previous.assignment.equals(assignment)) {
            cluster.update(table());
        }
    }
}

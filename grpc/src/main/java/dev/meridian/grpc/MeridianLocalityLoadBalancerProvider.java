package dev.meridian.grpc;

import dev.meridian.core.NanoClock;
import dev.meridian.outlier.EjectionListener;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver;
import io.grpc.Status;
import java.util.Map;

/**
 * The {@code meridian_locality} load-balancing policy for grpc-java: the channel's top-level policy
 * runs one Meridian {@code Cluster} over the resolved endpoints, so a gRPC client spreads and fails
 * over its calls as an Envoy sidecar configured by Istio would (locality priorities, priority load
 * with overprovisioning and panic, locality weights, outlier ejection).
 *
 * <p>Found by {@link java.util.ServiceLoader} (listed in {@code META-INF/services}), so
 * {@code ManagedChannelBuilder.defaultLoadBalancingPolicy("meridian_locality")} and a service config
 * {@code {"loadBalancingConfig": [{"meridian_locality": {...}}]}} both select it. The config object
 * takes:
 * <ul>
 *   <li>{@code callerLocality} ({@code "region/zone/subzone"}) and {@code callerLabels}: who calls,
 *       for Istio's priorities; without them the name resolver's {@link MeridianAttributes#CALLER};</li>
 *   <li>{@code localityLbSetting}: the mesh-wide setting ({@code enabled}, {@code distribute},
 *       {@code failover}, {@code failoverPriority}), Istio's default (enabled) when absent;</li>
 *   <li>{@code loadBalancer} and {@code outlierDetection}: a DestinationRule's {@code trafficPolicy}
 *       blocks ({@code simple}, {@code localityLbSetting}, {@code warmup}...;
 *       {@code consecutive5xxErrors}, {@code consecutiveGatewayErrors}, {@code interval},
 *       {@code baseEjectionTime}, {@code maxEjectionPercent}, {@code minHealthPercent}...);</li>
 *   <li>or {@code destinationRule}: a whole DestinationRule object, or the host of one the name
 *       resolver supplies ({@link MeridianAttributes#DESTINATION_RULES}), with {@code subset}.</li>
 * </ul>
 * Without any of these the resolver's policy ({@link MeridianAttributes#DESTINATION_POLICY}) applies,
 * else Istio's defaults. A malformed config is refused with {@code INVALID_ARGUMENT} naming the field
 * and the value; the istio module's readers validate the Istio blocks as they validate YAML.
 *
 * <p>The channel's {@link NameResolver.Args} may carry a {@link #CLOCK} (virtual time for tests)
 * and an {@link #EJECTION_LISTENER}; set them with {@code ManagedChannelBuilder.setNameResolverArg}.
 *
 * <p>Stateless and thread-safe; each channel gets its own balancer.
 */
public final class MeridianLocalityLoadBalancerProvider extends LoadBalancerProvider {

    /** The policy's name in service configs and {@code defaultLoadBalancingPolicy}. */
    public static final String POLICY_NAME = "meridian_locality";

    /** The clock the channel's {@code Cluster} reads (ejection times, sweeps, slow start); default the system's. */
    public static final NameResolver.Args.Key<NanoClock> CLOCK = NameResolver.Args.Key.create("meridian.clock");

    /**
     * Told of every ejection and return, on the channel's synchronization context, after the picker
     * that shows it is in place; must be quick. Default: none (they are logged to the channel logger).
     */
    public static final NameResolver.Args.Key<EjectionListener> EJECTION_LISTENER =
            NameResolver.Args.Key.create("meridian.ejectionListener");

    /** For {@link java.util.ServiceLoader}. */
    public MeridianLocalityLoadBalancerProvider() {
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    /** The default priority: the policy is chosen by name, never as a replacement for another. */
    @Override
    public int getPriority() {
        return 5;
    }

    @Override
    public String getPolicyName() {
        return POLICY_NAME;
    }

    @Override
    public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
        return new MeridianLocalityLoadBalancer(helper);
    }

    /**
     * Reads the policy's config object.
     *
     * @return the parsed config, or {@code INVALID_ARGUMENT} naming the field and the value
     */
    @Override
    public NameResolver.ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
        try {
            return NameResolver.ConfigOrError.fromConfig(LocalityPolicyConfig.parse(rawConfig));
        } catch (IllegalArgumentException e) {
            return NameResolver.ConfigOrError.fromError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
        }
    }
}

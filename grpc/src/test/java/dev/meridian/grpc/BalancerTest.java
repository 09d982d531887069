package dev.meridian.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meridian.core.HealthStatus;
import dev.meridian.core.Locality;
import dev.meridian.topology.Caller;
import io.grpc.Attributes;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Status;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code meridian_locality} driven as a channel drives it, with subchannels whose connectivity the
 * test sets: how connectivity becomes health, what the picker hands out, and what it costs.
 */
class BalancerTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final FakeHelper helper = new FakeHelper(timer);
    private final LoadBalancer balancer = new MeridianLocalityLoadBalancerProvider().newLoadBalancer(helper);

    @AfterEach
    void stop() {
        helper.sync.execute(balancer::shutdown);
        timer.shutdownNow();
    }

    private static EquivalentAddressGroup group(int port, String locality, Integer priority) {
        Attributes.Builder a = Attributes.newBuilder().set(MeridianAttributes.LOCALITY, Locality.parse(locality));
        if (priority != null) {
            a.set(MeridianAttributes.PRIORITY, priority);
        }
        return new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", port), a.build());
    }

    private Status accept(List<EquivalentAddressGroup> groups, Map<String, ?> config, Attributes attrs) {
        Object parsed = new MeridianLocalityLoadBalancerProvider().parseLoadBalancingPolicyConfig(config).getConfig();
        Status[] status = new Status[1];
        helper.sync.execute(() -> status[0] = balancer.acceptResolvedAddresses(LoadBalancer.ResolvedAddresses.newBuilder()
                .setAddresses(groups).setAttributes(attrs).setLoadBalancingPolicyConfig(parsed).build()));
        return status[0];
    }

    private static final Map<String, ?> OUTLIER = Map.of("callerLocality", "r1/z1",
            "outlierDetection", Map.of("consecutive5xxErrors", 3.0, "maxEjectionPercent", 100.0));

    private void threeZones() {
        assertThat(accept(List.of(group(1001, "r1/z1", null), group(1002, "r1/z2", null), group(1003, "r2/z1", null)),
                OUTLIER, Attributes.EMPTY).isOk()).isTrue();
    }

    private int pickedPort() {
        LoadBalancer.PickResult r = helper.pick();
        assertThat(r.getSubchannel()).as("picked a subchannel: " + r).isNotNull();
        SocketAddress a = r.getSubchannel().getAddresses().getAddresses().get(0);
        return ((InetSocketAddress) a).getPort();
    }

    @Test
    void callsWaitUntilEveryEndpointsFirstConnectionAttemptHasEnded() {
        threeZones();
        assertThat(helper.subchannels).hasSize(3);
        assertThat(helper.subchannels.values()).allSatisfy(s -> assertThat(s.connectionRequests).isEqualTo(1));
        assertThat(helper.state).isEqualTo(ConnectivityState.CONNECTING);
        assertThat(helper.pick().hasResult()).isFalse();

        helper.port(1002).ready();
        helper.port(1003).ready();
        // r1/z2 is up but r1/z1 has not been checked yet: Envoy would still be warming the cluster.
        assertThat(helper.pick().hasResult()).isFalse();

        helper.port(1001).ready();
        assertThat(helper.state).isEqualTo(ConnectivityState.READY);
        for (int i = 0; i < 10; i++) {
            assertThat(pickedPort()).isEqualTo(1001);
        }
    }

    @Test
    void aFailedConnectionMakesTheHostUnhealthyAndAReadyOneHealthyAgain() {
        threeZones();
        helper.subchannels.values().forEach(FakeHelper.FakeSubchannel::ready);
        assertThat(pickedPort()).isEqualTo(1001);

        helper.port(1001).fail("connection refused");
        assertThat(pickedPort()).isEqualTo(1002);
        helper.port(1001).ready();
        assertThat(pickedPort()).isEqualTo(1001);
    }

    @Test
    void idleAsksForAConnectionAndKeepsTheHostHealthy() {
        threeZones();
        helper.subchannels.values().forEach(FakeHelper.FakeSubchannel::ready);
        helper.port(1001).idle();
        assertThat(helper.port(1001).connectionRequests).isEqualTo(2);
        assertThat(pickedPort()).isEqualTo(1001);
    }

    @Test
    void withPanicAPickOfAnUnreachableHostFailsAtOnceInsteadOfWaiting() {
        // No outlier detection: Envoy's 50% panic threshold; every host down puts the priority in
        // panic, and a pick lands on an unreachable host, which Envoy would answer with a 503.
        assertThat(accept(List.of(group(1001, "r1/z1", null), group(1002, "r1/z2", null)),
                Map.of("callerLocality", "r1/z1"), Attributes.EMPTY).isOk()).isTrue();
        helper.port(1001).fail("connection refused");
        helper.port(1002).fail("connection refused");
        assertThat(helper.state).isEqualTo(ConnectivityState.TRANSIENT_FAILURE);
        LoadBalancer.PickResult r = helper.pick();
        assertThat(r.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(r.getStatus().getDescription()).contains("is unreachable").contains("connection refused");
    }

    @Test
    void withoutPanicNoHealthyHostFailsTheCallSayingWhy() {
        threeZones();
        helper.subchannels.values().forEach(s -> s.fail("connection refused"));
        LoadBalancer.PickResult r = helper.pick();
        assertThat(r.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(r.getStatus().getDescription()).contains("no endpoint of reviews can take the call")
                .contains("3 endpoints, 0 healthy").contains("panic threshold 0");
    }

    @Test
    void withoutACallerThePrioritiesTheResolverGaveAreUsedAsEnvoyUsesEds() {
        assertThat(accept(List.of(group(1001, "r1/z1", 1), group(1002, "r9/z9", 0)), Map.of(), Attributes.EMPTY)
                .isOk()).isTrue();
        helper.subchannels.values().forEach(FakeHelper.FakeSubchannel::ready);
        for (int i = 0; i < 10; i++) {
            assertThat(pickedPort()).isEqualTo(1002);
        }
    }

    @Test
    void balancingTheSourceDecidedIsRunAsSentWhateverTheCaller() {
        // A control plane's cluster (MeridianAttributes.LB_CONFIG): each group at the priority it was
        // sent with; the config's caller in r2 would put r2/z1 first, and is not consulted.
        Attributes decided = Attributes.newBuilder()
                .set(MeridianAttributes.LB_CONFIG, dev.meridian.lb.LbConfig.builder()
                        .policy(dev.meridian.lb.LbPolicy.LEAST_REQUEST).panicThreshold(0).build())
                .build();
        assertThat(accept(List.of(group(1001, "r1/z1", 0), group(1002, "r1/z2", 1), group(1003, "r2/z1", 2)),
                Map.of("callerLocality", "r2/z1"), decided).isOk()).isTrue();
        helper.subchannels.values().forEach(FakeHelper.FakeSubchannel::ready);
        for (int i = 0; i < 10; i++) {
            assertThat(pickedPort()).isEqualTo(1001);
        }
        assertThat(helper.logged).anySatisfy(m -> assertThat(m).contains("the source decided the priorities and the"
                + " balancing (LEAST_REQUEST); the service config's caller and policy fields do not apply"));
        // Priority 0 down and panic off, as sent: priority 1 takes everything, priority 2 nothing.
        helper.port(1001).fail("connection refused");
        for (int i = 0; i < 10; i++) {
            assertThat(pickedPort()).isEqualTo(1002);
        }
    }

    @Test
    void theResolversCallerIsUsedWhenTheConfigNamesNone() {
        Attributes attrs = Attributes.newBuilder()
                .set(MeridianAttributes.CALLER, Caller.at(Locality.parse("r1/z2"))).build();
        assertThat(accept(List.of(group(1001, "r1/z1", null), group(1002, "r1/z2", null)),
                Map.of("outlierDetection", Map.of()), attrs).isOk()).isTrue();
        helper.subchannels.values().forEach(FakeHelper.FakeSubchannel::ready);
        assertThat(pickedPort()).isEqualTo(1002);
    }

    @Test
    void aHostTheControlPlaneCallsUnhealthyStaysOutWhateverItsConnection() {
        Attributes unhealthy = Attributes.newBuilder().set(MeridianAttributes.LOCALITY, Locality.parse("r1/z1"))
                .set(MeridianAttributes.HEALTH, HealthStatus.UNHEALTHY).build();
        // Istio does not send an unhealthy endpoint at all (KubernetesService.sentEndpoints).
        assertThat(accept(List.of(new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", 1001), unhealthy),
                group(1002, "r1/z2", null)), OUTLIER, Attributes.EMPTY).isOk()).isTrue();
        assertThat(helper.subchannels).hasSize(1);
        helper.port(1002).ready();
        assertThat(pickedPort()).isEqualTo(1002);
    }

    @Test
    void anEmptySetFailsCallsAtOnceAndShutsTheSubchannelsDown() {
        threeZones();
        helper.subchannels.values().forEach(FakeHelper.FakeSubchannel::ready);
        assertThat(accept(List.of(), OUTLIER, Attributes.EMPTY).isOk()).isTrue();
        assertThat(helper.state).isEqualTo(ConnectivityState.TRANSIENT_FAILURE);
        assertThat(helper.pick().getStatus().getDescription()).contains("reviews has no endpoints");
        assertThat(helper.subchannels.values()).allSatisfy(s -> assertThat(s.shutdown).isTrue());
    }

    @Test
    void aNameResolutionErrorKeepsTheLastEndpointsButFailsCallsWhenThereAreNone() {
        helper.sync.execute(() -> balancer.handleNameResolutionError(Status.UNAVAILABLE.withDescription("no such service")));
        assertThat(helper.pick().getStatus().getDescription()).isEqualTo("no such service");
        threeZones();
        helper.subchannels.values().forEach(FakeHelper.FakeSubchannel::ready);
        helper.sync.execute(() -> balancer.handleNameResolutionError(Status.UNAVAILABLE.withDescription("gone")));
        assertThat(pickedPort()).isEqualTo(1001);
    }

    @Test
    void anAddressThatIsNoHostAndPortIsRefusedNamingIt() {
        SocketAddress odd = new SocketAddress() {
            private static final long serialVersionUID = 1L;

            @Override
            public String toString() {
                return "odd-address";
            }
        };
        Status s = accept(List.of(new EquivalentAddressGroup(odd)), Map.of(), Attributes.EMPTY);
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).contains("odd-address").contains("InetSocketAddress");
        assertThat(helper.pick().getStatus().getDescription()).contains("odd-address");
    }

    @Test
    void grpcLocalityNamesAreReadInIstiosAndGrpcXdsForms() {
        assertThat(MeridianLocalityLoadBalancer.localityFromName("r1/z1/s1")).isEqualTo(Locality.of("r1", "z1", "s1"));
        assertThat(MeridianLocalityLoadBalancer.localityFromName("{region=\"r1\", zone=\"z2\", sub_zone=\"\"}"))
                .isEqualTo(Locality.of("r1", "z2", ""));
        assertThat(MeridianLocalityLoadBalancer.localityFromName("a/b/c/d")).isEqualTo(Locality.UNKNOWN);
        assertThat(MeridianLocalityLoadBalancer.localityFromName(null)).isEqualTo(Locality.UNKNOWN);
    }

    @Test
    void pickingAllocatesNothing() {
        List<EquivalentAddressGroup> groups = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            groups.add(group(2000 + i, "r1/z" + (i % 3), null));
        }
        assertThat(accept(groups, Map.of("callerLocality", "r1/z0"), Attributes.EMPTY).isOk()).isTrue();
        helper.subchannels.values().forEach(FakeHelper.FakeSubchannel::ready);
        LoadBalancer.SubchannelPicker picker = helper.picker;
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        threads.getThreadAllocatedBytes(thread);
        long sink = picks(picker, 200_000);
        // Other tests in this JVM may have shown the pick's call sites other picker classes: the JIT
        // can then recompile the pick during a round, and the deoptimization allocates the objects
        // compiled code kept in registers, once. A pick that allocates would cost megabytes a round.
        long allocated = Long.MAX_VALUE;
        for (int round = 0; round < 5 && allocated >= 1024; round++) {
            long before = threads.getThreadAllocatedBytes(thread);
            sink += picks(picker, 200_000);
            allocated = threads.getThreadAllocatedBytes(thread) - before;
        }
        assertThat(sink).isNotZero();
        assertThat(allocated).as("bytes allocated by 200,000 picks (the last of up to 5 rounds)").isLessThan(1024);
    }

    private static long picks(LoadBalancer.SubchannelPicker picker, int n) {
        long sink = 0;
        for (int i = 0; i < n; i++) {
            sink += System.identityHashCode(picker.pickSubchannel(FakeHelper.ARGS).getSubchannel()) & 1;
        }
        return sink + 1;
    }
}

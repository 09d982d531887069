package dev.meridian.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Locality;
import dev.meridian.topology.Caller;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a caller sees when the target or the configuration is wrong: every call fails at once with a
 * status that names the cause (the calls carry a generous deadline only as a safety net; a
 * DEADLINE_EXCEEDED would be a failure of this test), or the channel refuses to be built.
 */
class BadInputTest {

    @TempDir
    Path dir;

    private ZoneServer server;
    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = ZoneServer.start("r1/z1");
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (ManagedChannel c : channels) {
            c.shutdownNow();
            c.awaitTermination(30, TimeUnit.SECONDS);
        }
        server.stop();
    }

    private MeshDirectorySource source(String yaml) throws IOException {
        Files.writeString(dir.resolve("mesh.yaml"), yaml);
        return MeshDirectorySource.read(dir);
    }

    private MeshDirectorySource reviews() throws IOException {
        return source(LocalityFailoverTest.mesh(Map.of("r1/z1", server.port()), LocalityFailoverTest.OUTLIER_POLICY));
    }

    private ManagedChannel channel(String target, MeridianSource source) {
        NettyChannelBuilder b = NettyChannelBuilder.forTarget(target).usePlaintext()
                .defaultLoadBalancingPolicy(MeridianLocalityLoadBalancerProvider.POLICY_NAME)
                .setNameResolverArg(MeridianNameResolverProvider.CALLER, Caller.at(Locality.parse("r1/z1")));
        if (source != null) {
            b.setNameResolverArg(MeridianNameResolverProvider.SOURCE, source);
        }
        ManagedChannel c = b.build();
        channels.add(c);
        return c;
    }

    private static Status failure(ManagedChannel c) {
        try {
            ZoneServer.call(c, 30_000);
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
        throw new AssertionError("the call succeeded");
    }

    @Test
    void anUnknownServiceFailsTheCallNamingItAndWhatIsKnown() throws IOException {
        Status s = failure(channel("meridian:///ratings", reviews()));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).contains("no service 'ratings'").contains("reviews.default.svc.cluster.local:9080");
    }

    @Test
    void anUnknownClusterNameFailsTheCallNamingTheKnownClusters() throws IOException {
        Status s = failure(channel(MeridianNameResolverProvider.target("outbound|9080|v9|reviews.default.svc.cluster.local"),
                reviews()));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).contains("no cluster 'outbound|9080|v9|reviews.default.svc.cluster.local'")
                .contains("outbound|9080||reviews.default.svc.cluster.local");
    }

    @Test
    void aClusterNameResolvesWhenItsBarsAreEscaped() throws IOException {
        String target = MeridianNameResolverProvider.target("outbound|9080||reviews.default.svc.cluster.local");
        assertThat(target).isEqualTo("meridian:///outbound%7C9080%7C%7Creviews.default.svc.cluster.local");
        assertThat(ZoneServer.call(channel(target, reviews()))).isEqualTo("r1/z1");
        // Unescaped, the target is no URI, and grpc-java finds no resolver for it: an early, clear error.
        assertThatThrownBy(() -> channel("meridian:///outbound|9080||reviews.default.svc.cluster.local", reviews()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outbound|9080||reviews");
    }

    @Test
    void aServiceWithoutEndpointsFailsTheCallAtOnce() throws IOException {
        MeshDirectorySource empty = source("""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews.default.svc.cluster.local]
                  ports: [{number: 9080, name: grpc, protocol: GRPC}]
                  resolution: STATIC
                  workloadSelector: {labels: {app: reviews}}
                """);
        Status s = failure(channel("meridian:///reviews", empty));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).contains("outbound|9080||reviews.default.svc.cluster.local has no endpoints");
    }

    @Test
    void anAmbiguousShortNameFailsNamingTheCandidates() throws IOException {
        MeshDirectorySource two = source(LocalityFailoverTest.mesh(Map.of("r1/z1", server.port()), null)
                .replace("ports: [{number: 9080, name: grpc, protocol: GRPC}]",
                        "ports: [{number: 9080, name: grpc, protocol: GRPC}, {number: 9081, name: grpc2, protocol: GRPC}]"));
        Status s = failure(channel("meridian:///reviews", two));
        assertThat(s.getDescription()).contains("matches 2 services")
                .contains("reviews.default.svc.cluster.local:9080, reviews.default.svc.cluster.local:9081");
        assertThat(ZoneServer.call(channel("meridian:///reviews:9080", two))).isEqualTo("r1/z1");
    }

    @Test
    void aChannelWithoutSourceFailsTheCallSayingHowToGiveOne() {
        Status s = failure(channel("meridian:///reviews", null));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).contains("no source for 'reviews'").contains("MeridianNameResolverProvider.SOURCE");
    }

    @Test
    void aMalformedServiceConfigRefusesTheChannelNamingTheFieldAndTheValue() {
        Map<String, ?> config = Map.of("loadBalancingConfig", List.of(Map.of("meridian_locality",
                Map.of("outlierDetection", Map.of("consecutive5xxErrors", -3.0)))));
        assertThatThrownBy(() -> NettyChannelBuilder.forTarget("meridian:///reviews").usePlaintext()
                .defaultServiceConfig(config).build())
                .hasMessageContaining("INVALID_ARGUMENT")
                .hasMessageContaining("outlierDetection.consecutive5xxErrors")
                .hasMessageContaining("-3");
    }

    @Test
    void aServiceConfigNamingARuleTheResolverDoesNotKnowFailsTheCallNamingTheHost() throws IOException {
        ManagedChannel c = NettyChannelBuilder.forTarget("meridian:///reviews").usePlaintext()
                .defaultServiceConfig(Map.of("loadBalancingConfig", List.of(Map.of("meridian_locality",
                        Map.of("destinationRule", "ratings.default.svc.cluster.local")))))
                .setNameResolverArg(MeridianNameResolverProvider.SOURCE, reviews())
                .build();
        channels.add(c);
        Status s = failure(c);
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).contains("no DestinationRule for host 'ratings.default.svc.cluster.local'")
                .contains("reviews.default.svc.cluster.local");
    }

    @Test
    void aTargetWithAnAuthorityIsRefused() {
        assertThatThrownBy(() -> channel("meridian://somewhere/reviews", null))
                .hasMessageContaining("no authority is used");
    }
}

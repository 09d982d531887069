package dev.meridian.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Endpoint;
import dev.meridian.core.EndpointTable;
import dev.meridian.core.Locality;
import dev.meridian.lb.LbConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a source may deliver: a decided balancing carries its own endpoints, and nothing else may disagree. */
class ResolvedServiceTest {

    private static final Endpoint A = Endpoint.of("10.0.0.1:9080", Locality.parse("r1/z1"));
    private static final Endpoint B = Endpoint.of("10.0.0.2:9080", Locality.parse("r1/z2"));
    private static final DecidedBalancing DECIDED = new DecidedBalancing(
            EndpointTable.builder().add(A, 0, 1).add(B, 1, 1).build(), LbConfig.defaults(), null);

    @Test
    void aDecidedServiceHasItsTablesEndpoints() {
        ResolvedService s = ResolvedService.ofDecided("reviews", DECIDED);
        assertThat(s.endpoints()).containsExactly(A, B);
        assertThat(s.decided()).isSameAs(DECIDED);
        assertThat(s.policy()).isNull();
    }

    @Test
    void endpointsThatAreNotTheDecidedTablesAreRefused() {
        assertThatThrownBy(() -> new ResolvedService("reviews", List.of(B), null, null, null, null, DECIDED))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("endpoints: must be the decided table's (2 endpoints) or none, got 1 others (service reviews)");
        assertThatThrownBy(() -> ResolvedService.ofDecided("reviews", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("decided: must not be null (service reviews)");
        assertThatThrownBy(() -> new DecidedBalancing(EndpointTable.empty(), null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("decidedBalancing.lb: must not be null");
    }
}

package dev.meridian.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.cluster.Cluster;
import dev.meridian.core.EndpointTable;
import dev.meridian.lb.LbConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ViewIndexTest {

    private final AddressPool pool = new AddressPool(1);
    private final Cluster cluster = Cluster.builder(LbConfig.defaults()).build();

    private PublishedView view(long publication) {
        return PublishedView.of(publication, EndpointTable.empty(), cluster.hosts(), false, LbConfig.defaults(), pool);
    }

    @Test
    @DisplayName("holds consecutive publications until told to forget them, in a ring of fixed size")
    void ring() {
        ViewIndex index = new ViewIndex(4);
        for (long p = 1; p <= 4; p++) {
            index.add(view(p));
        }
        assertThat(index.get(3).publication).isEqualTo(3);
        assertThatThrownBy(() -> index.add(view(5))).isInstanceOf(IllegalStateException.class)
                .hasMessage("more than 4 publications held at once");
        index.forgetBefore(3);
        assertThat(index.get(2)).isNull();
        index.add(view(5));
        index.add(view(6));
        assertThat(index.get(5).publication).isEqualTo(5);
        assertThat(index.get(1)).as("its slot now holds publication 5").isNull();
        assertThatThrownBy(() -> index.add(view(8))).isInstanceOf(IllegalStateException.class)
                .hasMessage("publication 8 does not follow 6");
        assertThatThrownBy(() -> new ViewIndex(6)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("capacity: must be a power of two, got 6");
    }
}

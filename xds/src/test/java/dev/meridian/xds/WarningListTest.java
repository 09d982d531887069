package dev.meridian.xds;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class WarningListTest {

    /** The rule it replaced: every {@code [digits]} becomes {@code []}, scanning left to right. */
    @Property(tries = 5000)
    void emptiesListIndexesAsTheRegularExpressionDid(
            @ForAll @StringLength(max = 16) @Chars({'[', ']', '0', '7', '9', 'a', '.', '"'}) String field) {
        assertThat(WarningList.withoutIndexes(field)).isEqualTo(field.replaceAll("\\[\\d+\\]", "[]"));
    }

    @Test
    void aWarningForEveryEndpointIsReportedOnceWithTheCount() {
        WarningList warnings = new WarningList();
        for (int e = 0; e < 1000; e++) {
            warnings.add("cluster_load_assignment.endpoints[0].lb_endpoints[" + e + "].endpoint.additional_addresses",
                    "m");
        }
        warnings.add("cluster_load_assignment.endpoints[1].metadata.filter_metadata[\"istio\"]", "n");
        warnings.add("cluster_load_assignment.endpoints[2].metadata.filter_metadata[\"other\"]", "n");

        assertThat(warnings.toList()).containsExactly(
                new XdsWarning("cluster_load_assignment.endpoints[0].lb_endpoints[0].endpoint.additional_addresses",
                        "m (and 999 more like it)"),
                new XdsWarning("cluster_load_assignment.endpoints[1].metadata.filter_metadata[\"istio\"]", "n"),
                new XdsWarning("cluster_load_assignment.endpoints[2].metadata.filter_metadata[\"other\"]", "n"));
    }
}

package dev.meridian.istio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.core.Locality;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ServiceEntry and WorkloadEntry fields as defined in {@code networking/v1alpha3/service_entry.proto}
 * and {@code workload_entry.proto} (istio/api), validated as {@code ValidateServiceEntry} and
 * {@code validateWorkloadEntry} in {@code pkg/config/validation/validation.go} do, and converted as
 * {@code pilot/pkg/serviceregistry/serviceentry/conversion.go} converts them (istio/istio).
 */
class ServiceEntriesTest {

    static final String REVIEWS = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: reviews
              namespace: prod
              labels:
                istio.io/persistent-session: route
            spec:
              hosts: [reviews.example.internal]
              location: MESH_INTERNAL
              ports:
              - {number: 9080, name: http, protocol: HTTP, targetPort: 8080}
              - {number: 9443, name: grpc, protocol: GRPC}
              resolution: STATIC
              endpoints:
              - address: 10.0.0.1
                locality: us-east/us-east-1a
                labels: {version: v1}
              - address: 10.0.0.2
                ports: {http: 7070}
                weight: 3
                network: net-b
                labels:
                  version: v2
                  istio-locality: us-west.us-west-1b
            """;

    static Parsed<ServiceEntry> parse(String yaml) {
        return ServiceEntries.parse("se.yaml", yaml);
    }

    static String entry(String spec) {
        return """
                apiVersion: networking.istio.io/v1beta1
                kind: ServiceEntry
                metadata:
                  name: reviews
                spec:
                """ + spec.indent(2);
    }

    @Test
    void readsHostsPortsResolutionAndEndpoints() {
        Parsed<ServiceEntry> parsed = parse(REVIEWS);
        ServiceEntry se = parsed.value();
        assertThat(parsed.warnings()).isEmpty();
        assertThat(se.name()).isEqualTo("reviews");
        assertThat(se.namespace()).isEqualTo("prod");
        assertThat(se.labels()).containsEntry("istio.io/persistent-session", "route");
        assertThat(se.hosts()).containsExactly("reviews.example.internal");
        assertThat(se.resolution()).isEqualTo(ServiceEntry.Resolution.STATIC);
        assertThat(se.ports()).containsExactly(new ServiceEntry.Port(9080, "http", "HTTP", 8080),
                new ServiceEntry.Port(9443, "grpc", "GRPC", 0));
        assertThat(se.workloadSelector()).isNull();
        WorkloadEntry first = se.endpoints().get(0);
        assertThat(first.address()).isEqualTo("10.0.0.1");
        assertThat(first.locality()).isEqualTo(Locality.of("us-east", "us-east-1a", ""));
        assertThat(first.labels()).isEqualTo(Map.of("version", "v1"));
        assertThat(first.weight()).isZero();
        assertThat(first.loadBalancingWeight()).isEqualTo(1);
    }

    @Test
    void endpointPortFollowsIstiosOrder() {
        // convertWorkloadInstanceToServiceInstance: we.ports > se.port.targetPort > se.port.number.
        ServiceEntry se = parse(REVIEWS).value();
        ServiceEntry.Port http = se.ports().get(0);
        ServiceEntry.Port grpc = se.ports().get(1);
        assertThat(http.endpointPort(se.endpoints().get(0))).isEqualTo(8080);
        assertThat(http.endpointPort(se.endpoints().get(1))).isEqualTo(7070);
        assertThat(grpc.endpointPort(se.endpoints().get(1))).isEqualTo(9443);
    }

    @Test
    void localityFallsBackToTheLocalityLabelAndNetworkBecomesALabel() {
        // convertWorkloadEntryToWorkloadInstance: GetLocalityLabel, SanitizeLocalityLabel ('.' as '/');
        // AugmentLabels adds topology.istio.io/network.
        WorkloadEntry second = parse(REVIEWS).value().endpoints().get(1);
        assertThat(second.locality()).isEqualTo(Locality.of("us-west", "us-west-1b", ""));
        assertThat(second.weight()).isEqualTo(3);
        assertThat(second.endpointLabels()).containsEntry("topology.istio.io/network", "net-b")
                .containsEntry("version", "v2");
    }

    @Test
    void readsAWorkloadSelector() {
        ServiceEntry se = parse(entry("""
                hosts: [vm.example.internal]
                ports: [{number: 80, name: http, protocol: HTTP}]
                resolution: STATIC
                workloadSelector:
                  labels: {app: vm}
                """)).value();
        assertThat(se.workloadSelector()).isEqualTo(Map.of("app", "vm"));
        assertThat(se.selects(Map.of("app", "vm", "version", "v1"))).isTrue();
        assertThat(se.selects(Map.of("app", "other"))).isFalse();
    }

    @Test
    void readsAWorkloadEntryMergingMetadataLabelsOverSpecLabels() {
        // ConvertWorkloadEntry: metadata labels take precedence over spec labels.
        Parsed<WorkloadEntry> parsed = ServiceEntries.parseWorkloadEntry("we.yaml", """
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata:
                  name: vm-1
                  namespace: prod
                  labels: {version: v9}
                spec:
                  address: 10.1.0.7
                  labels: {app: vm, version: v1}
                  locality: eu-west/eu-west-1c/rack-4
                  weight: 2
                  serviceAccount: vm
                """);
        WorkloadEntry we = parsed.value();
        assertThat(parsed.warnings()).isEmpty();
        assertThat(we.name()).isEqualTo("vm-1");
        assertThat(we.namespace()).isEqualTo("prod");
        assertThat(we.labels()).isEqualTo(Map.of("app", "vm", "version", "v9"));
        assertThat(we.locality()).isEqualTo(Locality.of("eu-west", "eu-west-1c", "rack-4"));
        assertThat(we.weight()).isEqualTo(2);
    }

    @Test
    void unknownFieldsAndExportToAreReported() {
        Parsed<ServiceEntry> parsed = parse(entry("""
                hosts: [a.example.internal]
                ports: [{number: 80, name: http, protocol: HTTP}]
                resolution: STATIC
                exportTo: ["."]
                endpoint: []
                """));
        assertThat(parsed.warnings()).anyMatch(w -> w.startsWith("spec.exportTo: ignored by Meridian"))
                .anyMatch(w -> w.startsWith("spec.endpoint: unknown field"));
    }

    @Test
    void rejectsWhatIstioRejects() {
        assertRejected(entry("ports: [{number: 80, name: http}]"), "se.yaml: spec.hosts: service entry must have at "
                + "least one host, got nothing");
        assertRejected(entry("hosts: ['*']"), "se.yaml: spec.hosts[0]: invalid host, got '*'");
        assertRejected(entry("hosts: [a.example]\nresolution: STATICK"), "se.yaml: spec.resolution: expected one of "
                + "NONE, STATIC, DNS, DNS_ROUND_ROBIN, DYNAMIC_DNS, got 'STATICK'");
        assertRejected(entry("hosts: [a.example]\nports: [{number: 80, name: http}, {number: 80, name: web}]"),
                "se.yaml: spec.ports[1].number: service entry port already defined, got 80");
        assertRejected(entry("hosts: [a.example]\nports: [{number: 80, name: Http}]"),
                "se.yaml: spec.ports[0].name: invalid port name, got 'Http'");
        assertRejected(entry("hosts: [a.example]\nports: [{number: 80, name: http, protocol: QUIC}]"),
                "se.yaml: spec.ports[0].protocol: unsupported protocol, got 'QUIC'");
        assertRejected(entry("hosts: [a.example]\nports: [{number: 70000, name: http}]"),
                "se.yaml: spec.ports[0].number: must be from 1 to 65535, got 70000");
        assertRejected(entry("""
                hosts: [a.example]
                ports: [{number: 80, name: http}]
                resolution: STATIC
                endpoints: [{address: a.example.com}]
                """), "se.yaml: spec.endpoints[0].address: endpoint address is not a valid IP address, got 'a.example.com'");
        assertRejected(entry("""
                hosts: [a.example]
                ports: [{number: 80, name: http}]
                resolution: STATIC
                endpoints: [{address: 10.0.0.1, ports: {web: 81}}]
                """), "se.yaml: spec.endpoints[0].ports.web: endpoint port web is not defined by the service entry");
        assertRejected(entry("""
                hosts: [a.example]
                resolution: STATIC
                endpoints: [{address: 10.0.0.1}]
                workloadSelector: {labels: {app: a}}
                """), "se.yaml: spec.endpoints: only one of workloadSelector or endpoints is allowed");
        assertRejected(entry("""
                hosts: [a.example]
                endpoints: [{address: 10.0.0.1}]
                """), "se.yaml: spec.endpoints: no endpoints should be provided for resolution type none, got 1");
        assertRejected(entry("""
                hosts: [a.example, b.example]
                ports: [{number: 5432, name: tcp-pg, protocol: TCP}]
                resolution: STATIC
                endpoints: [{address: 10.0.0.1}]
                """), "se.yaml: spec.hosts: multiple hosts provided with non-HTTP, non-TLS ports, got port 5432");
        assertRejected(entry("""
                hosts: [a.example]
                resolution: STATIC
                endpoints: [{address: 10.0.0.1, locality: a/b/c/d}]
                """), "se.yaml: spec.endpoints[0].locality: expected region/zone/subzone, got 'a/b/c/d'");
        assertRejected(entry("""
                hosts: [a.example]
                resolution: STATIC
                endpoints: [{address: 10.0.0.1, weight: 2000000}]
                """), "se.yaml: spec.endpoints[0].weight: Meridian supports weights up to 1000000, got 2000000");
        assertRejected(entry("""
                hosts: [a.example]
                ports: [{number: 80, name: http}]
                resolution: STATIC
                endpoints: [{address: 10.0.0.1, ports: {http: ~}}]
                """), "se.yaml: spec.endpoints[0].ports.http: expected a port number, got null");
        assertRejected(entry("""
                hosts: [a.example]
                resolution: STATIC
                endpoints: [{labels: {version: v1}}]
                """), "se.yaml: spec.endpoints[0].address: address is required, got null");
        assertRejected(entry("""
                hosts: [a.example]
                resolution: STATIC
                endpoints: [{address: 10.0.0.1, labels: {version: 1}}]
                """), "se.yaml: spec.endpoints[0].labels.version: expected a string, got 1 (quote it");
    }

    @Test
    void acceptsIpv6AndRejectsMalformedIpv4() {
        assertThat(ServiceEntries.isIpAddress("fd00::1")).isTrue();
        assertThat(ServiceEntries.isIpAddress("10.0.0.1")).isTrue();
        assertThat(ServiceEntries.isIpAddress("10.0.0.01")).isFalse();
        assertThat(ServiceEntries.isIpAddress("10.0.0")).isFalse();
        assertThat(ServiceEntries.isIpAddress("host.example")).isFalse();
    }

    @Test
    void addressMayBeEmptyWhenANetworkIsSet() {
        // validateWorkloadEntry: "address is unset with network" is a warning, not an error.
        ServiceEntry se = parse(entry("""
                hosts: [a.example]
                resolution: STATIC
                endpoints: [{network: remote}]
                """)).value();
        assertThat(se.endpoints()).extracting(WorkloadEntry::address).containsExactly("");
        assertThat(se.endpoints()).extracting(WorkloadEntry::network).containsExactly("remote");
        // Without the network the same endpoint is refused.
        assertThatThrownBy(() -> parse(entry("""
                hosts: [a.example]
                resolution: STATIC
                endpoints: [{labels: {app: a}}]
                """))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("se.yaml: spec.endpoints[0].address: address is required");
    }

    @Test
    void readsEveryDocumentOfAStream() {
        List<YamlNode> docs = YamlNode.parseAll("all.yaml", REVIEWS + "---\n---\n" + entry("hosts: [b.example]"));
        assertThat(docs).hasSize(2);
        assertThat(docs.get(0).source()).isEqualTo("all.yaml#1");
        assertThat(docs.get(1).source()).isEqualTo("all.yaml#3");
        assertThat(ServiceEntries.parse(docs.get(1).source(), docs.get(1).map()).value().hosts())
                .containsExactly("b.example");
    }

    private static void assertRejected(String yaml, String messageStart) {
        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(messageStart);
    }
}

package dev.meridian.istio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.topology.LocalityLbSetting;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * DestinationRule fields and defaults as documented in Istio's DestinationRule reference
 * (istio.io/latest/docs/reference/config/networking/destination-rule/) and defined in
 * {@code networking/v1alpha3/destination_rule.proto} (istio/api), validated as
 * {@code ValidateDestinationRule} in {@code pkg/config/validation/validation.go} (istio/istio) does.
 */
class DestinationRulesTest {

    /** The cross-region rule of scenario 2, verbatim. */
    static final String CROSS_REGION = """
            apiVersion: networking.istio.io/v1alpha3
            kind: DestinationRule
            metadata:
              name: reviews
            spec:
              host: reviews.default.svc.cluster.local
              trafficPolicy:
                outlierDetection:
                  consecutiveErrors: 5
                  interval: 2m
                  baseEjectionTime: 5m
            """;

    static Parsed<DestinationRule> parse(String yaml) {
        return DestinationRules.parse("test.yaml", yaml);
    }

    static String rule(String spec) {
        return """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata:
                  name: reviews
                spec:
                  host: reviews
                """ + spec.indent(2);
    }

    static String policy(String trafficPolicy) {
        return rule("trafficPolicy:\n" + trafficPolicy.indent(2));
    }

    @Nested
    @DisplayName("scenario 2: cross-region rule with the legacy consecutiveErrors (v1alpha3)")
    class CrossRegion {

        @Test
        void readsTheRule() {
            Parsed<DestinationRule> parsed = parse(CROSS_REGION);
            DestinationRule dr = parsed.value();
            assertThat(dr.apiVersion()).isEqualTo("networking.istio.io/v1alpha3");
            assertThat(dr.name()).isEqualTo("reviews");
            assertThat(dr.namespace()).isNull();
            assertThat(dr.host()).isEqualTo("reviews.default.svc.cluster.local");
            assertThat(dr.subsets()).isEmpty();
            assertThat(dr.trafficPolicy().loadBalancer()).isNull();
            OutlierDetection od = dr.trafficPolicy().outlierDetection();
            assertThat(od).isEqualTo(new OutlierDetection(5, null, null, null, null,
                    Duration.ofMinutes(2), Duration.ofMinutes(5), null, null));
            assertThat(od.usesLegacyConsecutiveErrors()).isTrue();
        }

        @Test
        @DisplayName("consecutiveErrors: warned as ignored since Istio 1.7 (istio/istio#24087 removed its translation from applyOutlierDetection), with what the sidecar does and what Istio before 1.7 did")
        void warnsThatLegacyFieldIsIgnored() {
            List<String> warnings = parse(CROSS_REGION).warnings();
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0))
                    .startsWith("spec.trafficPolicy.outlierDetection.consecutiveErrors: deprecated, and ignored since Istio 1.7")
                    .contains("5 consecutive 5xx (500-599, plain 500 included) eject")
                    .contains("only Istio before 1.7 mapped it to 5 consecutive gateway errors (502, 503, 504)")
                    .contains("consecutive5xxErrors or consecutiveGatewayErrors");
        }

        @Test
        void zeroLegacyCountIsNotedAsHavingNoEffect() {
            String w = parse(policy("outlierDetection:\n  consecutiveErrors: 0\n")).warnings().get(0);
            assertThat(w).startsWith("spec.trafficPolicy.outlierDetection.consecutiveErrors: deprecated, and 0 has no effect");
        }
    }

    @Nested
    @DisplayName("apiVersion and kind: DestinationRule is served as v1alpha3, v1beta1 and v1 with one schema")
    class Versions {

        @ParameterizedTest
        @ValueSource(strings = {"networking.istio.io/v1alpha3", "networking.istio.io/v1beta1", "networking.istio.io/v1"})
        void acceptsAllThreeVersions(String apiVersion) {
            Parsed<DestinationRule> parsed = parse(CROSS_REGION.replace("networking.istio.io/v1alpha3", apiVersion));
            assertThat(parsed.value().apiVersion()).isEqualTo(apiVersion);
            assertThat(parsed.value().trafficPolicy().outlierDetection().interval()).isEqualTo(Duration.ofMinutes(2));
        }

        @ParameterizedTest
        @ValueSource(strings = {"networking.istio.io/v2", "v1", "networking.k8s.io/v1", "networking.istio.io/V1"})
        void rejectsOtherVersions(String apiVersion) {
            assertThatThrownBy(() -> parse(CROSS_REGION.replace("networking.istio.io/v1alpha3", apiVersion)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("test.yaml: apiVersion: expected one of")
                    .hasMessageEndingWith("got '" + apiVersion + "'");
        }

        @Test
        void rejectsOtherKinds() {
            assertThatThrownBy(() -> parse(CROSS_REGION.replace("kind: DestinationRule", "kind: VirtualService")))
                    .hasMessage("test.yaml: kind: expected DestinationRule, got 'VirtualService'");
            assertThatThrownBy(() -> parse(CROSS_REGION.replace("kind: DestinationRule\n", "")))
                    .hasMessage("test.yaml: kind: required, got nothing");
        }

        @Test
        void requiresNameHostAndSpec() {
            assertThatThrownBy(() -> parse(CROSS_REGION.replace("  name: reviews\n", "  namespace: default\n")))
                    .hasMessage("test.yaml: metadata.name: required, got nothing");
            assertThatThrownBy(() -> parse(CROSS_REGION.replace("  host: reviews.default.svc.cluster.local\n", "")))
                    .hasMessage("test.yaml: spec.host: required, got nothing");
            assertThatThrownBy(() -> parse("apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
                    + "metadata: {name: r}\n"))
                    .hasMessage("test.yaml: spec: required, got nothing");
        }
    }

    @Nested
    @DisplayName("every field of the DestinationRule reference")
    class EveryField {

        static final String FULL = """
                apiVersion: networking.istio.io/v1beta1
                kind: DestinationRule
                metadata:
                  name: reviews-all
                  namespace: bookinfo
                  labels: {team: a}
                  annotations: {note: b}
                  resourceVersion: "12"
                  uid: 5b3c
                spec:
                  host: "*.reviews.svc.cluster.local"
                  trafficPolicy:
                    loadBalancer:
                      simple: ROUND_ROBIN
                      warmupDurationSecs: 90s
                      localityLbSetting:
                        enabled: true
                        failover:
                          - from: us-east
                            to: eu-west
                          - from: us-west
                            to: us-east
                        failoverPriority:
                          - topology.istio.io/network
                          - version=v1
                    outlierDetection:
                      consecutive5xxErrors: 7
                      consecutiveGatewayErrors: 3
                      consecutiveLocalOriginFailures: 4
                      splitExternalLocalOriginErrors: true
                      interval: 5m
                      baseEjectionTime: 15m
                      maxEjectionPercent: 30
                      minHealthPercent: 40
                  subsets:
                    - name: v1
                      labels:
                        version: v1
                        app.kubernetes.io/name: reviews
                    - name: v2
                      labels: {version: v2}
                      trafficPolicy:
                        loadBalancer:
                          consistentHash:
                            httpCookie:
                              name: user
                              path: /
                              ttl: 0s
                            maglev:
                              tableSize: 65537
                          localityLbSetting:
                            distribute:
                              - from: us-west/zone1/*
                                to:
                                  "us-west/zone1/*": 80
                                  "us-west/zone2/*": 20
                          warmup:
                            duration: 45s
                    - name: v3
                      labels: {version: v3}
                      trafficPolicy:
                        loadBalancer:
                          consistentHash:
                            httpHeaderName: x-user
                            ringHash:
                              minimumRingSize: 2048
                        outlierDetection: {}
                """;

        @Test
        void readsEveryFieldWithoutWarnings() {
            Parsed<DestinationRule> parsed = parse(FULL);
            assertThat(parsed.warnings()).isEmpty();
            DestinationRule dr = parsed.value();
            assertThat(dr.apiVersion()).isEqualTo("networking.istio.io/v1beta1");
            assertThat(dr.name()).isEqualTo("reviews-all");
            assertThat(dr.namespace()).isEqualTo("bookinfo");
            assertThat(dr.host()).isEqualTo("*.reviews.svc.cluster.local");

            LoadBalancerSettings lb = dr.trafficPolicy().loadBalancer();
            assertThat(lb.simple()).isEqualTo(SimplePolicy.ROUND_ROBIN);
            assertThat(lb.consistentHash()).isNull();
            assertThat(lb.warmupDuration()).isEqualTo(Duration.ofSeconds(90));
            assertThat(lb.localityLbSetting()).isEqualTo(new LocalityLbSetting(true, List.of(),
                    List.of(new LocalityLbSetting.Failover("us-east", "eu-west"),
                            new LocalityLbSetting.Failover("us-west", "us-east")),
                    List.of("topology.istio.io/network", "version=v1")));

            assertThat(dr.trafficPolicy().outlierDetection()).isEqualTo(new OutlierDetection(null, 7, 3, 4, true,
                    Duration.ofMinutes(5), Duration.ofMinutes(15), 30, 40));

            assertThat(dr.subsets()).extracting(Subset::name).containsExactly("v1", "v2", "v3");
            Subset v1 = dr.subsets().get(0);
            assertThat(v1.labels()).containsExactly(Map.entry("version", "v1"),
                    Map.entry("app.kubernetes.io/name", "reviews"));
            assertThat(v1.trafficPolicy()).isNull();

            LoadBalancerSettings v2 = dr.subsets().get(1).trafficPolicy().loadBalancer();
            assertThat(v2.simple()).isNull();
            assertThat(v2.consistentHash()).isEqualTo(new ConsistentHash(
                    new ConsistentHash.HttpCookie("user", "/", Duration.ZERO), new ConsistentHash.Maglev(65537)));
            assertThat(v2.localityLbSetting().distribute()).containsExactly(new LocalityLbSetting.Distribute(
                    "us-west/zone1/*", Map.of("us-west/zone1/*", 80, "us-west/zone2/*", 20)));
            assertThat(v2.localityLbSetting().distribute().get(0).to().keySet())
                    .containsExactly("us-west/zone1/*", "us-west/zone2/*");
            assertThat(v2.warmupDuration()).isEqualTo(Duration.ofSeconds(45));

            TrafficPolicy v3 = dr.subsets().get(2).trafficPolicy();
            assertThat(v3.loadBalancer().consistentHash()).isEqualTo(new ConsistentHash(
                    new ConsistentHash.HttpHeader("x-user"), new ConsistentHash.RingHash(2048L)));
            assertThat(v3.outlierDetection()).isEqualTo(OutlierDetection.DEFAULTS);
        }

        @Test
        @DisplayName("a subset's blocks replace the rule's, block by block (Istio's MergeTrafficPolicy)")
        void subsetPoliciesOverrideBlockByBlock() {
            DestinationRule dr = parse(FULL).value();
            assertThat(dr.policyFor(null)).isSameAs(dr.trafficPolicy());
            assertThat(dr.policyFor("v1")).isSameAs(dr.trafficPolicy());
            TrafficPolicy v2 = dr.policyFor("v2");
            assertThat(v2.loadBalancer()).isSameAs(dr.subsets().get(1).trafficPolicy().loadBalancer());
            assertThat(v2.outlierDetection()).isSameAs(dr.trafficPolicy().outlierDetection());
            TrafficPolicy v3 = dr.policyFor("v3");
            assertThat(v3).isEqualTo(dr.subsets().get(2).trafficPolicy());
            assertThatThrownBy(() -> dr.policyFor("v9"))
                    .hasMessage("subset: no subset named 'v9' in DestinationRule 'reviews-all'");
            assertThat(dr.subset("v2")).containsSame(dr.subsets().get(1));
            assertThat(dr.subset("v9")).isEmpty();
        }

        @Test
        void subsetsSelectEndpointsByLabels() {
            Subset v1 = parse(FULL).value().subsets().get(0);
            assertThat(v1.selects(Map.of("version", "v1", "app.kubernetes.io/name", "reviews", "x", "y"))).isTrue();
            assertThat(v1.selects(Map.of("version", "v1"))).isFalse();
            assertThat(new Subset("all", Map.of(), null).selects(Map.of())).isTrue();
        }

        @Test
        @DisplayName("the Map form reads what the YAML form reads (a scenario file embeds the rule verbatim)")
        void mapFormMatchesYamlForm() {
            @SuppressWarnings("unchecked")
            Map<String, Object> loaded = (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(FULL);
            Parsed<DestinationRule> fromMap = DestinationRules.parse("scenario.yaml", loaded);
            assertThat(fromMap).isEqualTo(parse(FULL));
        }

        @ParameterizedTest
        @ValueSource(strings = {"ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "PASSTHROUGH", "UNSPECIFIED"})
        void readsEverySimplePolicy(String simple) {
            Parsed<DestinationRule> parsed = parse(policy("loadBalancer:\n  simple: " + simple + "\n"));
            assertThat(parsed.value().trafficPolicy().loadBalancer().simple()).isEqualTo(SimplePolicy.valueOf(simple));
            assertThat(parsed.warnings()).isEmpty();
        }

        @Test
        @DisplayName("LEAST_CONN is read as LEAST_REQUEST, as applyLoadBalancer in cluster_traffic_policy.go does")
        void leastConnIsLeastRequest() {
            Parsed<DestinationRule> parsed = parse(policy("loadBalancer:\n  simple: LEAST_CONN\n"));
            assertThat(parsed.value().trafficPolicy().loadBalancer().simple()).isEqualTo(SimplePolicy.LEAST_REQUEST);
            assertThat(parsed.warnings()).containsExactly(
                    "spec.trafficPolicy.loadBalancer.simple: LEAST_CONN is deprecated; read as LEAST_REQUEST, as Istio does");
        }

        @Test
        void readsEveryHashKey() {
            assertThat(hash("useSourceIp: true").hashKey()).isEqualTo(new ConsistentHash.SourceIp());
            assertThat(hash("useSourceIp: false").hashKey()).isNull();
            assertThat(hash("httpQueryParameterName: user").hashKey())
                    .isEqualTo(new ConsistentHash.HttpQueryParameter("user"));
            assertThat(hash("httpHeaderName: x-user").algorithm()).isNull();
        }

        @Test
        @DisplayName("legacy minimumRingSize is a ring hash, with the deprecation warning validation.go gives")
        void legacyRingSize() {
            Parsed<DestinationRule> parsed = parse(policy("loadBalancer:\n  consistentHash:\n    useSourceIp: true\n"
                    + "    minimumRingSize: 4096\n"));
            assertThat(parsed.value().trafficPolicy().loadBalancer().consistentHash().algorithm())
                    .isEqualTo(new ConsistentHash.RingHash(4096L));
            assertThat(parsed.warnings()).containsExactly("spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize: "
                    + "deprecated; read as ringHash.minimumRingSize: 4096");
        }

        @Test
        @DisplayName("warmup.duration wins over warmupDurationSecs, as Istio's cluster builder consults it first")
        void warmupWinsOverWarmupDurationSecs() {
            Parsed<DestinationRule> parsed = parse(policy("loadBalancer:\n  warmupDurationSecs: 10s\n"
                    + "  warmup:\n    duration: 20s\n    aggression: 2\n    minimumPercent: 10\n"));
            LoadBalancerSettings lb = parsed.value().trafficPolicy().loadBalancer();
            assertThat(lb.warmupDuration()).isEqualTo(Duration.ofSeconds(20));
            assertThat(lb.warmupAggression()).isEqualTo(2.0);
            assertThat(lb.warmupMinimumPercent()).isEqualTo(10.0);
            assertThat(parsed.warnings()).containsExactly(
                    "spec.trafficPolicy.loadBalancer.warmupDurationSecs: overridden by warmup.duration (20s), as in Istio");
        }

        private ConsistentHash hash(String key) {
            return parse(policy("loadBalancer:\n  consistentHash:\n    " + key + "\n")).value()
                    .trafficPolicy().loadBalancer().consistentHash();
        }
    }

    @Nested
    @DisplayName("defaults: what is not written stays unwritten, so the reference's defaults can be applied later")
    class Defaults {

        @Test
        @DisplayName("outlierDetection: {} enables detection with every documented default")
        void emptyOutlierDetection() {
            // The DestinationRule reference documents, for fields left out: consecutive5xxErrors 5,
            // consecutiveGatewayErrors disabled, consecutiveLocalOriginFailures 5,
            // splitExternalLocalOriginErrors false, interval 10s, baseEjectionTime 30s,
            // maxEjectionPercent 10%, minHealthPercent 0%. Those belong to the translation to Envoy,
            // which must know a field was left out (Istio then leaves Envoy's own default), so the
            // record keeps null rather than a number.
            Parsed<DestinationRule> parsed = parse(policy("outlierDetection: {}\n"));
            OutlierDetection od = parsed.value().trafficPolicy().outlierDetection();
            assertThat(od).isEqualTo(OutlierDetection.DEFAULTS);
            assertThat(parsed.value().trafficPolicy().hasOutlierDetection()).isTrue();
            assertThat(od.usesLegacyConsecutiveErrors()).isFalse();
            assertThat(parsed.warnings()).isEmpty();
        }

        @Test
        @DisplayName("no hash algorithm written: the reference says ring hash, with a minimum ring size of 1024")
        void hashAlgorithmLeftOut() {
            ConsistentHash hash = parse(policy("loadBalancer:\n  consistentHash: {httpHeaderName: x-user}\n")).value()
                    .trafficPolicy().loadBalancer().consistentHash();
            assertThat(hash.algorithm()).isNull();
            assertThat(parse(policy("loadBalancer:\n  consistentHash: {ringHash: {}}\n")).value().trafficPolicy()
                    .loadBalancer().consistentHash().algorithm()).isEqualTo(new ConsistentHash.RingHash(null));
        }

        @Test
        @DisplayName("localityLbSetting without enabled is enabled; loadBalancer: {} sets nothing")
        void localityAndLoadBalancerLeftOut() {
            LoadBalancerSettings lb = parse(policy("loadBalancer:\n  localityLbSetting: {}\n")).value().trafficPolicy()
                    .loadBalancer();
            assertThat(lb.localityLbSetting().enabled()).isNull();
            assertThat(lb.localityLbSetting().isEnabled()).isTrue();
            assertThat(lb.simple()).isNull();
            assertThat(lb.warmupDuration()).isNull();
            assertThat(parse(policy("loadBalancer: {}\n")).value().trafficPolicy().loadBalancer())
                    .isEqualTo(new LoadBalancerSettings(null, null, null, null));
        }
    }

    @Nested
    @DisplayName("warnings: nothing is dropped silently")
    class Warnings {

        @Test
        void unknownFieldsAreReportedWithTheirPath() {
            Parsed<DestinationRule> parsed = parse(policy("""
                    outlierDetection:
                      foo: 1
                      interval: 10s
                    loadBalancer:
                      simple: RANDOM
                      bar: {x: 1}
                    extra: true
                    """).replace("spec:\n", "spec:\n  hots: x\n") + "status: {}\ncolour: red\n");
            assertThat(parsed.warnings()).containsExactlyInAnyOrder(
                    "spec.trafficPolicy.outlierDetection.foo: unknown field, ignored",
                    "spec.trafficPolicy.loadBalancer.bar: unknown field, ignored",
                    "spec.trafficPolicy.extra: unknown field, ignored",
                    "spec.hots: unknown field, ignored",
                    "colour: unknown field, ignored");
        }

        @Test
        @DisplayName("protobuf's snake_case names are unknown to the CRD schema; the warning names the field meant")
        void snakeCaseGetsAHint() {
            Parsed<DestinationRule> parsed = parse(policy("outlierDetection:\n  base_ejection_time: 30s\n"
                    + "  Consecutive5xxErrors: 3\n"));
            assertThat(parsed.value().trafficPolicy().outlierDetection()).isEqualTo(OutlierDetection.DEFAULTS);
            assertThat(parsed.warnings()).containsExactly(
                    "spec.trafficPolicy.outlierDetection.base_ejection_time: unknown field, ignored "
                            + "(did you mean 'baseEjectionTime'?)",
                    "spec.trafficPolicy.outlierDetection.Consecutive5xxErrors: unknown field, ignored "
                            + "(did you mean 'consecutive5xxErrors'?)");
        }

        @Test
        void blocksThatDoNotChooseEndpointsAreAcceptedAndReported() {
            Parsed<DestinationRule> parsed = parse(rule("""
                    exportTo: ["."]
                    workloadSelector:
                      matchLabels: {app: ratings}
                    trafficPolicy:
                      connectionPool:
                        tcp: {maxConnections: 100, connectTimeout: 30ms}
                      tls: {mode: ISTIO_MUTUAL}
                      tunnel: {targetHost: example.com, targetPort: 8443}
                    """));
            assertThat(parsed.value().trafficPolicy()).isEqualTo(new TrafficPolicy(null, null));
            assertThat(parsed.warnings()).containsExactly(
                    "spec.trafficPolicy.connectionPool: ignored by Meridian: connection pool limits do not change "
                            + "which endpoint is chosen",
                    "spec.trafficPolicy.tls: ignored by Meridian: TLS settings do not change which endpoint is chosen",
                    "spec.trafficPolicy.tunnel: ignored by Meridian: tunnelling does not change which endpoint is chosen",
                    "spec.exportTo: ignored by Meridian: the rule applies wherever it is given, whatever its visibility",
                    "spec.workloadSelector: ignored by Meridian: the rule applies to every caller it is given, "
                            + "not only the selected workloads");
        }

        @Test
        @DisplayName("failover without outlier detection: validation.go warns, and the cluster builder leaves failover out")
        void failoverWithoutOutlierDetection() {
            Parsed<DestinationRule> parsed = parse(policy("""
                    loadBalancer:
                      localityLbSetting:
                        failover:
                          - {from: r1, to: r2}
                    """));
            assertThat(parsed.warnings()).containsExactly("spec.trafficPolicy.loadBalancer.localityLbSetting: failover "
                    + "and failoverPriority take effect only with outlierDetection; this trafficPolicy has none, "
                    + "so Istio does not apply them");

            Parsed<DestinationRule> inherited = parse(rule("""
                    trafficPolicy:
                      outlierDetection: {}
                    subsets:
                      - name: a
                        trafficPolicy:
                          loadBalancer:
                            localityLbSetting:
                              failoverPriority: [topology.istio.io/cluster]
                    """));
            assertThat(inherited.warnings()).isEmpty();

            Parsed<DestinationRule> subsetOnly = parse(rule("""
                    subsets:
                      - name: a
                        trafficPolicy:
                          loadBalancer:
                            localityLbSetting:
                              failoverPriority: [topology.istio.io/cluster]
                    """));
            assertThat(subsetOnly.warnings()).containsExactly("spec.subsets[0].trafficPolicy.loadBalancer."
                    + "localityLbSetting: failover and failoverPriority take effect only with outlierDetection; "
                    + "subset 'a' has none, so Istio does not apply them");
        }

        @Test
        void nullMeansNotWritten() {
            Parsed<DestinationRule> parsed = parse(policy("outlierDetection:\n  interval: ~\n  maxEjectionPercent:\n"));
            assertThat(parsed.value().trafficPolicy().outlierDetection()).isEqualTo(OutlierDetection.DEFAULTS);
            assertThat(parsed.warnings()).isEmpty();
        }
    }

    @Nested
    @DisplayName("errors name the source, the YAML path and the value")
    class Errors {

        @Test
        void invalidDuration() {
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  interval: abc\n")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.interval: invalid duration 'abc'");
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  baseEjectionTime: 30\n")))
                    .hasMessageStartingWith("test.yaml: spec.trafficPolicy.outlierDetection.baseEjectionTime: "
                            + "invalid duration 30");
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  interval: -10s\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.interval: invalid duration '-10s': "
                            + "must not be negative");
        }

        @Test
        @DisplayName("interval and baseEjectionTime: at least 1ms, whole milliseconds (agent.ValidateDuration)")
        void durationFloorAndPrecision() {
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  interval: 500us\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.interval: must be at least 1ms, got 500µs");
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  baseEjectionTime: 0s\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.baseEjectionTime: must be at least 1ms, "
                            + "got 0s");
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  interval: 1.5ms\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.interval: only whole milliseconds are "
                            + "supported, got 1.5ms");
            assertThat(parse(policy("outlierDetection:\n  interval: 1ms\n")).value().trafficPolicy()
                    .outlierDetection().interval()).isEqualTo(Duration.ofMillis(1));
            assertThatThrownBy(() -> parse(policy("loadBalancer:\n  warmupDurationSecs: 0s\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.loadBalancer.warmupDurationSecs: must be at least 1ms, "
                            + "got 0s");
        }

        @Test
        @DisplayName("counts >= 0 and percents 0..100 (validateOutlierDetection, ValidatePercent)")
        void countsAndPercents() {
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  consecutive5xxErrors: -1\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.consecutive5xxErrors: must not be "
                            + "negative, got -1");
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  consecutiveErrors: -5\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.consecutiveErrors: must not be "
                            + "negative, got -5");
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  maxEjectionPercent: 101\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.maxEjectionPercent: must be a "
                            + "percentage from 0 to 100, got 101");
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  minHealthPercent: -1\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.minHealthPercent: must be a "
                            + "percentage from 0 to 100, got -1");
            assertThat(parse(policy("outlierDetection:\n  maxEjectionPercent: 100\n  minHealthPercent: 0\n"
                    + "  consecutiveGatewayErrors: 0\n")).warnings()).isEmpty();
        }

        @Test
        void wrongTypes() {
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  consecutive5xxErrors: \"5\"\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.consecutive5xxErrors: expected an "
                            + "integer, got '5'");
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  maxEjectionPercent: 5.5\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.maxEjectionPercent: expected an "
                            + "integer, got 5.5");
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  consecutive5xxErrors: 3000000000\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.consecutive5xxErrors: must be from "
                            + "-2147483648 to 2147483647, got 3000000000");
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  splitExternalLocalOriginErrors: yes\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.splitExternalLocalOriginErrors: "
                            + "expected true or false, got 'yes' (YAML 1.2 reads it as a string; write true or false)");
            assertThatThrownBy(() -> parse(policy("outlierDetection: 5\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection: expected a mapping, got 5");
            assertThatThrownBy(() -> parse(rule("subsets: {name: v1}\n")))
                    .hasMessage("test.yaml: spec.subsets: expected a list, got a mapping");
            assertThatThrownBy(() -> parse(rule("subsets:\n  - name: v1\n    labels: {version: 1.0}\n")))
                    .hasMessage("test.yaml: spec.subsets[0].labels.version: expected a string, got 1.0 "
                            + "(quote it to make it a string)");
            assertThatThrownBy(() -> parse(policy("loadBalancer:\n  simple: round_robin\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.loadBalancer.simple: expected one of UNSPECIFIED, "
                            + "ROUND_ROBIN, LEAST_REQUEST, RANDOM, PASSTHROUGH, LEAST_CONN, got 'round_robin'");
            assertThat(parse(policy("outlierDetection:\n  splitExternalLocalOriginErrors: True\n")).value()
                    .trafficPolicy().outlierDetection().splitExternalLocalOriginErrors()).isTrue();
        }

        @Test
        @DisplayName("consecutiveLocalOriginFailures needs splitExternalLocalOriginErrors (validateOutlierDetection)")
        void localOriginNeedsSplit() {
            assertThatThrownBy(() -> parse(policy("outlierDetection:\n  consecutiveLocalOriginFailures: 3\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures: needs "
                            + "splitExternalLocalOriginErrors: true, got 3 with splitExternalLocalOriginErrors null");
        }

        @Test
        @DisplayName("an empty trafficPolicy is rejected (validateTrafficPolicy: must have at least one field)")
        void emptyTrafficPolicy() {
            assertThatThrownBy(() -> parse(rule("trafficPolicy: {}\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy: traffic policy must have at least one field");
            assertThatThrownBy(() -> parse(rule("trafficPolicy: {foo: 1}\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy: traffic policy must have at least one field");
        }

        @Test
        @DisplayName("load balancer oneofs and consistent hash rules (validateLoadBalancer)")
        void loadBalancerRules() {
            assertThatThrownBy(() -> parse(policy("loadBalancer:\n  simple: RANDOM\n  consistentHash: {useSourceIp: true}\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.loadBalancer: set either 'simple' or 'consistentHash', "
                            + "not both; got simple RANDOM and a consistentHash");
            assertThatThrownBy(() -> parse(policy("loadBalancer:\n  consistentHash: {useSourceIp: true, "
                    + "httpHeaderName: x}\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.loadBalancer.consistentHash: set only one of "
                            + "httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName; got httpHeaderName "
                            + "and useSourceIp");
            assertThatThrownBy(() -> parse(policy("loadBalancer:\n  consistentHash: {httpCookie: {ttl: 10s}}\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name: required "
                            + "for httpCookie, got null");
            assertThatThrownBy(() -> parse(policy("loadBalancer:\n  consistentHash: {maglev: {tableSize: 65536}}\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: must be "
                            + "a prime number, got 65536");
            assertThatThrownBy(() -> parse(policy("loadBalancer:\n  consistentHash: {maglev: {tableSize: 5000011}}\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: must be "
                            + "less than 5000011, got 5000011");
            assertThatThrownBy(() -> parse(policy("loadBalancer:\n  consistentHash: {maglev: {}}\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: must be "
                            + "set for maglev, got 0");
            assertThatThrownBy(() -> parse(policy("loadBalancer:\n  consistentHash: {ringHash: {}, maglev: {tableSize: 7}}\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.loadBalancer.consistentHash: set only one of ringHash "
                            + "and maglev, got both");
            assertThatThrownBy(() -> parse(policy("loadBalancer:\n  consistentHash: {minimumRingSize: 10, "
                    + "ringHash: {minimumRingSize: 20}}\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize: only one "
                            + "of minimumRingSize or maglev/ringHash can be set, got minimumRingSize 10 with ringHash");
            assertThatThrownBy(() -> parse(policy("loadBalancer:\n  warmup: {aggression: 2}\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.loadBalancer.warmup.duration: required, got nothing");
            assertThatThrownBy(() -> parse(policy("loadBalancer:\n  warmup: {duration: 10s, aggression: 0.5}\n")))
                    .hasMessage("test.yaml: spec.trafficPolicy.loadBalancer.warmup.aggression: must be at least 1, "
                            + "got 0.5");
        }

        @Test
        @DisplayName("subset names and labels (validateSubsetName, labels.Instance.Validate), unique names")
        void subsets() {
            assertThatThrownBy(() -> parse(rule("subsets:\n  - name: V_1\n")))
                    .hasMessage("test.yaml: spec.subsets[0].name: must be a DNS-1123 label, got 'V_1'");
            assertThatThrownBy(() -> parse(rule("subsets:\n  - labels: {a: b}\n")))
                    .hasMessage("test.yaml: spec.subsets[0].name: required, got nothing");
            assertThatThrownBy(() -> parse(rule("subsets:\n  - name: v1\n  - name: v1\n")))
                    .hasMessage("test.yaml: spec.subsets[1].name: duplicate subset name 'v1'");
            assertThatThrownBy(() -> parse(rule("subsets:\n  - name: v1\n    labels: {\"-bad\": x}\n")))
                    .hasMessage("test.yaml: spec.subsets[0].labels: invalid label key '-bad'");
            assertThatThrownBy(() -> parse(rule("subsets:\n  - name: v1\n    labels: {version: \"v 1\"}\n")))
                    .hasMessage("test.yaml: spec.subsets[0].labels.version: invalid label value 'v 1'");
        }

        @ParameterizedTest
        @ValueSource(strings = {"Reviews_1", "reviews..svc", "a.*.b", "reviews.123", "-reviews", "\"\""})
        @DisplayName("spec.host must be a (wildcard) domain (agent.ValidateWildcardDomain)")
        void badHosts(String host) {
            assertThatThrownBy(() -> parse(CROSS_REGION.replace("reviews.default.svc.cluster.local", host)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("test.yaml: spec.host: ");
        }

        @ParameterizedTest
        @ValueSource(strings = {"*", "*.example.com", "reviews", "REVIEWS.default", "istio.io.", "*-foo.bar"})
        void goodHosts(String host) {
            assertThat(parse(CROSS_REGION.replace("reviews.default.svc.cluster.local", "\"" + host + "\""))
                    .value().host()).isEqualTo(host);
        }

        @Test
        @DisplayName("localityLbSetting rules (agent.ValidateLocalityLbSetting)")
        void localitySettingRules() {
            String base = "loadBalancer:\n  localityLbSetting:\n";
            String path = "test.yaml: spec.trafficPolicy.loadBalancer.localityLbSetting";
            assertThatThrownBy(() -> parse(policy(base + "    distribute: [{from: a/*, to: {a/*: 100}}]\n"
                    + "    failover: [{from: a, to: b}]\n")))
                    .hasMessage(path + ": can not simultaneously set 'distribute' and 'failover', got 1 distribute "
                            + "and 1 failover rules");
            assertThatThrownBy(() -> parse(policy(base + "    distribute: [{from: a/*, to: {a/*: 60, b/*: 30}}]\n")))
                    .hasMessage(path + ".distribute[0].to: total locality weight must be 100, got 90");
            assertThatThrownBy(() -> parse(policy(base + "    distribute: [{from: a/*, to: {a/*: 0, b/*: 100}}]\n")))
                    .hasMessage(path + ".distribute[0].to['a/*']: locality weight must be in range [1, 100], got 0");
            assertThatThrownBy(() -> parse(policy(base + "    distribute: [{from: a/*, to: {\"*\": 50, a/*: 50}}]\n")))
                    .hasMessage(path + ".distribute[0].to['a/*']: locality 'a/*' overlaps one written before it");
            assertThatThrownBy(() -> parse(policy(base + "    distribute: [{from: a/*, to: {a: 50, a/z1: 50}}]\n")))
                    .hasMessage(path + ".distribute[0].to['a/z1']: locality 'a/z1' overlaps one written before it");
            assertThatThrownBy(() -> parse(policy(base + "    distribute: [{from: a/*, to: {a/*: 100}}, "
                    + "{from: a/*, to: {a/*: 100}}]\n")))
                    .hasMessage(path + ".distribute[1].from: locality 'a/*' overlaps one written before it");
            assertThatThrownBy(() -> parse(policy(base + "    distribute: [{from: \"a/*/c\", to: {a/*: 100}}]\n")))
                    .hasMessage(path + ".distribute[0].from: locality wildcard '*' may appear once, at the end, "
                            + "got 'a/*/c'");
            assertThatThrownBy(() -> parse(policy(base + "    distribute: [{from: a//c, to: {a/*: 100}}]\n")))
                    .hasMessage(path + ".distribute[0].from: locality must not contain an empty region, zone or "
                            + "subzone, got 'a//c'");
            assertThatThrownBy(() -> parse(policy(base + "    failover: [{from: a, to: a}]\n")))
                    .hasMessage(path + ".failover[0]: failover must name different regions, got from 'a' and to 'a'");
            assertThatThrownBy(() -> parse(policy(base + "    failover: [{from: a/z1, to: b}]\n")))
                    .hasMessage(path + ".failover[0].from: failover takes a region only, got 'a/z1'");
            assertThatThrownBy(() -> parse(policy(base + "    failover: [{from: a, to: \"b*\"}]\n")))
                    .hasMessage(path + ".failover[0].to: failover region must not contain '*', got 'b*'");
            assertThatThrownBy(() -> parse(policy(base + "    failover: [{from: a, to: b}]\n"
                    + "    failoverPriority: [topology.kubernetes.io/zone]\n")))
                    .hasMessage(path + ".failoverPriority[0]: can not use topology label 'topology.kubernetes.io/zone' "
                            + "together with 'failover'");
            assertThatThrownBy(() -> parse(policy(base + "    failoverPriority: [\"=v1\"]\n")))
                    .hasMessage(path + ".failoverPriority[0]: must be a label name or label=value, got '=v1'");
            assertThatThrownBy(() -> parse(policy(base + "    enabled: 1\n")))
                    .hasMessage(path + ".enabled: expected true or false, got 1");
        }
    }
}

package dev.meridian.istio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meridian.topology.LocalityLbSetting;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The mesh-wide {@code localityLbSetting} (MeshConfig, istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/),
 * with Istio's default from {@code DefaultMeshConfig} ({@code pkg/config/mesh}) and the checks of
 * {@code agent.ValidateLocalityLbSetting} ({@code pkg/config/validation/agent/validation.go}).
 */
class MeshConfigsTest {

    private static final LocalityLbSetting FAILOVER = new LocalityLbSetting(true, List.of(),
            List.of(new LocalityLbSetting.Failover("us-east", "eu-west")), List.of());

    @Test
    void meshConfigDocument() {
        Parsed<LocalityLbSetting> parsed = MeshConfigs.parseLocalityLbSetting("mesh.yaml", """
                accessLogFile: /dev/stdout
                defaultConfig:
                  proxyMetadata: {}
                localityLbSetting:
                  enabled: true
                  failover:
                    - from: us-east
                      to: eu-west
                """);
        assertThat(parsed.value()).isEqualTo(FAILOVER);
        assertThat(parsed.warnings()).containsExactly("localityLbSetting: failover and failoverPriority apply only to "
                + "destinations whose DestinationRule configures outlierDetection; elsewhere Istio leaves them out");
    }

    @Test
    void helmValuesMeshConfigBlock() {
        Parsed<LocalityLbSetting> parsed = MeshConfigs.parseLocalityLbSetting("values.yaml", """
                meshConfig:
                  localityLbSetting:
                    enabled: true
                    distribute:
                      - from: us-west/zone1/*
                        to:
                          "us-west/zone1/*": 80
                          "us-west/zone2/*": 20
                """);
        assertThat(parsed.value().distribute()).containsExactly(new LocalityLbSetting.Distribute("us-west/zone1/*",
                Map.of("us-west/zone1/*", 80, "us-west/zone2/*", 20)));
        assertThat(parsed.warnings()).isEmpty();
    }

    @Test
    void istioOperator() {
        Parsed<LocalityLbSetting> parsed = MeshConfigs.parseLocalityLbSetting("operator.yaml", """
                apiVersion: install.istio.io/v1alpha1
                kind: IstioOperator
                spec:
                  meshConfig:
                    localityLbSetting:
                      enabled: false
                """);
        assertThat(parsed.value().isEnabled()).isFalse();
    }

    @Test
    void istioConfigMapWithEmbeddedMeshConfig() {
        Parsed<LocalityLbSetting> parsed = MeshConfigs.parseLocalityLbSetting("istio-cm.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio, namespace: istio-system}
                data:
                  mesh: |-
                    localityLbSetting:
                      enabled: true
                      failover:
                      - from: us-east
                        to: eu-west
                      bogus: 1
                """);
        assertThat(parsed.value()).isEqualTo(FAILOVER);
        assertThat(parsed.warnings()).startsWith("data.mesh.localityLbSetting.bogus: unknown field, ignored");
    }

    @Test
    @DisplayName("the block on its own, as a scenario file embeds it, reports paths under localityLbSetting")
    void blockItself() {
        Parsed<LocalityLbSetting> parsed = MeshConfigs.parseLocalityLbSetting("scenario.yaml",
                Map.of("enabled", false, "colour", "red"));
        assertThat(parsed.value().isEnabled()).isFalse();
        assertThat(parsed.warnings()).containsExactly("localityLbSetting.colour: unknown field, ignored");
        assertThatThrownBy(() -> MeshConfigs.parseLocalityLbSetting("scenario.yaml",
                Map.of("failover", List.of(Map.of("from", "a", "to", "a")))))
                .hasMessage("scenario.yaml: localityLbSetting.failover[0]: failover must name different regions, got "
                        + "from 'a' and to 'a'");
    }

    @Test
    @DisplayName("absent: Istio's DefaultMeshConfig has locality load balancing enabled")
    void absentMeansIstioDefault() {
        Parsed<LocalityLbSetting> parsed = MeshConfigs.parseLocalityLbSetting("mesh.yaml", "accessLogFile: /dev/stdout\n");
        assertThat(parsed.value()).isSameAs(MeshConfigs.MESH_DEFAULT);
        assertThat(parsed.value().isEnabled()).isTrue();
        assertThat(parsed.value().failover()).isEmpty();
        assertThat(parsed.warnings()).isEmpty();
    }

    @Test
    void errorsNameSourcePathAndValue() {
        assertThatThrownBy(() -> MeshConfigs.parseLocalityLbSetting("mesh.yaml",
                "localityLbSetting:\n  distribute:\n    - from: a/*\n      to: {a/*: 70}\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mesh.yaml: localityLbSetting.distribute[0].to: total locality weight must be 100, got 70");
        assertThatThrownBy(() -> MeshConfigs.parseLocalityLbSetting("mesh.yaml",
                "localityLbSetting: {enabled: true}\nmeshConfig:\n  localityLbSetting: {enabled: false}\n"))
                .hasMessage("mesh.yaml: localityLbSetting: written both at the top level and under meshConfig; keep one");
        assertThatThrownBy(() -> MeshConfigs.parseLocalityLbSetting("cm.yaml", "kind: ConfigMap\ndata: {}\n"))
                .hasMessage("cm.yaml: data.mesh: required in the istio ConfigMap, got nothing");
        assertThatThrownBy(() -> MeshConfigs.parseLocalityLbSetting("mesh.yaml", "localityLbSetting: [a]\n"))
                .hasMessage("mesh.yaml: localityLbSetting: expected a mapping, got a list");
    }
}

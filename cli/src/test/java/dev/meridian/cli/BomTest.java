package dev.meridian.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A user who reads only the README can depend on Meridian. The BOM manages
 * every published module at the build's version, the README shows the coordinates, the install
 * step and the BOM's import, and the benchmark and stress-test jars are never installed or deployed.
 * Reads the poms from the source tree (the tests run in {@code cli/}).
 */
class BomTest {
    private static final Path ROOT = Path.of("..");
    private static final List<String> PUBLISHED = List.of("core", "topology", "lb", "outlier", "cluster", "istio",
            "simulator", "xds", "xds-server", "kubernetes", "grpc", "http", "spring", "agent");

    @Test
    @DisplayName("meridian-bom manages every published module, at the parent's version, and nothing else")
    void theBomCoversEveryPublishedModule() throws IOException {
        String bom = Files.readString(ROOT.resolve("bom/pom.xml"));
        String parent = Files.readString(ROOT.resolve("pom.xml"));
        assertThat(bom).contains("<artifactId>meridian-bom</artifactId>", "<packaging>pom</packaging>");
        assertThat(version(bom)).isEqualTo(version(parent)).isEqualTo("0.1.0-SNAPSHOT");
        assertThat(parent).contains("<module>bom</module>");
        List<String> managed = new ArrayList<>();
        Matcher m = Pattern.compile("<artifactId>(meridian-[a-z-]+)</artifactId><version>\\$\\{project.version}"
                + "</version>").matcher(bom);
        while (m.find()) {
            managed.add(m.group(1));
        }
        assertThat(managed).containsExactlyElementsOf(PUBLISHED.stream().map(n -> "meridian-" + n).toList());
        for (String module : PUBLISHED) {
            assertThat(Files.readString(ROOT.resolve(module).resolve("pom.xml")))
                    .contains("<artifactId>meridian-" + module + "</artifactId>");
        }
    }

    @Test
    @DisplayName("the benchmarks and the stress tests are neither installed nor deployed")
    void benchAndJcstressAreNotInstalled() throws IOException {
        for (String module : List.of("bench", "jcstress")) {
            assertThat(Files.readString(ROOT.resolve(module).resolve("pom.xml"))).as(module)
                    .contains("<maven.install.skip>true</maven.install.skip>",
                            "<maven.deploy.skip>true</maven.deploy.skip>");
        }
    }

    @Test
    @DisplayName("the README gives the coordinates, the install step and the BOM import")
    void theReadmeSaysHowToDependOnMeridian() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        assertThat(readme).contains("mvn -B install -DskipTests", "`dev.meridian`", "`0.1.0-SNAPSHOT`",
                "<artifactId>meridian-bom</artifactId>", "<scope>import</scope>", "<type>pom</type>");
        for (String module : PUBLISHED) {
            assertThat(readme).contains("`meridian-" + module + "`");
        }
    }

    /** The project's own version: the first version after its artifactId. */
    private static String version(String pom) {
        String afterParent = pom.contains("</parent>") ? pom.substring(pom.indexOf("</parent>")) : pom;
        Matcher m = Pattern.compile("<version>([^<]+)</version>").matcher(afterParent);
        assertThat(m.find()).isTrue();
        return m.group(1);
    }
}

package dev.meridian.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every error the command line prints is one line in one format,
 * {@code meridian: FILE: PATH: what, got 'VALUE'}, naming the file and the path once, with exit
 * status 2 for bad input and 1 for an output that cannot be written. Each case runs the real entry
 * point, {@link Main#run}.
 */
class ErrorMessagesTest {

    @Test
    @DisplayName("a Latin-1 scenario file is refused as not UTF-8, with its line, column and byte offset")
    void aFileThatIsNotUtf8SaysSoAndWhere(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("latin1.yaml");
        // "café" in ISO-8859-1: the é is the single byte 0xE9, which UTF-8 never uses alone.
        Files.write(file, "name: x\ndescription: \"caf\u00e9\"\n".getBytes(StandardCharsets.ISO_8859_1));
        for (String command : List.of("plan", "simulate")) {
            Runs.Invocation run = Runs.meridian(command, file.toString());
            assertThat(run.status()).isEqualTo(2);
            assertThat(run.err()).isEqualTo("meridian: " + file + ": line 2, column 18: not UTF-8 (save the file as "
                    + "UTF-8), got byte 0xE9 at byte offset 25\n");
        }
    }

    @Test
    @DisplayName("an endpoint's bad field names the file and the field's path once")
    void anEndpointFieldIsNamedOnce(@TempDir Path dir) throws IOException {
        String yaml = Runs.builtInText("cross-region");
        Path word = dir.resolve("word.yaml");
        Files.writeString(word, yaml.replace("cluster: cluster-a}}", "cluster: cluster-a}, weight: lots}"));
        assertThat(Runs.meridian("simulate", word.toString()).err()).isEqualTo("meridian: " + word
                + ": endpoints[0].weight: expected a whole number, got 'lots'\n");
        Path negative = dir.resolve("negative.yaml");
        Files.writeString(negative, yaml.replace("cluster: cluster-a}}", "cluster: cluster-a}, weight: -3}"));
        assertThat(Runs.meridian("simulate", negative.toString()).err()).isEqualTo("meridian: " + negative
                + ": endpoints[0].weight: must be 1..1000000 (endpoint 10.1.0.11:9080), got '-3'\n");
        Path locality = dir.resolve("locality.yaml");
        Files.writeString(locality, yaml.replace("locality: r1/z1, labels", "locality: r1/z1/a/b, labels"));
        assertThat(Runs.meridian("plan", locality.toString()).err()).isEqualTo("meridian: " + locality
                + ": endpoints[0].locality: expected region/zone/subzone, got 'r1/z1/a/b'\n");
    }

    @Test
    @DisplayName("a YAML syntax error gives its line and column once, without the parser's excerpts")
    void aSyntaxErrorIsOneLineWithItsPosition(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("broken.yaml");
        Files.writeString(file, "name: [\n");
        assertThat(Runs.meridian("simulate", file.toString()).err()).isEqualTo("meridian: " + file
                + ": line 2, column 1: invalid YAML: while parsing a flow node: expected the node content, but found "
                + "'<stream end>'\n");
    }

    @Test
    @DisplayName("an output that cannot be written says which file and why, in words, with status 1")
    void aWriteFailureSaysWhatCouldNotBeWritten(@TempDir Path dir) {
        Path html = dir.resolve("no-such-dir").resolve("page.html");
        Runs.Invocation run = Runs.meridian("simulate", "cross-region", "--duration", "10s", "--html", html.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("meridian: " + html + ": cannot write the HTML page: no directory '"
                + html.getParent() + "'\n");
        Path csv = dir.resolve("no-such-dir").resolve("counts.csv");
        assertThat(Runs.meridian("simulate", "cross-region", "--duration", "10s", "--csv", csv.toString()).err())
                .isEqualTo("meridian: " + csv + ": cannot write the CSV: no directory '" + csv.getParent() + "'\n");
    }

    @Test
    @DisplayName("command-line mistakes use the same prefix and format, naming the option and the value")
    void commandLineMistakesUseTheSameFormat() {
        assertThat(Runs.meridian("simulate", "--duration", "forever").err()).isEqualTo("meridian: --duration: "
                + "expected a duration such as 90s, 5m or 1m30s, got 'forever'\n");
        assertThat(Runs.meridian("simulate", "--rate", "0").err()).isEqualTo("meridian: --rate: must be greater "
                + "than 0 and give at most 2000000000 requests over the duration, got '0'\n");
        assertThat(Runs.meridian("simulate", "--frobnicate").err()).isEqualTo("meridian: simulate: unknown option, "
                + "got '--frobnicate' (meridian simulate --help lists the options)\n");
        assertThat(Runs.meridian("plan", "--frobnicate").err()).isEqualTo("meridian: plan: unknown option, got "
                + "'--frobnicate' (meridian plan --help)\n");
        assertThat(Runs.meridian("frobnicate").err()).isEqualTo("meridian: unknown command, got 'frobnicate' "
                + "(commands: plan, simulate, xds-serve, agent; meridian --help)\n");
    }

    @Test
    @DisplayName("every refusal is one line starting 'meridian: ' that names its file at most once")
    void everyRefusalHasOnePrefixAndNamesTheFileOnce(@TempDir Path dir) throws IOException {
        String yaml = Runs.builtInText("cross-region");
        List<String[]> cases = new ArrayList<>();
        String[][] edits = {
            {"consecutiveErrors: 5", "consecutiveErrors: many"},
            {"{at: 9m, heal:", "{at: 9 minutes, heal:"},
            {"\"10.1.0.11:9080\"", "\"10.1.0.11\""},
            {"seed: 1", "seed: 1\n  bogus: 2"},
            {"enabled: true", "enabled: maybe"},
        };
        for (int i = 0; i < edits.length; i++) {
            Path f = dir.resolve("case" + i + ".yaml");
            Files.writeString(f, yaml.replace(edits[i][0], edits[i][1]));
            cases.add(new String[] {"simulate", f.toString()});
            if (i != 1 && i != 3) {
                // plan reads everything but the simulation section.
                cases.add(new String[] {"plan", f.toString()});
            }
        }
        cases.add(new String[] {"simulate", dir.resolve("missing.yaml").toString()});
        cases.add(new String[] {"simulate", "--seed", "x"});
        cases.add(new String[] {"simulate", "--csv"});
        cases.add(new String[] {"simulate", "a.yaml", "b.yaml"});
        cases.add(new String[] {"plan"});
        cases.add(new String[] {"simulate", "virtual-nodes", "--compare", "cross-region"});
        for (String[] args : cases) {
            Runs.Invocation run = Runs.meridian(args);
            String label = String.join(" ", args);
            assertThat(run.status()).as(label).isEqualTo(2);
            assertThat(run.err().lines().toList()).as(label).singleElement().satisfies(line -> {
                assertThat(line).startsWith("meridian: ").doesNotContain("Exception", "command line:");
                String file = args[args.length - 1];
                if (file.endsWith(".yaml")) {
                    assertThat(line.split(java.util.regex.Pattern.quote(file), -1)).as(line).hasSizeLessThanOrEqualTo(2);
                }
            });
        }
    }
}

package dev.meridian.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReportsTest {

    @ParameterizedTest(name = "{0} ns reads {1}")
    @CsvSource({"0,0s", "93000000,0.093s", "45000000000,45s", "300000000000,5m", "330000000000,5m30s",
        "300037000000,5m00.037s", "3900000000000,1h05m", "7200000000000,2h", "3605000000000,1h00m05s"})
    void durations(long nanos, String text) {
        assertThat(Reports.duration(nanos)).isEqualTo(text);
    }

    @ParameterizedTest(name = "{0}% reads {1}")
    @CsvSource({"0,0.0%", "33.333,33.3%", "100,100.0%", "0.042,0.042%", "99.97,>99.9%", "0.05,0.05%",
        "0.0532,0.053%", "0.0999,0.1%", "0.1,0.1%", "0.14,0.1%", "0.16,0.2%"})
    void percentagesNeverHideThatSomethingHappened(double pct, String text) {
        assertThat(Reports.percent(pct)).isEqualTo(text);
    }

    /** The JSON errorRate once read 0 for 10 errors in 239,746 requests (four decimals). */
    @ParameterizedTest(name = "{0} of {1} reads {2}")
    @CsvSource({"0,10,0", "10,10,1", "0,0,0", "10,239746,0.000042", "10,23812,0.00042", "1,3,0.3333",
        "23802,23812,0.99958", "99,100,0.99", "1,100,0.01", "5,1000,0.005"})
    void fractionsNeverReadAsNoneOrAllWhenTheyAreNeither(long part, long whole, String text) {
        assertThat(Reports.fraction(part, whole).toPlainString()).isEqualTo(text);
    }

    @ParameterizedTest(name = "{0} ns reads {1}")
    @CsvSource({"850000,0.85 ms", "12340000,12.3 ms", "240000000,240 ms", "2350000000,2.35 s", "99990000,100 ms",
        "9998000,10.0 ms", "999700000,1.00 s"})
    void latencies(long nanos, String text) {
        assertThat(Reports.millis(nanos)).isEqualTo(text);
    }

    @ParameterizedTest(name = "{0} in flight reads {1}")
    @CsvSource({"0,0.0", "0.44,0.4", "12,12.0", "99.94,99.9", "99.96,100", "4508.1,'4,508'"})
    void averages(double value, String text) {
        assertThat(Reports.average(value)).isEqualTo(text);
    }

    @ParameterizedTest(name = "{0} reads {1} in the CSV")
    @CsvSource({"0,0", "2.5,2.5", "12.3456,12.346", "0.0004,0", "0.0005,0.001", "7.1,7.1", "1234.5,1234.5"})
    void csvThousandths(double value, String text) {
        assertThat(CsvReport.thousandths(value)).isEqualTo(text);
    }
}

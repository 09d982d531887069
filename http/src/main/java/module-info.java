/**
 * A {@link java.net.http.HttpClient} wrapper that picks the endpoint of every request through a
 * {@link dev.meridian.cluster.Cluster} ({@link dev.meridian.http.MeridianHttpClient}).
 */
module dev.meridian.http {
    requires transitive dev.meridian.cluster;
    requires transitive java.net.http;

    exports dev.meridian.http;
}

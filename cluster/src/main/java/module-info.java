/** One owner per destination: {@link dev.meridian.cluster.Cluster}, the API an embedding application holds. */
module dev.meridian.cluster {
    requires transitive dev.meridian.lb;
    requires transitive dev.meridian.outlier;
    requires org.jctools.core;

    exports dev.meridian.cluster;
}

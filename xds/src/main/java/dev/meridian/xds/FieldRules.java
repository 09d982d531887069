package dev.meridian.xds;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * What Meridian does with each field of the Envoy messages it reads: the single place that says
 * which fields are translated, which are reported as a warning when set, and which are not about
 * endpoint choice and are passed over. docs/xds.md's mapping table follows it, and a test checks
 * that every field of every message listed here has a rule, so a field added to Envoy's API
 * fails the build until someone decides what it means.
 *
 * <p>A field set in an input but missing here (the input came from a newer API than Meridian's)
 * and any field the parser did not know at all still produce a warning: nothing is dropped
 * silently.
 *
 * <p>Thread-safe: the rules are fixed at class initialization; the fields to test per message
 * type are worked out once per type into a concurrent map, and are the same whichever thread
 * does it.
 */
final class FieldRules {

    /** What happens to a field when it is set. */
    enum Kind {
        /** Translated by the code that reads the message. */
        MAPPED,
        /** Not about which endpoint a request goes to: passed over without a warning. */
        NOT_ABOUT_ENDPOINT_CHOICE,
        /** Reported as a warning with the rule's message. */
        WARNED,
        /** Rejected with an {@link IllegalArgumentException} by the code that reads the message. */
        REJECTED
    }

    /** One field's rule. */
    record Rule(Kind kind, String message) {
    }

    private static final Map<String, Map<String, Rule>> RULES = new LinkedHashMap<>();

    private FieldRules() {
    }

    /** The rules of one message type, by field name; empty when the type has none. */
    static Map<String, Rule> of(Descriptor type) {
        Map<String, Rule> rules = RULES.get(type.getFullName());
        return rules == null ? Map.of() : rules;
    }

    /** Every message type that has rules, by full name. */
    static Map<String, Map<String, Rule>> all() {
        return Collections.unmodifiableMap(RULES);
    }

    /**
     * Warns for every field set in {@code message} whose rule is {@link Kind#WARNED}, for every set
     * field without a rule, and for fields the parser did not know, in field-number order (as
     * protobuf's {@code getAllFields} lists them). Mapped and rejected fields are left to the caller.
     *
     * @param path the message's proto path, as in {@code cluster.common_lb_config}
     */
    static void warnUnmapped(Message message, String path, WarningList warnings) {
        forType(message.getDescriptorForType()).warnUnmapped(message, path, warnings);
    }

    /** Whether {@link #warnUnmapped} would warn for {@code message}; see {@link ForType#hasUnmapped}. */
    static boolean hasUnmapped(Message message) {
        return forType(message.getDescriptorForType()).hasUnmapped(message);
    }

    /**
     * The rules of one message type, ready to test its messages: the fields that are warned or
     * have no rule, in field-number order, each with its presence test. A translation that reads a
     * type once per endpoint keeps one in a constant rather than looking it up per message.
     *
     * <p>Immutable and thread-safe.
     */
    static final class ForType {
        private final Map<String, Rule> rules;
        private final FieldDescriptor[] fields;
        private final Presence[] presence;

        private ForType(Descriptor type) {
            rules = of(type);
            List<FieldDescriptor> watched = new ArrayList<>();
            for (FieldDescriptor f : type.getFields()) {
                Rule rule = rules.get(f.getName());
                if (rule == null || rule.kind() == Kind.WARNED) {
                    watched.add(f);
                }
            }
            watched.sort(Comparator.comparingInt(FieldDescriptor::getNumber));
            fields = watched.toArray(new FieldDescriptor[0]);
            presence = new Presence[fields.length];
            for (int i = 0; i < fields.length; i++) {
                FieldDescriptor f = fields[i];
                GeneratedPresence<?> generated = GENERATED_PRESENCE.get(f.getFullName());
                presence[i] = generated != null ? generated.forField(f) : m -> isSetReflectively(m, f);
            }
        }

        /**
         * Whether {@link #warnUnmapped} would warn for {@code message}. It tests only the fields
         * that would be warned (a few per message, none of them mapped), so a caller that reads
         * thousands of messages can leave building the path until there is something to report.
         */
        boolean hasUnmapped(Message message) {
            for (Presence p : presence) {
                if (p.isSet(message)) {
                    return true;
                }
            }
            return hasUnknownFields(message);
        }

        /** {@link FieldRules#warnUnmapped} for a message of this type. */
        void warnUnmapped(Message message, String path, WarningList warnings) {
            for (int i = 0; i < fields.length; i++) {
                if (presence[i].isSet(message)) {
                    Rule rule = rules.get(fields[i].getName());
                    warnings.add(path + "." + fields[i].getName(), rule == null ? "a field Meridian's translation"
                            + " does not know (a newer Envoy API than " + FieldRules.class.getPackageName()
                            + " reads): ignored" : rule.message());
                }
            }
            if (hasUnknownFields(message)) {
                warnings.add(path, "fields " + message.getUnknownFields().asMap().keySet()
                        + " (by number) are unknown to Meridian's Envoy API: ignored");
            }
        }
    }

    /** One entry per message type read; descriptors compare by identity. */
    private static final Map<Descriptor, ForType> FOR_TYPE = new ConcurrentHashMap<>();

    /** The rules of a message type, ready to test its messages. */
    static ForType forType(Descriptor type) {
        ForType rules = FOR_TYPE.get(type);
        return rules != null ? rules : FOR_TYPE.computeIfAbsent(type, ForType::new);
    }

    /**
     * Whether the parser kept fields it did not know. {@code UnknownFieldSet.asMap()} copies its
     * map on every call; comparing with the empty set does not allocate.
     */
    static boolean hasUnknownFields(Message message) {
        return !UnknownFieldSet.getDefaultInstance().equals(message.getUnknownFields());
    }

    /** Set as protobuf's {@code getAllFields} decides it: a non-empty list, or {@code hasField}. */
    static boolean isSetReflectively(Message message, FieldDescriptor f) {
        return f.isRepeated() ? message.getRepeatedFieldCount(f) > 0 : message.hasField(f);
    }

    /** Whether one field is set in a message of its type. */
    @FunctionalInterface
    interface Presence {
        boolean isSet(Message message);
    }

    /** A presence test written with a message class's generated accessors. */
    record GeneratedPresence<M extends Message>(Class<M> type, Predicate<M> isSet) {
        /** The generated test for a message of the class, reflection for any other (a DynamicMessage). */
        Presence forField(FieldDescriptor f) {
            return m -> type.isInstance(m) ? isSet.test(type.cast(m)) : isSetReflectively(m, f);
        }
    }

    /**
     * Presence tests through generated accessors for the watched fields of the messages read once
     * per endpoint or locality group. Reflection's {@code hasField} costs a reflective call each
     * (and {@code getRepeatedFieldCount} on a map field builds a list of its entries); at tens of
     * thousands of endpoints that was most of an EDS update's translation. A watched field not
     * listed here is tested by reflection; each one listed is checked against reflection by
     * FieldRulesTest. Keyed by the field's full name.
     */
    static final Map<String, GeneratedPresence<?>> GENERATED_PRESENCE = Map.of(
            "envoy.config.endpoint.v3.LocalityLbEndpoints.load_balancer_endpoints",
            new GeneratedPresence<>(LocalityLbEndpoints.class,
                    // by number: the field, and so its case constant, is deprecated
                    g -> g.getLbConfigCase().getNumber() == LocalityLbEndpoints.LOAD_BALANCER_ENDPOINTS_FIELD_NUMBER),
            "envoy.config.endpoint.v3.LocalityLbEndpoints.leds_cluster_locality_config",
            new GeneratedPresence<>(LocalityLbEndpoints.class,
                    g -> g.getLbConfigCase() == LocalityLbEndpoints.LbConfigCase.LEDS_CLUSTER_LOCALITY_CONFIG),
            "envoy.config.endpoint.v3.LocalityLbEndpoints.proximity",
            new GeneratedPresence<>(LocalityLbEndpoints.class, LocalityLbEndpoints::hasProximity),
            "envoy.config.endpoint.v3.LbEndpoint.endpoint_name",
            new GeneratedPresence<>(LbEndpoint.class,
                    lb -> lb.getHostIdentifierCase() == LbEndpoint.HostIdentifierCase.ENDPOINT_NAME),
            "envoy.config.endpoint.v3.Endpoint.health_check_config",
            new GeneratedPresence<>(Endpoint.class, Endpoint::hasHealthCheckConfig),
            "envoy.config.endpoint.v3.Endpoint.additional_addresses",
            new GeneratedPresence<>(Endpoint.class, e -> e.getAdditionalAddressesCount() > 0),
            // proto3 string: set when not empty; the bytes, so that a parsed value is not decoded
            "envoy.config.core.v3.SocketAddress.resolver_name",
            new GeneratedPresence<>(SocketAddress.class, a -> !a.getResolverNameBytes().isEmpty()),
            "envoy.config.core.v3.Metadata.typed_filter_metadata",
            new GeneratedPresence<>(Metadata.class, m -> m.getTypedFilterMetadataCount() > 0));

    private static final class Table {
        private final Map<String, Rule> rules = new LinkedHashMap<>();

        Table mapped(String... fields) {
            for (String f : fields) {
                rules.put(f, new Rule(Kind.MAPPED, ""));
            }
            return this;
        }

        Table notAboutEndpointChoice(String... fields) {
            for (String f : fields) {
                rules.put(f, new Rule(Kind.NOT_ABOUT_ENDPOINT_CHOICE, ""));
            }
            return this;
        }

        Table warned(String field, String message) {
            rules.put(field, new Rule(Kind.WARNED, message));
            return this;
        }

        Table rejected(String field, String why) {
            rules.put(field, new Rule(Kind.REJECTED, why));
            return this;
        }
    }

    private static Table table(String fullName) {
        Table t = new Table();
        RULES.put(fullName, Collections.unmodifiableMap(t.rules));
        return t;
    }

    static final String NOT_MODELLED = "not modelled by Meridian: ignored";

    static {
        // ---------------------------------------------------------------- EDS
        table("envoy.config.endpoint.v3.ClusterLoadAssignment")
                .mapped("cluster_name", "endpoints", "policy")
                .warned("named_endpoints", "named endpoints are only reached through LbEndpoint.endpoint_name,"
                        + " which Meridian does not resolve: ignored");
        table("envoy.config.endpoint.v3.ClusterLoadAssignment.Policy")
                .mapped("overprovisioning_factor", "weighted_priority_health")
                .warned("drop_overloads", "Envoy drops this share of requests before it chooses a host;"
                        + " Meridian drops none: not modelled")
                .warned("endpoint_stale_after", "Envoy empties the assignment when no update arrives within"
                        + " this time (eds.cc onAssignmentTimeout); Meridian keeps the last assignment: not modelled");
        table("envoy.config.endpoint.v3.LocalityLbEndpoints")
                .mapped("locality", "lb_endpoints", "load_balancing_weight", "priority")
                .notAboutEndpointChoice("metadata")
                .warned("load_balancer_endpoints", "deprecated; Envoy reads only lb_endpoints"
                        + " (eds.cc BatchUpdateHelper::batchUpdate): ignored")
                .warned("leds_cluster_locality_config", "the locality's endpoints come from a LEDS"
                        + " subscription, which Meridian does not follow: the locality has no endpoints")
                .warned("proximity", "no Envoy load balancer reads it: ignored");
        table("envoy.config.endpoint.v3.LbEndpoint")
                .mapped("endpoint", "health_status", "metadata", "load_balancing_weight")
                .warned("endpoint_name", "named endpoints are not resolved: the endpoint is left out");
        table("envoy.config.endpoint.v3.Endpoint")
                .mapped("address")
                // the Host header, SNI and stats; hashing on it is warned at the cluster
                .notAboutEndpointChoice("hostname")
                .warned("health_check_config", "active health checking is not modelled: ignored")
                .warned("additional_addresses", "Envoy tries these addresses too (Happy Eyeballs);"
                        + " Meridian uses the first address only");
        table("envoy.config.core.v3.Address")
                .mapped("socket_address")
                .rejected("pipe", "a pipe has no host and port")
                .rejected("envoy_internal_address", "an internal listener has no host and port");
        table("envoy.config.core.v3.SocketAddress")
                .mapped("address", "port_value")
                .notAboutEndpointChoice("protocol", "ipv4_compat", "network_namespace_filepath")
                .rejected("named_port", "a named port needs a resolver; Meridian needs a port number")
                .warned("resolver_name", "Meridian does not resolve addresses: the address is used as given");
        table("envoy.config.core.v3.Locality").mapped("region", "zone", "sub_zone");
        table("envoy.config.core.v3.Metadata")
                .mapped("filter_metadata")
                .warned("typed_filter_metadata", NOT_MODELLED);

        // ---------------------------------------------------------------- CDS
        table("envoy.config.cluster.v3.Cluster")
                .mapped("name", "type", "lb_policy", "outlier_detection", "common_lb_config",
                        "ring_hash_lb_config", "maglev_lb_config", "least_request_lb_config",
                        "round_robin_lb_config", "load_balancing_policy")
                .notAboutEndpointChoice("alt_stat_name", "eds_cluster_config", "connect_timeout",
                        "per_connection_buffer_limit_bytes", "transport_socket", "transport_socket_matches",
                        "metadata", "max_requests_per_connection", "upstream_http_protocol_options",
                        "common_http_protocol_options", "http_protocol_options", "http2_protocol_options",
                        "typed_extension_protocol_options", "dns_refresh_rate", "dns_jitter",
                        "dns_failure_refresh_rate", "respect_dns_ttl", "dns_lookup_family", "dns_resolvers",
                        "use_tcp_for_dns_lookups", "dns_resolution_config", "typed_dns_resolver_config",
                        "wait_for_warm_on_init", "cleanup_interval", "upstream_bind_config", "protocol_selection",
                        "upstream_connection_options", "close_connections_on_host_health_failure", "filters",
                        "lrs_server", "lrs_report_endpoint_metrics", "track_timeout_budgets", "upstream_config",
                        "track_cluster_stats", "preconnect_policy", "connection_pool_per_downstream_connection")
                .rejected("cluster_type", "a custom cluster type (aggregate, dynamic forward proxy, ...)"
                        + " chooses hosts its own way")
                .warned("load_assignment", "endpoints are read with LoadAssignments.fromEnvoy, not into the"
                        + " cluster's settings")
                .warned("health_checks", "active health checking is not modelled: hosts keep the health EDS"
                        + " reports")
                .warned("circuit_breakers", "circuit breakers are not modelled: Meridian never fails a request"
                        + " for overflow")
                .warned("lb_subset_config", "subset load balancing is not modelled: hosts are chosen from the"
                        + " whole cluster")
                .warned("original_dst_lb_config", NOT_MODELLED)
                .warned("ignore_health_on_host_removal", "Envoy may keep a removed host until it fails"
                        + " health checks; Meridian removes it at once");
        table("envoy.config.cluster.v3.Cluster.CommonLbConfig")
                .mapped("healthy_panic_threshold", "zone_aware_lb_config", "locality_weighted_lb_config")
                .warned("update_merge_window", "Meridian applies each update at the next drain without"
                        + " merging: ignored")
                .warned("ignore_new_hosts_until_first_hc", "active health checking is not modelled: ignored")
                .warned("close_connections_on_host_set_change", NOT_MODELLED)
                .warned("consistent_hashing_lb_config", "hashing on host names and bounded loads are not"
                        + " modelled: Meridian hashes addresses without a balance factor")
                .warned("override_host_status", "host override (stateful sessions) is not modelled: ignored");
        table("envoy.config.cluster.v3.Cluster.CommonLbConfig.ZoneAwareLbConfig")
                .mapped("routing_enabled", "min_cluster_size", "fail_traffic_on_panic");
        table("envoy.config.cluster.v3.Cluster.CommonLbConfig.LocalityWeightedLbConfig");
        table("envoy.config.cluster.v3.Cluster.LeastRequestLbConfig")
                .mapped("choice_count", "active_request_bias", "slow_start_config");
        table("envoy.config.cluster.v3.Cluster.RoundRobinLbConfig").mapped("slow_start_config");
        table("envoy.config.cluster.v3.Cluster.RingHashLbConfig")
                .mapped("minimum_ring_size", "maximum_ring_size", "hash_function");
        table("envoy.config.cluster.v3.Cluster.MaglevLbConfig").mapped("table_size");
        table("envoy.config.cluster.v3.Cluster.SlowStartConfig")
                .mapped("slow_start_window", "aggression", "min_weight_percent");
        table("envoy.config.cluster.v3.OutlierDetection")
                .mapped("consecutive_5xx", "interval", "base_ejection_time", "max_ejection_percent",
                        "enforcing_consecutive_5xx", "enforcing_success_rate", "success_rate_minimum_hosts",
                        "success_rate_request_volume", "success_rate_stdev_factor", "consecutive_gateway_failure",
                        "enforcing_consecutive_gateway_failure", "split_external_local_origin_errors",
                        "consecutive_local_origin_failure", "enforcing_consecutive_local_origin_failure",
                        "enforcing_local_origin_success_rate", "failure_percentage_threshold",
                        "enforcing_failure_percentage", "enforcing_failure_percentage_local_origin",
                        "failure_percentage_minimum_hosts", "failure_percentage_request_volume",
                        "max_ejection_time", "max_ejection_time_jitter", "always_eject_one_host")
                .warned("successful_active_health_check_uneject_host", "active health checking is not"
                        + " modelled: ignored")
                .warned("monitors", "outlier detection extensions are not modelled: ignored");
        table("envoy.config.cluster.v3.LoadBalancingPolicy").mapped("policies");
        table("envoy.config.cluster.v3.LoadBalancingPolicy.Policy").mapped("typed_extension_config");

        // ------------------------------------------- typed load-balancing policies
        String common = "envoy.extensions.load_balancing_policies.common.v3.";
        table(common + "LocalityLbConfig").mapped("zone_aware_lb_config", "locality_weighted_lb_config");
        table(common + "LocalityLbConfig.ZoneAwareLbConfig")
                .mapped("routing_enabled", "min_cluster_size", "fail_traffic_on_panic")
                .warned("force_locality_direct_routing", "Envoy 1.34's forerunner of force_local_zone is not"
                        + " modelled: ignored");
        table(common + "LocalityLbConfig.LocalityWeightedLbConfig");
        table(common + "SlowStartConfig").mapped("slow_start_window", "aggression", "min_weight_percent");
        table(common + "ConsistentHashingLbConfig")
                .warned("use_hostname_for_hashing", "Meridian hashes addresses, not host names")
                .warned("hash_balance_factor", "bounded-load hashing is not modelled: ignored");
        table("envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin")
                .mapped("slow_start_config", "locality_lb_config");
        table("envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest")
                .mapped("choice_count", "active_request_bias", "slow_start_config", "locality_lb_config")
                .warned("enable_full_scan", "a full scan is not modelled: Meridian samples choice_count hosts")
                .warned("selection_method", "a full scan is not modelled: Meridian samples choice_count hosts");
        table("envoy.extensions.load_balancing_policies.random.v3.Random").mapped("locality_lb_config");
        table("envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash")
                .mapped("hash_function", "minimum_ring_size", "maximum_ring_size", "consistent_hashing_lb_config",
                        "locality_weighted_lb_config")
                .warned("use_hostname_for_hashing", "Meridian hashes addresses, not host names")
                .warned("hash_balance_factor", "bounded-load hashing is not modelled: ignored");
        table("envoy.extensions.load_balancing_policies.maglev.v3.Maglev")
                .mapped("table_size", "consistent_hashing_lb_config", "locality_weighted_lb_config");
    }
}

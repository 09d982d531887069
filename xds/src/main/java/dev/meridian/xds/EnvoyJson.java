package dev.meridian.xds;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.admin.v3.BootstrapConfigDump;
import io.envoyproxy.envoy.admin.v3.ClustersConfigDump;
import io.envoyproxy.envoy.admin.v3.ConfigDump;
import io.envoyproxy.envoy.admin.v3.EcdsConfigDump;
import io.envoyproxy.envoy.admin.v3.EndpointsConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.admin.v3.RoutesConfigDump;
import io.envoyproxy.envoy.admin.v3.ScopedRoutesConfigDump;
import io.envoyproxy.envoy.admin.v3.SecretsConfigDump;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.cluster_provided.v3.ClusterProvided;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.load_balancing_policies.maglev.v3.Maglev;
import io.envoyproxy.envoy.extensions.load_balancing_policies.pick_first.v3.PickFirst;
import io.envoyproxy.envoy.extensions.load_balancing_policies.random.v3.Random;
import io.envoyproxy.envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash;
import io.envoyproxy.envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.subset.v3.Subset;
import io.envoyproxy.envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Envoy resources from proto JSON, as Envoy's admin endpoint and {@code envoy --config-path}
 * write them, read with protobuf's {@code JsonFormat} after one walk over the JSON tree against the
 * message descriptors. The walk does what a strict parse cannot: a field Meridian's Envoy API does
 * not have (the JSON came from a newer Envoy) and a {@code google.protobuf.Any} whose type is not
 * in {@link #REGISTRY} (Istio's own filters, say) are dropped instead of failing the whole
 * resource, each with a warning unless it sits under a field that is not about endpoint choice
 * ({@link FieldRules}); an enum value the API does not know is rejected naming the field.
 *
 * <p>Thread-safe: stateless.
 */
final class EnvoyJson {
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_@][A-Za-z0-9_@]*");

    /**
     * The types an {@code Any} may hold: the config dump's sections (whose files bring in the
     * bootstrap, clusters, endpoints, listeners and routes), the load-balancing policies, and what
     * clusters commonly carry in their not-about-endpoint-choice fields.
     */
    static final JsonFormat.TypeRegistry REGISTRY = JsonFormat.TypeRegistry.newBuilder()
            .add(ConfigDump.getDescriptor())
            .add(BootstrapConfigDump.getDescriptor())
            .add(ClustersConfigDump.getDescriptor())
            .add(EndpointsConfigDump.getDescriptor())
            .add(ListenersConfigDump.getDescriptor())
            .add(RoutesConfigDump.getDescriptor())
            .add(ScopedRoutesConfigDump.getDescriptor())
            .add(SecretsConfigDump.getDescriptor())
            .add(EcdsConfigDump.getDescriptor())
            .add(Cluster.getDescriptor())
            .add(ClusterLoadAssignment.getDescriptor())
            .add(RoundRobin.getDescriptor())
            .add(LeastRequest.getDescriptor())
            .add(Random.getDescriptor())
            .add(RingHash.getDescriptor())
            .add(Maglev.getDescriptor())
            .add(WrrLocality.getDescriptor())
            .add(ClientSideWeightedRoundRobin.getDescriptor())
            .add(PickFirst.getDescriptor())
            .add(ClusterProvided.getDescriptor())
            .add(Subset.getDescriptor())
            .add(UpstreamTlsContext.getDescriptor())
            .add(HttpProtocolOptions.getDescriptor())
            .add(InternalUpstreamTransport.getDescriptor())
            .add(com.github.xds.type.v3.TypedStruct.getDescriptor())
            .add(com.github.udpa.udpa.type.v1.TypedStruct.getDescriptor())
            .build();

    static final String TYPE_PREFIX = "type.googleapis.com/";
    private static final String EMPTY_TYPE = TYPE_PREFIX + Empty.getDescriptor().getFullName();

    private EnvoyJson() {
    }

    /**
     * Parses JSON text that must be an object.
     *
     * @throws IllegalArgumentException naming {@code root} when the text is not a JSON object
     */
    static Struct parseObject(String json, String root) {
        if (json == null || json.isBlank()) {
            throw new IllegalArgumentException(root + ": must be a JSON object, got '" + json + "'");
        }
        Struct.Builder b = Struct.newBuilder();
        try {
            JsonFormat.parser().merge(json, b);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new IllegalArgumentException(root + ": malformed JSON (" + e.getMessage() + ")", e);
        }
        Struct object = b.build();
        String infinite = nonFinite(object, root);
        if (infinite != null) {
            // 4.2E9756299 reads as an infinite double, which protobuf can neither print nor put in any
            // field (every reading and every message here prints the JSON again); Envoy refuses it too.
            throw new IllegalArgumentException(infinite + ": must be a number within a double's range, got a"
                    + " number that overflows it");
        }
        return object;
    }

    /**
     * {@code path.key} when the key is a plain name, as every proto field's is, else
     * {@code path["key"]} with the key as a JSON string: a key the text made up may hold ": ", dots
     * or brackets, and a message must still show where its path ends.
     */
    static String member(String path, String key) {
        return PLAIN_NAME.matcher(key).matches() ? path + "." + key : path + "[" + jsonString(key) + "]";
    }

    /** {@code s} as a JSON string literal, quotes and escapes included. */
    static String jsonString(String s) {
        try {
            return JsonFormat.printer().print(Value.newBuilder().setStringValue(s).build());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("protobuf could not print a string value", e);
        }
    }

    /** The path of the first number the JSON parser read as infinite or NaN, or null. */
    private static String nonFinite(Struct object, String path) {
        for (Map.Entry<String, Value> e : object.getFieldsMap().entrySet()) {
            String found = nonFinite(e.getValue(), member(path, e.getKey()));
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    private static String nonFinite(Value v, String path) {
        switch (v.getKindCase()) {
            case NUMBER_VALUE:
                return Double.isFinite(v.getNumberValue()) ? null : path;
            case STRUCT_VALUE:
                return nonFinite(v.getStructValue(), path);
            case LIST_VALUE:
                for (int i = 0; i < v.getListValue().getValuesCount(); i++) {
                    String found = nonFinite(v.getListValue().getValues(i), path + "[" + i + "]");
                    if (found != null) {
                        return found;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    /** The message type an {@code @type} URL names, or null when the registry does not have it. */
    static Descriptor typeOf(String typeUrl) {
        if (typeUrl == null) {
            return null;
        }
        return REGISTRY.find(typeUrl.substring(typeUrl.lastIndexOf('/') + 1));
    }

    /**
     * Reads a JSON object into {@code builder} (an {@code @type} key, as in an {@code Any}, is
     * allowed and must name the builder's type).
     *
     * @throws IllegalArgumentException naming the field and value when a value does not fit it
     */
    static <B extends Message.Builder> B read(Struct json, B builder, String root, WarningList warnings) {
        Descriptor type = builder.getDescriptorForType();
        Struct.Builder object = json.toBuilder();
        if (object.containsFields("@type")) {
            String url = object.getFieldsOrThrow("@type").getStringValue();
            if (!url.endsWith("/" + type.getFullName())) {
                throw new IllegalArgumentException(root + ": expected a " + type.getFullName() + ", got '" + url + "'");
            }
            object.removeFields("@type");
        }
        Struct clean = clean(object.build(), type, root, false, warnings);
        try {
            JsonFormat.parser().usingTypeRegistry(REGISTRY).merge(print(clean), builder);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            String[] at = locate(clean, type, root);
            throw new IllegalArgumentException(at[0] + ": " + (at[1] != null ? at[1] : e.getMessage()), e);
        }
        return builder;
    }

    /**
     * The path and the parser's complaint of the first value that does not parse, found by parsing
     * one field at a time and descending into the one that fails: the parser's own message names
     * no field.
     */
    private static String[] locate(Struct object, Descriptor type, String path) {
        for (Map.Entry<String, Value> e : object.getFieldsMap().entrySet()) {
            if (e.getKey().equals("@type")) {
                continue;
            }
            String error = parseError(Struct.newBuilder().putFields(e.getKey(), e.getValue()).build(), type);
            if (error == null) {
                continue;
            }
            FieldDescriptor field = field(type, e.getKey());
            String fpath = field == null ? member(path, e.getKey()) : path + "." + field.getName();
            if (field == null || field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
                return new String[] {fpath, withValue(error, e.getValue())};
            }
            Value v = e.getValue();
            if (field.isMapField()) {
                return new String[] {fpath, error};
            }
            if (field.isRepeated() && v.getKindCase() == Value.KindCase.LIST_VALUE) {
                for (int i = 0; i < v.getListValue().getValuesCount(); i++) {
                    Value element = v.getListValue().getValues(i);
                    String[] inner = locateValue(element, field, fpath + "[" + i + "]");
                    if (inner != null) {
                        return inner;
                    }
                }
                return new String[] {fpath, error};
            }
            String[] inner = locateValue(v, field, fpath);
            return inner != null ? inner : new String[] {fpath, withValue(error, v)};
        }
        return new String[] {path, null};
    }

    private static String[] locateValue(Value v, FieldDescriptor field, String path) {
        Descriptor type = field.getMessageType();
        if (v.getKindCase() == Value.KindCase.STRUCT_VALUE && !type.getFile().getPackage().equals("google.protobuf")) {
            if (parseError(v.getStructValue(), type) == null) {
                return null;
            }
            return locate(v.getStructValue(), type, path);
        }
        if (type.getFullName().equals("google.protobuf.Any") && v.getKindCase() == Value.KindCase.STRUCT_VALUE) {
            Descriptor inner = typeOf(v.getStructValue().getFieldsOrDefault("@type", Value.getDefaultInstance())
                    .getStringValue());
            return inner == null || parseError(v.getStructValue(), inner) == null ? null
                    : locate(v.getStructValue(), inner, path);
        }
        Struct probe = Struct.newBuilder().putFields(field.getJsonName(), v).build();
        String error = parseError(probe, field.getContainingType());
        return error == null ? null : new String[] {path, withValue(error, v)};
    }

    /** The parser's complaint about {@code object} as a {@code type}, or null when it parses. */
    private static String parseError(Struct object, Descriptor type) {
        try {
            JsonFormat.parser().usingTypeRegistry(REGISTRY).merge(print(object),
                    com.google.protobuf.DynamicMessage.newBuilder(type));
            return null;
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            return e.getMessage();
        }
    }

    private static String print(Struct s) {
        try {
            return JsonFormat.printer().omittingInsignificantWhitespace().print(s);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a Struct always prints", e);
        }
    }

    private static String withValue(String error, Value v) {
        String value = shortJson(v);
        return error.contains(value) ? error : error + ", got '" + value + "'";
    }

    private static String shortJson(Value v) {
        String text;
        try {
            text = JsonFormat.printer().omittingInsignificantWhitespace().print(v);
        } catch (InvalidProtocolBufferException e) {
            text = v.toString();
        }
        return text.length() > 80 ? text.substring(0, 77) + "..." : text;
    }

    /** The object with what the parser could not read removed. */
    private static Struct clean(Struct object, Descriptor type, String path, boolean quiet, WarningList warnings) {
        Struct.Builder out = Struct.newBuilder();
        Map<String, FieldRules.Rule> rules = FieldRules.of(type);
        for (Map.Entry<String, Value> e : object.getFieldsMap().entrySet()) {
            String key = e.getKey();
            if (key.equals("@type")) {
                out.putFields(key, e.getValue());
                continue;
            }
            FieldDescriptor field = field(type, key);
            if (field == null) {
                if (!quiet) {
                    warnings.add(member(path, key), "a field " + type.getFullName() + " does not have in Meridian's"
                            + " Envoy API (a newer Envoy?): ignored");
                }
                continue;
            }
            String fpath = path + "." + field.getName();
            FieldRules.Rule rule = rules.get(field.getName());
            boolean fieldQuiet = quiet || (rule != null && rule.kind() != FieldRules.Kind.MAPPED);
            Value v = e.getValue();
            Value cleaned;
            if (field.isMapField()) {
                FieldDescriptor valueField = field.getMessageType().findFieldByName("value");
                if (v.getKindCase() != Value.KindCase.STRUCT_VALUE) {
                    cleaned = v;
                } else {
                    Struct.Builder m = Struct.newBuilder();
                    for (Map.Entry<String, Value> entry : v.getStructValue().getFieldsMap().entrySet()) {
                        Value c = value(entry.getValue(), valueField, fpath + "[" + jsonString(entry.getKey()) + "]",
                                fieldQuiet, warnings);
                        if (c != null) {
                            m.putFields(entry.getKey(), c);
                        }
                    }
                    cleaned = Value.newBuilder().setStructValue(m).build();
                }
            } else if (field.isRepeated() && v.getKindCase() == Value.KindCase.LIST_VALUE) {
                ListValue.Builder list = ListValue.newBuilder();
                for (int i = 0; i < v.getListValue().getValuesCount(); i++) {
                    Value c = value(v.getListValue().getValues(i), field, fpath + "[" + i + "]", fieldQuiet, warnings);
                    if (c != null) {
                        list.addValues(c);
                    }
                }
                cleaned = Value.newBuilder().setListValue(list).build();
            } else {
                cleaned = value(v, field, fpath, fieldQuiet, warnings);
            }
            if (cleaned != null) {
                out.putFields(key, cleaned);
            }
        }
        return out.build();
    }

    /** One value of a field, cleaned; null to leave it out. */
    private static Value value(Value v, FieldDescriptor field, String path, boolean quiet, WarningList warnings) {
        switch (field.getJavaType()) {
            case ENUM -> {
                if (v.getKindCase() == Value.KindCase.STRING_VALUE) {
                    EnumDescriptor en = field.getEnumType();
                    if (en.findValueByName(v.getStringValue()) == null) {
                        if (quiet) {
                            return null;
                        }
                        throw new IllegalArgumentException(path + ": must be one of " + names(en) + ", got '"
                                + v.getStringValue() + "'");
                    }
                }
                return v;
            }
            case MESSAGE -> {
                Descriptor type = field.getMessageType();
                if (type.getFullName().equals("google.protobuf.Any")) {
                    return any(v, path, quiet, warnings);
                }
                if (type.getFile().getPackage().equals("google.protobuf")
                        || v.getKindCase() != Value.KindCase.STRUCT_VALUE) {
                    return v;  // well-known types have their own JSON forms; a misfit is the parser's to name
                }
                return Value.newBuilder().setStructValue(clean(v.getStructValue(), type, path, quiet, warnings)).build();
            }
            default -> {
                return v;
            }
        }
    }

    private static Value any(Value v, String path, boolean quiet, WarningList warnings) {
        if (v.getKindCase() != Value.KindCase.STRUCT_VALUE) {
            return v;
        }
        Struct object = v.getStructValue();
        String url = object.getFieldsOrDefault("@type", Value.getDefaultInstance()).getStringValue();
        Descriptor type = typeOf(url);
        if (type == null) {
            if (!quiet) {
                warnings.add(path, "type '" + url + "' is not in Meridian's Envoy API: ignored");
            }
            return Value.newBuilder().setStructValue(Struct.newBuilder()
                    .putFields("@type", Value.newBuilder().setStringValue(EMPTY_TYPE).build())).build();
        }
        if (type.getFile().getPackage().equals("google.protobuf")) {
            return v;
        }
        return Value.newBuilder().setStructValue(clean(object, type, path, quiet, warnings)).build();
    }

    private static FieldDescriptor field(Descriptor type, String key) {
        FieldDescriptor f = type.findFieldByName(key);
        if (f != null) {
            return f;
        }
        for (FieldDescriptor candidate : type.getFields()) {
            if (candidate.getJsonName().equals(key)) {
                return candidate;
            }
        }
        return null;
    }

    private static String names(EnumDescriptor en) {
        StringBuilder b = new StringBuilder();
        for (EnumValueDescriptor v : en.getValues()) {
            b.append(b.length() == 0 ? "" : ", ").append(v.getName());
        }
        return b.toString();
    }
}

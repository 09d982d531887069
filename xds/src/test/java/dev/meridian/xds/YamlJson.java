package dev.meridian.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** Envoy's YAML examples as the proto JSON the translation reads, as Envoy's own loader converts YAML. */
final class YamlJson {

    private YamlJson() {
    }

    /** The YAML document as a JSON object. */
    static Struct struct(String yaml) {
        Object doc = new Load(LoadSettings.builder().build()).loadFromString(yaml);
        return value(doc).getStructValue();
    }

    static String json(String yaml) {
        return json(struct(yaml));
    }

    static String json(Struct s) {
        try {
            return JsonFormat.printer().print(s);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The {@code resources} of a discovery response, each as JSON. */
    static List<String> resources(String yaml) {
        return struct(yaml).getFieldsOrThrow("resources").getListValue().getValuesList().stream()
                .map(v -> json(v.getStructValue())).toList();
    }

    private static Value value(Object o) {
        Value.Builder v = Value.newBuilder();
        if (o == null) {
            v.setNullValue(NullValue.NULL_VALUE);
        } else if (o instanceof Map<?, ?> m) {
            Struct.Builder s = Struct.newBuilder();
            m.forEach((k, x) -> s.putFields(String.valueOf(k), value(x)));
            v.setStructValue(s);
        } else if (o instanceof List<?> l) {
            ListValue.Builder list = ListValue.newBuilder();
            l.forEach(x -> list.addValues(value(x)));
            v.setListValue(list);
        } else if (o instanceof Boolean b) {
            v.setBoolValue(b);
        } else if (o instanceof Number n) {
            v.setNumberValue(n.doubleValue());
        } else {
            v.setStringValue(o.toString());
        }
        return v.build();
    }
}

package dev.meridian.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Internal;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link FieldRules} finds set fields without protobuf's reflective walk, and must find exactly
 * what that walk finds. The reference here is {@code GeneratedMessageV3.getAllFields} (protobuf-java
 * {@code GeneratedMessageV3.java}, {@code getAllFieldsMutable}: a repeated or map field when its
 * list is not empty, any other field when {@code hasField}, a oneof's member when it is the case
 * set; sorted by field number) and {@code UnknownFieldSet.asMap()} for fields the parser did not
 * know.
 */
class FieldRulesTest {

    /** What warnUnmapped reported before it stopped walking getAllFields, written the same way. */
    static List<XdsWarning> reflectiveWalk(Message message, String path) {
        WarningList warnings = new WarningList();
        Map<String, FieldRules.Rule> rules = FieldRules.of(message.getDescriptorForType());
        for (FieldDescriptor f : message.getAllFields().keySet()) {
            FieldRules.Rule rule = rules.get(f.getName());
            if (rule == null) {
                warnings.add(path + "." + f.getName(), "a field Meridian's translation does not know (a newer"
                        + " Envoy API than dev.meridian.xds reads): ignored");
            } else if (rule.kind() == FieldRules.Kind.WARNED) {
                warnings.add(path + "." + f.getName(), rule.message());
            }
        }
        if (!message.getUnknownFields().asMap().isEmpty()) {
            warnings.add(path, "fields " + message.getUnknownFields().asMap().keySet()
                    + " (by number) are unknown to Meridian's Envoy API: ignored");
        }
        return warnings.toList();
    }

    /**
     * Every message type with rules (and one without), with each field set alone, then with random
     * sets of up to four fields, some with fields the parser did not know; each as built and as
     * parsed from its bytes (where strings and unknown fields are held differently).
     */
    static List<Message> messages() {
        Map<String, Object> samples = FieldCoverageTest.samples();
        List<Message> bases = new ArrayList<>();
        for (FieldCoverageTest.Place p : FieldCoverageTest.places().values()) {
            bases.add(p.base());
        }
        bases.add(com.google.protobuf.Duration.getDefaultInstance());  // no rules: every set field is unknown
        Random random = new Random(20_240_601L);
        List<Message> out = new ArrayList<>();
        for (Message base : bases) {
            String type = base.getDescriptorForType().getFullName();
            List<FieldDescriptor> fields = base.getDescriptorForType().getFields();
            for (int trial = 0; trial < fields.size() + 60; trial++) {
                Message m = base;
                int count = fields.isEmpty() ? 0 : trial < fields.size() ? 1 : 1 + random.nextInt(4);
                for (int i = 0; i < count; i++) {
                    FieldDescriptor f = trial < fields.size() ? fields.get(trial)
                            : fields.get(random.nextInt(fields.size()));
                    try {
                        m = FieldCoverageTest.with(m, f, samples.get(type + "." + f.getName()));
                    } catch (IllegalArgumentException | UnsupportedOperationException e) {
                        // a map key or a oneof already set: keep the message as it was
                    }
                }
                if (random.nextInt(4) == 0) {
                    m = m.toBuilder().setUnknownFields(UnknownFieldSet.newBuilder().addField(9000 + random.nextInt(3),
                            UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build()).build();
                }
                out.add(m);
                out.add(parsed(m));
            }
        }
        return out;
    }

    static Message parsed(Message m) {
        try {
            return m.getParserForType().parseFrom(m.toByteString());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void warnUnmappedReportsWhatTheReflectiveWalkReports() {
        int warned = 0;
        for (Message m : messages()) {
            List<XdsWarning> expected = reflectiveWalk(m, "p");
            WarningList actual = new WarningList();

            FieldRules.warnUnmapped(m, "p", actual);

            assertThat(actual.toList()).as("%s %s", m.getDescriptorForType().getFullName(), m).isEqualTo(expected);
            assertThat(FieldRules.hasUnmapped(m)).as("%s %s", m.getDescriptorForType().getFullName(), m)
                    .isEqualTo(!expected.isEmpty());
            warned += expected.isEmpty() ? 0 : 1;
        }
        assertThat(warned).as("the cases include messages with something to report").isGreaterThan(1000);
    }

    @Test
    void eachGeneratedPresenceTestAgreesWithReflection() {
        Map<String, Object> samples = FieldCoverageTest.samples();
        for (Map.Entry<String, FieldRules.GeneratedPresence<?>> e : FieldRules.GENERATED_PRESENCE.entrySet()) {
            Message empty = Internal.getDefaultInstance(e.getValue().type());
            Descriptor type = empty.getDescriptorForType();
            FieldDescriptor f = type.findFieldByName(e.getKey().substring(e.getKey().lastIndexOf('.') + 1));
            assertThat(f).as("%s is a field of %s", e.getKey(), type.getFullName()).isNotNull();
            assertThat(f.getFullName()).isEqualTo(e.getKey());
            Message set = FieldCoverageTest.with(empty, f, samples.get(type.getFullName() + "." + f.getName()));
            assertThat(set.getAllFields()).containsKey(f);
            for (Message m : List.of(empty, set, parsed(set), dynamic(set), dynamic(empty))) {
                assertThat(e.getValue().forField(f).isSet(m)).as("%s in %s", e.getKey(), m)
                        .isEqualTo(FieldRules.isSetReflectively(m, f))
                        .isEqualTo(m.getAllFields().containsKey(f));
            }
        }
    }

    static Message dynamic(Message m) {
        try {
            return DynamicMessage.parseFrom(m.getDescriptorForType(), m.toByteString());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}

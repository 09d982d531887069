package dev.meridian.simulator;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Decodes a scenario file's bytes as UTF-8, strictly: a file in another encoding is refused with
 * the line and byte offset of its first byte that is not UTF-8, instead of the decoder's
 * {@code Input length = 1}. Stateless and thread-safe.
 */
final class Utf8Text {
    private Utf8Text() {
    }

    /**
     * @param source the file, for the message
     * @throws InputException {@code FILE: line L, column C: not UTF-8 (save the file as UTF-8), got
     *     byte 0xE9 at byte offset N}
     */
    static String decode(String source, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isUnderflow()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position();
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            // Columns count characters; the line's bytes before the bad one are valid UTF-8.
            int column = new String(bytes, lineStart, offset - lineStart, StandardCharsets.UTF_8).length() + 1;
            throw new InputException(source, "line " + line + ", column " + column
                    + ": not UTF-8 (save the file as UTF-8), got byte "
                    + String.format(Locale.ROOT, "0x%02X", bytes[offset] & 0xff) + " at byte offset " + offset);
        }
        if (result.isOverflow()) {
            // Cannot happen: UTF-8 never decodes to more chars than it has bytes.
            throw new IllegalStateException(new CharacterCodingException());
        }
        return out.flip().toString();
    }
}

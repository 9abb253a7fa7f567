package org.lamaworker.worker.image;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resets {@code tiff:Orientation} in an XMP packet to 1. Some editors write the orientation there
 * as well as in EXIF, and a viewer that reads it would turn the already turned pixels again.
 */
final class XmpOrientation {
    /** The attribute form {@code tiff:Orientation="6"} and the element form. */
    private static final Pattern ORIENTATION =
            Pattern.compile("(tiff:Orientation\\s*=\\s*[\"']|<tiff:Orientation>\\s*)([2-8])");

    private XmpOrientation() {}

    /** The packet with its orientation reset, or the packet itself when it records none. */
    static byte[] reset(byte[] xmp) {
        if (xmp == null) {
            return null;
        }
        // XMP packets are UTF-8 (ISO 16684-1); one that is not has no orientation we could read.
        String text = new String(xmp, StandardCharsets.UTF_8);
        Matcher m = ORIENTATION.matcher(text);
        if (!m.find()) {
            return xmp;
        }
        return m.replaceAll(found -> Matcher.quoteReplacement(found.group(1)) + "1")
                .getBytes(StandardCharsets.UTF_8);
    }
}

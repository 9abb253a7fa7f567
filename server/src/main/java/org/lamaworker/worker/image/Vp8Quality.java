package org.lamaworker.worker.image;

/**
 * Estimates the quality a lossy WebP was encoded at from the quantiser indices in its VP8 frame
 * header (RFC 6386, sections 9.2-9.6 and 19.2). libwebp turns a quality into a quantiser through a
 * fixed curve; the estimate inverts that curve for the mean quantiser of the frame's segments.
 */
final class Vp8Quality {
    private Vp8Quality() {}

    /**
     * The estimated quality (1-100) of a VP8 key frame, or 0 when the header cannot be read.
     *
     * @param frame the payload of a {@code VP8 } chunk
     */
    static int estimate(byte[] frame) {
        if (frame.length < 11 || (frame[0] & 1) != 0) {
            return 0; // too short, or not a key frame
        }
        if ((frame[3] & 0xff) != 0x9d || (frame[4] & 0xff) != 0x01 || (frame[5] & 0xff) != 0x2a) {
            return 0;
        }
        int firstPartition =
                ((frame[0] & 0xff) | (frame[1] & 0xff) << 8 | (frame[2] & 0xff) << 16) >>> 5;
        BoolDecoder d = new BoolDecoder(frame, 10, Math.min(frame.length, 10 + firstPartition));
        d.literal(1); // colour space
        d.literal(1); // clamping type
        int[] segmentQuant = null;
        boolean absolute = false;
        if (d.flag()) { // segmentation enabled
            boolean updateMap = d.flag();
            if (d.flag()) { // update segment feature data
                absolute = d.flag();
                segmentQuant = new int[4];
                for (int i = 0; i < 4; i++) {
                    segmentQuant[i] = d.flag() ? d.signed(7) : 0;
                }
                for (int i = 0; i < 4; i++) {
                    if (d.flag()) {
                        d.signed(6); // loop filter level
                    }
                }
            }
            if (updateMap) {
                for (int i = 0; i < 3; i++) {
                    if (d.flag()) {
                        d.literal(8);
                    }
                }
            }
        }
        d.literal(1); // filter type
        d.literal(6); // loop filter level
        d.literal(3); // sharpness
        if (d.flag()) { // loop filter adjustments
            if (d.flag()) {
                for (int i = 0; i < 8; i++) {
                    if (d.flag()) {
                        d.signed(6);
                    }
                }
            }
        }
        d.literal(2); // partitions
        int base = d.literal(7); // y_ac_qi
        if (d.overrun()) {
            return 0;
        }
        double quant = base;
        if (segmentQuant != null) {
            double sum = 0;
            for (int q : segmentQuant) {
                sum += Math.max(0, Math.min(127, absolute ? q : base + q));
            }
            quant = sum / 4;
        }
        return quality(quant);
    }

    /**
     * Inverts libwebp's quality-to-quantiser curve: compression {@code c = 1 - q/127}, linear
     * compression {@code c^3}, and quality {@code 1.5 * linear} below 0.5, else {@code (linear + 1)
     * / 2}.
     */
    static int quality(double quant) {
        double c = 1.0 - quant / 127.0;
        double linear = c * c * c;
        double q = linear < 0.5 ? linear * 1.5 : (linear + 1.0) / 2.0;
        return (int) Math.max(1, Math.min(100, Math.round(q * 100)));
    }

    /** The boolean entropy decoder of RFC 6386 section 7. */
    private static final class BoolDecoder {
        private final byte[] data;
        private final int end;
        private int position;
        private int value;
        private int range = 255;
        private int bitCount;
        private boolean overrun;

        BoolDecoder(byte[] data, int start, int end) {
            this.data = data;
            this.end = end;
            this.position = start;
            this.value = (next() << 8) | next();
        }

        private int next() {
            if (position < end) {
                return data[position++] & 0xff;
            }
            overrun = true;
            return 0;
        }

        boolean overrun() {
            return overrun;
        }

        int bool(int probability) {
            int split = 1 + (((range - 1) * probability) >> 8);
            int bigSplit = split << 8;
            int bit;
            if (value >= bigSplit) {
                bit = 1;
                range -= split;
                value -= bigSplit;
            } else {
                bit = 0;
                range = split;
            }
            while (range < 128) {
                value <<= 1;
                range <<= 1;
                if (++bitCount == 8) {
                    bitCount = 0;
                    value |= next();
                }
            }
            return bit;
        }

        boolean flag() {
            return bool(128) == 1;
        }

        int literal(int bits) {
            int v = 0;
            for (int i = 0; i < bits; i++) {
                v = (v << 1) | bool(128);
            }
            return v;
        }

        int signed(int bits) {
            int magnitude = literal(bits);
            return flag() ? -magnitude : magnitude;
        }
    }
}

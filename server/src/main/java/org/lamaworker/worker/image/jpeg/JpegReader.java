package org.lamaworker.worker.image.jpeg;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.lamaworker.worker.image.ImageCodec;

/**
 * Reads a JPEG to its quantised DCT coefficients, without turning any of them into pixels: the
 * markers, the quantisation and Huffman tables, and the entropy-coded data of baseline, extended
 * and progressive files (spectral selection and successive approximation), with restart markers.
 * Anything else, and any damage, ends with {@link UnpatchableJpeg}: the caller then takes the
 * whole-picture path, which reports a damaged file with its own error codes.
 */
public final class JpegReader {
    private static final int EOI = 0xD9;
    private static final int SOS = 0xDA;
    private static final int DQT = 0xDB;
    private static final int DNL = 0xDC;
    private static final int DRI = 0xDD;
    private static final int DHT = 0xC4;
    private static final int DAC = 0xCC;
    private static final int COM = 0xFE;

    /** Largest quantised DC value an 8-bit file can hold, and the smallest. */
    private static final int DC_MAX = 1023;

    private static final int DC_MIN = -1024;

    /** Largest magnitude of a quantised AC coefficient in an 8-bit file. */
    private static final int AC_MAX = 1023;

    private final byte[] data;
    private final long maxPixels;
    private int pos;
    private final List<byte[]> segments = new ArrayList<>();
    private final int[][] quant = new int[4][];
    private final DecodeTable[] dcTables = new DecodeTable[4];
    private final DecodeTable[] acTables = new DecodeTable[4];
    private int restartInterval;
    private JpegImage image;
    private int adobeTransform = -1;
    private boolean jfif;
    // The frame, kept until the image can be built (tables may follow the frame header).
    private int frameWidth;
    private int frameHeight;
    private boolean progressive;
    private int[][] sampling;
    private int[] ids;
    private int[] quantIndex;

    // Entropy decoder state.
    private long bits;
    private int bitCount;

    /** Bits in the buffer that came from the file (the rest are zeros stood in for a marker). */
    private int realBits;

    private int eobRun;

    /**
     * Whether a coefficient outside what an 8-bit file can hold is damage rather than something to
     * clamp: when MCUs are copied, a clamped value would shift the DC of every copied MCU after it.
     */
    private boolean strict;

    /** Destuffed bytes fetched into the bit buffer: with {@link #realBits}, the bit position. */
    private long realBytes;

    /** Offset of the current scan's header. */
    private int scanHeader;

    /** The current scan's components (frame indices) and Huffman table ids. */
    private int[] scanComponents = new int[0];

    private int[] scanDcIds = new int[0];
    private int[] scanAcIds = new int[0];

    private JpegReader(byte[] data, long maxPixels) {
        this.data = data;
        this.maxPixels = maxPixels;
    }

    /**
     * Reads a whole JPEG file.
     *
     * @param maxPixels a larger frame is refused before any coefficient is allocated
     * @throws UnpatchableJpeg for a coding this reader does not handle or a damaged file
     */
    public static JpegImage read(byte[] jpeg, long maxPixels) throws UnpatchableJpeg {
        return open(jpeg, maxPixels).readAll();
    }

    /**
     * Reads a JPEG's markers up to its first scan: the frame, tables and segments, without any
     * picture data. Then {@link #readAll} or, for a {@link #copyable} file, {@link #readSelected}.
     *
     * @param maxPixels a larger frame is refused before any coefficient is allocated
     * @throws UnpatchableJpeg for a coding this reader does not handle or a damaged file
     */
    public static JpegReader open(byte[] jpeg, long maxPixels) throws UnpatchableJpeg {
        if (!ImageCodec.isJpeg(jpeg)) {
            throw UnpatchableJpeg.damaged("not a JPEG file");
        }
        JpegReader reader = new JpegReader(jpeg, maxPixels);
        reader.pos = 2;
        if (!reader.guard(reader::nextScan)) {
            throw UnpatchableJpeg.damaged("the file has no picture data");
        }
        return reader;
    }

    /** The picture, its coefficients not yet read. */
    public JpegImage image() {
        return image;
    }

    /**
     * Whether the file's picture data can be copied around an edit bit for bit: one baseline scan
     * of every component, without restart markers. Its coefficients can then be read only where the
     * edit needs them ({@link #readSelected}), and {@link JpegWriter#writeCopy} copies the rest.
     */
    public boolean copyable() {
        return !image.progressive()
                && restartInterval == 0
                && (data[scanHeader] & 0xff) == image.componentCount();
    }

    /** Reads every coefficient of every scan. */
    public JpegImage readAll() throws UnpatchableJpeg {
        guard(
                () -> {
                    do {
                        readScan(scanHeader, null);
                    } while (nextScan());
                    return true;
                });
        return image;
    }

    /**
     * Reads a {@link #copyable} file's one scan, decoding every block's DC but the AC coefficients
     * only of the MCUs flagged in {@code full}, and notes where each MCU starts in the scan's bits,
     * for {@link JpegWriter#writeCopy}.
     *
     * @param full per MCU ({@code my * mcusWide + mx}), whether to read all its coefficients
     * @throws UnpatchableJpeg for a damaged file, or one with a second scan
     */
    public JpegImage readSelected(boolean[] full) throws UnpatchableJpeg {
        if (!copyable()) {
            throw new IllegalStateException("not a copyable JPEG");
        }
        guard(
                () -> {
                    int dataStart = pos;
                    long[] starts = new long[image.mcusWide() * image.mcusHigh() + 1];
                    strict = true;
                    readScan(scanHeader, full, starts);
                    int dataEnd = pos;
                    // The scan's tables, before markers after it may redefine their slots.
                    JpegImage.HuffmanTable[] dc = scanTables(true);
                    JpegImage.HuffmanTable[] ac = scanTables(false);
                    if (nextScan()) {
                        throw UnpatchableJpeg.unsupported("a sequential JPEG of several scans");
                    }
                    image.copySource(
                            new JpegImage.CopySource(
                                    destuffed(dataStart, dataEnd),
                                    starts,
                                    scanComponents.clone(),
                                    dc,
                                    ac));
                    return true;
                });
        return image;
    }

    /** A step of reading that may run off the end of a damaged file. */
    private interface Step {
        boolean run() throws UnpatchableJpeg;
    }

    private boolean guard(Step step) throws UnpatchableJpeg {
        try {
            return step.run();
        } catch (ArrayIndexOutOfBoundsException e) {
            throw UnpatchableJpeg.damaged("a segment runs past the end of the file");
        }
    }

    /** The scan's bytes with the zero after each 0xFF removed: its bits as coded. */
    private byte[] destuffed(int from, int to) {
        byte[] out = new byte[to - from];
        int n = 0;
        for (int i = from; i < to; i++) {
            byte b = data[i];
            out[n++] = b;
            if (b == (byte) 0xFF) {
                i++;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** The Huffman tables (DC or AC) of the last scan's components, in scan order. */
    private JpegImage.HuffmanTable[] scanTables(boolean dc) {
        JpegImage.HuffmanTable[] tables = new JpegImage.HuffmanTable[scanComponents.length];
        for (int i = 0; i < tables.length; i++) {
            int id = dc ? scanDcIds[i] : scanAcIds[i];
            DecodeTable t = dc ? dcTables[id] : acTables[id];
            tables[i] = new JpegImage.HuffmanTable(id, t.counts, t.symbols);
        }
        return tables;
    }

    /**
     * Reads markers up to the next scan, leaving {@code pos} at its data and {@code scanHeader} at
     * its header.
     *
     * @return {@code false} at the end marker
     */
    private boolean nextScan() throws UnpatchableJpeg {
        while (true) {
            int marker = nextMarker();
            if (marker == EOI) {
                return false;
            }
            if (marker >= 0xD0 && marker <= 0xD7) {
                throw UnpatchableJpeg.damaged("a restart marker outside entropy-coded data");
            }
            int length = u16(pos);
            if (length < 2) {
                throw UnpatchableJpeg.damaged("a segment of length " + length);
            }
            int start = pos + 2;
            int end = pos + length;
            if (end > data.length) {
                throw UnpatchableJpeg.damaged("the file ends inside a segment (truncated)");
            }
            switch (marker) {
                case 0xC0, 0xC1, 0xC2 -> readFrame(marker, start, end);
                case 0xC3, 0xC5, 0xC6, 0xC7 ->
                        throw UnpatchableJpeg.unsupported("a lossless or hierarchical JPEG");
                case 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, DAC ->
                        throw UnpatchableJpeg.unsupported("an arithmetic-coded JPEG");
                case DHT -> readHuffman(start, end);
                case DQT -> readQuant(start, end);
                case DRI -> restartInterval = u16(start);
                case DNL -> throw UnpatchableJpeg.unsupported("a JPEG giving its height in DNL");
                case SOS -> {
                    ensureImage();
                    scanHeader = start;
                    pos = end;
                    return true;
                }
                default -> {
                    if ((marker >= 0xE0 && marker <= 0xEF) || marker == COM) {
                        keepSegment(marker, pos - 2, end);
                    }
                }
            }
            pos = end;
        }
    }

    /** Reads the next marker at {@code pos}, skipping fill bytes; leaves {@code pos} after it. */
    private int nextMarker() throws UnpatchableJpeg {
        if (pos >= data.length) {
            throw UnpatchableJpeg.damaged("the file ends before its end marker (truncated)");
        }
        if ((data[pos] & 0xff) != 0xFF) {
            throw UnpatchableJpeg.damaged("data where a marker was expected");
        }
        while (pos < data.length && (data[pos] & 0xff) == 0xFF) {
            pos++;
        }
        if (pos >= data.length) {
            throw UnpatchableJpeg.damaged("the file ends before its end marker (truncated)");
        }
        return data[pos++] & 0xff;
    }

    private void keepSegment(int marker, int from, int end) {
        byte[] segment = new byte[end - from];
        System.arraycopy(data, from, segment, 0, segment.length);
        segments.add(segment);
        int length = end - from - 4;
        int body = from + 4;
        if (marker == 0xEE && length >= 12 && startsWith(body, "Adobe")) {
            adobeTransform = data[body + 11] & 0xff;
        }
        if (marker == 0xE0 && length >= 5 && startsWith(body, "JFIF\0")) {
            jfif = true;
        }
    }

    private boolean startsWith(int at, String text) {
        for (int i = 0; i < text.length(); i++) {
            if (at + i >= data.length || (data[at + i] & 0xff) != text.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private void readFrame(int marker, int start, int end) throws UnpatchableJpeg {
        if (image != null || sampling != null) {
            throw UnpatchableJpeg.damaged("two frame headers");
        }
        int precision = data[start] & 0xff;
        if (precision != 8) {
            throw UnpatchableJpeg.unsupported("a " + precision + "-bit JPEG");
        }
        frameHeight = u16(start + 1);
        frameWidth = u16(start + 3);
        int n = data[start + 5] & 0xff;
        if (frameHeight == 0) {
            throw UnpatchableJpeg.unsupported("a JPEG giving its height in DNL");
        }
        if (frameWidth == 0) {
            throw UnpatchableJpeg.damaged("a frame of width 0");
        }
        if ((long) frameWidth * frameHeight > maxPixels) {
            throw UnpatchableJpeg.unsupported("a picture above the pixel limit");
        }
        if (n == 4) {
            throw UnpatchableJpeg.unsupported("a CMYK or YCCK JPEG");
        }
        if (n != 1 && n != 3) {
            throw UnpatchableJpeg.unsupported("a JPEG of " + n + " components");
        }
        if (start + 6 + 3 * n > end) {
            throw UnpatchableJpeg.damaged("a short frame header");
        }
        progressive = marker == 0xC2;
        sampling = new int[n][2];
        ids = new int[n];
        quantIndex = new int[n];
        for (int c = 0; c < n; c++) {
            int at = start + 6 + 3 * c;
            ids[c] = data[at] & 0xff;
            int hv = data[at + 1] & 0xff;
            sampling[c][0] = n == 1 ? 1 : hv >> 4;
            sampling[c][1] = n == 1 ? 1 : hv & 15;
            quantIndex[c] = data[at + 2] & 0xff;
            if (sampling[c][0] < 1
                    || sampling[c][0] > 4
                    || sampling[c][1] < 1
                    || sampling[c][1] > 4) {
                throw UnpatchableJpeg.damaged("sampling factors " + hv);
            }
            if (quantIndex[c] > 3) {
                throw UnpatchableJpeg.damaged("quantisation table " + quantIndex[c]);
            }
        }
        int hmax = 1;
        int vmax = 1;
        for (int[] s : sampling) {
            hmax = Math.max(hmax, s[0]);
            vmax = Math.max(vmax, s[1]);
        }
        for (int[] s : sampling) {
            if (hmax % s[0] != 0 || vmax % s[1] != 0) {
                throw UnpatchableJpeg.unsupported("sampling factors that are not integer ratios");
            }
        }
        if (n == 3) {
            boolean rgbIds = ids[0] == 'R' && ids[1] == 'G' && ids[2] == 'B';
            if (adobeTransform == 0 || (adobeTransform < 0 && !jfif && rgbIds)) {
                throw UnpatchableJpeg.unsupported("an RGB (not YCbCr) JPEG");
            }
        }
    }

    /** Builds the image at the first scan, once the tables it names are known. */
    private void ensureImage() throws UnpatchableJpeg {
        if (image != null) {
            return;
        }
        if (sampling == null) {
            throw UnpatchableJpeg.damaged("a scan before the frame header");
        }
        for (int q : quantIndex) {
            if (quant[q] == null) {
                throw UnpatchableJpeg.damaged("a missing quantisation table " + q);
            }
        }
        int[][] tables = new int[4][];
        for (int i = 0; i < 4; i++) {
            tables[i] = quant[i] == null ? null : quant[i].clone();
        }
        image =
                new JpegImage(
                        frameWidth,
                        frameHeight,
                        progressive,
                        sampling,
                        ids,
                        quantIndex,
                        tables,
                        restartInterval,
                        segments);
    }

    private void readQuant(int start, int end) throws UnpatchableJpeg {
        int at = start;
        while (at < end) {
            int pq = (data[at] & 0xff) >> 4;
            int tq = data[at] & 15;
            at++;
            if (tq > 3 || pq > 1) {
                throw UnpatchableJpeg.damaged("a bad quantisation table header");
            }
            if (image != null) {
                throw UnpatchableJpeg.unsupported("quantisation tables changed between scans");
            }
            int[] table = new int[64];
            for (int k = 0; k < 64; k++) {
                int value = pq == 0 ? data[at] & 0xff : u16(at);
                at += pq == 0 ? 1 : 2;
                if (value == 0) {
                    throw UnpatchableJpeg.damaged("a quantisation step of 0");
                }
                table[JpegImage.NATURAL[k]] = value;
            }
            if (at > end) {
                throw UnpatchableJpeg.damaged("a short quantisation table");
            }
            quant[tq] = table;
        }
    }

    private void readHuffman(int start, int end) throws UnpatchableJpeg {
        int at = start;
        while (at < end) {
            int tc = (data[at] & 0xff) >> 4;
            int th = data[at] & 15;
            if (tc > 1 || th > 3 || at + 17 > end) {
                throw UnpatchableJpeg.damaged("a bad Huffman table header");
            }
            int[] counts = new int[17];
            int total = 0;
            for (int l = 1; l <= 16; l++) {
                counts[l] = data[at + l] & 0xff;
                total += counts[l];
            }
            at += 17;
            if (total > 256 || at + total > end) {
                throw UnpatchableJpeg.damaged("a bad Huffman table");
            }
            int[] symbols = new int[total];
            for (int i = 0; i < total; i++) {
                symbols[i] = data[at + i] & 0xff;
                if (tc == 0 && symbols[i] > 15) {
                    throw UnpatchableJpeg.damaged("a DC Huffman table with symbol " + symbols[i]);
                }
            }
            at += total;
            DecodeTable table = DecodeTable.build(counts, symbols);
            if (tc == 0) {
                dcTables[th] = table;
            } else {
                acTables[th] = table;
            }
        }
    }

    private void readScan(int header, boolean[] full) throws UnpatchableJpeg {
        readScan(header, full, null);
    }

    /**
     * A scan: its header at {@code header}, its data from {@code pos}.
     *
     * @param full per MCU, whether to read its AC coefficients; {@code null} for all
     * @param starts filled with each MCU's first bit in the destuffed data, and the end; or {@code
     *     null}
     */
    private void readScan(int header, boolean[] full, long[] starts) throws UnpatchableJpeg {
        int ns = data[header] & 0xff;
        if (ns < 1 || ns > 4) {
            throw UnpatchableJpeg.damaged("a scan of " + ns + " components");
        }
        JpegImage.Component[] comps = new JpegImage.Component[ns];
        DecodeTable[] dc = new DecodeTable[ns];
        DecodeTable[] ac = new DecodeTable[ns];
        for (int i = 0; i < ns; i++) {
            int id = data[header + 1 + 2 * i] & 0xff;
            int tables = data[header + 2 + 2 * i] & 0xff;
            for (JpegImage.Component c : image.components()) {
                if (c.id == id) {
                    comps[i] = c;
                }
            }
            if (comps[i] == null) {
                throw UnpatchableJpeg.damaged("a scan of an unknown component " + id);
            }
            // A selector past the four tables names none: refused below if the scan needs it.
            dc[i] = (tables >> 4) < 4 ? dcTables[tables >> 4] : null;
            ac[i] = (tables & 15) < 4 ? acTables[tables & 15] : null;
        }
        scanComponents = new int[ns];
        scanDcIds = new int[ns];
        scanAcIds = new int[ns];
        for (int i = 0; i < ns; i++) {
            for (int c = 0; c < image.componentCount(); c++) {
                if (image.component(c) == comps[i]) {
                    scanComponents[i] = c;
                }
            }
            int tables = data[header + 2 + 2 * i] & 0xff;
            scanDcIds[i] = (tables >> 4) & 3;
            scanAcIds[i] = tables & 3;
        }
        int at = header + 1 + 2 * ns;
        int ss = data[at] & 0xff;
        int se = data[at + 1] & 0xff;
        int ah = (data[at + 2] & 0xff) >> 4;
        int al = data[at + 2] & 15;
        if (!image.progressive()) {
            if (ss != 0 || se != 63 || ah != 0 || al != 0) {
                throw UnpatchableJpeg.damaged("a sequential scan with progressive parameters");
            }
        } else if (ss > se
                || se > 63
                || (ss == 0 && se != 0)
                || (ss > 0 && ns != 1)
                || al > 13
                || (ah != 0 && al != ah - 1)) {
            throw UnpatchableJpeg.damaged("bad progressive scan parameters");
        }
        boolean needDc = ss == 0 && ah == 0;
        boolean needAc = se > 0;
        for (int i = 0; i < ns; i++) {
            if ((needDc && dc[i] == null) || (needAc && ac[i] == null)) {
                throw UnpatchableJpeg.damaged("a scan naming a missing Huffman table");
            }
        }
        bits = 0;
        bitCount = 0;
        realBits = 0;
        realBytes = 0;
        eobRun = 0;
        int[] predictions = new int[ns];
        int mcus;
        int mcusWide;
        if (ns == 1) {
            mcusWide = comps[0].realBlocksWide;
            mcus = mcusWide * comps[0].realBlocksHigh;
        } else {
            mcusWide = image.mcusWide();
            mcus = mcusWide * image.mcusHigh();
        }
        int interval = restartInterval;
        int expectedRestart = 0;
        for (int m = 0; m < mcus; m++) {
            if (interval > 0 && m > 0 && m % interval == 0) {
                restart(expectedRestart);
                expectedRestart = (expectedRestart + 1) & 7;
                Arrays.fill(predictions, 0);
                eobRun = 0;
            }
            if (starts != null) {
                starts[m] = realBytes * 8 - realBits;
            }
            boolean whole = full == null || full[m];
            for (int i = 0; i < ns; i++) {
                JpegImage.Component c = comps[i];
                int high = ns == 1 ? 1 : c.v;
                int wide = ns == 1 ? 1 : c.h;
                for (int by = 0; by < high; by++) {
                    for (int bx = 0; bx < wide; bx++) {
                        int offset = image.blockOffset(c, ns == 1, m, bx, by);
                        if (whole) {
                            decodeBlock(c, offset, dc[i], ac[i], predictions, i, ss, se, ah, al);
                        } else {
                            skipBlock(c.coefficients, offset, dc[i], ac[i], predictions, i);
                        }
                    }
                }
            }
            if (realBits < 0) {
                throw UnpatchableJpeg.damaged("the picture data ends early (truncated or damaged)");
            }
        }
        if (starts != null) {
            starts[mcus] = realBytes * 8 - realBits;
        }
        skipToMarker();
    }

    /** A baseline block whose AC coefficients are not needed: its DC is read, the rest skipped. */
    private void skipBlock(
            short[] coef, int offset, DecodeTable dc, DecodeTable ac, int[] predictions, int index)
            throws UnpatchableJpeg {
        int s = decode(dc);
        int diff = s == 0 ? 0 : extend(bits(s), s);
        predictions[index] += diff;
        coef[offset] = (short) checked(predictions[index], DC_MIN, DC_MAX);
        for (int k = 1; k < 64; ) {
            int rs = decode(ac);
            s = rs & 15;
            if (s == 0) {
                if (rs != 0xF0) {
                    return;
                }
                k += 16;
                continue;
            }
            k += (rs >> 4) + 1;
            if (k > 64) {
                throw UnpatchableJpeg.damaged("a block with more than 64 coefficients");
            }
            if (bitCount < s) {
                fill();
            }
            bitCount -= s;
            realBits -= s;
        }
    }

    private void decodeBlock(
            JpegImage.Component c,
            int offset,
            DecodeTable dc,
            DecodeTable ac,
            int[] predictions,
            int index,
            int ss,
            int se,
            int ah,
            int al)
            throws UnpatchableJpeg {
        short[] coef = c.coefficients;
        if (!image.progressive()) {
            int s = decode(dc);
            int diff = s == 0 ? 0 : extend(bits(s), s);
            predictions[index] += diff;
            coef[offset] = (short) checked(predictions[index], DC_MIN, DC_MAX);
            for (int k = 1; k < 64; k++) {
                int rs = decode(ac);
                int r = rs >> 4;
                s = rs & 15;
                if (s == 0) {
                    if (r != 15) {
                        break;
                    }
                    k += 15;
                    continue;
                }
                k += r;
                if (k > 63) {
                    throw UnpatchableJpeg.damaged("a block with more than 64 coefficients");
                }
                coef[offset + JpegImage.NATURAL[k]] =
                        (short) checked(extend(bits(s), s), -AC_MAX, AC_MAX);
            }
            return;
        }
        if (ss == 0) {
            if (ah == 0) {
                int s = decode(dc);
                int diff = s == 0 ? 0 : extend(bits(s), s);
                predictions[index] += diff;
                coef[offset] = (short) clamp(predictions[index] * (1 << al), DC_MIN, DC_MAX);
            } else if (bits(1) != 0) {
                coef[offset] = (short) (coef[offset] | (1 << al));
            }
            return;
        }
        if (ah == 0) {
            acFirst(coef, offset, ac, ss, se, al);
        } else {
            acRefine(coef, offset, ac, ss, se, al);
        }
    }

    private void acFirst(short[] coef, int offset, DecodeTable ac, int ss, int se, int al)
            throws UnpatchableJpeg {
        if (eobRun > 0) {
            eobRun--;
            return;
        }
        for (int k = ss; k <= se; k++) {
            int rs = decode(ac);
            int r = rs >> 4;
            int s = rs & 15;
            if (s == 0) {
                if (r < 15) {
                    eobRun = (1 << r) - 1;
                    if (r > 0) {
                        eobRun += bits(r);
                    }
                    break;
                }
                k += 15;
                continue;
            }
            k += r;
            if (k > se) {
                throw UnpatchableJpeg.damaged("a band with too many coefficients");
            }
            coef[offset + JpegImage.NATURAL[k]] =
                    (short) clamp(extend(bits(s), s) * (1 << al), -AC_MAX, AC_MAX);
        }
    }

    private void acRefine(short[] coef, int offset, DecodeTable ac, int ss, int se, int al)
            throws UnpatchableJpeg {
        int plus = 1 << al;
        int minus = -1 << al;
        int k = ss;
        if (eobRun == 0) {
            for (; k <= se; k++) {
                int rs = decode(ac);
                int r = rs >> 4;
                int s = rs & 15;
                int value = 0;
                if (s != 0) {
                    value = bits(1) != 0 ? plus : minus;
                } else if (r != 15) {
                    eobRun = 1 << r;
                    if (r > 0) {
                        eobRun += bits(r);
                    }
                    break;
                }
                while (k <= se) {
                    int z = offset + JpegImage.NATURAL[k];
                    if (coef[z] != 0) {
                        refine(coef, z, plus, minus);
                    } else if (--r < 0) {
                        break;
                    }
                    k++;
                }
                if (value != 0) {
                    if (k > se) {
                        throw UnpatchableJpeg.damaged("a refinement past the band");
                    }
                    coef[offset + JpegImage.NATURAL[k]] = (short) value;
                }
            }
        }
        if (eobRun > 0) {
            for (; k <= se; k++) {
                int z = offset + JpegImage.NATURAL[k];
                if (coef[z] != 0) {
                    refine(coef, z, plus, minus);
                }
            }
            eobRun--;
        }
    }

    private void refine(short[] coef, int z, int plus, int minus) throws UnpatchableJpeg {
        if (bits(1) != 0 && (coef[z] & plus) == 0) {
            int v = coef[z] >= 0 ? coef[z] + plus : coef[z] + minus;
            coef[z] = (short) clamp(v, -AC_MAX, AC_MAX);
        }
    }

    /**
     * A baseline coefficient: clamped to what an 8-bit file can hold, or, when MCUs are to be
     * copied, refused as damage if it lies outside.
     */
    private int checked(int v, int min, int max) throws UnpatchableJpeg {
        if (strict && (v < min || v > max)) {
            throw UnpatchableJpeg.damaged("a coefficient outside the 8-bit range");
        }
        return clamp(v, min, max);
    }

    private static int clamp(int v, int min, int max) {
        return v < min ? min : Math.min(v, max);
    }

    /** Expects restart marker {@code n} at the next byte boundary. */
    private void restart(int n) throws UnpatchableJpeg {
        if (realBits < 0) {
            throw UnpatchableJpeg.damaged("the picture data ends early (truncated or damaged)");
        }
        // The buffer never reads past a marker, so what it still holds is the padding of the
        // interval (or stray bytes, which are skipped as libjpeg skips them).
        while (pos + 1 < data.length
                && !((data[pos] & 0xff) == 0xFF && (data[pos + 1] & 0xff) != 0)) {
            pos++;
        }
        while (pos + 1 < data.length && (data[pos + 1] & 0xff) == 0xFF) {
            pos++;
        }
        bits = 0;
        bitCount = 0;
        realBits = 0;
        if (pos + 1 >= data.length
                || (data[pos] & 0xff) != 0xFF
                || (data[pos + 1] & 0xff) != 0xD0 + n) {
            throw UnpatchableJpeg.damaged("a missing or misplaced restart marker");
        }
        pos += 2;
    }

    /** Leaves {@code pos} at the marker after the entropy-coded data. */
    private void skipToMarker() throws UnpatchableJpeg {
        while (pos + 1 < data.length) {
            if ((data[pos] & 0xff) == 0xFF) {
                int next = data[pos + 1] & 0xff;
                if (next != 0 && (next < 0xD0 || next > 0xD7) && next != 0xFF) {
                    return;
                }
                if (next == 0xFF) {
                    pos++;
                    continue;
                }
                pos += 2;
                continue;
            }
            pos++;
        }
        throw UnpatchableJpeg.damaged("the file ends inside picture data (truncated)");
    }

    /** Tops the bit buffer up to more than 56 bits; past a marker or the end, with zeros. */
    private void fill() {
        while (bitCount <= 56) {
            int b = 0;
            boolean real = false;
            if (pos < data.length) {
                int v = data[pos] & 0xff;
                if (v != 0xFF) {
                    b = v;
                    pos++;
                    real = true;
                } else if (pos + 1 < data.length && data[pos + 1] == 0) {
                    b = 0xFF;
                    pos += 2;
                    real = true;
                }
            }
            bits = (bits << 8) | b;
            bitCount += 8;
            if (real) {
                realBits += 8;
                realBytes++;
            }
        }
    }

    private int bits(int n) {
        if (bitCount < n) {
            fill();
        }
        bitCount -= n;
        realBits -= n;
        return (int) (bits >>> bitCount) & ((1 << n) - 1);
    }

    private static int extend(int v, int s) {
        return v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
    }

    private int decode(DecodeTable table) throws UnpatchableJpeg {
        if (bitCount < 16) {
            fill();
        }
        int look =
                (int) (bits >>> (bitCount - DecodeTable.LOOKUP_BITS))
                        & ((1 << DecodeTable.LOOKUP_BITS) - 1);
        int fast = table.fast[look];
        if (fast != 0) {
            int length = fast >> 8;
            bitCount -= length;
            realBits -= length;
            return fast & 0xff;
        }
        int code = (int) (bits >>> (bitCount - 16)) & 0xffff;
        for (int l = DecodeTable.LOOKUP_BITS + 1; l <= 16; l++) {
            int c = code >>> (16 - l);
            if (c <= table.maxCode[l]) {
                bitCount -= l;
                realBits -= l;
                return table.symbols[table.firstIndex[l] + c - table.firstCode[l]];
            }
        }
        throw UnpatchableJpeg.damaged("an invalid Huffman code in the picture data");
    }

    private int u16(int at) {
        return ((data[at] & 0xff) << 8) | (data[at + 1] & 0xff);
    }

    /**
     * A Huffman table for decoding: a lookup on the next bits, canonical ranges for longer codes.
     */
    static final class DecodeTable {
        static final int LOOKUP_BITS = 9;

        /** For codes of at most {@link #LOOKUP_BITS} bits: length << 8 | symbol, 0 otherwise. */
        final int[] fast = new int[1 << LOOKUP_BITS];

        final int[] maxCode = new int[18];
        final int[] firstCode = new int[17];
        final int[] firstIndex = new int[17];
        final int[] symbols;
        final int[] counts;

        private DecodeTable(int[] counts, int[] symbols) {
            this.counts = counts;
            this.symbols = symbols;
        }

        static DecodeTable build(int[] counts, int[] symbols) throws UnpatchableJpeg {
            DecodeTable t = new DecodeTable(counts, symbols);
            int code = 0;
            int index = 0;
            for (int l = 1; l <= 16; l++) {
                t.firstIndex[l] = index;
                t.firstCode[l] = code;
                if (counts[l] > 0) {
                    for (int i = 0; i < counts[l]; i++) {
                        if (l <= LOOKUP_BITS) {
                            int shift = LOOKUP_BITS - l;
                            int base = code << shift;
                            for (int f = 0; f < 1 << shift; f++) {
                                t.fast[base + f] = (l << 8) | symbols[index];
                            }
                        }
                        code++;
                        index++;
                    }
                    t.maxCode[l] = code - 1;
                } else {
                    t.maxCode[l] = -1;
                }
                if (code > 1 << l) {
                    throw UnpatchableJpeg.damaged("an over-full Huffman table");
                }
                code <<= 1;
            }
            return t;
        }
    }
}

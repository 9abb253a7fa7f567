package org.lamaworker.worker.image.jpeg;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes a {@link JpegImage}: the given application segments, the picture's own quantisation tables
 * and frame, and its coefficients entropy-coded with Huffman tables made for them (two passes:
 * count, then write). A sequential picture is written baseline, in one interleaved scan; a
 * progressive one progressive, by spectral selection (DC of all components, then a few low
 * frequencies of luma, each chroma band, the rest of luma), which lets a viewer show a coarse
 * picture early without the bit refinement passes that would cost a third pass here. The restart
 * interval is kept.
 */
public final class JpegWriter {
    private final JpegImage image;
    private final Sink out;

    /** Per component, {@link #nonzeroAc} of its blocks (baseline only). */
    private long[][] nonzero;

    private JpegWriter(JpegImage image, int sizeHint) {
        this.image = image;
        this.out = new Sink(sizeHint);
    }

    /** A scan of components {@code comps} over coefficients {@code ss..se} (zig-zag), one pass. */
    private record Scan(int[] comps, int ss, int se) {}

    /**
     * Writes the picture.
     *
     * @param segments application and comment segments, whole, written after the start marker
     * @param sizeHint the expected size, to size the buffer (the input file's size)
     */
    public static byte[] write(JpegImage image, List<byte[]> segments, int sizeHint) {
        JpegWriter writer = new JpegWriter(image, sizeHint + sizeHint / 8 + 4096);
        return writer.writeFile(segments);
    }

    /**
     * Writes a picture read by {@link JpegReader#readSelected} by copying: the MCUs flagged in
     * {@code touched}, and the MCU after each run of them (whose DC is coded against a block that
     * changed), are coded again with the file's own Huffman tables; every other MCU's bits are
     * copied from the input as they were. The work is a copy of the file plus the edit's MCUs.
     *
     * @param touched per MCU ({@code my * mcusWide + mx}), whether its coefficients changed
     * @return the file, or {@code null} when the file's tables lack a code that a re-coded MCU
     *     needs (its encoder made them for its own symbols only): then read every block and {@link
     *     #write} with tables made for them
     */
    public static byte[] writeCopy(
            JpegImage image, List<byte[]> segments, int sizeHint, boolean[] touched) {
        JpegWriter writer = new JpegWriter(image, sizeHint + sizeHint / 8 + 4096);
        return writer.writeCopyFile(segments, touched);
    }

    private byte[] writeCopyFile(List<byte[]> segments, boolean[] touched) {
        JpegImage.CopySource source = image.copySource();
        if (source == null) {
            throw new IllegalStateException("the picture was not read for copying");
        }
        int ns = source.scanComponents().length;
        HuffmanCode[] dcCodes = new HuffmanCode[ns];
        HuffmanCode[] acCodes = new HuffmanCode[ns];
        for (int i = 0; i < ns; i++) {
            JpegImage.HuffmanTable dc = source.dcTables()[i];
            JpegImage.HuffmanTable ac = source.acTables()[i];
            dcCodes[i] = HuffmanCode.of(dc.counts(), dc.symbols());
            acCodes[i] = HuffmanCode.of(ac.counts(), ac.symbols());
        }
        out.marker(0xD8);
        for (byte[] segment : segments) {
            out.raw(segment);
        }
        writeQuantTables();
        boolean extendedTables = false;
        for (int i = 0; i < ns; i++) {
            extendedTables |= source.dcTables()[i].id() > 1 || source.acTables()[i].id() > 1;
        }
        writeFrame(extendedTables);
        writeSourceTables(source);
        out.marker(0xDA);
        out.u16(6 + 2 * ns);
        out.byteRaw(ns);
        for (int i = 0; i < ns; i++) {
            out.byteRaw(image.component(source.scanComponents()[i]).id);
            out.byteRaw((source.dcTables()[i].id() << 4) | source.acTables()[i].id());
        }
        out.byteRaw(0);
        out.byteRaw(63);
        out.byteRaw(0);
        Coder coder = new Coder(out, null, null);
        long[] starts = source.mcuStarts();
        int mcus = starts.length - 1;
        long copyFrom = -1;
        for (int m = 0; m < mcus; m++) {
            boolean recode = touched[m] || (m > 0 && touched[m - 1]);
            if (!recode) {
                if (copyFrom < 0) {
                    copyFrom = starts[m];
                }
                continue;
            }
            if (copyFrom >= 0) {
                copyBits(coder, source.bits(), copyFrom, starts[m]);
                copyFrom = -1;
            }
            if (!recodeMcu(coder, source, m, dcCodes, acCodes)) {
                return null;
            }
        }
        if (copyFrom >= 0) {
            copyBits(coder, source.bits(), copyFrom, starts[mcus]);
        }
        coder.flushBits();
        out.marker(0xD9);
        return out.toByteArray();
    }

    /** The scan's Huffman tables, each once, as the input defined them. */
    private void writeSourceTables(JpegImage.CopySource source) {
        List<JpegImage.HuffmanTable> tables = new ArrayList<>();
        List<Integer> classes = new ArrayList<>();
        for (int dc = 1; dc >= 0; dc--) {
            boolean[] seen = new boolean[4];
            for (JpegImage.HuffmanTable t : dc == 1 ? source.dcTables() : source.acTables()) {
                if (!seen[t.id()]) {
                    seen[t.id()] = true;
                    tables.add(t);
                    classes.add(dc == 1 ? 0 : 0x10);
                }
            }
        }
        int length = 2;
        for (JpegImage.HuffmanTable t : tables) {
            length += 17 + t.symbols().length;
        }
        out.marker(0xC4);
        out.u16(length);
        for (int i = 0; i < tables.size(); i++) {
            JpegImage.HuffmanTable t = tables.get(i);
            out.byteRaw(classes.get(i) | t.id());
            for (int l = 1; l <= 16; l++) {
                out.byteRaw(t.counts()[l]);
            }
            for (int symbol : t.symbols()) {
                out.byteRaw(symbol);
            }
        }
    }

    /** Appends bits {@code [from, to)} of {@code bits} (most significant bit first). */
    private static void copyBits(Coder coder, byte[] bits, long from, long to) {
        long p = from;
        while (p < to) {
            int chunk = (int) Math.min(32, to - p);
            int index = (int) (p >>> 3);
            long window = 0;
            for (int i = 0; i < 5; i++) {
                window <<= 8;
                if (index + i < bits.length) {
                    window |= bits[index + i] & 0xff;
                }
            }
            // 40 bits loaded: the chunk starts (p & 7) bits in.
            long value = (window >>> (40 - (int) (p & 7) - chunk)) & ((1L << chunk) - 1);
            coder.put(value, chunk);
            p += chunk;
        }
    }

    /** Codes MCU {@code m} again from its coefficients; {@code false} if a code is missing. */
    private boolean recodeMcu(
            Coder coder,
            JpegImage.CopySource source,
            int m,
            HuffmanCode[] dcCodes,
            HuffmanCode[] acCodes) {
        int ns = source.scanComponents().length;
        // Check every symbol first: a missing code must not leave half an MCU written.
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < ns; i++) {
                JpegImage.Component c = image.component(source.scanComponents()[i]);
                int prediction = m == 0 ? 0 : c.coefficients[lastBlock(c, ns, m - 1)];
                int high = ns == 1 ? 1 : c.v;
                int wide = ns == 1 ? 1 : c.h;
                for (int by = 0; by < high; by++) {
                    for (int bx = 0; bx < wide; bx++) {
                        int offset = image.blockOffset(c, ns == 1, m, bx, by);
                        long nonzero = nonzeroAc(c.coefficients, offset);
                        if (pass == 0) {
                            if (!codable(
                                    c.coefficients,
                                    offset,
                                    nonzero,
                                    prediction,
                                    dcCodes[i],
                                    acCodes[i])) {
                                return false;
                            }
                            prediction = c.coefficients[offset];
                        } else {
                            int[] predictions = {prediction};
                            writeBlock(
                                    coder,
                                    c.coefficients,
                                    offset,
                                    nonzero,
                                    predictions,
                                    0,
                                    dcCodes[i],
                                    acCodes[i]);
                            prediction = predictions[0];
                        }
                    }
                }
            }
        }
        return true;
    }

    /** Offset of a component's last block in MCU {@code m}: the DC predictor of the next MCU. */
    private int lastBlock(JpegImage.Component c, int ns, int m) {
        return ns == 1
                ? image.blockOffset(c, true, m, 0, 0)
                : image.blockOffset(c, false, m, c.h - 1, c.v - 1);
    }

    private static long nonzeroAc(short[] coef, int offset) {
        long mask = 0;
        for (int k = 1; k < 64; k++) {
            int v = coef[offset + JpegImage.NATURAL[k]];
            mask |= (long) ((v | -v) >>> 31) << k;
        }
        return mask;
    }

    /** Whether every symbol of a block has a code. */
    private static boolean codable(
            short[] coef,
            int offset,
            long nonzero,
            int prediction,
            HuffmanCode dc,
            HuffmanCode ac) {
        if (dc.length[magnitude(coef[offset] - prediction)] == 0) {
            return false;
        }
        long rest = nonzero;
        int last = 0;
        while (rest != 0) {
            int k = Long.numberOfTrailingZeros(rest);
            rest &= rest - 1;
            int run = k - last - 1;
            last = k;
            if (run > 15 && ac.length[0xF0] == 0) {
                return false;
            }
            int symbol = ((run & 15) << 4) | magnitude(coef[offset + JpegImage.NATURAL[k]]);
            if (ac.length[symbol] == 0) {
                return false;
            }
        }
        return last == 63 || ac.length[0] != 0;
    }

    private byte[] writeFile(List<byte[]> segments) {
        out.marker(0xD8);
        for (byte[] segment : segments) {
            out.raw(segment);
        }
        writeQuantTables();
        writeFrame(false);
        if (image.restartInterval() > 0) {
            out.marker(0xDD);
            out.u16(4);
            out.u16(image.restartInterval());
        }
        int n = image.componentCount();
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        if (!image.progressive()) {
            writeScan(new Scan(all, 0, 63));
        } else {
            writeScan(new Scan(all, 0, 0));
            writeScan(new Scan(new int[] {0}, 1, 5));
            for (int c = 1; c < n; c++) {
                writeScan(new Scan(new int[] {c}, 1, 63));
            }
            writeScan(new Scan(new int[] {0}, 6, 63));
        }
        out.marker(0xD9);
        return out.toByteArray();
    }

    private boolean wideQuant() {
        for (JpegImage.Component c : image.components()) {
            for (int q : image.quantTable(c)) {
                if (q > 255) {
                    return true;
                }
            }
        }
        return false;
    }

    private void writeQuantTables() {
        boolean[] used = new boolean[4];
        for (JpegImage.Component c : image.components()) {
            used[c.quantTable] = true;
        }
        for (int t = 0; t < 4; t++) {
            if (!used[t]) {
                continue;
            }
            int[] table = image.quantTables()[t];
            boolean wide = false;
            for (int q : table) {
                wide |= q > 255;
            }
            out.marker(0xDB);
            out.u16(2 + 1 + 64 * (wide ? 2 : 1));
            out.byteRaw((wide ? 0x10 : 0) | t);
            for (int k = 0; k < 64; k++) {
                int q = table[JpegImage.NATURAL[k]];
                if (wide) {
                    out.u16(q);
                } else {
                    out.byteRaw(q);
                }
            }
        }
    }

    /**
     * The frame header: progressive, or baseline unless the tables need the extended process
     * (16-bit quantisation steps, or Huffman tables in slots 2 and 3).
     */
    private void writeFrame(boolean extendedTables) {
        int n = image.componentCount();
        out.marker(image.progressive() ? 0xC2 : wideQuant() || extendedTables ? 0xC1 : 0xC0);
        out.u16(8 + 3 * n);
        out.byteRaw(8);
        out.u16(image.height());
        out.u16(image.width());
        out.byteRaw(n);
        for (JpegImage.Component c : image.components()) {
            out.byteRaw(c.id);
            out.byteRaw((c.h << 4) | c.v);
            out.byteRaw(c.quantTable);
        }
    }

    /** Huffman table (0 luma, 1 chroma) of a component. */
    private static int tableOf(int component) {
        return component == 0 ? 0 : 1;
    }

    private void writeScan(Scan scan) {
        Coder counter = new Coder(null, null, null);
        code(scan, counter);
        boolean dc = scan.ss == 0;
        List<Integer> tables = new ArrayList<>();
        HuffmanCode[] codes = new HuffmanCode[2];
        for (int c : scan.comps) {
            int t = tableOf(c);
            if (codes[t] == null) {
                codes[t] =
                        HuffmanCode.optimal(dc ? counter.dcFrequency[t] : counter.acFrequency[t]);
                tables.add(t);
            }
        }
        HuffmanCode[] acCodes = new HuffmanCode[2];
        if (!image.progressive()) {
            // A baseline scan codes DC and AC: the tables above are the DC ones.
            for (int t : tables) {
                acCodes[t] = HuffmanCode.optimal(counter.acFrequency[t]);
            }
        }
        int length = 2;
        for (int t : tables) {
            length += 17 + codes[t].symbols.length;
            if (acCodes[t] != null) {
                length += 17 + acCodes[t].symbols.length;
            }
        }
        out.marker(0xC4);
        out.u16(length);
        for (int t : tables) {
            writeTable(dc ? t : 0x10 | t, codes[t]);
            if (acCodes[t] != null) {
                writeTable(0x10 | t, acCodes[t]);
            }
        }
        out.marker(0xDA);
        out.u16(6 + 2 * scan.comps.length);
        out.byteRaw(scan.comps.length);
        for (int c : scan.comps) {
            int t = tableOf(c);
            out.byteRaw(image.component(c).id);
            out.byteRaw((t << 4) | t);
        }
        out.byteRaw(scan.ss);
        out.byteRaw(scan.se);
        out.byteRaw(0);
        Coder writer =
                dc && !image.progressive()
                        ? new Coder(out, codes, acCodes)
                        : dc ? new Coder(out, codes, null) : new Coder(out, null, codes);
        code(scan, writer);
        writer.flushBits();
    }

    private void writeTable(int classAndId, HuffmanCode code) {
        out.byteRaw(classAndId);
        for (int l = 1; l <= 16; l++) {
            out.byteRaw(code.counts[l]);
        }
        for (int s : code.symbols) {
            out.byteRaw(s);
        }
    }

    /** Runs a scan's blocks through a coder (counting or writing), with restart intervals. */
    private void code(Scan scan, Coder coder) {
        if (!image.progressive() && nonzero == null) {
            nonzero = new long[image.componentCount()][];
            for (int c = 0; c < nonzero.length; c++) {
                nonzero[c] = nonzeroAc(image.component(c).coefficients);
            }
        }
        int ns = scan.comps.length;
        JpegImage.Component[] comps = new JpegImage.Component[ns];
        for (int i = 0; i < ns; i++) {
            comps[i] = image.component(scan.comps[i]);
        }
        int mcusWide;
        int mcus;
        if (ns == 1) {
            mcusWide = comps[0].realBlocksWide;
            mcus = mcusWide * comps[0].realBlocksHigh;
        } else {
            mcusWide = image.mcusWide();
            mcus = mcusWide * image.mcusHigh();
        }
        int[] predictions = new int[ns];
        int interval = image.restartInterval();
        int restarts = 0;
        for (int m = 0; m < mcus; m++) {
            if (interval > 0 && m > 0 && m % interval == 0) {
                coder.flushEobRun(tableOf(scan.comps[0]));
                coder.restart(restarts++ & 7);
                Arrays.fill(predictions, 0);
            }
            for (int i = 0; i < ns; i++) {
                JpegImage.Component c = comps[i];
                int t = tableOf(scan.comps[i]);
                int high = ns == 1 ? 1 : c.v;
                int wide = ns == 1 ? 1 : c.h;
                for (int by = 0; by < high; by++) {
                    for (int bx = 0; bx < wide; bx++) {
                        int offset = image.blockOffset(c, ns == 1, m, bx, by);
                        if (image.progressive()) {
                            block(coder, scan, c.coefficients, offset, predictions, i, t);
                        } else if (coder.sink == null) {
                            countBlock(
                                    c.coefficients,
                                    offset,
                                    nonzero[scan.comps[i]][offset >> 6],
                                    predictions,
                                    i,
                                    coder.dcFrequency[t],
                                    coder.acFrequency[t]);
                        } else {
                            writeBlock(
                                    coder,
                                    c.coefficients,
                                    offset,
                                    nonzero[scan.comps[i]][offset >> 6],
                                    predictions,
                                    i,
                                    coder.dc[t],
                                    coder.ac[t]);
                        }
                    }
                }
            }
        }
        coder.flushEobRun(tableOf(scan.comps[0]));
    }

    /**
     * For each block, which AC coefficients are not 0: bit k for zig-zag position k. Found once,
     * without a branch per coefficient, so that both passes over a baseline scan step from one
     * coefficient that is not 0 to the next.
     */
    private static long[] nonzeroAc(short[] coef) {
        long[] masks = new long[coef.length / 64];
        for (int b = 0; b < masks.length; b++) {
            masks[b] = nonzeroAc(coef, b * 64);
        }
        return masks;
    }

    /** A baseline block's symbols, counted. */
    private static void countBlock(
            short[] coef,
            int offset,
            long nonzero,
            int[] predictions,
            int index,
            int[] dcFrequency,
            int[] acFrequency) {
        int dc = coef[offset];
        dcFrequency[magnitude(dc - predictions[index])]++;
        predictions[index] = dc;
        long rest = nonzero;
        int last = 0;
        while (rest != 0) {
            int k = Long.numberOfTrailingZeros(rest);
            rest &= rest - 1;
            int run = k - last - 1;
            last = k;
            while (run > 15) {
                acFrequency[0xF0]++;
                run -= 16;
            }
            acFrequency[(run << 4) | magnitude(coef[offset + JpegImage.NATURAL[k]])]++;
        }
        if (last < 63) {
            acFrequency[0]++;
        }
    }

    /** A baseline block, written: the hot loop of writing. */
    private static void writeBlock(
            Coder coder,
            short[] coef,
            int offset,
            long nonzero,
            int[] predictions,
            int index,
            HuffmanCode dcCode,
            HuffmanCode acCode) {
        int[] acCodes = acCode.code;
        int[] acLengths = acCode.length;
        int dc = coef[offset];
        int diff = dc - predictions[index];
        predictions[index] = dc;
        int size = magnitude(diff);
        coder.put(
                ((long) dcCode.code[size] << size)
                        | ((diff < 0 ? diff - 1 : diff) & ((1 << size) - 1)),
                dcCode.length[size] + size);
        long rest = nonzero;
        int last = 0;
        while (rest != 0) {
            int k = Long.numberOfTrailingZeros(rest);
            rest &= rest - 1;
            int run = k - last - 1;
            last = k;
            while (run > 15) {
                coder.put(acCodes[0xF0], acLengths[0xF0]);
                run -= 16;
            }
            int v = coef[offset + JpegImage.NATURAL[k]];
            size = magnitude(v);
            int symbol = (run << 4) | size;
            coder.put(
                    ((long) acCodes[symbol] << size) | ((v < 0 ? v - 1 : v) & ((1 << size) - 1)),
                    acLengths[symbol] + size);
        }
        if (last < 63) {
            coder.put(acCodes[0], acLengths[0]);
        }
    }

    private void block(
            Coder coder,
            Scan scan,
            short[] coef,
            int offset,
            int[] predictions,
            int index,
            int table) {
        if (scan.ss == 0) {
            int dc = coef[offset];
            int diff = dc - predictions[index];
            predictions[index] = dc;
            coder.dcSymbol(table, magnitude(diff), diff < 0 ? diff - 1 : diff);
        }
        if (scan.se == 0) {
            return;
        }
        int first = Math.max(1, scan.ss);
        int run = 0;
        for (int k = first; k <= scan.se; k++) {
            int v = coef[offset + JpegImage.NATURAL[k]];
            if (v == 0) {
                run++;
                continue;
            }
            coder.flushEobRun(table);
            while (run > 15) {
                coder.acSymbol(table, 0xF0, 0, 0);
                run -= 16;
            }
            int size = magnitude(v);
            coder.acSymbol(table, (run << 4) | size, v < 0 ? v - 1 : v, size);
            run = 0;
        }
        if (run > 0) {
            if (image.progressive()) {
                coder.eobRun++;
                if (coder.eobRun == 0x7FFF) {
                    coder.flushEobRun(table);
                }
            } else {
                coder.acSymbol(table, 0x00, 0, 0);
            }
        }
    }

    private static int magnitude(int v) {
        return 32 - Integer.numberOfLeadingZeros(Math.abs(v));
    }

    /** Counts symbols (no sink) or writes them with the given codes. */
    private static final class Coder {
        final Sink sink;
        final HuffmanCode[] dc;
        final HuffmanCode[] ac;
        final int[][] dcFrequency = new int[2][256];
        final int[][] acFrequency = new int[2][256];
        int eobRun;
        private long acc;
        private int accBits;

        Coder(Sink sink, HuffmanCode[] dc, HuffmanCode[] ac) {
            this.sink = sink;
            this.dc = dc;
            this.ac = ac;
        }

        /** A DC symbol followed by its {@code symbol} extra bits. */
        void dcSymbol(int table, int symbol, int extra) {
            if (sink == null) {
                dcFrequency[table][symbol]++;
            } else {
                HuffmanCode code = dc[table];
                put(
                        ((long) code.code[symbol] << symbol) | (extra & ((1 << symbol) - 1)),
                        code.length[symbol] + symbol);
            }
        }

        /** An AC symbol followed by {@code size} extra bits. */
        void acSymbol(int table, int symbol, int extra, int size) {
            if (sink == null) {
                acFrequency[table][symbol]++;
            } else {
                HuffmanCode code = ac[table];
                put(
                        ((long) code.code[symbol] << size) | (extra & ((1 << size) - 1)),
                        code.length[symbol] + size);
            }
        }

        /** Writes a progressive scan's pending run of empty bands. */
        void flushEobRun(int table) {
            if (eobRun == 0) {
                return;
            }
            int n = 31 - Integer.numberOfLeadingZeros(eobRun);
            int run = eobRun;
            eobRun = 0;
            acSymbol(table, n << 4, run, n);
        }

        /** Appends the low {@code n} (at most 32) bits of {@code value}. */
        void put(long value, int n) {
            acc = (acc << n) | value;
            accBits += n;
            if (accBits >= 32) {
                accBits -= 32;
                sink.word((int) (acc >>> accBits));
            }
        }

        /** Pads the last byte with ones and writes out what is buffered. */
        void flushBits() {
            if (sink == null) {
                return;
            }
            int pad = (8 - accBits % 8) % 8;
            acc = (acc << pad) | ((1 << pad) - 1);
            accBits += pad;
            while (accBits >= 8) {
                accBits -= 8;
                sink.stuffed((int) (acc >>> accBits) & 0xff);
            }
        }

        void restart(int n) {
            flushBits();
            if (sink != null) {
                sink.marker(0xD0 + n);
            }
        }
    }

    /** A growing byte buffer. */
    private static final class Sink {
        private byte[] buffer;
        private int size;

        Sink(int capacity) {
            buffer = new byte[Math.max(1024, capacity)];
        }

        void byteRaw(int b) {
            if (size == buffer.length) {
                buffer = Arrays.copyOf(buffer, buffer.length * 2);
            }
            buffer[size++] = (byte) b;
        }

        /** Four bytes of entropy-coded data, with a 0 stuffed after each 0xFF. */
        void word(int word) {
            if (size + 8 > buffer.length) {
                buffer = Arrays.copyOf(buffer, buffer.length * 2);
            }
            int inverted = ~word;
            if (((inverted - 0x01010101) & ~inverted & 0x80808080) == 0) {
                buffer[size] = (byte) (word >>> 24);
                buffer[size + 1] = (byte) (word >>> 16);
                buffer[size + 2] = (byte) (word >>> 8);
                buffer[size + 3] = (byte) word;
                size += 4;
                return;
            }
            for (int shift = 24; shift >= 0; shift -= 8) {
                stuffed((word >>> shift) & 0xff);
            }
        }

        void stuffed(int b) {
            byteRaw(b);
            if (b == 0xFF) {
                byteRaw(0);
            }
        }

        void raw(byte[] bytes) {
            for (byte b : bytes) {
                byteRaw(b);
            }
        }

        void marker(int code) {
            byteRaw(0xFF);
            byteRaw(code);
        }

        void u16(int v) {
            byteRaw(v >> 8);
            byteRaw(v & 0xff);
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buffer, size);
        }
    }
}

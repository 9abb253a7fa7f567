package org.lamaworker.worker.image.jpeg;

import java.util.List;

/**
 * A JPEG as its coefficients: the frame, the quantisation tables, and every block's quantised DCT
 * coefficients, with the file's application and comment segments. Editing a photo at this level
 * keeps every block the edit does not reach exactly as it was, which a decode to pixels and back
 * cannot: {@link JpegReader} fills one, {@link JpegRegion} turns part of it into pixels and back,
 * {@link JpegWriter} writes it. Mutable, owned by one job.
 */
public final class JpegImage {
    /** Natural (row-major) index of the k-th coefficient in zig-zag order. */
    static final int[] NATURAL = {
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27,
        20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63
    };

    private final int width;
    private final int height;
    private final boolean progressive;
    private final Component[] components;
    private final int[][] quantTables;
    private final int restartInterval;
    private final List<byte[]> segments;
    private final int maxH;
    private final int maxV;
    private final int mcusX;
    private final int mcusY;

    /**
     * One colour component and its blocks, stored for the whole MCU grid (padding blocks included),
     * 64 coefficients per block in natural order.
     */
    public static final class Component {
        final int id;
        final int h;
        final int v;
        final int quantTable;

        /** Blocks per row and column as stored: the MCU grid's. */
        final int blocksWide;

        final int blocksHigh;

        /**
         * Blocks per row and column that hold picture: what a scan of this component alone codes.
         */
        final int realBlocksWide;

        final int realBlocksHigh;
        final short[] coefficients;

        Component(
                int id,
                int h,
                int v,
                int quantTable,
                int blocksWide,
                int blocksHigh,
                int realW,
                int realH) {
            this.id = id;
            this.h = h;
            this.v = v;
            this.quantTable = quantTable;
            this.blocksWide = blocksWide;
            this.blocksHigh = blocksHigh;
            this.realBlocksWide = realW;
            this.realBlocksHigh = realH;
            this.coefficients = new short[blocksWide * blocksHigh * 64];
        }

        /** Offset of block (bx, by) in {@link #coefficients}. */
        int offset(int bx, int by) {
            return (by * blocksWide + bx) * 64;
        }
    }

    /**
     * A Huffman table as a DHT segment gives it.
     *
     * @param id its slot, 0-3
     * @param counts codes per length, index 1-16
     * @param symbols symbols in code order
     */
    record HuffmanTable(int id, int[] counts, int[] symbols) {}

    /**
     * The coded data of a file read by {@link JpegReader#readSelected}, to copy from: its one
     * scan's bits (destuffed), where each MCU starts in them, and the scan's components and tables.
     *
     * @param bits the scan's entropy-coded bytes, without stuffing
     * @param mcuStarts first bit of each MCU, and the end of the last
     * @param scanComponents frame indices of the components in scan order
     * @param dcTables each scan component's DC table
     * @param acTables each scan component's AC table
     */
    record CopySource(
            byte[] bits,
            long[] mcuStarts,
            int[] scanComponents,
            HuffmanTable[] dcTables,
            HuffmanTable[] acTables) {}

    private CopySource copySource;

    void copySource(CopySource source) {
        this.copySource = source;
    }

    /** The coded data to copy unchanged MCUs from, or {@code null} when every block was read. */
    CopySource copySource() {
        return copySource;
    }

    /** Whether the file was read for copying ({@link JpegReader#readSelected}). */
    public boolean copyable() {
        return copySource != null;
    }

    JpegImage(
            int width,
            int height,
            boolean progressive,
            int[][] sampling,
            int[] ids,
            int[] quantIndex,
            int[][] quantTables,
            int restartInterval,
            List<byte[]> segments) {
        this.width = width;
        this.height = height;
        this.progressive = progressive;
        this.quantTables = quantTables;
        this.restartInterval = restartInterval;
        this.segments = List.copyOf(segments);
        int n = ids.length;
        int hmax = 1;
        int vmax = 1;
        for (int[] s : sampling) {
            hmax = Math.max(hmax, s[0]);
            vmax = Math.max(vmax, s[1]);
        }
        this.maxH = hmax;
        this.maxV = vmax;
        this.mcusX = ceilDiv(width, 8 * hmax);
        this.mcusY = ceilDiv(height, 8 * vmax);
        this.components = new Component[n];
        for (int c = 0; c < n; c++) {
            int h = sampling[c][0];
            int v = sampling[c][1];
            int realW = ceilDiv(ceilDiv(width * h, hmax), 8);
            int realH = ceilDiv(ceilDiv(height * v, vmax), 8);
            components[c] =
                    new Component(ids[c], h, v, quantIndex[c], mcusX * h, mcusY * v, realW, realH);
        }
    }

    /**
     * Offset of block {@code (bx, by)} of MCU {@code m} of a component: in a scan of that component
     * alone an MCU is one block, counted over the blocks that hold picture; in an interleaved scan
     * it is the component's h x v blocks, counted over the MCU grid.
     */
    int blockOffset(Component c, boolean alone, int m, int bx, int by) {
        if (alone) {
            return c.offset(m % c.realBlocksWide, m / c.realBlocksWide);
        }
        return c.offset((m % mcusX) * c.h + bx, (m / mcusX) * c.v + by);
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Width in pixels. */
    public int width() {
        return width;
    }

    /** Height in pixels. */
    public int height() {
        return height;
    }

    /** Whether the file was progressive (and is written so). */
    public boolean progressive() {
        return progressive;
    }

    /** Number of colour components: 1 (grey) or 3 (YCbCr). */
    public int componentCount() {
        return components.length;
    }

    /** Width of an MCU in pixels: 8, 16 (or more) for subsampled chroma. */
    public int mcuWidth() {
        return 8 * maxH;
    }

    /** Height of an MCU in pixels. */
    public int mcuHeight() {
        return 8 * maxV;
    }

    /** MCUs per row. */
    public int mcusWide() {
        return mcusX;
    }

    /** MCU rows. */
    public int mcusHigh() {
        return mcusY;
    }

    /** The file's restart interval in MCUs, 0 for none. */
    public int restartInterval() {
        return restartInterval;
    }

    /** The application and comment segments, whole (marker and length included), in file order. */
    public List<byte[]> segments() {
        return segments;
    }

    /** Bytes the coefficients take: what holding this picture costs beyond its file. */
    public long coefficientBytes() {
        long bytes = 0;
        for (Component c : components) {
            bytes += 2L * c.coefficients.length;
        }
        return bytes;
    }

    Component component(int index) {
        return components[index];
    }

    Component[] components() {
        return components;
    }

    int maxH() {
        return maxH;
    }

    int maxV() {
        return maxV;
    }

    int[] quantTable(Component c) {
        return quantTables[c.quantTable];
    }

    int[][] quantTables() {
        return quantTables;
    }
}

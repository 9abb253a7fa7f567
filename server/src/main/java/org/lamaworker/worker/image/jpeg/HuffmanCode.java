package org.lamaworker.worker.image.jpeg;

/**
 * A Huffman code made for the symbols it will code, as JPEG's Annex K.2 describes: lengths from the
 * symbols' counts, limited to 16 bits, with no code of all ones.
 */
final class HuffmanCode {
    /** Codes per length, index 1-16, as a DHT segment lists them. */
    final int[] counts = new int[17];

    /** Symbols in code order. */
    final int[] symbols;

    /** Code and length of each symbol (length 0 for a symbol that does not occur). */
    final int[] code = new int[256];

    final int[] length = new int[256];

    private HuffmanCode(int[] symbols) {
        this.symbols = symbols;
    }

    /** The code a DHT segment defines: {@code counts[1..16]} codes per length, in symbol order. */
    static HuffmanCode of(int[] counts, int[] symbols) {
        HuffmanCode result = new HuffmanCode(symbols.clone());
        System.arraycopy(counts, 0, result.counts, 0, 17);
        int c = 0;
        int k = 0;
        for (int l = 1; l <= 16; l++) {
            for (int i = 0; i < counts[l]; i++) {
                result.code[symbols[k]] = c++;
                result.length[symbols[k]] = l;
                k++;
            }
            c <<= 1;
        }
        return result;
    }

    /** The optimal code for symbol counts {@code frequency[0..255]}. */
    static HuffmanCode optimal(int[] frequency) {
        long[] freq = new long[257];
        boolean any = false;
        for (int i = 0; i < 256; i++) {
            freq[i] = frequency[i];
            any |= frequency[i] > 0;
        }
        if (!any) {
            freq[0] = 1; // a table must code something
        }
        freq[256] = 1; // reserved, so that no real code is all ones
        int[] size = new int[257];
        int[] next = new int[257];
        java.util.Arrays.fill(next, -1);
        while (true) {
            int c1 = -1;
            int c2 = -1;
            for (int i = 0; i <= 256; i++) {
                if (freq[i] == 0) {
                    continue;
                }
                if (c1 < 0 || freq[i] <= freq[c1]) {
                    c2 = c1;
                    c1 = i;
                } else if (c2 < 0 || freq[i] <= freq[c2]) {
                    c2 = i;
                }
            }
            if (c2 < 0) {
                break;
            }
            freq[c1] += freq[c2];
            freq[c2] = 0;
            size[c1]++;
            while (next[c1] >= 0) {
                c1 = next[c1];
                size[c1]++;
            }
            next[c1] = c2;
            size[c2]++;
            while (next[c2] >= 0) {
                c2 = next[c2];
                size[c2]++;
            }
        }
        int[] bits = new int[258];
        for (int i = 0; i <= 256; i++) {
            if (size[i] > 0) {
                bits[size[i]]++;
            }
        }
        // Codes longer than 16 bits move up: two of length i become one of i-1 and one beside a
        // shorter code, which splits into two (K.2's Adjust_BITS).
        for (int i = 257; i > 16; i--) {
            while (bits[i] > 0) {
                int j = i - 2;
                while (bits[j] == 0) {
                    j--;
                }
                bits[i] -= 2;
                bits[i - 1]++;
                bits[j + 1] += 2;
                bits[j]--;
            }
        }
        int longest = 16;
        while (bits[longest] == 0) {
            longest--;
        }
        bits[longest]--; // the reserved symbol's code
        int total = 0;
        for (int l = 1; l <= 16; l++) {
            total += bits[l];
        }
        int[] ordered = new int[total];
        int n = 0;
        for (int l = 1; l <= 256 && n < total; l++) {
            for (int s = 0; s < 256 && n < total; s++) {
                if (size[s] == l) {
                    ordered[n++] = s;
                }
            }
        }
        HuffmanCode result = new HuffmanCode(ordered);
        System.arraycopy(bits, 0, result.counts, 0, 17);
        int c = 0;
        int k = 0;
        for (int l = 1; l <= 16; l++) {
            for (int i = 0; i < bits[l]; i++) {
                result.code[ordered[k]] = c++;
                result.length[ordered[k]] = l;
                k++;
            }
            c <<= 1;
        }
        return result;
    }
}

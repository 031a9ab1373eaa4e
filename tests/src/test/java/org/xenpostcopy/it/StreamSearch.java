package org.xenpostcopy.it;

import java.util.Arrays;

/** Finds a byte pattern in a stream read in pieces, where it lies across two reads too. */
final class StreamSearch {
    private final byte[] pattern;
    /** The last {@code pattern.length - 1} bytes of the reads so far (fewer at the start). */
    private byte[] carried = new byte[0];

    StreamSearch(byte[] pattern) {
        if (pattern.length == 0) {
            throw new IllegalArgumentException("an empty pattern");
        }
        this.pattern = pattern.clone();
    }

    /**
     * Where in the stream the first occurrence of the pattern starts that ends within this read, or -1.
     *
     * @param bytes     the next read, {@code [0, n)}
     * @param streamPos where {@code bytes[0]} lies in the stream
     */
    long next(byte[] bytes, int n, long streamPos) {
        byte[] window = Arrays.copyOf(carried, carried.length + n);
        System.arraycopy(bytes, 0, window, carried.length, n);
        long windowPos = streamPos - carried.length;
        carried = Arrays.copyOfRange(window, Math.max(0, window.length - (pattern.length - 1)), window.length);
        outer:
        for (int i = 0; i + pattern.length <= window.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (window[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return windowPos + i;
        }
        return -1;
    }
}

package org.lamaworker.worker.image;

/**
 * A decoded upload: its pixels, as a viewer displays them, and what the file was.
 *
 * @param picture the pixels, in the picture's own colour space
 * @param info format, quality, colour profile and metadata
 */
public record DecodedImage(Picture picture, ImageInfo info) {}

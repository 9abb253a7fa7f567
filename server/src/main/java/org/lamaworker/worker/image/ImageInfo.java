package org.lamaworker.worker.image;

/**
 * What an uploaded picture was, beyond its pixels: the facts its output is written from when the
 * job asks for {@code format=auto}, and the colour profile and metadata the output keeps.
 *
 * @param format {@code jpeg}, {@code png}, {@code webp}, {@code tiff}, {@code bmp} or {@code gif}
 * @param lossless whether the file stored its pixels exactly (PNG, lossless WebP, ...)
 * @param quality the lossy file's quality (1-100), estimated from its coding; 0 when unknown or
 *     lossless
 * @param samplingH a JPEG's horizontal luma sampling factor (2 for 4:2:0 and 4:2:2, 1 for 4:4:4), 0
 *     for other formats
 * @param samplingV a JPEG's vertical luma sampling factor (2 for 4:2:0), 0 for other formats
 * @param profile the RGB colour profile the pixels are stored in, or {@code null} for sRGB
 * @param metadata the EXIF and XMP, their orientation already reset to match the turned pixels
 * @param orientation the EXIF orientation (1-8) that was applied to the pixels
 * @param grey whether the picture had one colour channel (grey, with or without alpha)
 */
public record ImageInfo(
        String format,
        boolean lossless,
        int quality,
        int samplingH,
        int samplingV,
        ColourProfile profile,
        Metadata metadata,
        int orientation,
        boolean grey) {
    /** Validates the parts. */
    public ImageInfo {
        if (format == null || format.isEmpty()) {
            throw new IllegalArgumentException("format is required");
        }
        if (quality < 0 || quality > 100) {
            throw new IllegalArgumentException("quality " + quality);
        }
        metadata = metadata == null ? Metadata.NONE : metadata;
    }

    /** A lossless picture in sRGB without metadata, as masks and generated pictures are. */
    public static ImageInfo plain(String format) {
        return new ImageInfo(
                format, true, 0, 0, 0, null, Metadata.NONE, ExifOrientation.NORMAL, false);
    }
}

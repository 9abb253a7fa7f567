package org.lamaworker.worker.image;

/**
 * What a file's container says besides its pixels, whatever the format: read from the bytes before
 * decoding, by {@link JpegMarkers}, {@link PngChunks} or {@link WebpChunks}.
 *
 * @param format {@code jpeg}, {@code png}, {@code webp}, or {@code other} (decided by the reader)
 * @param lossless whether the coding is lossless
 * @param quality the estimated quality of lossy coding, 0 when unknown
 * @param samplingH JPEG luma horizontal sampling factor, 0 for other formats
 * @param samplingV JPEG luma vertical sampling factor, 0 for other formats
 * @param animated whether the file is an animation
 * @param icc the embedded ICC profile, or {@code null}
 * @param exif the EXIF TIFF block, or {@code null}
 * @param xmp the XMP packet, or {@code null}
 */
record Container(
        String format,
        boolean lossless,
        int quality,
        int samplingH,
        int samplingV,
        boolean animated,
        byte[] icc,
        byte[] exif,
        byte[] xmp) {

    /** Reads the container of a file. */
    static Container read(byte[] bytes) {
        if (JpegMarkers.isJpeg(bytes)) {
            JpegMarkers.Info jpeg = JpegMarkers.read(bytes);
            return new Container(
                    "jpeg",
                    false,
                    JpegQuality.estimate(jpeg.lumaTable()),
                    jpeg.lumaH(),
                    jpeg.lumaV(),
                    false,
                    jpeg.components() == 4 ? null : jpeg.icc(),
                    jpeg.exif(),
                    jpeg.xmp());
        }
        if (PngChunks.isPng(bytes)) {
            PngChunks.Info png = PngChunks.read(bytes);
            return new Container("png", true, 0, 0, 0, false, png.icc(), png.exif(), png.xmp());
        }
        if (WebpChunks.isWebp(bytes)) {
            WebpChunks.Info webp = WebpChunks.read(bytes);
            return new Container(
                    "webp",
                    webp.lossless(),
                    webp.lossless() ? 0 : webp.quality(),
                    0,
                    0,
                    webp.animated(),
                    webp.icc(),
                    webp.exif(),
                    webp.xmp());
        }
        return new Container("other", true, 0, 0, 0, false, null, null, null);
    }
}

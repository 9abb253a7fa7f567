package org.lamaworker.worker.image;

import java.util.Arrays;
import java.util.Locale;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.worker.failure.JobFailure;

/**
 * How a result is written: format, quality, chroma subsampling, colour profile and metadata, chosen
 * from the job's options, the worker's defaults and what the input was. Immutable and checked when
 * built.
 *
 * @param format {@code png}, {@code jpeg} or {@code webp}
 * @param quality 1-100 for lossy output
 * @param lossless whether WebP output is lossless (PNG always is, JPEG never)
 * @param samplingH JPEG luma horizontal sampling factor: 1 or 2
 * @param samplingV JPEG luma vertical sampling factor: 1 or 2
 * @param icc the ICC profile to embed, or {@code null}
 * @param metadata the EXIF and XMP to write
 * @param grey whether to write one channel (luma) instead of three: for a grey input written as PNG
 *     or JPEG, which then keeps its single channel (WebP has no grey mode)
 */
public record OutputSettings(
        String format,
        int quality,
        boolean lossless,
        int samplingH,
        int samplingV,
        byte[] icc,
        Metadata metadata,
        boolean grey) {
    /** Validates the parts. */
    public OutputSettings {
        if (!format.equals("png") && !format.equals("jpeg") && !format.equals("webp")) {
            throw new IllegalArgumentException("format " + format);
        }
        if (quality < 1 || quality > 100) {
            throw new IllegalArgumentException("quality " + quality);
        }
        if (samplingH < 1 || samplingH > 2 || samplingV < 1 || samplingV > 2) {
            throw new IllegalArgumentException("sampling " + samplingH + "x" + samplingV);
        }
        metadata = metadata == null ? Metadata.NONE : metadata;
    }

    /** Settings in colour (three channels). */
    public OutputSettings(
            String format,
            int quality,
            boolean lossless,
            int samplingH,
            int samplingV,
            byte[] icc,
            Metadata metadata) {
        this(format, quality, lossless, samplingH, samplingV, icc, metadata, false);
    }

    /** PNG without profile or metadata. */
    public static OutputSettings png() {
        return new OutputSettings("png", 100, true, 1, 1, null, Metadata.NONE);
    }

    /** Baseline JPEG, 4:2:0, at the given quality, without profile or metadata. */
    public static OutputSettings jpeg(int quality) {
        return new OutputSettings("jpeg", quality, false, 2, 2, null, Metadata.NONE);
    }

    /**
     * The settings for a job's output.
     *
     * <ul>
     *   <li>Format: the job's, else {@code defaultFormat}; {@code auto} keeps a JPEG, PNG or WebP
     *       input's format and writes other formats as PNG.
     *   <li>Quality: the job's, else the input's own when the output is in the input's format (or a
     *       lossy input's, for lossy output in another format), else {@code defaultQuality}.
     *   <li>WebP is lossless when the input was lossless and the job gives no quality.
     *   <li>JPEG keeps a JPEG input's chroma subsampling (4:4:4, 4:2:2, 4:2:0); a picture that was
     *       not a JPEG is written 4:4:4, since it never lost its colour resolution.
     *   <li>A grey input stays grey in PNG and JPEG.
     *   <li>The colour profile is always kept; EXIF and XMP unless stripped.
     * </ul>
     */
    public static OutputSettings choose(
            ImageInfo input,
            JobOptions options,
            String defaultFormat,
            int defaultQuality,
            boolean defaultStrip) {
        String format = options.format() != null ? options.format() : defaultFormat;
        if (format.equals("auto")) {
            format = autoFormat(input.format());
        }
        int quality;
        if (options.quality() != null) {
            quality = options.quality();
        } else if (input.quality() > 0) {
            quality = input.quality();
        } else {
            quality = defaultQuality;
        }
        boolean lossless =
                format.equals("png")
                        || (format.equals("webp") && input.lossless() && options.quality() == null);
        int h = 1;
        int v = 1;
        if (input.format().equals("jpeg") && input.samplingH() > 0) {
            h = Math.min(2, input.samplingH());
            v = Math.min(2, input.samplingV());
        }
        boolean strip = options.stripMetadata() != null ? options.stripMetadata() : defaultStrip;
        return new OutputSettings(
                format,
                quality,
                lossless,
                h,
                v,
                input.profile() != null ? input.profile().bytes() : null,
                strip ? Metadata.NONE : input.metadata(),
                input.grey() && !format.equals("webp"));
    }

    /**
     * The output format a file name's extension names: {@code png}, {@code jpeg} ({@code .jpg},
     * {@code .jpeg}) or {@code webp}; {@code null} for any other.
     */
    public static String formatOfFileName(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".png")) {
            return "png";
        }
        if (lower.endsWith(".jpg") || lower.endsWith(".jpeg")) {
            return "jpeg";
        }
        return lower.endsWith(".webp") ? "webp" : null;
    }

    /** The output format {@code auto} picks for an input format. */
    public static String autoFormat(String inputFormat) {
        return switch (inputFormat) {
            case "jpeg", "webp" -> inputFormat;
            default -> "png";
        };
    }

    /** The largest width and height a WebP can have (14 bits each). */
    public static final int WEBP_MAX_SIDE = 16383;

    /** The largest width and height a JPEG can have (16 bits each). */
    public static final int JPEG_MAX_SIDE = 65535;

    /**
     * Fails when the format cannot hold a picture of this size.
     *
     * @throws JobFailure UNSUPPORTED_IMAGE_FORMAT naming the limit and the formats that can
     */
    public void checkFits(int width, int height) {
        int max =
                switch (format) {
                    case "webp" -> WEBP_MAX_SIDE;
                    case "jpeg" -> JPEG_MAX_SIDE;
                    default -> Integer.MAX_VALUE;
                };
        if (width > max || height > max) {
            throw new JobFailure(
                    ErrorCode.UNSUPPORTED_IMAGE_FORMAT,
                    "the picture is "
                            + width
                            + "x"
                            + height
                            + " but "
                            + format
                            + " holds at most "
                            + max
                            + " pixels a side; ask for format png");
        }
    }

    /** The MIME type of the output. */
    public String contentType() {
        return switch (format) {
            case "jpeg" -> "image/jpeg";
            case "webp" -> "image/webp";
            default -> "image/png";
        };
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof OutputSettings o
                && format.equals(o.format)
                && quality == o.quality
                && lossless == o.lossless
                && samplingH == o.samplingH
                && samplingV == o.samplingV
                && Arrays.equals(icc, o.icc)
                && metadata.equals(o.metadata)
                && grey == o.grey;
    }

    @Override
    public int hashCode() {
        return format.hashCode() * 31 + quality;
    }

    @Override
    public String toString() {
        return "OutputSettings["
                + format
                + (lossless ? " lossless" : " q" + quality)
                + (format.equals("jpeg") ? " " + samplingH + "x" + samplingV : "")
                + (grey ? " grey" : "")
                + (icc != null ? " icc " + icc.length + " bytes" : "")
                + ", "
                + metadata
                + "]";
    }
}

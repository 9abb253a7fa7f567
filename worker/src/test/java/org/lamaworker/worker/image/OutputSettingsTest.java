package org.lamaworker.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.JobOptions;

/** What {@code format=auto} and the other options write, for each kind of input. */
class OutputSettingsTest {
    private static final Metadata EXIF = new Metadata(new byte[] {'M', 'M', 0, 42}, null);

    private static ImageInfo jpeg(int quality, int h, int v) {
        return new ImageInfo("jpeg", false, quality, h, v, null, EXIF, 1, false);
    }

    private static JobOptions options(String format, Integer quality, Boolean strip) {
        return new JobOptions(null, null, null, null, null, format, quality, strip);
    }

    private static OutputSettings choose(ImageInfo input, JobOptions options) {
        return OutputSettings.choose(input, options, "auto", 92, false);
    }

    @Test
    void autoKeepsTheInputsFormatQualityAndSampling() {
        OutputSettings s = choose(jpeg(83, 2, 1), JobOptions.DEFAULTS);
        assertThat(s.format()).isEqualTo("jpeg");
        assertThat(s.quality()).isEqualTo(83);
        assertThat(s.samplingH()).isEqualTo(2);
        assertThat(s.samplingV()).isEqualTo(1);
        assertThat(s.metadata()).isEqualTo(EXIF);
        assertThat(s.contentType()).isEqualTo("image/jpeg");

        ImageInfo lossless = new ImageInfo("webp", true, 0, 0, 0, null, Metadata.NONE, 1, false);
        assertThat(choose(lossless, JobOptions.DEFAULTS).lossless()).isTrue();
        ImageInfo lossy = new ImageInfo("webp", false, 71, 0, 0, null, Metadata.NONE, 1, false);
        OutputSettings webp = choose(lossy, JobOptions.DEFAULTS);
        assertThat(webp.lossless()).isFalse();
        assertThat(webp.quality()).isEqualTo(71);

        assertThat(OutputSettings.formatOfFileName("Photo.JPEG")).isEqualTo("jpeg");
        assertThat(OutputSettings.formatOfFileName("a.webp")).isEqualTo("webp");
        assertThat(OutputSettings.formatOfFileName("scan.tif")).isNull();
        for (String other : new String[] {"png", "tiff", "bmp", "gif"}) {
            assertThat(choose(ImageInfo.plain(other), JobOptions.DEFAULTS).format())
                    .isEqualTo("png");
        }
    }

    @Test
    void theJobAndTheWorkerDefaultsOverrideAuto() {
        assertThat(choose(jpeg(83, 2, 2), options("png", null, null)).format()).isEqualTo("png");
        assertThat(choose(jpeg(83, 2, 2), options(null, 60, null)).quality()).isEqualTo(60);
        assertThat(
                        OutputSettings.choose(jpeg(83, 2, 2), JobOptions.DEFAULTS, "png", 92, false)
                                .format())
                .isEqualTo("png");
        // A PNG written as JPEG never lost colour resolution: 4:4:4 at the worker's quality.
        OutputSettings fromPng = choose(ImageInfo.plain("png"), options("jpeg", null, null));
        assertThat(fromPng.quality()).isEqualTo(92);
        assertThat(fromPng.samplingH()).isEqualTo(1);
        // A quality makes WebP lossy even for a lossless input.
        assertThat(choose(ImageInfo.plain("png"), options("webp", 70, null)).lossless()).isFalse();
        assertThat(choose(ImageInfo.plain("png"), options("webp", null, null)).lossless()).isTrue();
        // Grey stays grey where the format has it.
        ImageInfo grey = new ImageInfo("jpeg", false, 90, 1, 1, null, Metadata.NONE, 1, true);
        assertThat(choose(grey, JobOptions.DEFAULTS).grey()).isTrue();
        assertThat(choose(grey, options("png", null, null)).grey()).isTrue();
        assertThat(choose(grey, options("webp", null, null)).grey()).isFalse();
    }

    @Test
    void strippingDropsExifAndXmpButKeepsTheProfile() throws Exception {
        ColourProfile p3 = ColourProfile.of(ImageCodecTest.resource("formats/DisplayP3.icc"));
        ImageInfo input = new ImageInfo("jpeg", false, 90, 2, 2, p3, EXIF, 1, false);
        OutputSettings stripped = choose(input, options(null, null, true));
        assertThat(stripped.metadata().isEmpty()).isTrue();
        assertThat(stripped.icc()).isEqualTo(p3.bytes());
        assertThat(OutputSettings.choose(input, JobOptions.DEFAULTS, "auto", 92, true).metadata())
                .isEqualTo(Metadata.NONE);
        assertThat(choose(input, options(null, null, false)).metadata()).isEqualTo(EXIF);
    }

    @Test
    void aPictureTooWideForItsFormatIsRefusedNamingTheLimit() {
        OutputSettings webp = choose(ImageInfo.plain("png"), options("webp", null, null));
        webp.checkFits(16383, 100);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> webp.checkFits(20000, 100))
                .isInstanceOf(org.lamaworker.worker.failure.JobFailure.class)
                .hasMessageContaining("16383")
                .hasMessageContaining("format png");
        choose(ImageInfo.plain("png"), options("png", null, null)).checkFits(100_000, 100);
    }
}

package org.lamaworker.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.ModelContract;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.InpaintModel;
import org.lamaworker.worker.inference.reference.ReferenceFillModel;
import org.lamaworker.worker.testing.Corpus;

/**
 * Every corpus picture through every strategy that applies, with a model of each size contract: the
 * output has the input's size, nothing farther than the mask's reach changes, the hole does.
 */
class StrategyCorpusTest {
    private static final WorkerConfig CONFIG = ConfigLoader.load(null, Map.of(), Map.of());
    private static final Map<String, InpaintModel> MODELS = new java.util.HashMap<>();

    @BeforeAll
    static void loadModels() {
        MODELS.put(
                "dynamic",
                InpaintModel.fromBytes(
                        ReferenceFillModel.build(),
                        "reference-dynamic",
                        InpaintModel.Options.detect(null, 0)));
        MODELS.put(
                "fixed512",
                InpaintModel.fromBytes(
                        ReferenceFillModel.build(512),
                        "reference-512",
                        InpaintModel.Options.detect(null, 0)));
        MODELS.put(
                "single-input",
                InpaintModel.fromBytes(
                        ReferenceFillModel.build(ModelContract.C, 0),
                        "reference-c",
                        InpaintModel.Options.detect(null, 0)));
        MODELS.put(
                "single-input-512",
                InpaintModel.fromBytes(
                        ReferenceFillModel.build(ModelContract.C, 512),
                        "reference-c-512",
                        InpaintModel.Options.detect(null, 0)));
    }

    @AfterAll
    static void closeModels() {
        MODELS.values().forEach(InpaintModel::close);
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (String picture : Corpus.PICTURES) {
            for (String strategy : List.of("crop", "resize", "original", "auto")) {
                cases.add(Arguments.of(picture, "dynamic", strategy));
            }
            for (String strategy : List.of("crop", "resize", "auto")) {
                cases.add(Arguments.of(picture, "fixed512", strategy));
            }
            cases.add(Arguments.of(picture, "single-input", "auto"));
            cases.add(Arguments.of(picture, "single-input-512", "crop"));
        }
        return cases.stream();
    }

    static Stream<Arguments> formats() {
        List<Arguments> cases = new ArrayList<>();
        Corpus.FORMATS.forEach(
                (picture, mask) -> {
                    for (String strategy : List.of("crop", "resize", "original", "auto")) {
                        cases.add(Arguments.of(picture, mask, "dynamic", strategy));
                    }
                    cases.add(Arguments.of(picture, mask, "fixed512", "crop"));
                });
        for (String mask : Corpus.COFFEE_MASK_FORMATS) {
            cases.add(Arguments.of("coffee.png", mask, "dynamic", "auto"));
            cases.add(Arguments.of("coffee.png", mask, "fixed512", "crop"));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} with {1}, {2} {3}")
    @MethodSource("formats")
    void formatsComeBackRight(String picture, String mask, String model, String strategy) {
        Inpainting work = new Inpainting(MODELS.get(model), CONFIG);
        JobOptions options = new JobOptions(strategy, null, null, null, null, "png", null);
        Inpainting.Encoded result =
                work.inpaint(Corpus.bytes(picture), Corpus.bytes(mask), options);
        Corpus.assertInpainted(picture, mask, result.bytes(), Corpus.DEFAULT_REACH_PX, true);
        if (picture.contains("rgba") || picture.contains("alpha")) {
            var out =
                    org.lamaworker.worker.image.ImageCodec.decode(
                            result.bytes(), "output", Long.MAX_VALUE);
            var in =
                    org.lamaworker.worker.image.ImageCodec.decode(
                            Corpus.bytes(picture), "image", Long.MAX_VALUE);
            assertThat(out.hasAlpha()).isTrue();
            for (int i = 0; i < in.pixels(); i++) {
                assertThat(out.argb()[i] >>> 24).isEqualTo(in.argb()[i] >>> 24);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void comesBackRight(String picture, String model, String strategy) {
        Inpainting work = new Inpainting(MODELS.get(model), CONFIG);
        JobOptions options = new JobOptions(strategy, null, null, null, null, "png", null);
        Inpainting.Encoded result =
                work.inpaint(Corpus.bytes(picture), Corpus.bytes(Corpus.maskOf(picture)), options);
        assertThat(result.contentType()).isEqualTo("image/png");
        Corpus.assertInpainted(picture, result.bytes());
    }
}

package org.lamaworker.worker.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.failure.JobFailure;

/** Buckets outside the allow-list and output keys outside the prefix are refused up front. */
class AccessPolicyTest {
    private static AccessPolicy policy(String allowed, String prefix) {
        WorkerConfig config =
                ConfigLoader.load(
                        null,
                        Map.of(
                                "LAMA_STORAGE_ALLOWED_BUCKETS", allowed,
                                "LAMA_STORAGE_OUTPUT_PREFIX", prefix),
                        Map.of());
        return new AccessPolicy(config.storage());
    }

    private static InpaintJob job(String imageBucket, ObjectRef output) {
        return new InpaintJob(
                1,
                "job-1",
                new ObjectRef(imageBucket, "in/a.png"),
                new ObjectRef("photos", "in/a.mask.png"),
                output,
                JobOptions.DEFAULTS,
                null,
                null);
    }

    private static ErrorCode refusal(AccessPolicy policy, InpaintJob job) {
        try {
            policy.check(job);
        } catch (JobFailure f) {
            return f.code();
        }
        return null;
    }

    @Test
    void anyBucketAndKeyWithoutConfiguration() {
        AccessPolicy open = policy("", "");
        assertThat(open.check(job("elsewhere", null)).resolve("png"))
                .isEqualTo(new ObjectRef("elsewhere", "results/job-1.png"));
        // With format auto the extension follows the format the input turned out to be.
        assertThat(open.check(job("elsewhere", null)).resolve("jpeg"))
                .isEqualTo(new ObjectRef("elsewhere", "results/job-1.jpg"));
        ObjectRef given = new ObjectRef("elsewhere", "mine/out.png");
        assertThat(open.check(job("elsewhere", given)).resolve("webp")).isEqualTo(given);
    }

    @Test
    void bucketsOutsideTheAllowListAreRefusedForImageMaskAndOutput() {
        AccessPolicy allowList = policy("photos, results", "");
        assertThat(refusal(allowList, job("photos", new ObjectRef("results", "x.png")))).isNull();
        assertThat(refusal(allowList, job("secrets", null)))
                .isEqualTo(ErrorCode.BUCKET_NOT_ALLOWED);
        assertThat(refusal(allowList, job("photos", new ObjectRef("secrets", "x.png"))))
                .isEqualTo(ErrorCode.BUCKET_NOT_ALLOWED);
        assertThatThrownBy(() -> allowList.check(job("secrets", null)))
                .hasMessageContaining("image.bucket secrets")
                .hasMessageContaining("storage.allowedBuckets");
    }

    @Test
    void outputKeysCannotClimbOutOrLeaveThePrefix() {
        AccessPolicy anyKey = policy("", "");
        for (String key : new String[] {"a/../b.png", "../b.png", "a/./b.png", "/abs.png"}) {
            assertThat(refusal(anyKey, job("photos", new ObjectRef("photos", key))))
                    .as(key)
                    .isEqualTo(ErrorCode.OUTPUT_KEY_NOT_ALLOWED);
        }
        assertThat(refusal(anyKey, job("photos", new ObjectRef("photos", "a/..b/c..png"))))
                .isNull();

        AccessPolicy prefixed = policy("", "tenant-7/out/");
        assertThat(refusal(prefixed, job("photos", new ObjectRef("photos", "tenant-7/x.png"))))
                .isEqualTo(ErrorCode.OUTPUT_KEY_NOT_ALLOWED);
        assertThat(
                        refusal(
                                prefixed,
                                job("photos", new ObjectRef("photos", "tenant-7/out/../x.png"))))
                .isEqualTo(ErrorCode.OUTPUT_KEY_NOT_ALLOWED);
        // Without an output, the default key moves under the prefix.
        assertThat(prefixed.check(job("photos", null)).resolve("webp"))
                .isEqualTo(new ObjectRef("photos", "tenant-7/out/job-1.webp"));
    }
}

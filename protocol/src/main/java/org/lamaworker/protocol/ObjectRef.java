package org.lamaworker.protocol;

/**
 * The location of an object in S3-compatible storage.
 *
 * @param bucket the bucket name
 * @param key the object key
 */
public record ObjectRef(String bucket, String key) {
    /** Validates both parts. */
    public ObjectRef {
        Checks.bucket("bucket", bucket);
        Checks.key("key", key);
    }

    @Override
    public String toString() {
        return "s3://" + bucket + "/" + key;
    }
}

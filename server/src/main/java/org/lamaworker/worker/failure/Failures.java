package org.lamaworker.worker.failure;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.JobError;
import org.lamaworker.protocol.ProtocolException;

/** The one place where a throwable becomes the error on a FAILED result. */
public final class Failures {
    private Failures() {}

    /** Maps any failure to the error reported to the job's producer. */
    public static JobError toError(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof JobFailure f) {
            return JobError.of(f.code(), f.getMessage());
        }
        if (t instanceof ProtocolException p) {
            ErrorCode code =
                    switch (p.reason()) {
                        case MALFORMED -> ErrorCode.MALFORMED_JOB;
                        case INVALID_FIELD -> ErrorCode.INVALID_JOB;
                        case UNSUPPORTED_VERSION -> ErrorCode.UNSUPPORTED_VERSION;
                    };
            return JobError.of(code, p.getMessage());
        }
        if (t instanceof OutOfMemoryError) {
            return JobError.of(
                    ErrorCode.INTERNAL_ERROR,
                    "the worker ran out of memory on this job; lower image.maxPixels or"
                            + " inference.maxPixels");
        }
        // Unexpected: report the type only; the message may hold details not meant for producers.
        return JobError.of(
                ErrorCode.INTERNAL_ERROR,
                "unexpected " + t.getClass().getSimpleName() + " in the worker; see its logs");
    }

    /** The code of a failure, as {@link #toError} would report it. */
    public static ErrorCode codeOf(Throwable failure) {
        return ErrorCode.valueOf(toError(failure).code());
    }

    static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}

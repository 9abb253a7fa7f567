package org.lamaworker.worker.storage;

import java.util.Objects;

/**
 * A model could not be downloaded over HTTP, for a reason the person starting the worker can act
 * on. The {@link Kind} lets the caller choose what to do (start-up stops either way); the message
 * says what happened and, where the source cannot be used, how to proceed without it. Messages name
 * the source as scheme://host/path only: never credentials or a query string that may carry a
 * token.
 */
public final class ModelDownloadException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why the download failed. */
    public enum Kind {
        /** No answer: refused connection, unknown host, timeout or a TLS handshake that failed. */
        UNREACHABLE,
        /** The source answered with an HTTP status other than success. */
        HTTP_STATUS,
        /**
         * The body broke off again and again; the partial file is kept and a later run resumes it.
         */
        INCOMPLETE,
        /** The file has another size than the pinned one; nothing was kept. */
        SIZE_MISMATCH,
        /** The file has another SHA-256 than the pinned one; nothing was kept. */
        CHECKSUM_MISMATCH,
        /** The cache directory could not be written (permissions, full disk). */
        LOCAL_IO
    }

    private final Kind kind;

    ModelDownloadException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /** Why the download failed. */
    public Kind kind() {
        return kind;
    }
}

package org.lamaworker.worker.storage;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLockInterruptionException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.lamaworker.worker.storage.ModelDownloadException.Kind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a pinned model file from an http(s) URL into the model cache, for workers that start from
 * a public export or a URL instead of S3. Such a file is hundreds of MB fetched over the internet
 * at start-up, so this class takes care that:
 *
 * <ul>
 *   <li>one process on a host downloads it while the others (other JVMs, other threads) wait and
 *       then reuse it: an exclusive lock on a {@code NAME.lock} file beside it, plus a lock per
 *       path inside this JVM because file locks do not exclude threads of one process;
 *   <li>a connection cut mid-body costs only the rest: the bytes so far stay in {@code NAME.part}
 *       and the next attempt (or the next run) asks for the remainder with a Range request;
 *   <li>nothing is used unverified: the complete file must have the pinned size and SHA-256 before
 *       it is renamed, atomically, to its name in the cache; a file that fails is deleted;
 *   <li>every failure says what to do, including how to run without the source.
 * </ul>
 *
 * Blocking: call it off the event loop. The caller builds the {@link HttpClient} (proxy, TLS,
 * redirects: sources that redirect to a CDN need {@code followRedirects(NORMAL)}).
 */
public final class HttpModelDownload {
    private static final Logger LOG = LoggerFactory.getLogger(HttpModelDownload.class);

    // One lock per cache file for the life of the JVM: a worker fetches a handful of models, and a
    // lock removed while another thread waits on it would let two threads download at once.
    private static final ConcurrentMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern UNSATISFIABLE_RANGE = Pattern.compile("bytes \\*/(\\d+)");

    // Only a successful body is streamed to the file; an error's body is read and dropped.
    private static final HttpResponse.BodyHandler<Flow.Publisher<List<ByteBuffer>>> BODY =
            info ->
                    info.statusCode() == 200 || info.statusCode() == 206
                            ? HttpResponse.BodySubscribers.ofPublisher()
                            : HttpResponse.BodySubscribers.replacing(null);

    private final HttpClient client;
    private final int attempts;
    private final Duration backoff;
    private final Duration answerTimeout;
    private final Duration idleTimeout;

    /**
     * What {@link #fetch} gives back.
     *
     * @param file the verified file in the cache
     * @param reused whether it was there already (no request was made)
     */
    public record Fetched(Path file, boolean reused) {}

    /**
     * Downloads with {@code client}: up to 5 attempts in a row without progress (waiting 1 s, then
     * doubling), 60 s for the response headers and 60 s at most without a byte of the body.
     */
    public HttpModelDownload(HttpClient client) {
        this(client, 5, Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(60));
    }

    /**
     * @param attempts attempts in a row that may fail without bringing a byte
     * @param backoff the wait after the first failure, doubled after each further one
     * @param answerTimeout how long to wait for the response headers
     * @param idleTimeout how long the body may bring nothing before the attempt counts as cut
     */
    HttpModelDownload(
            HttpClient client,
            int attempts,
            Duration backoff,
            Duration answerTimeout,
            Duration idleTimeout) {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
        }
        this.client = Objects.requireNonNull(client, "client");
        this.attempts = attempts;
        this.backoff = backoff;
        this.answerTimeout = answerTimeout;
        this.idleTimeout = idleTimeout;
    }

    /**
     * The verified file at {@code target}: the one already there when it has the expected size and
     * SHA-256, else downloaded from {@code source}. Blocks while another thread or process on this
     * host downloads the same target, then reuses its file.
     *
     * @param source an {@code https} or {@code http} URL
     * @param target the file in the cache (see {@link ModelCache#cachedFile}); its directory is
     *     created when missing
     * @param expectedSize the size in bytes, or -1 when unknown
     * @param expectedSha256 the SHA-256 as hex (required: nothing unverified is kept)
     * @param progress hears the transfer's progress (not called when the file is reused)
     * @throws ModelDownloadException when the file could not be had; {@link
     *     ModelDownloadException#kind()} says why
     * @throws InterruptedException when the thread was interrupted; a partial download is kept for
     *     the next attempt
     */
    public Fetched fetch(
            URI source,
            Path target,
            long expectedSize,
            String expectedSha256,
            DownloadProgress progress)
            throws ModelDownloadException, InterruptedException {
        Wanted wanted = Wanted.of(source, target, expectedSize, expectedSha256);
        Objects.requireNonNull(progress, "progress");
        ReentrantLock inThisJvm = JVM_LOCKS.computeIfAbsent(wanted.file, f -> new ReentrantLock());
        if (!inThisJvm.tryLock()) {
            LOG.info("Waiting for another thread's download of {}", wanted.file);
            inThisJvm.lockInterruptibly();
        }
        try {
            return fetchHoldingTheJvmLock(wanted, progress);
        } finally {
            inThisJvm.unlock();
        }
    }

    private Fetched fetchHoldingTheJvmLock(Wanted wanted, DownloadProgress progress)
            throws ModelDownloadException, InterruptedException {
        Path lockFile = wanted.sibling(".lock");
        // The lock file stays: deleting it could let a process lock a file another has just
        // unlinked, and two would download at once.
        try (FileChannel channel =
                FileChannel.open(
                        createParent(wanted, lockFile),
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE)) {
            // Blocks while another process holds it; closing the channel releases it.
            if (channel.tryLock() == null) {
                LOG.info("Waiting for another process's download of {}", wanted.file);
                channel.lock();
            }
            if (Files.isRegularFile(wanted.file)) {
                Mismatch mismatch = check(wanted, wanted.file);
                if (mismatch == null) {
                    LOG.info("Model {} is in the cache: {}", wanted.where, wanted.file);
                    return new Fetched(wanted.file, true);
                }
                // Not the pinned file (placed by hand, or damaged): it goes now, so that a failed
                // download below leaves nothing unverified under the target's name.
                LOG.warn(
                        "{} {}; deleting it and downloading it again from {}",
                        wanted.file,
                        mismatch.detail,
                        wanted.where);
                Files.delete(wanted.file);
            }
            download(wanted, progress);
            return new Fetched(wanted.file, false);
        } catch (ClosedByInterruptException | FileLockInterruptionException e) {
            // The channel saw the interrupt; report it the usual way (flag cleared, exception).
            Thread.interrupted();
            throw new InterruptedException("interrupted while waiting for " + lockFile);
        } catch (IOException e) {
            throw localFailure(wanted, "could not lock or read " + lockFile.getParent(), e);
        }
    }

    private static Path createParent(Wanted wanted, Path file) throws ModelDownloadException {
        try {
            Files.createDirectories(file.getParent());
            return file;
        } catch (IOException e) {
            throw localFailure(wanted, "could not create " + file.getParent(), e);
        }
    }

    private void download(Wanted wanted, DownloadProgress progress)
            throws ModelDownloadException, InterruptedException {
        // A .part left by an earlier run is resumed; if the result then fails verification, the
        // fault may be in those old bytes (another file, a torn write), so it is fetched once more
        // from the start before the source itself is blamed.
        boolean leftover = Files.isRegularFile(wanted.part) && sizeOf(wanted, wanted.part) > 0;
        while (true) {
            try {
                new Transfer(wanted, progress).run();
            } catch (ModelDownloadException | InterruptedException e) {
                dropIfEmpty(wanted.part);
                throw e;
            }
            Mismatch mismatch;
            try {
                mismatch = check(wanted, wanted.part);
            } catch (IOException e) {
                throw localFailure(wanted, "could not read " + wanted.part, e);
            }
            if (mismatch == null) {
                keep(wanted);
                return;
            }
            deletePart(wanted);
            if (!leftover) {
                throw wanted.refused(mismatch);
            }
            LOG.warn(
                    "The download resumed from {} {}; starting again from the first byte",
                    wanted.part,
                    mismatch.detail);
            leftover = false;
        }
    }

    /** A .part without a byte helps no later run; a failure leaves no litter behind. */
    private static void dropIfEmpty(Path part) {
        try {
            if (Files.size(part) == 0) {
                Files.delete(part);
            }
        } catch (IOException e) {
            // Gone already, or unreadable: either way there is nothing to tidy.
        }
    }

    private static void keep(Wanted wanted) throws ModelDownloadException {
        try {
            Files.move(
                    wanted.part,
                    wanted.file,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw localFailure(wanted, "could not rename " + wanted.part, e);
        }
        LOG.info("Model {} downloaded and verified: {}", wanted.where, wanted.file);
    }

    /** How the file differs from the pinned one, or null when it is the pinned one. */
    private static Mismatch check(Wanted wanted, Path file) throws IOException {
        long size = Files.size(file);
        if (wanted.size >= 0 && size != wanted.size) {
            return new Mismatch(
                    Kind.SIZE_MISMATCH, "is " + size + " bytes, expected " + wanted.size);
        }
        String sha256 = ModelCache.sha256Hex(file);
        if (!sha256.equals(wanted.sha256)) {
            return new Mismatch(
                    Kind.CHECKSUM_MISMATCH,
                    "has SHA-256 " + sha256 + ", expected " + wanted.sha256);
        }
        return null;
    }

    private static long sizeOf(Wanted wanted, Path file) throws ModelDownloadException {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw localFailure(wanted, "could not read " + file, e);
        }
    }

    private static void deletePart(Wanted wanted) throws ModelDownloadException {
        try {
            Files.deleteIfExists(wanted.part);
        } catch (IOException e) {
            throw localFailure(wanted, "could not delete " + wanted.part, e);
        }
    }

    /**
     * The attempts of one transfer into the {@code .part} file, until the source says the file is
     * complete: resumes after a cut, starts over when the source cannot resume.
     */
    private final class Transfer {
        private final Wanted wanted;
        private final DownloadProgress progress;
        private long have;
        private long total;
        private boolean answered;
        private boolean reported;
        // A strong validator of the full response, sent with later Range requests so that a source
        // whose file changed in between answers with the whole new file instead of a mixed one.
        private String entityTag;

        Transfer(Wanted wanted, DownloadProgress progress) {
            this.wanted = wanted;
            this.progress = progress;
            this.total = wanted.size;
        }

        void run() throws ModelDownloadException, InterruptedException {
            try (FileChannel out =
                    FileChannel.open(
                            wanted.part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                have = out.size();
                if (wanted.size >= 0 && have > wanted.size) {
                    truncate(out);
                }
                if (wanted.size >= 0 && have == wanted.size) {
                    return;
                }
                if (have > 0) {
                    LOG.info("Resuming {} at byte {} into {}", wanted.where, have, wanted.part);
                } else {
                    LOG.info("Downloading {} into {}", wanted.where, wanted.part);
                }
                attempts(out);
                out.force(true);
            } catch (ClosedByInterruptException e) {
                Thread.interrupted();
                throw new InterruptedException("interrupted while writing " + wanted.part);
            } catch (IOException e) {
                throw localFailure(wanted, "could not write " + wanted.part, e);
            } finally {
                if (reported) {
                    progress.onEnd(have, total);
                }
            }
        }

        private void attempts(FileChannel out)
                throws ModelDownloadException, InterruptedException, IOException {
            int failures = 0;
            while (true) {
                long before = have;
                IOException problem = attempt(out);
                if (problem == null) {
                    return;
                }
                // Progress restarts the count: a slow link that breaks every 50 MB still finishes.
                failures = have > before ? 1 : failures + 1;
                if (failures >= attempts) {
                    throw gaveUp(problem);
                }
                long wait = backoff.toMillis() << Math.min(failures - 1, 10);
                LOG.warn(
                        "The download of {} broke off at {} bytes ({}); trying again in {} ms",
                        wanted.where,
                        have,
                        wanted.describe(problem),
                        wait);
                Thread.sleep(wait);
            }
        }

        /** One request: null when the file is complete, else why to try again. */
        private IOException attempt(FileChannel out)
                throws ModelDownloadException, InterruptedException, IOException {
            HttpRequest.Builder request =
                    HttpRequest.newBuilder(wanted.source).timeout(answerTimeout).GET();
            if (have > 0) {
                request.header("Range", "bytes=" + have + "-");
                if (entityTag != null) {
                    request.header("If-Range", entityTag);
                }
            }
            HttpResponse<Flow.Publisher<List<ByteBuffer>>> response;
            try {
                response = client.send(request.build(), BODY);
            } catch (IOException e) {
                // Fail at once when the source was never reached: retrying a refused connection or
                // an unknown host only delays the message.
                if (!answered && unreachable(e)) {
                    throw wanted.unreachable(e);
                }
                return e;
            }
            answered = true;
            int status = response.statusCode();
            String contentRange = response.headers().firstValue("Content-Range").orElse("");
            long end;
            if (status == 200) {
                if (have > 0) {
                    LOG.info(
                            "{} sent the whole file instead of the rest; starting over",
                            wanted.where);
                    truncate(out);
                }
                entityTag = strong(response.headers().firstValue("ETag").orElse(null));
                end = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                if (end >= 0) {
                    learnTotal(end);
                }
            } else if (status == 206) {
                Matcher range = CONTENT_RANGE.matcher(contentRange);
                if (!range.matches() || Long.parseLong(range.group(1)) != have) {
                    discard(response.body());
                    truncate(out);
                    return new IOException(
                            "the answer to a Range request had Content-Range '"
                                    + contentRange
                                    + "'; starting over");
                }
                if (!"*".equals(range.group(3))) {
                    learnTotal(Long.parseLong(range.group(3)));
                }
                end = Long.parseLong(range.group(2)) + 1;
            } else if (status == 416 && have > 0) {
                // Nothing left to send from here: either the .part is complete already, or it is
                // longer than the source's file and useless.
                Matcher range = UNSATISFIABLE_RANGE.matcher(contentRange);
                if (range.matches() && Long.parseLong(range.group(1)) == have) {
                    return null;
                }
                truncate(out);
                return new IOException("the source refused to resume (HTTP 416); starting over");
            } else if (status == 429 || status >= 500) {
                return new StatusProblem(status);
            } else {
                throw wanted.httpStatus(status);
            }
            return receive(out, response.body(), end);
        }

        /** Appends the body: null when it ended where it should, else why it did not. */
        private IOException receive(
                FileChannel out, Flow.Publisher<List<ByteBuffer>> publisher, long end)
                throws ModelDownloadException, InterruptedException, IOException {
            BodyQueue body = new BodyQueue();
            publisher.subscribe(body);
            boolean ended = false;
            try {
                report();
                for (List<ByteBuffer> buffers = body.next(idleTimeout);
                        buffers != null;
                        buffers = body.next(idleTimeout)) {
                    for (ByteBuffer buffer : buffers) {
                        while (buffer.hasRemaining()) {
                            have += out.write(buffer, have);
                        }
                    }
                    if (wanted.size >= 0 && have > wanted.size) {
                        body.cancel();
                        deletePart(wanted);
                        throw wanted.refused(
                                new Mismatch(
                                        Kind.SIZE_MISMATCH,
                                        "is more than "
                                                + wanted.size
                                                + " bytes (at least "
                                                + have
                                                + "), expected "
                                                + wanted.size));
                    }
                    report();
                    body.more();
                }
                ended = true;
            } catch (BodyQueue.Broken e) {
                return e.network;
            } finally {
                if (!ended) {
                    body.cancel();
                }
            }
            if (end >= 0 && have < end) {
                return new EOFException("the body ended at byte " + have + " of " + end);
            }
            return null;
        }

        private void report() {
            reported = true;
            progress.onProgress(have, total);
        }

        /**
         * What the source says the whole file measures; fails early when it is not the pinned size.
         */
        private void learnTotal(long size) throws ModelDownloadException {
            if (wanted.size >= 0 && size != wanted.size) {
                deletePart(wanted);
                throw wanted.refused(
                        new Mismatch(
                                Kind.SIZE_MISMATCH,
                                "is " + size + " bytes, expected " + wanted.size));
            }
            total = size;
        }

        private void truncate(FileChannel out) throws IOException {
            out.truncate(0);
            have = 0;
        }

        private ModelDownloadException gaveUp(IOException problem) {
            if (problem instanceof StatusProblem status) {
                return wanted.httpStatus(status.status);
            }
            if (!answered) {
                return wanted.unreachable(problem);
            }
            return new ModelDownloadException(
                    Kind.INCOMPLETE,
                    "The download of "
                            + wanted.where
                            + " broke off "
                            + (attempts == 1 ? "once" : attempts + " times in a row")
                            + ", at byte "
                            + have
                            + (total >= 0 ? " of " + total : "")
                            + " (last: "
                            + wanted.describe(problem)
                            + "). "
                            + wanted.part
                            + " is kept and the next start resumes it."
                            + wanted.offlineHint(),
                    problem);
        }
    }

    private static void discard(Flow.Publisher<List<ByteBuffer>> publisher) {
        BodyQueue body = new BodyQueue();
        publisher.subscribe(body);
        body.cancel();
    }

    /** Weak tags (W/...) may not be used with If-Range. */
    private static String strong(String entityTag) {
        return entityTag != null && entityTag.startsWith("\"") ? entityTag : null;
    }

    private static boolean unreachable(Throwable e) {
        return causedBy(e, ConnectException.class)
                || causedBy(e, NoRouteToHostException.class)
                || causedBy(e, UnknownHostException.class)
                || causedBy(e, UnresolvedAddressException.class)
                || causedBy(e, HttpTimeoutException.class)
                || causedBy(e, SSLException.class);
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        return cause(e, type) != null;
    }

    /** The first throwable of {@code type} in the chain of causes, or null. */
    private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static ModelDownloadException localFailure(Wanted wanted, String what, IOException e) {
        return new ModelDownloadException(
                Kind.LOCAL_IO,
                "The model cache "
                        + what
                        + " ("
                        + e
                        + "): check that the cache directory is writable and has room for "
                        + (wanted.size >= 0 ? wanted.size + " bytes" : "the model"),
                e);
    }

    /** A retryable HTTP status (overload, server error), kept to name it if retries run out. */
    private static final class StatusProblem extends IOException {
        private static final long serialVersionUID = 1L;
        final int status;

        StatusProblem(int status) {
            super("HTTP " + status);
            this.status = status;
        }
    }

    private record Mismatch(Kind kind, String detail) {}

    /** What is to be fetched and where, with the source's printable form. */
    private record Wanted(
            URI source, String where, Path file, Path part, long size, String sha256) {
        static Wanted of(URI source, Path target, long size, String sha256) {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(sha256, "expectedSha256");
            String scheme = source.getScheme() == null ? "" : source.getScheme();
            String where = printable(source);
            boolean web = scheme.equalsIgnoreCase("https") || scheme.equalsIgnoreCase("http");
            if (!web || source.getHost() == null) {
                throw new IllegalArgumentException(
                        "a model URL must be http(s)://host/path: " + where);
            }
            if (size < -1) {
                throw new IllegalArgumentException("expectedSize must be -1 or more: " + size);
            }
            String hex = sha256.toLowerCase(Locale.ROOT);
            if (!SHA256.matcher(hex).matches()) {
                throw new IllegalArgumentException(
                        "expectedSha256 must be 64 hex digits: " + sha256);
            }
            Path file = target.toAbsolutePath().normalize();
            Path part = file.resolveSibling(file.getFileName() + ".part");
            return new Wanted(source, where, file, part, size, hex);
        }

        /** scheme://host[:port]/path: no user info, query or fragment, which may hold secrets. */
        static String printable(URI uri) {
            return (uri.getScheme() == null ? "" : uri.getScheme() + "://")
                    + (uri.getHost() == null ? "(no host)" : uri.getHost())
                    + (uri.getPort() >= 0 ? ":" + uri.getPort() : "")
                    + (uri.getRawPath() == null ? "" : uri.getRawPath());
        }

        Path sibling(String suffix) {
            return file.resolveSibling(file.getFileName() + suffix);
        }

        ModelDownloadException unreachable(Throwable e) {
            return new ModelDownloadException(
                    Kind.UNREACHABLE,
                    "Could not reach " + where + ": " + whyUnreachable(e) + "." + offlineHint(),
                    e);
        }

        /** The source's file is not the pinned one. */
        ModelDownloadException refused(Mismatch mismatch) {
            return new ModelDownloadException(
                    mismatch.kind,
                    "The model at "
                            + where
                            + " "
                            + mismatch.detail
                            + "; nothing was kept (refusing to run an unexpected model)",
                    null);
        }

        ModelDownloadException httpStatus(int status) {
            String hint =
                    status >= 300 && status < 400
                            ? " (a redirect: the HTTP client must follow redirects)"
                            : status == 401 || status == 403
                                    ? " (access refused)"
                                    : status == 404 ? " (not found)" : "";
            return new ModelDownloadException(
                    Kind.HTTP_STATUS,
                    where + " answered HTTP " + status + hint + "." + offlineHint(),
                    null);
        }

        /** How to get the file without this source. */
        String offlineHint() {
            return " To run without it, place the file by hand at "
                    + file
                    + " ("
                    + (size >= 0 ? size + " bytes, " : "")
                    + "SHA-256 "
                    + sha256
                    + "), or put it in S3 and use model.path=s3://<bucket>/<key> or"
                    + " model.mirror.";
        }

        private String whyUnreachable(Throwable e) {
            // The JDK client wraps the telling cause (an unresolved name, a TLS alert) in a plain
            // ConnectException, so the most specific cause anywhere in the chain wins.
            if (causedBy(e, UnknownHostException.class)
                    || causedBy(e, UnresolvedAddressException.class)) {
                return "the host name " + source.getHost() + " does not resolve";
            }
            SSLException tls = cause(e, SSLException.class);
            if (tls != null) {
                return "the TLS handshake failed ("
                        + describe(tls)
                        + "); if a proxy intercepts TLS, its CA must be trusted";
            }
            if (causedBy(e, HttpConnectTimeoutException.class)) {
                return "connecting to " + hostAndPort() + " timed out";
            }
            if (causedBy(e, HttpTimeoutException.class)) {
                return "it did not answer in time";
            }
            if (causedBy(e, ConnectException.class) || causedBy(e, NoRouteToHostException.class)) {
                return "could not connect to "
                        + hostAndPort()
                        + " (refused, or blocked on the way)";
            }
            return describe(e);
        }

        private String hostAndPort() {
            int port = source.getPort();
            if (port < 0) {
                port = source.getScheme().equalsIgnoreCase("https") ? 443 : 80;
            }
            return source.getHost() + ":" + port;
        }

        /** An exception in one line, with the source's secrets (if it quotes the URL) removed. */
        String describe(Throwable e) {
            if (e instanceof StatusProblem) {
                return e.getMessage();
            }
            Throwable named = e;
            while (named.getMessage() == null && named.getCause() != null) {
                named = named.getCause();
            }
            String text =
                    named.getMessage() == null
                            ? named.getClass().getSimpleName()
                            : named.getClass().getSimpleName() + ": " + named.getMessage();
            text = text.replace(source.toString(), where);
            if (source.getRawQuery() != null) {
                text = text.replace(source.getRawQuery(), "…");
            }
            if (source.getRawUserInfo() != null) {
                text = text.replace(source.getRawUserInfo(), "…");
            }
            return text;
        }
    }

    /**
     * Hands the body's buffers to the downloading thread one list at a time, asking for the next
     * only once the last is written: the file, the progress listener and the idle timeout stay on
     * that thread, and a body that stalls (which the JDK client would wait on for ever) ends the
     * attempt.
     */
    private static final class BodyQueue implements Flow.Subscriber<List<ByteBuffer>> {
        private final BlockingQueue<Item> items = new LinkedBlockingQueue<>();
        private volatile Flow.Subscription subscription;
        private volatile boolean cancelled;

        private record Item(List<ByteBuffer> buffers, Throwable failure) {}

        /** The network failed or went quiet. */
        static final class Broken extends Exception {
            private static final long serialVersionUID = 1L;
            final IOException network;

            Broken(IOException network) {
                super(network);
                this.network = network;
            }
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (cancelled) {
                s.cancel();
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            items.add(new Item(buffers, null));
        }

        @Override
        public void onError(Throwable failure) {
            items.add(new Item(null, failure));
        }

        @Override
        public void onComplete() {
            items.add(new Item(null, null));
        }

        /** The next buffers, or null at the end of the body. */
        List<ByteBuffer> next(Duration idle) throws Broken, InterruptedException {
            Item item = items.poll(idle.toNanos(), TimeUnit.NANOSECONDS);
            if (item == null) {
                throw new Broken(
                        new IOException(
                                "no data for " + idle.toSeconds() + " s; the body stalled"));
            }
            if (item.failure != null) {
                throw new Broken(
                        item.failure instanceof IOException io
                                ? io
                                : new IOException(item.failure));
            }
            return item.buffers;
        }

        void more() {
            subscription.request(1);
        }

        void cancel() {
            // Both fields are volatile: whichever of cancel and onSubscribe runs second sees the
            // other's write, so the subscription is cancelled either way.
            cancelled = true;
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }
    }
}

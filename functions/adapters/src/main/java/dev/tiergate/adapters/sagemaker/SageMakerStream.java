package dev.tiergate.adapters.sagemaker;

import dev.tiergate.core.ports.Upstream;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.SdkPublisher;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointWithResponseStreamResponse;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointWithResponseStreamResponseHandler;
import software.amazon.awssdk.services.sagemakerruntime.model.PayloadPart;
import software.amazon.awssdk.services.sagemakerruntime.model.ResponseStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One {@code InvokeEndpointWithResponseStream} call read as the lines of an SSE body. SageMaker cuts the container's
 * bytes into {@code PayloadPart}s wherever it likes, so parts are joined and split at newlines here. One part is asked
 * for at a time, and the next only once the relay has taken the last: a slow client slows the stream rather than
 * filling memory. A stall between parts longer than the first-byte timeout, the request's deadline, or an in-stream
 * error ({@code ModelStreamError}, {@code InternalStreamFailure}) breaks the stream as a broken connection would.
 */
final class SageMakerStream implements Upstream.Stream {

    private static final Object END = new Object();

    private final String endpoint;
    private final Instant deadline;
    private final Duration stallLimit;
    private final Clock clock;
    private final CompletableFuture<Throwable> opened = new CompletableFuture<>();
    private final LinkedBlockingQueue<Object> parts = new LinkedBlockingQueue<>();
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private volatile Subscription subscription;
    private volatile boolean closed;
    private boolean ended;
    private final int status;
    private final byte[] errorBody;
    private final long retryAfterMs;

    SageMakerStream(String endpoint, Instant deadline, Duration stallLimit, Clock clock) {
        this.endpoint = endpoint;
        this.deadline = deadline;
        this.stallLimit = stallLimit;
        this.clock = clock;
        this.status = 200;
        this.errorBody = new byte[0];
        this.retryAfterMs = -1;
    }

    private SageMakerStream(Upstream.Reply refused) {
        this.endpoint = "";
        this.deadline = Instant.EPOCH;
        this.stallLimit = Duration.ZERO;
        this.clock = Clock.systemUTC();
        this.status = refused.status();
        this.errorBody = refused.body();
        this.retryAfterMs = refused.retryAfterMs();
        this.ended = true;
    }

    /** A stream SageMaker refused before it began: only its status and body. */
    static SageMakerStream refused(Upstream.Reply reply) {
        return new SageMakerStream(reply);
    }

    InvokeEndpointWithResponseStreamResponseHandler handler() {
        return new InvokeEndpointWithResponseStreamResponseHandler() {
            @Override
            public void responseReceived(InvokeEndpointWithResponseStreamResponse response) {
                opened.complete(null);
            }

            @Override
            public void onEventStream(SdkPublisher<ResponseStream> publisher) {
                publisher.subscribe(new Subscriber<>() {
                    @Override
                    public void onSubscribe(Subscription s) {
                        subscription = s;
                        if (closed) s.cancel();
                        else s.request(1);
                    }

                    @Override
                    public void onNext(ResponseStream event) {
                        if (event instanceof PayloadPart p && p.bytes() != null) parts.add(p.bytes().asByteArray());
                        else if (subscription != null) subscription.request(1);
                    }

                    @Override
                    public void onError(Throwable t) {
                        parts.add(t);
                    }

                    @Override
                    public void onComplete() {
                        parts.add(END);
                    }
                });
            }

            @Override
            public void exceptionOccurred(Throwable t) {
                // Before the answer began this is SageMaker's refusal; after it, the stream broke.
                if (!opened.complete(t)) parts.add(t);
            }

            @Override
            public void complete() {
                parts.add(END);
            }
        };
    }

    /** Null once the answer began, or what SageMaker refused it with. */
    Throwable awaitOpen(Instant firstByteDeadline) throws Upstream.UpstreamException {
        long wait = Math.max(1, Duration.between(clock.instant(), firstByteDeadline).toMillis());
        try {
            return opened.get(wait, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new Upstream.UpstreamException(Upstream.UpstreamException.Kind.TIMEOUT,
                    "SageMaker endpoint " + endpoint + " did not begin its answer in time", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Upstream.UpstreamException(Upstream.UpstreamException.Kind.RESET, "interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        }
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public byte[] errorBody() {
        return errorBody;
    }

    @Override
    public long retryAfterMs() {
        return retryAfterMs;
    }

    @Override
    public String nextLine() throws IOException {
        while (true) {
            String line = takeLine();
            if (line != null) return line;
            if (ended) {
                if (pending.size() == 0) return null;
                String rest = pending.toString(StandardCharsets.UTF_8);
                pending.reset();
                return rest;
            }
            Object part = nextPart();
            if (part == END) {
                ended = true;
            } else if (part instanceof Throwable t) {
                ended = true;
                pending.reset();
                throw new IOException("SageMaker stream from " + endpoint + " broke: " + t.getMessage(), t);
            } else {
                pending.writeBytes((byte[]) part);
                Subscription s = subscription;
                if (s != null) s.request(1);
            }
        }
    }

    private Object nextPart() throws IOException {
        long untilDeadline = Duration.between(clock.instant(), deadline).toMillis();
        if (untilDeadline <= 0) throw cut("the request's deadline passed");
        long wait = Math.min(untilDeadline, Math.max(1, stallLimit.toMillis()));
        try {
            Object part = parts.poll(wait, TimeUnit.MILLISECONDS);
            if (part != null) return part;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw cut("interrupted");
        }
        throw cut(wait == untilDeadline ? "the request's deadline passed" : "no part arrived for " + wait + " ms");
    }

    private IOException cut(String why) {
        close();
        ended = true;
        return new IOException("SageMaker stream from " + endpoint + " cut: " + why);
    }

    /** The next whole line in what has arrived, without its line break; null when no line is complete yet. */
    private String takeLine() {
        byte[] buf = pending.toByteArray();
        for (int i = 0; i < buf.length; i++) {
            if (buf[i] != '\n') continue;
            int end = i > 0 && buf[i - 1] == '\r' ? i - 1 : i;
            String line = new String(buf, 0, end, StandardCharsets.UTF_8);
            pending.reset();
            pending.write(buf, i + 1, buf.length - i - 1);
            return line;
        }
        return null;
    }

    @Override
    public void close() {
        closed = true;
        Subscription s = subscription;
        if (s != null) s.cancel();
    }
}

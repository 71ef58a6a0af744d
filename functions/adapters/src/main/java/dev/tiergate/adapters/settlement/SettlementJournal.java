package dev.tiergate.adapters.settlement;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tiergate.core.budget.Settlement;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An append-only file of the settlements this process has accepted but not yet written, so that a process killed
 * before its writers caught up loses nothing: the next process in the same folder replays what was never marked done.
 * Lines are {@code {"add": settlement}} and {@code {"done": [request ids]}}. Appends reach the operating system at
 * once (they survive the process, not the machine: no fsync per request). Each live journal holds an exclusive file
 * lock, so a replaying process only adopts the journals of processes that are gone. Replay is safe to repeat: every
 * settlement's write is conditional on its request id, so a settlement written twice counts once.
 */
final class SettlementJournal implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SettlementJournal.class.getName());
    private static final String PREFIX = "settlements-";
    private static final String SUFFIX = ".journal";
    /** Truncated when every entry is done and it has grown past this, so it never grows without bound. */
    private static final long COMPACT_AT_BYTES = 4L << 20;

    private final Path dir;
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final SettlementCodec codec;
    private final ObjectMapper json;
    private final ReentrantLock appending = new ReentrantLock();
    private long pending;

    SettlementJournal(Path dir, ObjectMapper json) {
        this.dir = dir;
        this.json = json;
        this.codec = new SettlementCodec(json);
        try {
            Files.createDirectories(dir);
            this.file = dir.resolve(PREFIX + System.currentTimeMillis() + "-" + ProcessHandle.current().pid() + "-"
                    + Integer.toHexString(System.identityHashCode(this)) + SUFFIX);
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
            this.lock = channel.lock();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the settlement journal in " + dir, e);
        }
    }

    Path file() {
        return file;
    }

    /**
     * The settlements that journals of dead processes accepted and never marked done. They are copied into this
     * journal first and the old files deleted after, so a crash in between replays them again rather than losing them.
     */
    List<Settlement> adoptOrphans() {
        // By request id: a crash during an earlier adoption leaves the same settlement in two journals.
        Map<String, Settlement> adopted = new LinkedHashMap<>();
        List<Path> orphans = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            for (Path p : files) {
                if (p.equals(file)) continue;
                try (FileChannel other = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    FileLock l;
                    try {
                        l = other.tryLock();
                    } catch (OverlappingFileLockException live) {
                        continue; // another journal of this JVM: alive
                    }
                    if (l == null) continue; // another live process
                    try {
                        for (Settlement s : unfinished(p)) adopted.putIfAbsent(s.usage().requestId(), s);
                        orphans.add(p);
                    } finally {
                        l.release();
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the settlement journals in " + dir, e);
        }
        for (Settlement s : adopted.values()) added(s);
        for (Path p : orphans) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "could not delete the adopted journal {0}: {1}", p, e.getMessage());
            }
        }
        if (!adopted.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "replaying {0} settlements from {1} journal(s) of a process that stopped before writing them",
                    adopted.size(), orphans.size());
        }
        return new ArrayList<>(adopted.values());
    }

    /** The entries of one journal file that were added and never marked done, oldest first. */
    List<Settlement> unfinished(Path p) throws IOException {
        Map<String, Settlement> open = new LinkedHashMap<>();
        int torn = 0;
        for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            try {
                JsonNode n = json.readTree(line);
                if (n.has("add")) {
                    Settlement s = codec.read(n.get("add"));
                    open.put(s.usage().requestId(), s);
                } else if (n.has("done")) {
                    for (JsonNode id : n.get("done")) open.remove(id.asText());
                }
            } catch (IOException | RuntimeException e) {
                torn++; // a line cut short by the crash itself: its settlement was never acknowledged either
            }
        }
        if (torn > 0) LOG.log(System.Logger.Level.WARNING, "{0}: skipped {1} unreadable line(s)", p, torn);
        return new ArrayList<>(open.values());
    }

    /** Records that a settlement was accepted; it is replayed until {@link #done} names it. */
    void added(Settlement s) {
        append(codec.addLine(s), 1);
    }

    /** Records that these settlements are written. */
    void done(List<Settlement> written) {
        if (written.isEmpty()) return;
        ObjectNode line = json.createObjectNode();
        ArrayNode ids = line.putArray("done");
        for (Settlement s : written) ids.add(s.usage().requestId());
        try {
            append((json.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8), -written.size());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void append(byte[] bytes, int pendingDelta) {
        appending.lock();
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) channel.write(b);
            pending += pendingDelta;
            if (pending == 0 && channel.position() > COMPACT_AT_BYTES) {
                channel.truncate(0);
                channel.position(0);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the settlement journal " + file, e);
        } finally {
            appending.unlock();
        }
    }

    /** Settlements accepted and not yet written. */
    long pending() {
        appending.lock();
        try {
            return pending;
        } finally {
            appending.unlock();
        }
    }

    /** Closes the file; it is deleted when nothing in it is pending, and kept for the next process to replay otherwise. */
    @Override
    public void close() {
        appending.lock();
        try {
            long left = pending;
            lock.release();
            channel.close();
            if (left == 0) Files.deleteIfExists(file);
            else LOG.log(System.Logger.Level.WARNING, "{0} settlements are not written yet; they stay in {1} and are replayed at the next start",
                    left, file);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the settlement journal {0}: {1}", file, e.getMessage());
        } finally {
            appending.unlock();
        }
    }
}

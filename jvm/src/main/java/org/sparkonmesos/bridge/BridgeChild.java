package org.sparkonmesos.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Rust backend process and its pipes: requests as JSON lines on its stdin, events as JSON
 * lines from its stdout (read on a daemon thread), its stderr passed through to the driver's.
 * See {@code docs/mesos-bridge.md}.
 */
final class BridgeChild {
    /** The longest event line accepted, newline excluded; as the Rust side's limit. */
    static final int MAX_LINE = 1 << 20;
    /** Fine mode's bound: status updates carry task results; as the Rust side's limit. */
    static final int MAX_FINE_LINE = 16 << 20;

    static final ObjectMapper JSON = new ObjectMapper();

    private static final Logger LOG = LoggerFactory.getLogger(BridgeChild.class);

    private final Process process;
    private final OutputStream stdin;
    private final int maxLine;

    private BridgeChild(Process process, int maxLine) {
        this.process = process;
        this.stdin = process.getOutputStream();
        this.maxLine = maxLine;
    }

    /**
     * Starts {@code command}; {@code onEvent} gets every event, {@code onExit} runs once the
     * child's stdout ends (it exited, or its output could no longer be trusted).
     */
    static BridgeChild start(List<String> command, Consumer<JsonNode> onEvent, Runnable onExit)
            throws IOException {
        return start(command, MAX_LINE, onEvent, onExit);
    }

    /** {@link #start(List, Consumer, Runnable)} with event lines bounded by {@code maxLine}. */
    static BridgeChild start(List<String> command, int maxLine, Consumer<JsonNode> onEvent,
            Runnable onExit) throws IOException {
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        BridgeChild child = new BridgeChild(process, maxLine);
        Thread reader = new Thread(() -> child.readEvents(onEvent, onExit), "spark-mesos-bridge-events");
        reader.setDaemon(true);
        reader.start();
        return child;
    }

    private void readEvents(Consumer<JsonNode> onEvent, Runnable onExit) {
        try (InputStream in = new BufferedInputStream(process.getInputStream())) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1) {
                if (b != '\n') {
                    if (line.size() >= maxLine) {
                        LOG.error("Mesos backend wrote a line over {} bytes; stopping it", maxLine);
                        process.destroy();
                        return;
                    }
                    line.write(b);
                    continue;
                }
                JsonNode event;
                try {
                    event = JSON.readTree(line.toByteArray());
                } catch (IOException e) {
                    LOG.error("Mesos backend wrote a line that is not JSON; ignoring it", e);
                    line.reset();
                    continue;
                }
                line.reset();
                try {
                    onEvent.accept(event);
                } catch (Exception e) {
                    // Scala code throws checked exceptions undeclared (SparkException); none
                    // may end this thread, or the child's stdout would close under it.
                    LOG.error("Handling Mesos backend event {} failed", event, e);
                }
            }
        } catch (IOException e) {
            LOG.warn("Reading the Mesos backend's events failed", e);
        } finally {
            onExit.run();
        }
    }

    /** Sends one request line. */
    synchronized void send(JsonNode request) throws IOException {
        stdin.write(JSON.writeValueAsBytes(request));
        stdin.write('\n');
        stdin.flush();
    }

    /**
     * Sends {@code stop}, closes the child's stdin and waits up to {@code timeoutMillis} for it
     * to exit, killing it after that. Returns its exit code.
     */
    int stop(long timeoutMillis) throws InterruptedException {
        try {
            send(JSON.createObjectNode().put("type", "stop"));
        } catch (IOException e) {
            LOG.warn("Could not send stop to the Mesos backend", e);
        }
        try {
            synchronized (this) {
                stdin.close();
            }
        } catch (IOException e) {
            LOG.debug("Closing the Mesos backend's stdin failed", e);
        }
        if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
            LOG.warn("Mesos backend did not exit within {} ms; killing it", timeoutMillis);
            process.destroyForcibly();
            process.waitFor();
        }
        return process.exitValue();
    }
}

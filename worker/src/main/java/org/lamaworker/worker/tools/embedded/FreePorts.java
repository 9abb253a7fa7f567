package org.lamaworker.worker.tools.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Picks free TCP ports on the loopback address. */
final class FreePorts {
    private FreePorts() {}

    /**
     * Returns a port that was free on {@code 127.0.0.1} a moment ago. Another process may take it
     * before the caller binds it, so callers retry on a bind failure.
     */
    static int pick() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port on the loopback address", e);
        }
    }
}

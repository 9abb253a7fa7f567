package org.lamaworker.worker.tools.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Picks free TCP ports on the loopback address. */
final class FreePorts {
    private FreePorts() {}

    /**
     * Returns {@code count} distinct ports that were free on {@code 127.0.0.1} a moment ago. All
     * sockets stay open until every port is chosen: picking one port at a time lets the kernel hand
     * the same port out twice (a broker and its controller on one port fail to start). Another
     * process may still take a port before the caller binds it, so callers retry on a bind failure.
     */
    static int[] pick(int count) {
        List<ServerSocket> held = new ArrayList<>(count);
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("No free port on the loopback address", e);
        } finally {
            for (ServerSocket socket : held) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing a listening socket that never accepted cannot lose data
                }
            }
        }
    }
}

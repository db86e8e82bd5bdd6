package dev.tokenkeeper.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The least a proxy can add: a relay that copies bytes between each client connection and a
 * connection of its own to the target, with a thread per direction, parsing nothing. Calls through it
 * cross the loopback twice more and wake two more threads than calls straight to the target, as calls
 * through any proxy do; {@code gateway-latency.sh} runs it beside the gateway so that what the machine
 * alone adds for that extra hop is measured in the same run.
 *
 * <pre>java -cp benchmarks.jar dev.tokenkeeper.benchmarks.TcpRelay [listen port] [target port]</pre>
 *
 * Loopback only: it listens on 127.0.0.1 and connects to 127.0.0.1.
 */
public final class TcpRelay {
    private TcpRelay() {}

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        int target = Integer.parseInt(args[1]);
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(loopback, port), 4096);
            System.out.println("TCP relay on 127.0.0.1:" + port + " to 127.0.0.1:" + target);
            while (true) {
                Socket client = server.accept();
                Socket upstream = new Socket();
                try {
                    upstream.connect(new InetSocketAddress(loopback, target));
                } catch (IOException e) {
                    client.close();
                    continue;
                }
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                pump(client, upstream);
                pump(upstream, client);
            }
        }
    }

    /** Copies {@code from} to {@code to} on a thread of its own until either side closes; then closes both. */
    private static void pump(Socket from, Socket to) {
        Thread t = new Thread(
                () -> {
                    byte[] buffer = new byte[16 * 1024];
                    try (from;
                            to) {
                        InputStream in = from.getInputStream();
                        OutputStream out = to.getOutputStream();
                        int n;
                        while ((n = in.read(buffer)) >= 0) {
                            out.write(buffer, 0, n);
                        }
                    } catch (IOException e) {
                        // the other direction closed the sockets, or a peer went away: the relay ends
                    }
                },
                "relay");
        t.setDaemon(true);
        t.start();
    }
}

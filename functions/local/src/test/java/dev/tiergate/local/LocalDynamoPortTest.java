package dev.tiergate.local;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DynamoDB Local's port is chosen before it binds it: the choice must stay clear of the ports the kernel hands out
 * meanwhile (clients' connections, servers on port 0), or a start fails now and then with "Address already in use".
 */
class LocalDynamoPortTest {

    @Test
    void thePortIsFreeAndBelowTheKernelsEphemeralRange() throws Exception {
        int ephemeral = LocalDynamo.ephemeralRangeStart();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            int port = LocalDynamo.freePort();
            assertThat(port).isBetween(1024, ephemeral - 1);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress((InetAddress) null, port)); // all interfaces, as DynamoDB Local binds
            }
            seen.add(port);
        }
        assertThat(seen).as("random, so two stacks starting together do not pick the same one").hasSizeGreaterThan(1);
    }

    @Test
    void aPortHeldByAClientConnectionIsNeverChosen() throws Exception {
        // The collision that was seen: a client connection's local port, handed out by the kernel, chosen for DynamoDB
        // Local. Connections' local ports come from the ephemeral range, which the choice stays below.
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Set<Integer> clientPorts = new HashSet<>();
            java.util.List<Socket> clients = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    Socket c = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                    clients.add(c);
                    clientPorts.add(c.getLocalPort());
                }
                assertThat(clientPorts).allSatisfy(p -> assertThat(p).isGreaterThanOrEqualTo(LocalDynamo.ephemeralRangeStart()));
                for (int i = 0; i < 50; i++) assertThat(clientPorts).doesNotContain(LocalDynamo.freePort());
            } finally {
                for (Socket c : clients) c.close();
            }
        }
    }
}

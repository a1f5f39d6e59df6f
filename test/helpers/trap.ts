/**
 * A trap listener on 127.0.0.1: one TCP server and one UDP socket on the same port, recording every
 * connection attempt and every byte or datagram that arrives. A sealed page must leave it empty.
 */
import dgram from "node:dgram";
import net from "node:net";

export interface Trap {
  port: number;
  tcpConnections: number;
  tcpBytes: number;
  udpDatagrams: number;
  udpBytes: number;
  /** One line per event, with the first bytes received (for failure messages). */
  log: string[];
  /** Connections + bytes + datagrams: 0 when nothing arrived. */
  total(): number;
  close(): Promise<void>;
}

async function tryPort(): Promise<{ tcp: net.Server; udp: dgram.Socket; port: number } | null> {
  const tcp = net.createServer();
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (tcp.address() as net.AddressInfo).port;
  const udp = dgram.createSocket("udp4");
  const bound = await new Promise<boolean>((resolve) => {
    udp.once("error", () => resolve(false));
    udp.bind(port, "127.0.0.1", () => resolve(true));
  });
  if (bound) return { tcp, udp, port };
  tcp.close();
  udp.close();
  return null;
}

export async function startTrap(): Promise<Trap> {
  let pair: Awaited<ReturnType<typeof tryPort>> = null;
  for (let i = 0; i < 10 && !pair; i++) pair = await tryPort();
  if (!pair) throw new Error("could not bind TCP and UDP on one port of 127.0.0.1");
  const { tcp, udp, port } = pair;
  const sockets = new Set<net.Socket>();
  const trap: Trap = {
    port,
    tcpConnections: 0,
    tcpBytes: 0,
    udpDatagrams: 0,
    udpBytes: 0,
    log: [],
    total: () => trap.tcpConnections + trap.tcpBytes + trap.udpDatagrams + trap.udpBytes,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([new Promise((r) => tcp.close(r)), new Promise<void>((r) => udp.close(() => r()))]);
    },
  };
  tcp.on("connection", (socket) => {
    sockets.add(socket);
    trap.tcpConnections += 1;
    trap.log.push(`tcp connection from ${socket.remotePort}`);
    socket.on("data", (data: Buffer) => {
      trap.tcpBytes += data.length;
      trap.log.push(`tcp ${data.length} bytes: ${JSON.stringify(data.toString("latin1").slice(0, 80))}`);
    });
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  udp.on("message", (data) => {
    trap.udpDatagrams += 1;
    trap.udpBytes += data.length;
    trap.log.push(`udp ${data.length} bytes`);
  });
  return trap;
}

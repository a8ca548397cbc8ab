// Run inside a network namespace by nftables.test.ts: listens on two loopback ports, then connects to each and
// prints {"<port>": "connected" | "timeout" | "<error code>"} as one JSON line. Connections time out after 1.5 s.
import { connect, createServer, type Server } from "node:net";

const ports = process.argv.slice(2).map(Number);
const servers: Server[] = await Promise.all(
  ports.map(
    (port) =>
      new Promise<Server>((resolve) => {
        const s = createServer((sock) => sock.end());
        s.listen(port, "127.0.0.1", () => resolve(s));
      }),
  ),
);
const result: Record<string, string> = {};
for (const port of ports)
  result[port] = await new Promise<string>((resolve) => {
    const c = connect({ host: "127.0.0.1", port, timeout: 1500 });
    c.on("connect", () => (c.destroy(), resolve("connected")));
    c.on("timeout", () => (c.destroy(), resolve("timeout")));
    c.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
  });
for (const s of servers) s.close();
process.stdout.write(`${JSON.stringify(result)}\n`);

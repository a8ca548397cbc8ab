// Run inside a network namespace by nftables.test.ts: listens on loopback ports, then connects to each and prints
// {"<port>": "connected" | "timeout" | "<error code>"} as one JSON line. Each argument is PORT=MS, the longest
// wait for that connection: long where a connection must succeed (a loaded machine may be slow to answer), short
// where a dropped SYN is expected (only the wait tells a drop apart; a slow machine cannot turn a drop into
// "connected").
import { connect, createServer, type Server } from "node:net";

const probes = process.argv.slice(2).map((arg) => {
  const [port, ms] = arg.split("=").map(Number);
  if (!Number.isInteger(port) || !Number.isInteger(ms)) throw new Error(`probe: expected PORT=MS, got ${arg}`);
  return { port: port!, ms: ms! };
});
const servers: Server[] = await Promise.all(
  probes.map(
    ({ port }) =>
      new Promise<Server>((resolve, reject) => {
        const s = createServer((sock) => sock.end());
        s.once("error", reject);
        s.listen(port, "127.0.0.1", () => resolve(s));
      }),
  ),
);
const result: Record<string, string> = {};
for (const { port, ms } of probes)
  result[port] = await new Promise<string>((resolve) => {
    const c = connect({ host: "127.0.0.1", port, timeout: ms });
    c.on("connect", () => (c.destroy(), resolve("connected")));
    c.on("timeout", () => (c.destroy(), resolve("timeout")));
    c.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
  });
for (const s of servers) s.close();
process.stdout.write(`${JSON.stringify(result)}\n`);

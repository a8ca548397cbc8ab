// A local port nothing listens on, and the text a log reader would see of an error, for tests that check what a
// failed connection's error carries (a URL's password must not be in it).
import { createServer } from "node:net";

/** A loopback port with nothing listening on it: bound once to learn a free number, then closed. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every message and stack along an error's cause chain, as a reader of logs would see them. */
export function errorChainText(err: unknown): string {
  const parts: string[] = [];
  for (let e = err; e instanceof Error; e = e.cause) parts.push(e.message, String(e.stack));
  return parts.join("\n");
}

import type { Command } from "commander";
import { serveHub } from "@edgeward/hub";
import { printJson } from "../support/output.ts";

/** `edgeward hub serve`: run the hub over HTTPS until SIGINT or SIGTERM. */
export function registerHubServe(hub: Command): void {
  hub
    .command("serve")
    .description("serve the hub's operator and device API over HTTPS (TLS 1.2+, client certificates requested)")
    .requiredOption("--dir <dir>", "the hub directory")
    .requiredOption("--listen <host:port>", "where to listen, e.g. 0.0.0.0:8443")
    .option("--postgres <url>", "the PostgreSQL database (overrides the one hub.json names)")
    .action(async (flags: { dir: string; listen: string; postgres?: string }) => {
      const hub = await serveHub({ dir: flags.dir, listen: flags.listen, postgres: flags.postgres });
      printJson({ listening: hub.url });
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      await hub.close();
    });
}

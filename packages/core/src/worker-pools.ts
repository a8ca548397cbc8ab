// The worker threads core starts for a process: the payload STREAM pool (age) and the shard hashing pool (OMS).
import { shutdownPayloadWorkers } from "./age/stream/index.ts";
import { shutdownHashWorkers } from "./oms/hash-pool.ts";

/**
 * Stops every worker thread core started (payload encryption and decryption, shard hashing); tasks still running
 * fail with a typed code. Both pools start lazily and never keep a process alive while idle, so a CLI command
 * needs nothing; a long-running process (the hub, the agent) calls this once on shutdown, beside closing its
 * store, so no thread outlives it. Later use starts the pools again.
 */
export async function closeWorkerPools(): Promise<void> {
  await Promise.all([shutdownPayloadWorkers(), shutdownHashWorkers()]);
}

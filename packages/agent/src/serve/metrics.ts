/**
 * The local API's counters, exposed at GET /metrics in the Prometheus text exposition format (version 0.0.4).
 * Counts and durations only: never an input, an output or a model byte.
 */
import type { ModelSlot } from "./model-slot.ts";

/** Counters the local API updates. */
export class ServeMetrics {
  #ok = 0;
  #refused = new Map<string, number>();
  #seconds = 0;

  /** One answered inference taking `ms`. */
  served(ms: number): void {
    this.#ok++;
    this.#seconds += ms / 1000;
  }

  /** One refused request, by error code. */
  refused(code: string): void {
    this.#refused.set(code, (this.#refused.get(code) ?? 0) + 1);
  }

  /** The exposition text. */
  render(slot: ModelSlot): string {
    const { model, tampered } = slot.describe();
    const lines = [
      "# HELP edgeward_agent_inferences_total Inferences answered.",
      "# TYPE edgeward_agent_inferences_total counter",
      `edgeward_agent_inferences_total ${this.#ok}`,
      "# HELP edgeward_agent_inference_seconds_total Time spent answering inferences.",
      "# TYPE edgeward_agent_inference_seconds_total counter",
      `edgeward_agent_inference_seconds_total ${this.#seconds.toFixed(6)}`,
      "# HELP edgeward_agent_requests_refused_total Requests refused, by error code.",
      "# TYPE edgeward_agent_requests_refused_total counter",
      ...[...this.#refused].map(([code, n]) => `edgeward_agent_requests_refused_total{code="${code}"} ${n}`),
      "# HELP edgeward_agent_model_loaded 1 while a model is serving.",
      "# TYPE edgeward_agent_model_loaded gauge",
      `edgeward_agent_model_loaded ${model === undefined ? 0 : 1}`,
      "# HELP edgeward_agent_tampered 1 once a tamper event fired.",
      "# TYPE edgeward_agent_tampered gauge",
      `edgeward_agent_tampered ${tampered === undefined ? 0 : 1}`,
    ];
    return `${lines.join("\n")}\n`;
  }
}

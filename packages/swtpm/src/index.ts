// @edgeward/swtpm: software TPMs (swtpm with tpm2-tools) on demand, for the demo and for tests. A library of its
// own so the CLI's demo can start them without depending on the test kit at run time.
export { startSwtpm, startSwtpmFleet, swtpmAvailable, type StartSwtpmOptions, type Swtpm } from "./swtpm.ts";
export { swtpmLocalCa, type SwtpmLocalCa } from "./swtpm-provision.ts";

#!/usr/bin/env node
// Entry point: run the CLI and map every failure to its registered code and exit status.
import { main } from "./main.ts";

process.exitCode = await main(process.argv.slice(2));

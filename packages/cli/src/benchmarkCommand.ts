/** `frameloom benchmark`: placeholder, being written. */
import type { Command } from "commander";

export function registerBenchmarkCommand(_program: Command): void {}

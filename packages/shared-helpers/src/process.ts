import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { FrameloomError, SharedErrors, abortError } from "./errors.js";

/**
 * Child processes that never outlive the render: each runs in its own process group, and the whole
 * group is killed on abort, on failure and when this process exits.
 */
const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of children) killTree(child);
  });
}

/**
 * Kills a child and everything it started (its process group). The group is signalled even when
 * the leader already exited, since what it started may still run; "no such process" is ignored.
 */
export function killTree(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(signal);
      } catch {
        /* already gone */
      }
    }
  }
}

export interface TrackedSpawnOptions extends SpawnOptions {
  signal?: AbortSignal;
}

/** `spawn` in a new process group, tracked and killed (tree) on abort or process exit. */
export function spawnTracked(command: string, args: readonly string[], options: TrackedSpawnOptions = {}): ChildProcess {
  installExitHook();
  const { signal, ...rest } = options;
  const child = spawn(command, args, { ...rest, detached: true });
  children.add(child);
  const onAbort = () => killTree(child);
  signal?.addEventListener("abort", onAbort, { once: true });
  child.once("exit", () => {
    children.delete(child);
    signal?.removeEventListener("abort", onAbort);
  });
  child.once("error", () => {
    children.delete(child);
    signal?.removeEventListener("abort", onAbort);
  });
  return child;
}

/** Keeps the last `limit` characters written to it (stderr tails for error messages). */
export class TailBuffer {
  private text = "";
  constructor(private readonly limit = 4000) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit);
  }
  toString(): string {
    return this.text;
  }
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs a command to completion. Rejects with FLM_ERR_PROCESS_FAILED (stderr tail in the message)
 * on a non-zero exit, and with the abort error when `signal` fires (the tree is killed first).
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { signal?: AbortSignal; input?: Buffer | string; cwd?: string; label?: string; allowFailure?: boolean } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(abortError(options.signal));
    const child = spawnTracked(command, args, { signal: options.signal, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err = new TailBuffer(8000);
    child.stdout?.on("data", (d: Buffer) => out.push(d));
    child.stderr?.on("data", (d: Buffer) => err.push(d));
    child.stdin?.on("error", () => {});
    child.once("error", (e) => reject(new FrameloomError(SharedErrors.PROCESS_FAILED, `${options.label ?? command} could not start: ${e.message}`, { cause: e })));
    child.once("close", (code, sig) => {
      if (options.signal?.aborted) return reject(abortError(options.signal));
      const result = { code: code ?? -1, stdout: Buffer.concat(out), stderr: err.toString() };
      if (code === 0 || options.allowFailure) return resolve(result);
      reject(
        new FrameloomError(
          SharedErrors.PROCESS_FAILED,
          `${options.label ?? command} exited with ${code ?? sig}:\n${err.toString().trim().split("\n").slice(-15).join("\n")}`,
          { details: { code, signal: sig } },
        ),
      );
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

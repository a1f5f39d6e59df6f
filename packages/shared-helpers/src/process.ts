import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import path from "node:path";
import type { Writable } from "node:stream";
import { FrameloomError, SharedErrors, abortError } from "./errors.js";

/**
 * Child processes that never outlive the render.
 *
 * Invariants:
 * - Every tracked child runs in its own process group; the whole group is killed on abort, when
 *   its leader exits, and when this process exits (the `exit` hook).
 * - When this process dies in a way no hook sees (SIGKILL, OOM killer, a crash), a watchdog kills
 *   every tracked group anyway and removes the paths given to `removeOnParentDeath`. The watchdog
 *   is one `/bin/sh` per Frameloom process, in its own session (terminal signals never reach it),
 *   reading the registrations from a pipe whose write end only this process holds (Node opens it
 *   close-on-exec, so no child inherits it). The operating system closes that pipe when this
 *   process dies, however it dies; the watchdog reads end-of-file, SIGKILLs the groups, removes
 *   the paths, and exits.
 *   It also exits (after the same clean-up, by then a no-op) when this process exits normally.
 * - Nothing here waits on the watchdog: if it cannot start, tracking still works as before.
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

// POSIX sh. Lines: "+<pgid>" track, "-<pgid>" forget, "r<path>" remove on death, "u<path>" keep.
// (`${"${line#?}"}` puts the shell's `${line#?}`, the line without its first character, in the text.)
const WATCHDOG_SCRIPT = String.raw`trap '' INT HUP QUIT
nl='
'
groups=' '
paths=''
while IFS= read -r line; do
  v=${"${line#?}"}
  case $line in
    +*) groups="$groups$v " ;;
    -*) rest=' '; for g in $groups; do [ "$g" = "$v" ] || rest="$rest$g "; done; groups=$rest ;;
    r*) paths="$paths$v$nl" ;;
    u*) rest=''
        while IFS= read -r p; do [ -n "$p" ] && [ "$p" != "$v" ] && rest="$rest$p$nl"; done <<EOT
$paths
EOT
        paths=$rest ;;
  esac
done
for g in $groups; do kill -9 -"$g" 2>/dev/null; done
printf '%s' "$paths" | while IFS= read -r p; do [ -n "$p" ] && rm -rf -- "$p"; done
`;

let watchdog: { stdin: Writable } | null | undefined;

function startWatchdog(): { stdin: Writable } | null {
  if (process.platform === "win32") return null;
  try {
    const child = spawn("/bin/sh", ["-c", WATCHDOG_SCRIPT], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
    child.once("error", () => {
      watchdog = null;
    });
    child.unref();
    const stdin = child.stdin!;
    stdin.on("error", () => {});
    // Writes still go out; only the event loop stops waiting for this pipe.
    (stdin as unknown as { unref?(): void }).unref?.();
    return { stdin };
  } catch {
    return null;
  }
}

function tellWatchdog(line: string): void {
  if (watchdog === undefined) watchdog = startWatchdog();
  if (!watchdog || watchdog.stdin.destroyed) return;
  try {
    watchdog.stdin.write(`${line}\n`);
  } catch {
    /* the watchdog is gone: nothing more to do */
  }
}

/**
 * Removes `target` (rm -rf) if this process dies without unregistering it, even by SIGKILL; also
 * at a normal exit, so register only scratch paths. Returns the function that unregisters it.
 */
export function removeOnParentDeath(target: string): () => void {
  if (!path.isAbsolute(target) || /[\n\r]/.test(target) || path.resolve(target) === path.parse(target).root) {
    throw new FrameloomError(SharedErrors.INVALID_ARGUMENT, `removeOnParentDeath: expected an absolute path other than the root, received ${JSON.stringify(target)}`);
  }
  const resolved = path.resolve(target);
  tellWatchdog(`r${resolved}`);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    tellWatchdog(`u${resolved}`);
  };
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

/**
 * `spawn` in a new process group, tracked: the group is killed on abort, when its leader exits,
 * at process exit, and by the watchdog when this process dies.
 */
export function spawnTracked(command: string, args: readonly string[], options: TrackedSpawnOptions = {}): ChildProcess {
  installExitHook();
  const { signal, ...rest } = options;
  const child = spawn(command, args, { ...rest, detached: true });
  children.add(child);
  const pid = child.pid;
  if (pid !== undefined) tellWatchdog(`+${pid}`);
  const onAbort = () => killTree(child);
  signal?.addEventListener("abort", onAbort, { once: true });
  child.once("exit", () => {
    // What the leader started dies with it (Chromium's zygote and renderers, for one).
    killTree(child);
    if (pid !== undefined) tellWatchdog(`-${pid}`);
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

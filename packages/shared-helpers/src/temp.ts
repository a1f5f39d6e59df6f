import { mkdtemp, rm } from "node:fs/promises";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FrameloomError, SharedErrors } from "./errors.js";
import { removeOnParentDeath } from "./process.js";

/** Live temp dirs → forgets the watchdog registration that removes the dir if this process is killed. */
const live = new Map<string, () => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: a process that exits with temp dirs still registered removes them synchronously.
  process.once("exit", () => {
    for (const dir of live.keys()) rmSync(dir, { recursive: true, force: true });
  });
}

/** Refuses to delete anything that is not a Frameloom temp dir under the OS temp directory. */
export function assertSafeToRemove(dir: string): void {
  const resolved = path.resolve(dir);
  const root = path.resolve(tmpdir());
  const rel = path.relative(root, resolved);
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel) || !path.basename(resolved).startsWith("frameloom-")) {
    throw new FrameloomError(SharedErrors.TEMP_UNSAFE_PATH, `refusing to remove "${dir}": not a frameloom temp dir`);
  }
}

export interface TempDir {
  path: string;
  /** Removes the directory; safe to call more than once. */
  cleanup(): Promise<void>;
}

/** Creates `<tmp>/frameloom-<label>-XXXXXX`, registered for removal at process exit. */
export async function createTempDir(label = "render"): Promise<TempDir> {
  installExitHook();
  const dir = await mkdtemp(path.join(tmpdir(), `frameloom-${label.replace(/[^a-z0-9-]/gi, "")}-`));
  // Exit hooks do not run on SIGKILL: the watchdog (process.ts) removes the dir then.
  live.set(dir, removeOnParentDeath(dir));
  return {
    path: dir,
    async cleanup() {
      if (!live.has(dir)) return;
      await removeTempDir(dir);
    },
  };
}

export async function removeTempDir(dir: string): Promise<void> {
  assertSafeToRemove(dir);
  await rm(dir, { recursive: true, force: true });
  live.get(dir)?.();
  live.delete(dir);
}

/** Temp dirs created by this process and not yet removed (for tests and diagnostics). */
export function liveTempDirs(): string[] {
  return [...live.keys()];
}

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runProcess } from "./process.js";

const DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), "../dist/index.js");

function isAlive(pid: number): boolean {
  try {
    const state = execFileSync("ps", ["-o", "stat=", "-p", String(pid)]).toString().trim();
    return state !== "" && !state.startsWith("Z");
  } catch {
    return false;
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (!check()) {
    if (performance.now() - t0 > timeoutMs) return -1;
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - t0;
}

function alive(pattern: string): boolean {
  try {
    execFileSync("pgrep", ["-f", pattern]);
    return true;
  } catch {
    return false;
  }
}

describe("runProcess", () => {
  it("includes the stderr tail in a failure", async () => {
    await expect(runProcess("sh", ["-c", "echo first >&2; echo boom-detail >&2; exit 3"], { label: "sh" })).rejects.toThrow(
      /sh exited with 3:[\s\S]*boom-detail/,
    );
  });
  it("kills the whole process tree on abort", async () => {
    const marker = `frameloom-tree-test-${process.pid}`;
    const controller = new AbortController();
    const run = runProcess("sh", ["-c", `sleep 30 & sleep 31 # ${marker}\nwait`], { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 300));
    expect(alive("sleep 3[01]")).toBe(true);
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: "FLM_ERR_ABORTED" });
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(marker)).toBe(false);
  });
});

describe("watchdog", () => {
  it("kill -9 of the parent: its tracked process groups die and its registered paths go, within 2 s", async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), "flm-watchdog-"));
    const doomed = path.join(scratch, "frameloom-doomed dir");
    const kept = path.join(scratch, "kept");
    // The parent: a tracked `sleep` (its own group, with a child of its own), one path to remove, one unregistered.
    const script = `
      import { mkdirSync } from "node:fs";
      import { spawnTracked, removeOnParentDeath } from ${JSON.stringify(DIST)};
      mkdirSync(${JSON.stringify(doomed)}); mkdirSync(${JSON.stringify(kept)});
      const child = spawnTracked("sh", ["-c", "sleep 60 & sleep 61; wait"], { stdio: "ignore" });
      removeOnParentDeath(${JSON.stringify(doomed)});
      removeOnParentDeath(${JSON.stringify(kept)})();
      setTimeout(() => process.stdout.write("ready " + child.pid + "\\n"), 300);
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const pid = await new Promise<number>((resolve, reject) => {
        parent.stdout!.on("data", (d: Buffer) => {
          const m = /ready (\d+)/.exec(d.toString());
          if (m) resolve(Number(m[1]));
        });
        parent.once("exit", () => reject(new Error("parent exited early")));
      });
      const group = () => execFileSync("ps", ["-eo", "pid=,pgid=,stat="]).toString().split("\n").map((l) => l.trim().split(/\s+/))
        .filter((f) => Number(f[1]) === pid && !f[2]?.startsWith("Z")).length;
      expect(group(), "the tracked group runs: sh and two sleeps").toBe(3);
      parent.kill("SIGKILL");
      const ms = await until(() => group() === 0 && !existsSync(doomed), 2000);
      expect(ms, "group killed and path removed").toBeGreaterThanOrEqual(0);
      expect(isAlive(pid)).toBe(false);
      expect(existsSync(kept), "an unregistered path stays").toBe(true);
    } finally {
      parent.kill("SIGKILL");
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

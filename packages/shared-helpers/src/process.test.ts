import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { runProcess } from "./process.js";

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

/**
 * Lifetimes: Chromium and ffmpeg never outlive the frameloom process, whatever ends it. kill -9
 * (no handler runs: the watchdog and the DevTools pipe do it), SIGHUP (handled like SIGTERM), a
 * second Ctrl-C while the first one cleans up. Chromium's profile and singleton dirs live in the
 * render's temp dir, never loose in TMPDIR.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { render } from "@frameloom/cli";
import { counterPage } from "./helpers/fixtures.js";
import { chromiumMains, pgrep } from "./helpers/procs.js";
import { BIN, sandbox, type Sandbox } from "./helpers/sandbox.js";

let box: Sandbox;
beforeEach(() => {
  box = sandbox("life");
});
afterEach(() => box?.cleanup());

interface Cli {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(args: string[]): Cli {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TMPDIR: box.tmp }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => stderr, exited };
}

/** Waits until the render is capturing: `browsers` Chromium main processes and an ffmpeg writing the output. */
async function untilCapturing(browsers: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mains = await chromiumMains(box.root);
    const ffmpeg = (await pgrep("partial")).filter((p) => p.cmd.includes(box.out) && /ffmpeg/.test(p.cmd.split(" ")[0]!));
    if (mains.length >= browsers && ffmpeg.length >= 1) return;
    if (Date.now() > deadline) throw new Error(`render did not start capturing: ${mains.length} browsers, ${ffmpeg.length} ffmpeg`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Milliseconds until no process mentions the sandbox (Chromium's profile, ffmpeg's output), or -1 past `limitMs`. */
async function msUntilNoProcesses(limitMs: number): Promise<{ ms: number; left: string[] }> {
  const t0 = performance.now();
  for (;;) {
    const left = await pgrep(box.root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    const ms = performance.now() - t0;
    if (left.length === 0) return { ms, left: [] };
    if (ms > limitMs) return { ms: -1, left: left.map((p) => `${p.pid} ${p.cmd.slice(0, 160)}`) };
    await new Promise((r) => setTimeout(r, 25));
  }
}

const longProject = () => box.project("long", counterPage({ duration: "4", fpsNum: 30 }));
const renderArgs = (dir: string) => ["render", dir, "-o", path.join(box.out, "out.mp4"), "--workers", "2", "--quality", "draft"];

/** Chromium singleton / profile dirs or frameloom temp dirs anywhere under the sandbox's TMPDIR. */
function chromiumDirsLeft(): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      if (entry.name.startsWith("org.chromium.") || entry.name.startsWith("chromium-w")) found.push(path.join(dir, entry.name));
      else if (depth < 2) walk(path.join(dir, entry.name), depth + 1);
    }
  };
  walk(box.tmp, 0);
  return found;
}

describe("process lifetimes", () => {
  it("kill -9 of the frameloom process: no Chromium or ffmpeg of the render remains within 2 s", async () => {
    const cli = startCli(renderArgs(longProject()));
    await untilCapturing(2);
    const before = await pgrep(box.root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    // Two browsers (the headless shell runs 1–2 processes each, Debian's Chromium about 5) and ffmpeg.
    expect(before.length, "Chromium trees and ffmpeg running").toBeGreaterThanOrEqual(3);
    cli.child.kill("SIGKILL");
    await cli.exited;
    const { ms, left } = await msUntilNoProcesses(2000);
    expect(left, "processes left after kill -9").toEqual([]);
    expect(ms).toBeGreaterThanOrEqual(0);
    console.log(`kill -9: ${before.length} processes of the render gone ${Math.round(ms)} ms after the frameloom process died`);
    // The watchdog also removed Chromium's profiles and singleton dirs.
    const deadline = Date.now() + 2000;
    const leftovers = () => [...chromiumDirsLeft(), ...box.tmpLeft(), ...box.outFiles()];
    while (leftovers().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(chromiumDirsLeft()).toEqual([]);
    // …and the render's temp dir and its partial output: no exit hook ran, the watchdog did it.
    expect(box.tmpLeft(), "temp dir left after kill -9").toEqual([]);
    expect(box.outFiles(), "partial output left after kill -9").toEqual([]);
  });

  it("SIGHUP is handled like SIGTERM: FLM_ERR_ABORTED, nothing left behind", async () => {
    const cli = startCli(renderArgs(longProject()));
    await untilCapturing(2);
    cli.child.kill("SIGHUP");
    const { code } = await cli.exited;
    expect(code).toBe(1);
    expect(cli.stderr()).toMatch(/interrupted \(SIGHUP\).*\[FLM_ERR_ABORTED\]/);
    expect((await msUntilNoProcesses(2000)).left).toEqual([]);
    expect(box.outFiles(), "no output or .partial file").toEqual([]);
    expect(box.tmpLeft(), "no temp dir").toEqual([]);
    expect(chromiumDirsLeft()).toEqual([]);
  });

  it("a second Ctrl-C while the first cleans up: exits at once, and still no process is left", async () => {
    const cli = startCli(renderArgs(longProject()));
    await untilCapturing(2);
    cli.child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 30));
    cli.child.kill("SIGINT");
    const t0 = performance.now();
    const { code } = await cli.exited;
    expect(performance.now() - t0).toBeLessThan(5000);
    expect([1, 130]).toContain(code);
    expect((await msUntilNoProcesses(2000)).left).toEqual([]);
    // The exit hook removed the render's temp dir (profiles and singleton dirs inside it).
    expect(box.tmpLeft(), "no temp dir").toEqual([]);
    expect(chromiumDirsLeft()).toEqual([]);
  });

  it("a normal render leaves nothing in TMPDIR: Chromium's profile and singleton dirs were inside the render's temp dir", async () => {
    const dir = box.project("short", counterPage({ duration: "1", fpsNum: 30 }));
    let seen: string[] = [];
    await render({
      input: dir,
      output: path.join(box.out, "out.mp4"),
      workers: 1,
      quality: "draft",
      onProgress: (e) => {
        if (e.stage === "capture" && e.framesDone === 10) seen = readdirSync(box.tmp);
      },
    });
    expect(seen.filter((f) => f.startsWith("org.chromium.")), "no singleton dir loose in TMPDIR while rendering").toEqual([]);
    expect(seen.filter((f) => f.startsWith("frameloom-render-")).length).toBe(1);
    expect(readdirSync(box.tmp)).toEqual([]);
  });
});

/**
 * Resource limits: a page that allocates without end fails fast with FLM_ERR_CAPTURE_PAGE_MEMORY
 * naming the limit and --max-page-memory (V8 heap limit for JS objects, renderer RSS watchdog for
 * ArrayBuffers and the like), and a renderer that crashes is noticed at once and retried.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { render } from "@frameloom/cli";
import { decodeAll, frameCountOf } from "./helpers/media.js";
import { counterPage, readCounter } from "./helpers/fixtures.js";
import { expectCleanState, renderFails } from "./helpers/expect.js";
import { chromiumMains, kill, watchChromium } from "./helpers/procs.js";
import { BIN, page, sandbox, type Sandbox } from "./helpers/sandbox.js";

const run = promisify(execFile);

let box: Sandbox;
beforeEach(() => {
  box = sandbox("limits");
});
afterEach(() => box?.cleanup());

const out = () => path.join(box.out, "out.mp4");
const LIMIT = 256;

/** Renderer processes (not Chromium's own UI renderer) in the process group led by `mainPid`. */
async function renderersOf(mainPid: number): Promise<number[]> {
  const { stdout } = await run("ps", ["-eo", "pid=,pgid=,args="]);
  return stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => Number(f[1]) === mainPid && f.includes("--type=renderer") && !f.includes("--top-chrome-webui"))
    .map((f) => Number(f[0]));
}

describe("page memory cap", () => {
  it("JS objects without end at load (RSS watchdog, the V8 heap limit behind it): FLM_ERR_CAPTURE_PAGE_MEMORY within 15 s", async () => {
    const dir = box.project(
      "hog-js",
      page({ extraRootAttrs: "data-no-timeline", script: `var keep = []; for (;;) keep.push(new Array(100000).fill(Math.random()));` }),
    );
    const watch = watchChromium(box.root);
    const { error, ms } = await renderFails({ input: dir, output: out(), workers: 1, maxPageMemory: LIMIT });
    const groups = await watch.stop();
    console.log(`JS-heap hog failed after ${Math.round(ms)} ms: ${error.message}`);
    expect(error.code, error.message).toBe("FLM_ERR_CAPTURE_PAGE_MEMORY");
    expect(error.message).toContain(`${LIMIT} MB`);
    expect(error.message).toContain("--max-page-memory");
    expect(ms).toBeLessThan(15_000);
    await expectCleanState(box, groups);
  });

  it("ArrayBuffers without end mid-render, through the CLI (RSS watchdog): exit 1 with the memory error within 15 s", async () => {
    const dir = box.project(
      "hog-buffers",
      page({
        duration: "3",
        extraRootAttrs: "data-no-timeline",
        script: `var keep = []; requestAnimationFrame(function tick(now) {
          if (now >= 300) for (;;) keep.push(new Uint8Array(10000000).fill(1));
          requestAnimationFrame(tick); });`,
      }),
    );
    const t0 = performance.now();
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, "render", dir, "-o", out(), "--workers", "1", "--max-page-memory", String(LIMIT)], {
        env: { ...process.env, TMPDIR: box.tmp },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stderr }));
    });
    const ms = performance.now() - t0;
    console.log(`ArrayBuffer hog: exit ${result.code} after ${Math.round(ms)} ms: ${result.stderr.trim().split("\n").at(-1)}`);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`used \\d+ MB of memory \\(renderer RSS\\) at frame \\d+.*over the ${LIMIT} MB page memory limit \\(--max-page-memory ${LIMIT}\\)`));
    expect(result.stderr).toContain("[FLM_ERR_CAPTURE_PAGE_MEMORY]");
    expect(ms).toBeLessThan(15_000);
    await expectCleanState(box);
  });

  it("--max-page-memory below 64 MB is refused before anything starts", async () => {
    const dir = box.project("ok", page({ extraRootAttrs: "data-no-timeline" }));
    const { error } = await renderFails({ input: dir, output: out(), maxPageMemory: 10 });
    expect(error.code).toBe("FLM_ERR_KERNEL_CONFIG_INVALID");
    expect(error.message).toContain("--max-page-memory");
    await expectCleanState(box);
  });
});

describe("renderer crash", () => {
  it("a renderer killed mid-render is noticed at once and retried with a message: all frames, in order", async () => {
    const dir = box.project("long", counterPage({ duration: "3", fpsNum: 30 }));
    const warnings: { at: number; text: string }[] = [];
    let killedAt: number | null = null;
    let victim: Promise<void> | null = null;
    const watch = watchChromium(box.root);
    const summary = await render({
      input: dir,
      output: out(),
      workers: 1,
      quality: "draft",
      onWarning: (text) => warnings.push({ at: performance.now(), text }),
      onProgress: (e) => {
        if (victim || e.stage !== "capture" || e.framesDone < 10) return;
        victim = (async () => {
          const [main] = await chromiumMains(box.root, "chromium-w0-a0");
          for (const pid of main ? await renderersOf(main.pid) : []) if (kill(pid)) killedAt ??= performance.now();
        })();
      },
    });
    await victim;
    const groups = await watch.stop();
    expect(killedAt, "a renderer of worker 0's first browser was killed").not.toBeNull();
    const crash = warnings.find((w) => /renderer crashed/.test(w.text));
    expect(crash, warnings.map((w) => w.text).join("\n")).toBeDefined();
    console.log(`renderer crash noticed ${Math.round(crash!.at - killedAt!)} ms after the kill: ${crash!.text}`);
    expect(crash!.at - killedAt!).toBeLessThan(5000);
    expect(summary.frames).toBe(90);
    expect(await frameCountOf(out())).toBe(90);
    expect((await decodeAll(out())).map(readCounter)).toEqual(Array.from({ length: 90 }, (_, i) => i));
    await expectCleanState({ ...box, outFiles: () => [] }, groups);
  });
});

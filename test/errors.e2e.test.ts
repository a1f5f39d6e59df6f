/**
 * 5. Bad input and failures mid-render: a coded error naming the culprit, within a bounded time, with no
 * output / .partial file, no temp dir and no Chromium or ffmpeg left; a crashed browser is retried.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { statSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { render } from "@frameloom/cli";
import { decodeAll, frameCountOf } from "./helpers/media.js";
import { counterPage, readCounter } from "./helpers/fixtures.js";
import { chromiumMains, kill, pgrep, watchChromium } from "./helpers/procs.js";
import { expectCleanState, renderFails } from "./helpers/expect.js";
import { page, sandbox, type Sandbox } from "./helpers/sandbox.js";

let box: Sandbox;
beforeEach(() => {
  box = sandbox("err");
});
afterEach(() => box?.cleanup());

const out = (name = "out.mp4") => path.join(box.out, name);
/** 3 s at 30 fps = 90 frames of 320x180: long enough to interfere with after ~10 frames. */
/** Renders `dir`, which throws `token`: a page error carrying it within 15 s, nothing left behind. */
async function expectPageErrorFailure(dir: string, token: string): Promise<void> {
  const watch = watchChromium(box.root);
  const { error, ms } = await renderFails({ input: dir, output: out(), workers: 1 });
  const groups = await watch.stop();
  expect(error.code).toBe("FLM_ERR_CAPTURE_PAGE_ERROR");
  expect(error.message).toContain(token);
  expect(ms).toBeLessThan(15_000);
  await expectCleanState(box, groups);
}

const longProject = () => box.project("long", counterPage({ duration: "3", fpsNum: 30 }));

describe("bad input fails fast and clean", () => {
  it("missing entry: FLM_ERR_COMPILE_ENTRY_MISSING naming the path", async () => {
    const input = path.join(box.root, "no-such-project");
    const { error, ms } = await renderFails({ input, output: out() });
    expect(error.code).toBe("FLM_ERR_COMPILE_ENTRY_MISSING");
    expect(error.message).toContain(input);
    expect(ms).toBeLessThan(5000);
    await expectCleanState(box);
  });

  it("missing .html file: names the file", async () => {
    const input = path.join(box.root, "nope.html");
    const { error } = await renderFails({ input, output: out() });
    expect(error.code).toBe("FLM_ERR_COMPILE_ENTRY_MISSING");
    expect(error.message).toContain(input);
    await expectCleanState(box);
  });

  it("no data-composition-id: FLM_ERR_COMPILE_NO_COMPOSITION naming the attribute and file", async () => {
    const dir = box.project("noid", `<!doctype html><html><body><div data-width="320" data-height="180" data-duration="1">x</div></body></html>`);
    const { error, ms } = await renderFails({ input: dir, output: out() });
    expect(error.code).toBe("FLM_ERR_COMPILE_NO_COMPOSITION");
    expect(error.message).toContain("data-composition-id");
    expect(error.message).toContain(path.join(dir, "index.html"));
    expect(ms).toBeLessThan(5000);
    await expectCleanState(box);
  });

  for (const value of ["0", "-1"]) {
    it(`data-duration="${value}" on the root: FLM_ERR_COMPILE_BAD_DURATION naming data-duration`, async () => {
      const dir = box.project("dur", page({ duration: value, extraRootAttrs: "data-no-timeline" }));
      const { error, ms } = await renderFails({ input: dir, output: out() });
      expect(error.code).toBe("FLM_ERR_COMPILE_BAD_DURATION");
      expect(error.message).toContain("data-duration");
      expect(error.message).toContain(value);
      expect(ms).toBeLessThan(5000);
      await expectCleanState(box);
    });
  }

  it("a page script that throws at load: FLM_ERR_CAPTURE_PAGE_ERROR with the page's message, in < 15 s", async () => {
    const token = `kaboom-${randomBytes(4).toString("hex")}`;
    await expectPageErrorFailure(box.project("throw", page({ extraRootAttrs: "data-no-timeline", script: `throw new Error("${token}");` })), token);
  });

  it("a page that throws mid-render (in rAF at t ≥ 0.5 s): fails with the message", async () => {
    const token = `kaboom-${randomBytes(4).toString("hex")}`;
    const dir = box.project("throw2", page({
      duration: "2",
      extraRootAttrs: "data-no-timeline",
      script: `requestAnimationFrame(function tick(now) { if (now >= 500) throw new Error("${token}"); requestAnimationFrame(tick); });`,
    }));
    await expectPageErrorFailure(dir, token);
  });

  it("unwritable output path: FLM_ERR_KERNEL_OUTPUT_UNWRITABLE naming it, before any browser starts", async () => {
    const dir = box.project("ok", page({ extraRootAttrs: "data-no-timeline" }));
    const output = "/etc/hostname/sub/out.mp4";
    const watch = watchChromium(box.root, { everyMs: 20 });
    const { error, ms } = await renderFails({ input: dir, output });
    const groups = await watch.stop();
    expect(error.code).toBe("FLM_ERR_KERNEL_OUTPUT_UNWRITABLE");
    expect(error.message).toContain(output);
    expect(groups).toEqual([]);
    expect(ms).toBeLessThan(5000);
    await expectCleanState(box);
  });
});

describe("failures mid-render", () => {
  it("ffmpeg SIGKILLed after ~10 frames: FLM_ERR_ENCODE_* with ffmpeg's stderr tail, no output, no leftovers", async () => {
    const dir = longProject();
    const output = out();
    let killed: number[] | null = null;
    const watch = watchChromium(box.root);
    const { error, ms } = await renderFails({
      input: dir,
      output,
      workers: 1,
      onProgress: (e) => {
        if (killed || e.stage !== "capture" || e.framesDone < 10) return;
        killed = [];
        void (async () => {
          // Once ffmpeg has written into its partial output it has printed its stream info (the tail to check).
          const deadline = Date.now() + 10_000;
          const writing = () => box.outFiles().some((f) => f.startsWith(".") && statSync(path.join(box.out, f), { throwIfNoEntry: false })?.size);
          while (!writing() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          for (const p of await pgrep("partial")) if (p.cmd.includes(box.out) && /ffmpeg/.test(p.cmd.split(" ")[0]!) && kill(p.pid)) killed!.push(p.pid);
        })();
      },
    });
    const groups = await watch.stop();
    expect(killed, "an ffmpeg writing a .partial file was found and killed").toHaveLength(1);
    expect(error.code).toMatch(/^FLM_ERR_ENCODE_/);
    expect(error.message).toMatch(/ffmpeg/);
    expect(error.message, "message carries ffmpeg's stderr tail").toMatch(/\n\S/);
    expect(ms).toBeLessThan(30_000);
    await expectCleanState(box, groups);
  });

  for (const route of ["streaming", "disk"] as const) {
    it(`a browser SIGKILLed after ~10 frames is replaced (${route} route): all frames, in order`, async () => {
      const dir = longProject();
      const output = out();
      let victim: number | null | undefined;
      const watch = watchChromium(box.root);
      const warnings: string[] = [];
      const summary = await render({
        input: dir,
        output,
        workers: 1,
        route,
        quality: "draft",
        onWarning: (w) => warnings.push(w),
        onProgress: (e) => {
          if (victim !== undefined || e.stage !== "capture" || e.framesDone < 10) return;
          victim = null;
          // Worker 0's first browser (its profile is chromium-w0-a0 on streaming, chromium-w0-a1 on disk).
          void chromiumMains(box.root, "chromium-w0-a").then((mains) => {
            if (mains.length === 1 && kill(mains[0]!.pid)) victim = mains[0]!.pid;
          });
        },
      });
      const groups = await watch.stop();
      expect(victim, "worker 0's chromium main process was found and killed").toBeTypeOf("number");
      expect(groups.length, "a second browser was started").toBeGreaterThanOrEqual(2);
      expect(summary.frames).toBe(90);
      expect(await frameCountOf(output)).toBe(90);
      const frames = await decodeAll(output);
      expect(frames.map(readCounter)).toEqual(Array.from({ length: 90 }, (_, i) => i));
      expect(box.outFiles()).toEqual(["out.mp4"]);
      await expectCleanState({ ...box, outFiles: () => [] }, groups);
    });
  }

  it("disk route, 2 workers, two crashes: one same-size retry, then half the workers; progress reports the new count", async () => {
    const dir = longProject();
    const output = out();
    const killed: number[] = [];
    let firstKill: Promise<void> | null = null;
    const workersSeen: number[] = [];
    // Kill worker 0's first browser after 10 frames, then every browser of the second attempt (a1).
    let stop = false;
    const secondWave = (async () => {
      while (!stop) {
        for (const p of await chromiumMains(box.root, "-a1").catch(() => [])) if (!killed.includes(p.pid) && kill(p.pid)) killed.push(p.pid);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const summary = await render({
      input: dir,
      output,
      workers: 2,
      route: "disk",
      quality: "draft",
      onProgress: (e) => {
        if (e.stage === "capture") workersSeen.push(e.workers);
        if (firstKill || e.stage !== "capture" || e.framesDone < 10) return;
        firstKill = chromiumMains(box.root, "chromium-w0-a0").then((mains) => {
          if (mains[0] && kill(mains[0].pid)) killed.push(mains[0].pid);
        });
      },
    });
    stop = true;
    await secondWave;
    expect(killed.length, "the first browser and at least one browser of the same-size retry were killed").toBeGreaterThanOrEqual(2);
    expect(workersSeen[0]).toBe(2);
    expect(workersSeen.at(-1), "after the second failure the worker count in force is halved").toBe(1);
    expect(summary.workers).toBe(1);
    const frames = await decodeAll(output);
    expect(frames.map(readCounter)).toEqual(Array.from({ length: 90 }, (_, i) => i));
  });

  for (const route of ["streaming", "disk"] as const) {
    it(`browsers killed again and again (${route}): clean failure (BROWSER_CRASHED / BROWSER_LAUNCH / RETRY_EXHAUSTED), no output, no leftovers`, async () => {
      const dir = longProject();
      const watch = watchChromium(box.root, { killEach: true, everyMs: 100 });
      const { error, ms } = await renderFails({ input: dir, output: out(), workers: 1, route, quality: "draft" });
      const groups = await watch.stop();
      expect(watch.killed.size).toBeGreaterThanOrEqual(2);
      expect([error.code, error.message]).toEqual([expect.stringMatching(/^FLM_ERR_(CAPTURE_BROWSER_CRASHED|CAPTURE_BROWSER_LAUNCH|RETRY_EXHAUSTED)$/), expect.any(String)]);
      expect(ms).toBeLessThan(60_000);
      await expectCleanState(box, groups);
    });
  }

  it("AbortSignal fired after ~10 frames: FLM_ERR_ABORTED, no output, no leftovers", async () => {
    const dir = longProject();
    const controller = new AbortController();
    const watch = watchChromium(box.root);
    let abortedAt = 0;
    const { error } = await renderFails({
      input: dir,
      output: out(),
      workers: 2,
      signal: controller.signal,
      onProgress: (e) => {
        if (!controller.signal.aborted && e.stage === "capture" && e.framesDone >= 10) {
          abortedAt = performance.now();
          controller.abort(new Error("test abort"));
        }
      },
    });
    const afterAbortMs = performance.now() - abortedAt;
    const groups = await watch.stop();
    expect(abortedAt).toBeGreaterThan(0);
    expect(error.code).toBe("FLM_ERR_ABORTED");
    expect(afterAbortMs).toBeLessThan(10_000);
    await expectCleanState(box, groups);
  });
});

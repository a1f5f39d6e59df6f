import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { liveTempDirs, type RenderConfig, type Stage } from "@frameloom/shared-helpers";
import { Kernel, runRender } from "./kernel.js";
import { checkStages, resolveStages } from "./stages.js";
import { buildRenderConfig } from "./config.js";

/** Every scratch dir this file makes, removed after it. */
const scratch: string[] = [];
const scratchDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

const out = () => path.join(scratchDir("kernel-test-"), "out.mp4");

function config(output: string): RenderConfig {
  return buildRenderConfig({ input: "/nowhere", output });
}

const produce: Stage = {
  meta: { name: "produce", kernel: "^2.0.0", needs: { config: "RenderConfig" }, provides: { items: "Items" } },
  async run() {
    return { items: [1, 2, 3] };
  },
};
const write = (fail = false): Stage => ({
  meta: { name: "write", kernel: "^2.0.0", needs: { items: "Items", outputPath: "OutputPath" }, provides: { written: "Count" } },
  async run(input, ctx) {
    const { items, outputPath } = input as { items: number[]; outputPath: string };
    writeFileSync(outputPath, items.join(","));
    ctx.progress({ framesDone: 3, totalFrames: 3 });
    if (fail) throw new Error("disk full");
    return { written: items.length };
  },
});

describe("kernel", () => {
  it("runs stages in order, times each and renames the output on success", async () => {
    const output = out();
    const events: string[] = [];
    const { job, values } = await runRender({
      config: config(output),
      stages: { produce, write: write() },
      hooks: { onStageStart: ({ stage }) => void events.push(`start:${stage}`), onStageEnd: ({ stage }) => void events.push(`end:${stage}`) },
    });
    expect(readFileSync(output, "utf8")).toBe("1,2,3");
    expect(values.written).toBe(3);
    expect(events).toEqual(["start:produce", "end:produce", "start:write", "end:write"]);
    expect(Object.keys(job.perfStages)).toEqual(["produceMs", "writeMs"]);
    expect(job.status).toBe("done");
  });

  it("leaves no output and no temp dir when a stage fails", async () => {
    const output = out();
    const before = liveTempDirs().length;
    await expect(runRender({ config: config(output), stages: { produce, write: write(true) } })).rejects.toThrow("disk full");
    expect(existsSync(output)).toBe(false);
    expect(readFileSyncDir(path.dirname(output))).toEqual([]);
    expect(liveTempDirs().length).toBe(before);
  });

  it("refuses a set whose need has no provider, or a duplicate, before running anything", async () => {
    let ran = false;
    const spy: Stage = { ...produce, async run() { ran = true; return { items: [] }; } };
    await expect(runRender({ config: config(out()), stages: { write: write(), produce: spy } })).rejects.toMatchObject({
      code: "FLM_ERR_KERNEL_STAGE_MISSING_PROVIDER",
    });
    expect(ran).toBe(false);
    expect(() => checkStages([produce, produce])).toThrow(/twice/);
    expect(() => checkStages([{ ...produce, meta: { ...produce.meta, kernel: "^3.0.0" } }])).toThrow(/needs kernel \^3.0.0/);
  });

  it("passes optional values when provided and does not require a provider for them", async () => {
    const seen: unknown[] = [];
    const reader: Stage = {
      meta: { name: "reader", kernel: "^2.0.0", needs: { items: "Items", outputPath: "OutputPath" }, optional: { extra: "Extra" }, provides: { done: "Done" } },
      async run(input) {
        writeFileSync((input as { outputPath: string }).outputPath, "x");
        seen.push((input as { extra?: unknown }).extra);
        return { done: true };
      },
    };
    const extra: Stage = { meta: { name: "extra", kernel: "^2.0.0", needs: {}, provides: { extra: "Extra" } }, async run() { return { extra: 42 }; } };
    await runRender({ config: config(out()), stages: { produce, reader } });
    await runRender({ config: config(out()), stages: { produce, extra, reader } });
    expect(seen).toEqual([undefined, 42]);
  });

  it("resolves a stage from a module path and refuses an unresolvable one by name", async () => {
    const dir = scratchDir("kernel-stage-");
    const file = path.join(dir, "my-produce.mjs");
    writeFileSync(
      file,
      `export const stage = { meta: { name: "produce", kernel: "^2.0.0", needs: {}, provides: { items: "Items" } }, async run() { return { items: [9] }; } };`,
    );
    const [resolved] = await resolveStages({ produce: file });
    expect(await resolved!.run({}, {} as never)).toEqual({ items: [9] });
    await expect(resolveStages({ capture: "./does-not-exist.js" })).rejects.toThrow(/stage "capture" could not be resolved from "\.\/does-not-exist\.js"/);
    await expect(resolveStages({ capture: file })).rejects.toThrow(/named "produce"/);
  });

  it("times a streaming stage until its settled promise and fails on its rejection", async () => {
    const output = out();
    const stream: Stage = {
      meta: { name: "stream", kernel: "^2.0.0", needs: {}, provides: { items: "Items" } },
      async run() {
        return { items: [1], settled: new Promise((r) => setTimeout(r, 120)) };
      },
    };
    const { job } = await runRender({ config: config(output), stages: { stream, write: write() } });
    expect(job.perfStages.streamMs).toBeGreaterThanOrEqual(100);
    const broken: Stage = {
      ...stream,
      async run() {
        return { items: [1], settled: Promise.reject(new Error("browser died")) };
      },
    };
    await expect(runRender({ config: config(out()), stages: { stream: broken, write: write() } })).rejects.toThrow("browser died");
  });

  it("honours an AbortSignal and rejects unknown hooks", async () => {
    const controller = new AbortController();
    const slow: Stage = {
      meta: { name: "slow", kernel: "^2.0.0", needs: {}, provides: { items: "Items" } },
      run: (_i, ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("stopped")))),
    };
    const output = out();
    const run = runRender({ config: config(output), stages: { slow, write: write() }, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(run).rejects.toMatchObject({ code: "FLM_ERR_ABORTED" });
    expect(existsSync(output)).toBe(false);
    expect(() => new Kernel().addHook("onExplode" as never, () => {})).toThrow(/unknown hook "onExplode"/);
  });

  it("refuses two providers of one value, naming both, and a need whose type is not its provider's", () => {
    const other: Stage = { meta: { name: "other", kernel: "^2.0.0", needs: {}, provides: { items: "Items" } }, run: produce.run };
    expect(() => checkStages([produce, other, write()])).toThrow(
      expect.objectContaining({
        code: "FLM_ERR_KERNEL_STAGE_DUPLICATE_PROVIDER",
        message: expect.stringMatching(/"items" is provided twice: by stage "produce" \(Items\) and by stage "other" \(Items\)/),
      }),
    );
    const shadow: Stage = { meta: { name: "shadow", kernel: "^2.0.0", needs: {}, provides: { config: "RenderConfig" } }, run: produce.run };
    expect(() => checkStages([shadow])).toThrow(expect.objectContaining({ code: "FLM_ERR_KERNEL_STAGE_DUPLICATE_PROVIDER", message: expect.stringContaining("by the kernel") }));
    const typed: Stage = { meta: { name: "typed", kernel: "^2.0.0", needs: { items: "Frames" }, provides: {} }, run: produce.run };
    expect(() => checkStages([produce, typed])).toThrow(
      expect.objectContaining({ code: "FLM_ERR_KERNEL_STAGE_TYPE_MISMATCH", message: expect.stringContaining('needs "items" as Frames, but stage "produce" provides it as Items') }),
    );
    // An optional value a later stage provides is an ordering error, not a silent skip.
    const early: Stage = { meta: { name: "early", kernel: "^2.0.0", needs: {}, optional: { extra: "Extra" }, provides: {} }, run: produce.run };
    const extra: Stage = { meta: { name: "extra", kernel: "^2.0.0", needs: {}, provides: { extra: "Extra" } }, run: produce.run };
    expect(() => checkStages([early, extra])).toThrow(/provides only after it/);
    expect(() => checkStages([{ ...produce, meta: { ...produce.meta, needs: ["config"] as never } }])).toThrow();
  });

  it("records what stages report (stats, and what settled resolves with) by stage name; progress counts frames of the stage that says so", async () => {
    const counting: Stage = {
      meta: { name: "count", kernel: "^2.0.0", needs: {}, provides: { items: "Items" }, countsFrames: true },
      async run(_i, ctx) {
        ctx.progress({ framesDone: 2, totalFrames: 4 });
        return { items: [1, 2], stats: { a: 1 }, settled: new Promise((r) => setTimeout(() => r({ b: 2 }), 20)) };
      },
    };
    const { job, stats } = await runRender({ config: config(out()), stages: { count: counting, write: write() } });
    expect(stats).toEqual({ count: { a: 1, b: 2 } });
    // write's own progress (3 of 3) does not count frames: framesRendered stays capture-like.
    expect(job.framesRendered).toBe(2);
  });

  it("reports a producer's failure in place of the failure of a consumer that yields to it", async () => {
    const producer: Stage = {
      meta: { name: "producer", kernel: "^2.0.0", needs: {}, provides: { items: "Items" } },
      async run() {
        const settled = new Promise((_, reject) => setTimeout(() => reject(new Error("browser crashed")), 20));
        settled.catch(() => {});
        return { items: [1], settled };
      },
    };
    const consumer = (yields: boolean): Stage => ({
      meta: { name: "consumer", kernel: "^2.0.0", needs: { items: "Items" }, provides: { done: "Done" }, yieldsToProducer: yields },
      async run() {
        await new Promise((r) => setTimeout(r, 60));
        throw new Error("EPIPE");
      },
    });
    await expect(runRender({ config: config(out()), stages: { producer, consumer: consumer(true) } })).rejects.toThrow("browser crashed");
    await expect(runRender({ config: config(out()), stages: { producer, consumer: consumer(false) } })).rejects.toThrow("EPIPE");
  });

  it("refuses an unwritable output before starting", async () => {
    await expect(runRender({ config: config("/etc/hostname/sub/out.mp4"), stages: { produce } })).rejects.toMatchObject({
      code: "FLM_ERR_KERNEL_OUTPUT_UNWRITABLE",
    });
  });
});

function readFileSyncDir(dir: string): string[] {
  return readdirSync(dir);
}

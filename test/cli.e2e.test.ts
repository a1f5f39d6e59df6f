/** 6. The `frameloom` CLI: --json, --quiet, error lines and exit codes, presets, --stage replacement, progress lines. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { render } from "@frameloom/cli";
import { stage as captureStage } from "@frameloom/stage-capture";
import { frameCountOf, decodeFrame } from "./helpers/media.js";
import { counterPage, readCounter } from "./helpers/fixtures.js";
import { leftovers, watchChromium } from "./helpers/procs.js";
import { runCli } from "./helpers/cli.js";
import { REPO, sandbox, type Sandbox } from "./helpers/sandbox.js";

const cli = (args: string[], cwd: string, env: Record<string, string> = {}) => runCli(args, { cwd, env });

describe("frameloom CLI", () => {
  let box: Sandbox;
  let dir: string;
  const env = () => ({ TMPDIR: box.tmp });

  beforeAll(() => {
    box = sandbox("cli");
    // 1 s at 30 fps = 30 frames, 320x180.
    dir = box.project("proj", counterPage({ duration: "1", fpsNum: 30 }));
  });
  afterAll(() => box?.cleanup());

  it("render --json prints exactly one JSON object with the summary", async () => {
    const output = path.join(box.out, "json.mp4");
    const r = await cli(["render", dir, "-o", output, "--json", "--workers", "1", "--quality", "draft"], box.root, env());
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]!);
    expect(summary).toMatchObject({ output, frames: 30, workers: 1, route: "streaming", compositionFps: "30", width: 320, height: 180 });
    expect(summary.fps).toBeGreaterThan(0);
    expect(summary.wallMs).toBeGreaterThan(0);
    for (const k of ["compileMs", "captureMs", "encodeMs"]) expect(summary.perfStages[k], k).toBeTypeOf("number");
    expect(r.stderr).toBe("");
    expect(await frameCountOf(output)).toBe(30);
  });

  it("render --quiet prints nothing on success", async () => {
    const output = path.join(box.out, "quiet.mp4");
    const r = await cli(["render", dir, "-o", output, "--quiet", "--workers", "1", "--quality", "draft"], box.root, env());
    expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(existsSync(output)).toBe(true);
  });

  it("without --json/--quiet and a non-TTY stderr: plain `capture N/M frames` progress lines, result on stdout", async () => {
    const output = path.join(box.out, "plain.mp4");
    const r = await cli(["render", dir, "-o", output, "--workers", "1", "--quality", "draft"], box.root, env());
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) expect(line).toMatch(/^capture \d+\/30 frames, [\d.]+ fps, workers \d+$/);
    expect(lines.at(-1)).toMatch(/^capture 30\/30 frames/);
    // oxlint-disable-next-line no-control-regex -- the point: no ANSI escapes or carriage returns off a TTY
    expect(r.stderr).not.toMatch(/\x1b\[|\r/);
    expect(r.stdout).toContain(output);
    expect(r.stdout).toMatch(/30 frames in [\d.]+ s/);
  });

  it("bad input exits 1 with `frameloom: <message> [FLM_ERR_…]` on stderr and no output", async () => {
    const missing = path.join(box.root, "does-not-exist");
    const output = path.join(box.out, "bad.mp4");
    const r = await cli(["render", missing, "-o", output], box.root, env());
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^frameloom: .+ \[FLM_ERR_COMPILE_ENTRY_MISSING\]\n$/s);
    expect(r.stderr).toContain(missing);
    expect(existsSync(output)).toBe(false);
  });

  it("bad input with --json: the error is one JSON object on stdout and the line on stderr", async () => {
    const r = await cli(["render", path.join(box.root, "nope"), "-o", path.join(box.out, "x.mp4"), "--json"], box.root, env());
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).error.code).toBe("FLM_ERR_COMPILE_ENTRY_MISSING");
    expect(r.stderr).toMatch(/^frameloom: .+ \[FLM_ERR_COMPILE_ENTRY_MISSING\]\n$/s);
  });

  it("presets --json lists every preset", async () => {
    const r = await cli(["presets", "--json"], box.root);
    expect(r.code).toBe(0);
    const names = (JSON.parse(r.stdout) as { name: string }[]).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(["draft", "standard", "high", "webm-alpha", "prores-4444", "gif", "png-sequence"]));
  });

  it("--stage capture=./my-capture.mjs: the replacement module is used and sees every frame", async () => {
    const marker = path.join(box.root, "capture-marker.json");
    const stageUrl = pathToFileURL(path.join(REPO, "packages/stage-capture/dist/index.js")).href;
    writeFileSync(
      path.join(box.root, "my-capture.mjs"),
      `import { writeFileSync } from "node:fs";
import { stage as base } from ${JSON.stringify(stageUrl)};
export const stage = {
  meta: base.meta,
  async run(input, ctx) {
    const result = await base.run(input, ctx);
    const inner = result.captured.frames;
    let n = 0;
    // The consumer stops pulling after the last frame (return()), so record in finally.
    result.captured.frames = (async function* () {
      try {
        for await (const frame of inner) { n++; yield frame; }
      } finally {
        writeFileSync(${JSON.stringify(marker)}, JSON.stringify({ frames: n, range: input.plan.range }));
      }
    })();
    return result;
  },
};
`,
    );
    const output = path.join(box.out, "stage.mp4");
    const r = await cli(["render", dir, "-o", output, "--stage", "capture=./my-capture.mjs", "--json", "--workers", "1", "--frames", "5-14"], box.root, env());
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).frames).toBe(10);
    expect(JSON.parse(readFileSync(marker, "utf8"))).toEqual({ frames: 10, range: { from: 5, to: 15 } });
    expect(await frameCountOf(output)).toBe(10);
    expect(readCounter(await decodeFrame(output, 0))).toBe(5);
  });

  it("--stage capture=./missing.mjs fails before any browser starts, naming the stage and the path", async () => {
    const output = path.join(box.out, "missing-stage.mp4");
    const watch = watchChromium(box.root, { everyMs: 20 });
    const r = await cli(["render", dir, "-o", output, "--stage", "capture=./missing.mjs"], box.root, env());
    const browsers = await watch.stop();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^frameloom: .+ \[FLM_ERR_KERNEL_STAGE_UNRESOLVED\]\n$/s);
    expect(r.stderr).toContain('"capture"');
    expect(r.stderr).toContain("./missing.mjs");
    expect(browsers).toEqual([]);
    expect(existsSync(output)).toBe(false);
    expect(r.ms).toBeLessThan(5000);
  });

  it("API: stages.capture given as a stage object is used", async () => {
    let runs = 0;
    const output = path.join(box.out, "api-stage.mp4");
    const summary = await render({
      input: dir,
      output,
      workers: 1,
      frames: "0-4",
      stages: { capture: { meta: captureStage.meta, run: (input, ctx) => (runs++, captureStage.run(input, ctx)) } },
    });
    expect(runs).toBe(1);
    expect(summary.frames).toBe(5);
    expect(await frameCountOf(output)).toBe(5);
  });

  it("leaves no processes, temp dirs or partial files behind", async () => {
    expect(await leftovers(box.root)).toEqual([]);
    expect(box.tmpLeft()).toEqual([]);
    expect(box.outFiles().filter((f) => f.startsWith("."))).toEqual([]);
  });
});

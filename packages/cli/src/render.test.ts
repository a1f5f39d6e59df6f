import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { checkStages } from "@frameloom/kernel";
import type { Stage } from "@frameloom/shared-helpers";
import { defaultStages } from "./defaultStages.js";
import { render } from "./render.js";
import { runChecks } from "./doctor.js";

const run = promisify(execFile);
const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), "../dist/bin.js");

/** Every project dir this file makes, removed after it. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function project(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "cli-test-"));
  made.push(dir);
  writeFileSync(path.join(dir, "index.html"), '<div data-composition-id="c" data-width="64" data-height="64" data-duration="1"></div>');
  return dir;
}

describe("render() options", () => {
  it("wires compile, plan, audio, capture, composite, encode in that order, a set the kernel accepts", async () => {
    expect(Object.keys(defaultStages())).toEqual(["compile", "plan", "audio", "capture", "composite", "encode"]);
    expect(() => checkStages(Object.values(defaultStages()) as Stage[])).not.toThrow();
  });

  it("the CLI imports stage packages only to build the default stage set (and for its doctor / fonts tools)", () => {
    const src = path.dirname(fileURLToPath(import.meta.url));
    for (const file of readdirSync(src).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
      const imports = [...readFileSync(path.join(src, file), "utf8").matchAll(/from\s+["'](@frameloom\/stage-[\w-]+)["']/g)].map((m) => m[1]);
      const allowed = file === "defaultStages.ts" ? imports : file === "doctor.ts" || file === "fontsCommand.ts" ? ["@frameloom/stage-capture"] : [];
      for (const name of imports) expect(allowed, `${file} imports ${name}`).toContain(name);
    }
  });

  it("refuses a replacement for a stage that does not exist, before anything runs", async () => {
    const dir = project();
    await expect(render({ input: dir, output: path.join(dir, "o.mp4"), stages: { captur: "./x.js" } })).rejects.toMatchObject({
      code: "FLM_ERR_CLI_UNKNOWN_STAGE",
      message: expect.stringContaining('"captur"'),
    });
  });

  it("validates options with a message naming the option", async () => {
    const dir = project();
    await expect(render({ input: dir, output: path.join(dir, "o.mp4"), workers: 0 })).rejects.toMatchObject({
      code: "FLM_ERR_KERNEL_CONFIG_INVALID",
      message: expect.stringContaining("workers"),
    });
    await expect(render({ input: dir, output: path.join(dir, "o.mp4"), fps: "29.97" })).rejects.toThrow(/30000\/1001/);
    await expect(render({ input: dir, output: path.join(dir, "o.mp4"), preset: "nope" })).rejects.toMatchObject({
      code: "FLM_ERR_KERNEL_PRESET_UNKNOWN",
    });
  });
});

describe("frameloom CLI", () => {
  it("refuses --hdr with --sdr and exits 1 with the message", async () => {
    const dir = project();
    const result = await run(process.execPath, [bin, "render", dir, "-o", path.join(dir, "o.mp4"), "--hdr", "--sdr"]).catch((e) => e);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--hdr and --sdr exclude each other/);
  });

  it("doctor reports every check by name", async () => {
    const names = (await runChecks()).map((c) => c.name);
    expect(names).toEqual(["chromium", "ffmpeg", "ffprobe", "fonts", "hdr-addon"]);
  });
});

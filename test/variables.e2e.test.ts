/**
 * Composition variables (COMPOSITION.md §2.5), real renders through the CLI, decoded output checked:
 * declared defaults render as they are; `--variables` changes a text (data-var-text), an image
 * source (data-var-src), a CSS colour (custom property --accent) and a value a script reads with
 * `__hyperframes.getVariables()`; `--variables-file` gives values that `--variables` overrides key by
 * key; `--strict-variables` fails on an undeclared name and on a type mismatch, naming both, before
 * any browser starts; values cannot change size, duration or fps.
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "@frameloom/cli";
import { decodeFrame, hex, near, pixel, videoStream, frameCountOf, type RgbaFrame } from "./helpers/media.js";
import { leftovers } from "./helpers/procs.js";
import { runCli } from "./helpers/cli.js";
import { sandbox, type Sandbox } from "./helpers/sandbox.js";

const run = promisify(execFile);

const cli = (args: string[], cwd: string, env: Record<string, string>) => runCli(args, { cwd, env });

const DECLARED = JSON.stringify([
  { id: "title", type: "string", label: "Title", default: "AB" },
  { id: "logo", type: "image", label: "Logo", default: "img/red.png" },
  { id: "accent", type: "color", label: "Accent", default: "#00ff00" },
  { id: "count", type: "number", label: "Count", default: 1 },
]);

// 160x90, 1 s. The label is white on white (its width shows its text); the bar is count × 10 px wide.
const INDEX = `<!doctype html>
<html data-composition-variables='${DECLARED}'><head><meta charset="utf-8">
<style>* { margin:0; padding:0; box-sizing:border-box; } html, body { background:#000; overflow:hidden; }
#root { position:relative; width:160px; height:90px; overflow:hidden; }
.label { position:absolute; left:10px; top:10px; font: 16px/16px monospace; color:#fff; background:#fff; white-space:pre; }
.logo { position:absolute; left:10px; top:40px; width:20px; height:20px; }
.swatch { position:absolute; left:40px; top:40px; width:20px; height:20px; background: var(--accent); }
.bar { position:absolute; left:0; top:70px; height:10px; background:#ffff00; }
</style></head><body>
<div id="root" data-composition-id="vars" data-width="160" data-height="90" data-duration="1" data-no-timeline>
  <span class="label" data-var-text="title">placeholder</span>
  <img class="logo" data-var-src="logo" src="img/red.png">
  <div class="swatch"></div>
  <div class="bar" id="bar"></div>
</div>
<script>
  var v = window.__hyperframes.getVariables();
  document.getElementById("bar").style.width = (Number(v.count) * 10) + "px";
</script>
</body></html>`;

describe("composition variables (§2.5)", () => {
  let box: Sandbox;
  let dir: string;
  const env = () => ({ TMPDIR: box.tmp });

  beforeAll(async () => {
    box = sandbox("vars");
    dir = path.join(box.root, "project");
    mkdirSync(path.join(dir, "img"), { recursive: true });
    writeFileSync(path.join(dir, "index.html"), INDEX);
    await Promise.all(
      [["red", "#ff0000"], ["blue", "#0000ff"]].map(([name, colour]) =>
        run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", `color=c=${colour}:s=20x20`, "-frames:v", "1", path.join(dir, `img/${name}.png`)]),
      ),
    );
  });
  afterAll(() => box?.cleanup());

  async function renderWith(name: string, args: string[]): Promise<RgbaFrame> {
    const output = path.join(box.out, `${name}.mp4`);
    const r = await cli(["render", dir, "-o", output, "--workers", "1", "--quality", "high", "--json", ...args], box.root, env());
    expect(r.code, r.stderr).toBe(0);
    const s = await videoStream(output);
    expect([s.width, s.height, s.r_frame_rate]).toEqual([160, 90, "30/1"]);
    expect(await frameCountOf(output)).toBe(30);
    return decodeFrame(output, 15);
  }

  const colourAt = (f: RgbaFrame, x: number, y: number) => pixel(f, x, y).slice(0, 3).join(",");
  const expectAt = (f: RgbaFrame, checks: [number, number, string][]) => {
    const bad = checks.filter(([x, y, c]) => !near(pixel(f, x, y), hex(c), 24)).map(([x, y, c]) => `(${x},${y}) = ${colourAt(f, x, y)}, expected ${c}`);
    expect(bad).toEqual([]);
  };

  it("declared defaults: text, image, colour and getVariables()", async () => {
    const f = await renderWith("defaults", []);
    // "AB" is ~19 px wide from x = 10; red logo; green swatch; bar 10 px.
    expectAt(f, [[15, 18, "#ffffff"], [60, 18, "#000000"], [20, 50, "#ff0000"], [50, 50, "#00ff00"], [5, 75, "#ffff00"], [25, 75, "#000000"]]);
  });

  it("--variables changes the text, the image source, the CSS colour and what scripts read", async () => {
    const f = await renderWith("override", ["--variables", JSON.stringify({ title: "ABCDEFGH", logo: "img/blue.png", accent: "#ff00ff", count: 5 })]);
    expectAt(f, [[15, 18, "#ffffff"], [60, 18, "#ffffff"], [20, 50, "#0000ff"], [50, 50, "#ff00ff"], [45, 75, "#ffff00"], [55, 75, "#000000"]]);
    expect(await leftovers(box.root)).toEqual([]);
  });

  it("--variables-file gives values; --variables wins key by key", async () => {
    const file = path.join(box.root, "vars.json");
    writeFileSync(file, JSON.stringify({ accent: "#ff00ff", count: 3 }));
    const f = await renderWith("file", ["--variables-file", file, "--variables", '{"count":8}']);
    expectAt(f, [[60, 18, "#000000"], [20, 50, "#ff0000"], [50, 50, "#ff00ff"], [75, 75, "#ffff00"], [85, 75, "#000000"]]);
  });

  it("the Node API takes variables as an object", async () => {
    const output = path.join(box.out, "api.mp4");
    await render({ input: dir, output, workers: 1, quality: "high", variables: { title: "ABCDEFGH", accent: "#ff00ff" }, strictVariables: true });
    expectAt(await decodeFrame(output, 15), [[60, 18, "#ffffff"], [20, 50, "#ff0000"], [50, 50, "#ff00ff"]]);
  });

  it("--strict-variables fails on an undeclared name and on a type mismatch, naming both, before rendering", async () => {
    const output = path.join(box.out, "strict.mp4");
    const r = await cli(["render", dir, "-o", output, "--strict-variables", "--variables", '{"nope":1,"count":"five"}'], box.root, env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[FLM_ERR_COMPILE_VARIABLES_INVALID]");
    expect(r.stderr).toMatch(/"nope" is not declared/);
    expect(r.stderr).toMatch(/"count" is declared as number: expected a number, got string "five"/);
    expect(r.ms).toBeLessThan(10_000);
    expect(box.outFiles().filter((f) => f.includes("strict"))).toEqual([]);
    expect(box.tmpLeft()).toEqual([]);
    expect(await leftovers(box.root)).toEqual([]);
  });

  it("without --strict-variables the same values are warnings and the render goes on", async () => {
    const output = path.join(box.out, "lenient.mp4");
    const r = await cli(["render", dir, "-o", output, "--workers", "1", "--quality", "draft", "--variables", '{"nope":1,"count":"2"}'], box.root, env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: --variables: variable "nope" is not declared/);
    expect(r.stderr).toMatch(/warning: --variables: variable "count" is declared as number/);
    // The mismatched value passes through unchanged: "2" → 20 px.
    const f = await decodeFrame(output, 15);
    expectAt(f, [[15, 75, "#ffff00"], [25, 75, "#000000"]]);
  });

  it("--variables that is not a JSON object is refused naming the option", async () => {
    const output = path.join(box.out, "bad.mp4");
    for (const value of ["{bad", "[1,2]"]) {
      const r = await cli(["render", dir, "-o", output, "--variables", value], box.root, env());
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("[FLM_ERR_KERNEL_CONFIG_INVALID]");
      expect(r.stderr).toContain("--variables");
    }
    const missing = await cli(["render", dir, "-o", output, "--variables-file", "no-such.json"], box.root, env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("--variables-file");
    expect(box.outFiles().filter((f) => f.includes("bad"))).toEqual([]);
  });
});

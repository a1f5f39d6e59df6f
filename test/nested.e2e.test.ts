/**
 * Nested compositions from files (COMPOSITION.md §2.4), real render, decoded output checked. A root
 * mounts three scenes from `compositions/`:
 * - intro (0–2 s) → panel (a `<template>` file, +0.5 s) → dot (+0.25 s, data-playback-start 0.2) with
 *   its own GSAP timeline: the dot moves as 200 px·(0.2 + t − 0.75), held at its end, gone with intro;
 *   intro's `body` rule paints its box, its `.mark` rule does not leak into other scenes; assets by
 *   `../../assets/x.png` and by a plain relative path that exists next to the file;
 * - card, mounted twice (2–3.5 s and 2.5–3.5 s) with different data-variable-values: each shows its
 *   own colour (CSS custom property and getVariables() in its script), its own label
 *   (data-var-text), and its own timeline (offset by its own start: the scripts' selectors and
 *   timeline keys are per instance);
 * - clip (3–4 s) with a GSAP timeline, a video 0.25 s and a tone 0.2 s into it: the video shows
 *   source frame floor((t − 3.25)·30), the tone sounds from 3.2 s and stops at the host's end (4 s).
 * The root replaces window.__timelines at the end; the nested timelines survive it.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "@frameloom/cli";
import { decodeAll, hex, near, pixel, type RgbaFrame } from "./helpers/media.js";
import { leftovers } from "./helpers/procs.js";
import { GSAP_JS, sandbox, type Sandbox } from "./helpers/sandbox.js";

const run = promisify(execFile);
const TONE = "0.251189*sin(2*PI*1000*t)";

const INDEX = `<!doctype html>
<html><head><meta charset="utf-8">
<style>* { margin:0; padding:0; box-sizing:border-box; } html, body { background:#000; overflow:hidden; }
#root { position:relative; width:320px; height:180px; overflow:hidden; } .host { position:absolute; }</style>
<script src="gsap.min.js"></script>
</head><body>
<div id="root" data-composition-id="main" data-width="320" data-height="180" data-duration="4.5">
  <div id="intro-host" class="host" data-composition-id="intro" data-composition-src="compositions/intro.html" data-start="0" data-duration="2" style="left:0;top:0"></div>
  <div id="card-a" class="host" data-composition-id="card" data-composition-src="compositions/card.html" data-start="2" data-duration="1.5"
       data-variable-values='{"label":"AB","tint":"#ff0000"}' style="left:0;top:0"></div>
  <div id="card-b" class="host" data-composition-id="card" data-composition-src="/compositions/card.html" data-start="2.5" data-duration="1"
       data-variable-values='{"label":"ABCDEFGH","tint":"#0000ff"}' style="left:160px;top:0"></div>
  <div id="clip-host" class="host" data-composition-id="clip" data-composition-src="compositions/clip.html" data-start="3" data-duration="1" style="left:0;top:90px"></div>
</div>
<script>window.__timelines = { main: gsap.timeline({ paused: true }) };</script>
</body></html>`;

const INTRO = `<!doctype html>
<html><head><style>
body { background: #202020; }
.mark { background: #ff00ff; }
</style></head><body>
<div id="stage" data-composition-id="intro" data-width="320" data-height="180" data-no-timeline>
  <div class="host" data-composition-id="panel" data-composition-src="compositions/parts/panel.html" data-start="0.5" data-duration="1.5" style="position:absolute;left:0;top:60px"></div>
</div>
</body></html>`;

const PANEL = `<template id="panel-template">
  <div data-composition-id="panel" data-width="320" data-height="60" data-no-timeline>
    <img class="pic" src="../../assets/yellow.png" style="position:absolute;left:250px;top:0;width:20px;height:20px">
    <img class="pic" src="cyan.png" style="position:absolute;left:280px;top:0;width:20px;height:20px">
    <div class="host" data-composition-id="dot" data-composition-src="compositions/parts/dot.html" data-start="0.25" data-duration="1.2" data-playback-start="0.2" style="position:absolute;left:0;top:40px"></div>
  </div>
</template>`;

const DOT = `<!doctype html>
<html><head><style>.dot { position:absolute; left:0; top:0; width:20px; height:20px; background:#00ff00; }</style></head><body>
<div data-composition-id="dot" data-width="320" data-height="20"><div class="dot"></div></div>
<script>
  var tl = gsap.timeline({ paused: true });
  tl.to(".dot", { x: 200, duration: 1, ease: "none" });
  window.__timelines = window.__timelines || {};
  window.__timelines["dot"] = tl;
</script>
</body></html>`;

const CARD = `<!doctype html>
<html data-composition-variables='[{"id":"label","type":"string","default":"?"},{"id":"tint","type":"color","default":"#ffffff"}]'>
<head><style>
[data-composition-id="card"] { position: relative; overflow: hidden; }
.swatch { position:absolute; left:10px; top:10px; width:40px; height:20px; background: var(--tint); }
.scripted { position:absolute; left:60px; top:10px; width:20px; height:20px; }
.bar { position:absolute; left:0; top:40px; width:20px; height:20px; background:#fff; }
.label { position:absolute; left:10px; top:70px; font: 16px/16px monospace; color:#fff; background:#fff; white-space:pre; }
.mark { position:absolute; left:140px; top:70px; width:10px; height:10px; }
</style></head>
<body>
<div id="card-root" data-composition-id="card" data-width="160" data-height="90">
  <div class="swatch"></div>
  <div class="scripted"></div>
  <div class="bar"></div>
  <span class="label" data-var-text="label">?</span>
  <div class="mark"></div>
</div>
<script>
  var v = __hyperframes.getVariables();
  document.querySelector(".scripted").style.background = v.tint;
  document.getElementById("card-root").style.background = "#404040";
  var tl = gsap.timeline({ paused: true });
  tl.to(".bar", { x: 100, duration: 1, ease: "none" });
  window.__timelines = window.__timelines || {};
  window.__timelines["card"] = tl;
</script>
</body></html>`;

const CLIP = `<!doctype html>
<html><head><style>
.mv { position:absolute; left:0; top:0; width:20px; height:20px; background:#ffff00; }
video { position:absolute; left:200px; top:0; width:64px; height:64px; }
</style></head><body>
<div data-composition-id="clip" data-width="320" data-height="90">
  <div class="mv"></div>
  <video id="v" src="media/ramp.mp4" muted data-start="0.25"></video>
  <audio id="a" src="media/tone.wav" data-start="0.2"></audio>
</div>
<script>
  var tl = gsap.timeline({ paused: true });
  tl.to(".mv", { x: 100, duration: 1, ease: "none" });
  window.__timelines["clip"] = tl;
</script>
</body></html>`;

async function rmsDb(file: string, from: number, to: number): Promise<number> {
  const { stderr } = await run("ffmpeg", [
    "-v", "info", "-nostats", "-i", file, "-vn",
    "-af", `atrim=start=${from}:end=${to},astats=measure_perchannel=none:measure_overall=RMS_level`,
    "-f", "null", "-",
  ]);
  const m = /RMS level dB: (-?inf|-?[\d.]+)/.exec(stderr);
  if (!m) throw new Error(`no RMS level in ffmpeg output:\n${stderr.slice(-1500)}`);
  return m[1]!.endsWith("inf") ? -Infinity : Number(m[1]);
}

/** The ramp clip's frame n is grey 16 + 6n (limited range): its source frame number from a pixel. */
const rampFrame = (frame: RgbaFrame, x: number, y: number): number => Math.round(pixel(frame, x, y)[0] / ((6 * 255) / 219));

describe("nested compositions from files (§2.4)", () => {
  let box: Sandbox;
  let output: string;
  let frames: RgbaFrame[];
  let warnings: string[];

  beforeAll(async () => {
    box = sandbox("nested");
    const dir = path.join(box.root, "project");
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    };
    write("index.html", INDEX);
    write("compositions/intro.html", INTRO);
    write("compositions/parts/panel.html", PANEL);
    write("compositions/parts/dot.html", DOT);
    write("compositions/card.html", CARD);
    write("compositions/clip.html", CLIP);
    copyFileSync(GSAP_JS, path.join(dir, "gsap.min.js"));
    mkdirSync(path.join(dir, "assets"), { recursive: true });
    mkdirSync(path.join(dir, "compositions/media"), { recursive: true });
    const gen = (args: string[]) => run("ffmpeg", ["-v", "error", "-y", ...args]);
    await Promise.all([
      gen(["-f", "lavfi", "-i", "color=c=#ffff00:s=20x20", "-frames:v", "1", path.join(dir, "assets/yellow.png")]),
      gen(["-f", "lavfi", "-i", "color=c=#00ffff:s=20x20", "-frames:v", "1", path.join(dir, "compositions/parts/cyan.png")]),
      gen([
        "-f", "lavfi", "-i", "color=c=black:s=64x64:r=30:d=1",
        "-vf", "geq=lum='16+6*N':cb=128:cr=128,format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
        "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv",
        path.join(dir, "compositions/media/ramp.mp4"),
      ]),
      gen(["-f", "lavfi", "-i", `aevalsrc=${TONE}:s=48000:d=2`, "-c:a", "pcm_s16le", path.join(dir, "compositions/media/tone.wav")]),
    ]);
    output = path.join(box.out, "nested.mp4");
    const summary = await render({ input: dir, output, workers: 1, quality: "high" });
    warnings = summary.warnings;
    expect(summary.frames).toBe(135);
    frames = await decodeAll(output);
  });
  afterAll(() => box?.cleanup());

  const at = (k: number, x: number, y: number) => pixel(frames[k]!, x, y);
  const is = (k: number, x: number, y: number, colour: string, tol = 24) => near(at(k, x, y), hex(colour), tol);
  const show = (k: number, x: number, y: number) => `frame ${k} (${x},${y}) = ${at(k, x, y).slice(0, 3).join(",")}`;
  function expectColours(checks: [number, number, number, string][]): void {
    const bad = checks.filter(([k, x, y, c]) => !is(k, x, y, c)).map(([k, x, y, c]) => `${show(k, x, y)}, expected ${c}`);
    expect(bad).toEqual([]);
  }

  it("renders 135 frames with no warnings and nothing left behind", async () => {
    expect(frames).toHaveLength(135);
    expect(warnings).toEqual([]);
    expect(await leftovers(box.root)).toEqual([]);
  });

  it("intro: its body rule paints its box while it shows; assets by ../ and by a path next to the file", () => {
    expectColours([
      [0, 300, 10, "#202020"], [45, 300, 10, "#202020"], [59, 300, 10, "#202020"], [60, 300, 10, "#000000"],
      // panel from 0.5 s: images at y 60..80
      [14, 260, 70, "#202020"], [15, 260, 70, "#ffff00"], [15, 290, 70, "#00ffff"], [59, 290, 70, "#00ffff"],
    ]);
  });

  it("dot, two levels deeper: its timeline runs from its host's start (+ playback-start), holds its end, hides with intro", () => {
    // dot host at 0.75 s, y 100..120; x = 200·min(1, 0.2 + t − 0.75)
    expectColours([
      [21, 10, 110, "#202020"], // t 0.7: not started (intro's grey behind)
      [30, 100, 110, "#00ff00"], [30, 10, 110, "#202020"], // t 1.0: x = 90
      [45, 200, 110, "#00ff00"], [45, 100, 110, "#202020"], // t 1.5: x = 190
      [54, 210, 110, "#00ff00"], // t 1.8: held at x = 200
      [60, 210, 110, "#000000"], // intro over
    ]);
  });

  it("card mounted twice: each instance has its own values (CSS var, getVariables, data-var-text) and timeline", () => {
    expectColours([
      [66, 30, 20, "#ff0000"], [66, 70, 20, "#ff0000"], [66, 190, 20, "#000000"], // t 2.2: only card A
      [66, 150, 5, "#404040"], // A's script found its root by its authored id
      [84, 30, 20, "#ff0000"], [84, 70, 20, "#ff0000"], [84, 190, 20, "#0000ff"], [84, 230, 20, "#0000ff"],
      // bars: A at x = 100·0.8 = 80, B at 160 + 100·0.3 = 190
      [84, 90, 50, "#ffffff"], [84, 40, 50, "#404040"], [84, 200, 50, "#ffffff"], [84, 250, 50, "#404040"],
      // labels: "AB" is short, "ABCDEFGH" is long
      [84, 15, 78, "#ffffff"], [84, 60, 78, "#404040"], [84, 175, 78, "#ffffff"], [84, 220, 78, "#ffffff"],
      // intro's .mark rule did not leak into card
      [84, 145, 75, "#404040"],
      [105, 30, 20, "#000000"], [105, 190, 20, "#000000"], // t 3.5: both over
    ]);
  });

  it("clip: its timeline from 3 s; its video follows the composition's clock and is gone with the host", () => {
    expectColours([
      [89, 10, 100, "#000000"], [90, 10, 100, "#ffff00"], // host from 3 s
      [99, 40, 100, "#ffff00"], [99, 10, 100, "#000000"], // t 3.3: x = 30
      [97, 232, 122, "#000000"], // t 3.233: the video starts at 3.25
      [120, 10, 100, "#000000"], [120, 232, 122, "#000000"], // t 4: host over
    ]);
    expect([98, 99, 108, 117].map((k) => rampFrame(frames[k]!, 232, 122))).toEqual([0, 1, 10, 19]);
  });

  it("clip's tone sounds from 3.2 s and stops at the host's end (4 s)", async () => {
    expect(await rmsDb(output, 0.1, 3.15)).toBeLessThan(-60);
    const loud = await rmsDb(output, 3.3, 3.9);
    expect(loud).toBeGreaterThan(-16.5);
    expect(loud).toBeLessThan(-13.5);
    expect(await rmsDb(output, 4.05, 4.45)).toBeLessThan(-60);
  });
});

/**
 * Browsers and capture methods (docs/capture.md): the headless shell with BeginFrame is the
 * default and gives the frames the system Chromium's screenshots give; frames that did not change
 * (a hold) are not read back again but repeated, counted in `capture.framesReused`, and the output
 * equals a render that captures every frame; a BeginFrame request on a browser without it falls back
 * to screenshots with one notice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { render } from "@frameloom/cli";
import { decodeAll, frameCountOf, psnr, type RgbaFrame } from "./helpers/media.js";
import { animatedPage } from "./helpers/fixtures.js";
import { runCli } from "./helpers/cli.js";
import { page, sandbox, type Sandbox } from "./helpers/sandbox.js";

/** 91 frames at 30 fps: a GSAP move over 0–1 s (frames 0–30), then frames 31–90 hold frame 30's picture. */
const HOLD_FRAMES = 60;
const TOTAL = 91;

function holdPage(): string {
  return page({
    id: "hold",
    width: 320,
    height: 180,
    duration: String(TOTAL / 30),
    gsap: true,
    bodyBg: "#102030",
    style: `#box { left:10px; top:60px; width:60px; height:60px; border-radius:12px; background: linear-gradient(135deg, #ffd166, #e94e77); }
    #label { left:10px; top:140px; color:#fff; font: 20px sans-serif; }`,
    body: `<div class="blk" id="box"></div><div class="blk" id="label">hold</div>`,
    script: `const tl = gsap.timeline({ paused: true });
    tl.to("#box", { x: 220, rotation: 90, duration: 1, ease: "power2.inOut" });
    window.__timelines = { hold: tl };`,
  });
}

function sameFrames(a: RgbaFrame[], b: RgbaFrame[]): { frames: number; maxDiff: number } {
  expect(a.length).toBe(b.length);
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!.data, y = b[i]!.data;
    for (let k = 0; k < x.length; k++) maxDiff = Math.max(maxDiff, Math.abs(x[k]! - y[k]!));
  }
  return { frames: a.length, maxDiff };
}

describe("browsers, capture methods and frame re-use", () => {
  let box: Sandbox;
  let hold: string;
  let anim: string;
  const out = (name: string) => path.join(box.out, name);

  beforeAll(() => {
    box = sandbox("methods");
    hold = box.project("hold", holdPage(), { gsap: true });
    anim = box.project("anim", animatedPage(), { gsap: true });
  });
  afterAll(() => box?.cleanup());

  it("BeginFrame (the default): a 2-second hold is repeated, not read back, and equals a render without re-use", async () => {
    const reused = await render({ input: hold, output: out("hold.mp4"), workers: 1 });
    expect(reused.capture).toMatchObject({ browser: "shell", method: "beginframe" });
    expect(reused.capture!.framesReused, JSON.stringify(reused.capture)).toBeGreaterThanOrEqual(HOLD_FRAMES);
    expect(reused.capture!.framesCaptured + reused.capture!.framesReused).toBe(TOTAL);
    const full = await render({ input: hold, output: out("hold-full.mp4"), workers: 1, frameReuse: false });
    expect(full.capture).toMatchObject({ method: "beginframe", framesReused: 0, framesCaptured: TOTAL });
    expect(await frameCountOf(out("hold.mp4"))).toBe(TOTAL);
    const cmp = sameFrames(await decodeAll(out("hold.mp4")), await decodeAll(out("hold-full.mp4")));
    expect(cmp.maxDiff, JSON.stringify(cmp)).toBeLessThanOrEqual(1);
  });

  it("2 workers on the disk route re-use within each range and give the same frames", async () => {
    const summary = await render({ input: hold, output: out("hold-disk.mp4"), workers: 2, route: "disk" });
    expect([summary.route, summary.workers]).toEqual(["disk", 2]);
    // The second range starts inside the hold: its first frame is read back, the rest repeated.
    expect(summary.capture!.framesReused).toBeGreaterThanOrEqual(HOLD_FRAMES - 1);
    expect(await psnr(out("hold.mp4"), out("hold-disk.mp4"))).toBe(Infinity);
  });

  it("screenshots: the page's own change check re-uses the hold too, with the same frames", async () => {
    const summary = await render({ input: hold, output: out("hold-shot.mp4"), workers: 1, captureMethod: "screenshot" });
    expect(summary.capture).toMatchObject({ method: "screenshot" });
    expect(summary.capture!.framesReused, JSON.stringify(summary.capture)).toBeGreaterThanOrEqual(HOLD_FRAMES);
    const cmp = sameFrames(await decodeAll(out("hold.mp4")), await decodeAll(out("hold-shot.mp4")));
    expect(cmp.maxDiff, JSON.stringify(cmp)).toBeLessThanOrEqual(2);
  });

  it("an animation throughout is never re-used", async () => {
    const summary = await render({ input: anim, output: out("anim.mp4"), workers: 1 });
    expect(summary.capture).toMatchObject({ method: "beginframe", framesReused: 0 });
  });

  it("the system Chromium (screenshots) gives the frames the headless shell (BeginFrame) gives", async () => {
    const summary = await render({ input: anim, output: out("anim-system.mp4"), workers: 1, browser: "system" });
    expect(summary.capture).toMatchObject({ browser: "system", method: "screenshot" });
    expect(summary.capture!.version).toMatch(/Chromium/);
    expect(await psnr(out("anim.mp4"), out("anim-system.mp4"))).toBeGreaterThanOrEqual(50);
  });

  it("--capture-method beginframe on the system Chromium: one notice, screenshots, and --json says why", async () => {
    const r = await runCli(["render", hold, "-o", out("fallback.mp4"), "--browser", "system", "--capture-method", "beginframe", "--json", "--workers", "1"], {
      env: { TMPDIR: box.tmp },
    });
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    expect(json.capture).toMatchObject({ browser: "system", method: "screenshot", methodNote: expect.stringMatching(/BeginFrame probe failed/) });
    expect(json.warnings.filter((w: string) => /BeginFrame/.test(w))).toHaveLength(1);
  });
});

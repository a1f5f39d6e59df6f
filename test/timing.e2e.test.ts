/**
 * 1. Timing: GSAP, CSS @keyframes (with data-start), WAAPI, rAF (timestamp + performance.now()) and a
 * timed clip, all seeked per frame; decoded pixels at block centres match what the timing says.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { render } from "@frameloom/cli";
import { decodeFrame, hex, near, pixel, videoStream, frameCountOf, type RgbaFrame } from "./helpers/media.js";
import { leftovers } from "./helpers/procs.js";
import { page, sandbox, type Sandbox } from "./helpers/sandbox.js";

const RED = "#ff0000", GREEN = "#00ff00", BLUE = "#0000ff", MAGENTA = "#ff00ff", CYAN = "#00ffff", WHITE = "#ffffff", BLACK = "#000000";

// 640x360, 2.5 s at 30 fps = 75 frames. Every moving block is 40x40 and moves at 100 px/s.
export const TIMING_HTML = page({
  id: "timing",
  width: 640,
  height: 360,
  duration: "2.5",
  gsap: true,
  style: `
  .blk { width:40px; height:40px; left:0; }
  #g { top:10px; background:${RED}; }
  #c { top:70px; background:${GREEN}; animation: slide 2s linear both; }
  @keyframes slide { from { transform: translateX(0px); } to { transform: translateX(200px); } }
  #w { top:130px; background:${BLUE}; }
  #r { top:190px; background:${MAGENTA}; }
  #clip { top:260px; left:280px; width:80px; height:80px; background:${WHITE}; }`,
  body: `
  <div class="blk" id="g"></div>
  <div class="blk" id="c" data-start="0.5"></div>
  <div class="blk" id="w"></div>
  <div class="blk" id="r"></div>
  <div class="blk clip" id="clip" data-start="1" data-duration="1"></div>`,
  script: `
  const tl = gsap.timeline({ paused: true });
  tl.to("#g", { x: 250, duration: 2.5, ease: "none" }, 0);
  window.__timelines = { timing: tl };
  document.getElementById("w").animate(
    [{ transform: "translateX(0px)" }, { transform: "translateX(250px)" }],
    { duration: 2500, easing: "linear", fill: "both" });
  const r = document.getElementById("r");
  function tick(now) {
    r.style.transform = "translateX(" + (now / 10) + "px)";
    r.style.background = performance.now() < 1000 ? "${MAGENTA}" : "${CYAN}";
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);`,
});

/** x of a block's left edge at composition time t for each animation. */
const expectations = (t: number) => ({
  g: { x: 100 * t, y: 10, color: RED, visible: true },
  c: { x: 100 * Math.max(0, t - 0.5), y: 70, color: GREEN, visible: t >= 0.5 },
  w: { x: 100 * t, y: 130, color: BLUE, visible: true },
  r: { x: 100 * t, y: 190, color: t < 1 ? MAGENTA : CYAN, visible: true },
});

function describePixel(frame: RgbaFrame, x: number, y: number) {
  return `(${x},${y}) = ${pixel(frame, x, y).slice(0, 3).join(",")}`;
}

describe("timing: every animation kind is seeked to frame time", () => {
  let box: Sandbox;
  let output: string;
  const frames = new Map<number, RgbaFrame>();

  beforeAll(async () => {
    box = sandbox("timing");
    const dir = box.project("timing", TIMING_HTML, { gsap: true });
    output = path.join(box.out, "timing.mp4");
    const summary = await render({ input: dir, output, workers: 2, quality: "high" });
    expect(summary.frames).toBe(75);
    for (const k of [0, 15, 29, 30, 45, 59, 60, 74]) frames.set(k, await decodeFrame(output, k));
  });
  afterAll(() => box?.cleanup());

  it("writes 75 frames of 640x360", async () => {
    const s = await videoStream(output);
    expect([s.width, s.height]).toEqual([640, 360]);
    expect(await frameCountOf(output)).toBe(75);
    expect(await leftovers(box.root)).toEqual([]);
  });

  for (const k of [0, 15, 30, 45, 60, 74]) {
    it(`frame ${k}: GSAP, CSS, WAAPI and rAF blocks are where t=${(k / 30).toFixed(3)} puts them`, () => {
      const frame = frames.get(k)!;
      const t = k / 30;
      const problems: string[] = [];
      for (const [name, e] of Object.entries(expectations(t))) {
        const cx = e.x + 20, cy = e.y + 20;
        if (e.visible) {
          if (!near(pixel(frame, cx, cy), hex(e.color))) problems.push(`${name}: expected ${e.color} at ${describePixel(frame, cx, cy)}`);
          // Just outside the block's leading and trailing edges: background.
          for (const bx of [e.x + 40 + 12, e.x - 12]) {
            if (bx >= 0 && bx < 640 && !near(pixel(frame, bx, cy), hex(BLACK))) problems.push(`${name}: expected background at ${describePixel(frame, bx, cy)}`);
          }
        } else if (!near(pixel(frame, cx, cy), hex(BLACK))) {
          problems.push(`${name}: expected hidden (background) at ${describePixel(frame, cx, cy)}`);
        }
      }
      // Where the moving blocks were at frame 0 is background again once they have moved on (t ≥ 0.6).
      if (t >= 0.6) {
        for (const y of [30, 150, 210]) if (!near(pixel(frame, 20, y), hex(BLACK))) problems.push(`frame-0 spot not cleared: ${describePixel(frame, 20, y)}`);
      }
      expect(problems).toEqual([]);
    });
  }

  it("clip with data-start=1 data-duration=1 is visible on frames 30..59 only (start inclusive, end exclusive)", () => {
    const state = (k: number) => (near(pixel(frames.get(k)!, 320, 300), hex(WHITE)) ? "visible" : near(pixel(frames.get(k)!, 320, 300), hex(BLACK)) ? "hidden" : `?${describePixel(frames.get(k)!, 320, 300)}`);
    expect({ 0: state(0), 29: state(29), 30: state(30), 45: state(45), 59: state(59), 60: state(60) }).toEqual({
      0: "hidden", 29: "hidden", 30: "visible", 45: "visible", 59: "visible", 60: "hidden",
    });
  });
});

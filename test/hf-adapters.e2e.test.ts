/**
 * HyperFrames adapters (COMPOSITION.md §3.5), each with its npm package served from the project:
 * anime.js (v4 `animate()` left to autoplay, and a `createTimeline()`) through `__hfAnime`, a Lottie
 * animation (lottie-web, SVG) found through `lottie.getRegisteredAnimations()`, and Three.js (WebGL) drawn both from a render loop
 * reading `__hfThreeTime` and asynchronously inside an `hf-seek` listener via `waitUntil()`. Rendered
 * with two workers; decoded pixels show each one where time t puts it. Then the hf-seek failures:
 * a promise that never settles (FLM_ERR_CAPTURE_ADAPTER_TIMEOUT) and one that rejects (page error).
 */
import { copyFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "@frameloom/cli";
import { expectCleanState, renderFails } from "./helpers/expect.js";
import { decodeFrame, frameCountOf, near, pixel, type RgbaFrame } from "./helpers/media.js";
import { leftovers } from "./helpers/procs.js";
import { page, sandbox, type Sandbox } from "./helpers/sandbox.js";

const require = createRequire(import.meta.url);
const LIBS: Record<string, string> = {
  "anime.umd.min.js": path.join(path.dirname(require.resolve("animejs/package.json")), "dist/bundles/anime.umd.min.js"),
  "lottie.min.js": path.join(path.dirname(require.resolve("lottie-web/package.json")), "build/player/lottie.min.js"),
  "three.module.js": path.join(path.dirname(require.resolve("three")), "three.module.js"),
  "three.core.js": path.join(path.dirname(require.resolve("three")), "three.core.js"),
};

/** Lottie: 320x40, 30 fps, frames 0–60: a 20x20 green square whose centre goes x 20 → 220, y 20. */
const LOTTIE = {
  v: "5.7.4", fr: 30, ip: 0, op: 60, w: 320, h: 40, nm: "slide", ddd: 0, assets: [],
  layers: [{
    ddd: 0, ind: 1, ty: 4, nm: "square", sr: 1, ao: 0, ip: 0, op: 60, st: 0, bm: 0,
    ks: {
      o: { a: 0, k: 100 }, r: { a: 0, k: 0 }, a: { a: 0, k: [0, 0, 0] }, s: { a: 0, k: [100, 100, 100] },
      p: { a: 1, k: [{ t: 0, s: [20, 20, 0], e: [220, 20, 0], i: { x: [1], y: [1] }, o: { x: [0], y: [0] } }, { t: 60, s: [220, 20, 0] }] },
    },
    shapes: [{ ty: "gr", it: [
      { ty: "rc", d: 1, s: { a: 0, k: [20, 20] }, p: { a: 0, k: [0, 0] }, r: { a: 0, k: 0 } },
      { ty: "fl", c: { a: 0, k: [0, 1, 0, 1] }, o: { a: 0, k: 100 }, r: 1 },
      { ty: "tr", p: { a: 0, k: [0, 0] }, a: { a: 0, k: [0, 0] }, s: { a: 0, k: [100, 100] }, r: { a: 0, k: 0 }, o: { a: 0, k: 100 } },
    ] }],
  }],
};

// 320x180, 2.5 s. Rows: anime animate() (y 0–40), anime timeline (45–85), Lottie (90–130), Three.js (135–175).
const ADAPTERS_HTML = page({
  id: "adapters",
  width: 320,
  height: 180,
  duration: "2.5",
  style: `
  #an, #at { width:40px; height:40px; left:0; background:#fff; }
  #an { top:0; } #at { top:45px; }
  #lottie { left:0; top:90px; width:320px; height:40px; }
  #gl { left:0; top:135px; width:320px; height:40px; }`,
  body: `<div class="blk" id="an"></div><div class="blk" id="at"></div>
  <div class="blk" id="lottie"></div><canvas class="blk" id="gl" width="320" height="40"></canvas>
  <script src="anime.umd.min.js"></script><script src="lottie.min.js"></script>
  <script type="module">
    import * as THREE from "./three.module.js";
    const renderer = new THREE.WebGLRenderer({ canvas: document.getElementById("gl") });
    renderer.setClearColor(0x000000);
    const scene = new THREE.Scene();
    const camera = new THREE.OrthographicCamera(0, 320, 40, 0, -1, 1);
    const square = (color, y) => { const m = new THREE.Mesh(new THREE.PlaneGeometry(16, 16), new THREE.MeshBasicMaterial({ color })); m.position.y = y; scene.add(m); return m; };
    const red = square(0xff0000, 30);   // canvas row y = 10: drawn late, inside hf-seek's waitUntil
    const blue = square(0x0000ff, 10);  // canvas row y = 30: follows __hfThreeTime in the render loop
    red.position.x = 20; blue.position.x = 20;
    renderer.setAnimationLoop(() => { blue.position.x = 20 + 100 * window.__hfThreeTime; renderer.render(scene, camera); });
    addEventListener("hf-seek", (e) => {
      e.detail.waitUntil(new Promise((done) => setTimeout(() => {
        red.position.x = 20 + 100 * e.detail.time;
        renderer.render(scene, camera);
        done();
      }, 25)));
    });
  </script>`,
  script: `
  const { animate, createTimeline } = anime;
  window.__hfAnime.push(animate("#an", { x: 200, duration: 2000, ease: "linear" }));
  window.__hfAnime.push(createTimeline({ autoplay: false }).add("#at", { x: 100, duration: 1000, ease: "linear" }, 500));
  // Not pushed onto __hfLottie: found through lottie.getRegisteredAnimations(), as HyperFrames does.
  lottie.loadAnimation({ container: document.getElementById("lottie"), renderer: "svg", loop: false, autoplay: true,
    animationData: ${JSON.stringify(LOTTIE)} });`,
});

/** Centre x of each moving square at frame k (t = k/30). */
const centres = (k: number) => {
  const t = k / 30;
  return {
    animate: 20 + 100 * Math.min(t, 2),
    timeline: 20 + 100 * Math.min(1, Math.max(0, t - 0.5)),
    lottie: 20 + (200 * Math.min(k, 59)) / 60,
    threeWait: 20 + 100 * t,
    threeTime: 20 + 100 * t,
  };
};
const ROW_Y = { animate: 20, timeline: 65, lottie: 110, threeWait: 145, threeTime: 165 };
const HALF = { animate: 20, timeline: 20, lottie: 10, threeWait: 8, threeTime: 8 };
const COLOURS = { animate: [255, 255, 255], timeline: [255, 255, 255], lottie: [0, 255, 0], threeWait: [255, 0, 0], threeTime: [0, 0, 255] };

function problems(frame: RgbaFrame, k: number): string[] {
  const out: string[] = [];
  for (const [name, x] of Object.entries(centres(k)) as [keyof typeof ROW_Y, number][]) {
    const y = ROW_Y[name];
    const at = pixel(frame, Math.round(x), y);
    if (!near(at, COLOURS[name], 40)) out.push(`${name}: expected ${COLOURS[name].join(",")} at (${Math.round(x)},${y}), got ${at.slice(0, 3).join(",")}`);
    // 12 px beyond each edge: background (the square is not also somewhere near its old place).
    for (const dx of [-HALF[name] - 12, HALF[name] + 12]) {
      const bx = Math.round(x + dx);
      if (bx < 0 || bx >= 320) continue;
      const off = pixel(frame, bx, y);
      if (!near(off, [0, 0, 0], 40)) out.push(`${name}: expected background at (${bx},${y}), got ${off.slice(0, 3).join(",")}`);
    }
  }
  return out;
}

describe("adapters: anime.js, Lottie and Three.js are seeked per frame", () => {
  let box: Sandbox;
  let output: string;

  beforeAll(async () => {
    box = sandbox("hf-adapters");
    const dir = box.project("adapters", ADAPTERS_HTML);
    for (const [name, file] of Object.entries(LIBS)) copyFileSync(file, path.join(dir, name));
    output = path.join(box.out, "adapters.mp4");
    const summary = await render({ input: dir, output, quality: "standard", workers: 2 });
    expect(summary.workers).toBe(2);
  });
  afterAll(() => box?.cleanup());

  it("renders 75 frames and leaves nothing behind", async () => {
    expect(await frameCountOf(output)).toBe(75);
    expect(await leftovers(box.root)).toEqual([]);
    expect(box.tmpLeft()).toEqual([]);
  });

  for (const k of [0, 15, 30, 44, 45, 60, 74]) {
    it(`frame ${k}: every adapter's square is where t = ${(k / 30).toFixed(3)} puts it`, async () => {
      expect(problems(await decodeFrame(output, k), k)).toEqual([]);
    });
  }
});

describe("hf-seek waitUntil() failures", () => {
  let box: Sandbox;
  beforeAll(() => {
    box = sandbox("hf-seek-fail");
  });
  afterAll(() => box?.cleanup());

  const failing = (promise: string) =>
    page({
      id: "hang",
      duration: "1",
      extraRootAttrs: "data-no-timeline",
      script: `addEventListener("hf-seek", (e) => { if (e.detail.time >= 0.5) e.detail.waitUntil(${promise}); });`,
    });

  it("a promise still pending after 10 s fails the render with FLM_ERR_CAPTURE_ADAPTER_TIMEOUT, naming the time", async () => {
    const dir = box.project("hang", failing("new Promise(() => {})"));
    const { error, ms } = await renderFails({ input: dir, output: path.join(box.out, "hang.mp4"), workers: 1, quality: "draft" });
    expect(error.code).toBe("FLM_ERR_CAPTURE_ADAPTER_TIMEOUT");
    expect(error.message).toContain("hf-seek at t=0.5s: 1 of 1 waitUntil() promise(s) still pending after 10000 ms");
    expect(ms).toBeGreaterThan(10_000);
    expect(ms).toBeLessThan(60_000);
    await expectCleanState(box);
  });

  it("a promise that rejects fails the render as a page error with its reason", async () => {
    const dir = box.project("reject", failing('Promise.reject(new Error("WebGL context lost"))'));
    const { error } = await renderFails({ input: dir, output: path.join(box.out, "reject.mp4"), workers: 1, quality: "draft" });
    expect(error.code).toBe("FLM_ERR_CAPTURE_PAGE_ERROR");
    expect(error.message).toContain("hf-seek at t=0.5s: a waitUntil() promise rejected: WebGL context lost");
    await expectCleanState(box);
  });
});

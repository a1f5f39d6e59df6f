// window.__frameloom.changedSinceLastCheck() in real Chromium (page/damage.ts): false only in
// provable holds, true on every frame that may paint differently.
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumArgs, findChromium } from "@frameloom/shared-helpers";
import { startFileServer } from "../server/fileServer.js";
import { pageRuntimeScript } from "./pageRuntime.js";

const gsapFile = createRequire(import.meta.url).resolve("gsap/dist/gsap.min.js");

let dir: string;
let browser: Browser;

const page = (body: string, head = ""): string => `<!doctype html>
<html><head><meta charset="utf-8"><style>* { margin: 0 } #root { position: relative; width: 200px; height: 100px; background: #000 }
.box { position: absolute; width: 10px; height: 10px; background: red }</style>${head}</head>
<body><div id="root" data-composition-id="main" data-width="200" data-height="100" data-duration="3">${body}</div></body></html>`;

async function open(html: string): Promise<Page> {
  const p = await browser.newPage();
  await p.evaluateOnNewDocument(pageRuntimeScript({ fps: { num: 30, den: 1 }, compositionId: "main", width: 200, height: 100 }));
  const server = await startFileServer({ root: dir, entryUrlPath: "index.html", entryHtml: html });
  p.once("close", () => void server.close());
  await p.goto(server.entryUrl, { waitUntil: "load" });
  await p.evaluate(() => (window as any).__frameloom.ready());
  return p;
}

/** Seeks each frame in turn (30 fps) and returns changedSinceLastCheck() after each. */
async function checks(p: Page, frames: number[]): Promise<boolean[]> {
  return p.evaluate(async (list) => {
    const fl = (window as any).__frameloom;
    const out: boolean[] = [];
    for (const f of list) {
      await fl.seek(f / 30);
      out.push(fl.changedSinceLastCheck());
    }
    return out;
  }, frames);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Indices (frame numbers) whose check returned true. */
const changedFrames = (frames: number[], result: boolean[]): number[] => frames.filter((_, i) => result[i]);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "flm-damage-"));
  await copyFile(gsapFile, path.join(dir, "gsap.min.js"));
  browser = await puppeteer.launch({ executablePath: findChromium(), args: chromiumArgs(), headless: true });
});

afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("changedSinceLastCheck()", () => {
  it("GSAP tween on 0–1 s, hold 1–3 s: true while tweening and on the first hold frame, then false", async () => {
    const p = await open(
      page(
        `<div id="box" class="box"></div>
<script>
  window.__timelines.main = gsap.timeline({ paused: true }).to("#box", { x: 100, duration: 1, ease: "none" });
</script>`,
        `<script src="gsap.min.js"></script>`,
      ),
    );
    const frames = range(0, 90);
    const result = await checks(p, frames);
    expect(changedFrames(frames, result)).toEqual(range(0, 31));
    // Back into the tween: the box moves again.
    expect(await checks(p, [15, 15, 60])).toEqual([true, false, true]);
    await p.close();
  });

  it("CSS animation on 0–1 s, hold after: false in the hold", async () => {
    const p = await open(
      page(
        `<div id="css" class="box" data-start="0" style="animation: slide 1s linear both"></div>`,
        `<style>@keyframes slide { from { transform: translateX(0) } to { transform: translateX(100px) } }</style>`,
      ).replace('data-duration="3"', 'data-duration="3" data-no-timeline'),
    );
    const frames = range(0, 90);
    const result = await checks(p, frames);
    expect(changedFrames(frames, result)).toEqual(range(0, 31));
    await p.close();
  });

  it("a clip that appears (data-start) is a change on that frame only", async () => {
    const p = await open(page(`<div id="late" class="box" data-start="1" data-duration="1"></div>`).replace('data-duration="3"', 'data-duration="3" data-no-timeline'));
    const frames = range(0, 90);
    const result = await checks(p, frames);
    expect(changedFrames(frames, result)).toEqual([0, 30, 60]);
    await p.close();
  });

  it("a page with a <canvas> is always changed, even when nothing draws", async () => {
    const p = await open(page(`<canvas width="20" height="20"></canvas>`).replace('data-duration="3"', 'data-duration="3" data-no-timeline'));
    expect(await checks(p, range(0, 20))).toEqual(range(0, 20).map(() => true));
    await p.close();
  });

  it("SVG SMIL animation is always changed", async () => {
    const p = await open(
      page(`<svg width="20" height="20"><rect width="5" height="5"><animateTransform attributeName="transform" type="translate" from="0 0" to="10 0" dur="1s" repeatCount="indefinite"/></rect></svg>`).replace(
        'data-duration="3"',
        'data-duration="3" data-no-timeline',
      ),
    );
    expect(await checks(p, range(0, 5))).toEqual(range(0, 5).map(() => true));
    await p.close();
  });

  it("a rAF-driven page is always changed", async () => {
    const p = await open(
      page(`<script>window.ticks = 0; (function loop() { window.ticks++; requestAnimationFrame(loop); })();</script>`).replace(
        'data-duration="3"',
        'data-duration="3" data-no-timeline',
      ),
    );
    expect(await checks(p, range(0, 20))).toEqual(range(0, 20).map(() => true));
    expect(await p.evaluate(() => (window as any).ticks)).toBeGreaterThan(10);
    await p.close();
  });

  it("a rAF loop next to GSAP's ticker is not taken for the ticker", async () => {
    const p = await open(
      page(
        `<div id="box" class="box"></div>
<script>
  window.__timelines.main = gsap.timeline({ paused: true }).to("#box", { x: 100, duration: 0.5 });
  (function loop() { requestAnimationFrame(loop); })();
</script>`,
        `<script src="gsap.min.js"></script>`,
      ),
    );
    const frames = range(0, 60);
    expect(await checks(p, frames)).toEqual(frames.map(() => true));
    await p.close();
  });

  it("a GSAP tween of a plain object (invisible to the MutationObserver) is always changed", async () => {
    const p = await open(
      page(
        `<script>
  const state = { v: 0 };
  window.__timelines.main = gsap.timeline({ paused: true }).to(state, { v: 1, duration: 1 });
</script>`,
        `<script src="gsap.min.js"></script>`,
      ),
    );
    expect(await checks(p, [40, 41, 42])).toEqual([true, true, true]);
    await p.close();
  });

  it("page timers and animated images make every check true; a still page is false after the first", async () => {
    const still = await open(page(`<div class="box"></div>`).replace('data-duration="3"', 'data-duration="3" data-no-timeline'));
    expect(await checks(still, [0, 1, 2, 3])).toEqual([true, false, false, false]);
    await still.close();
    const gif = await open(page(`<img src="spin.gif" width="10" height="10">`).replace('data-duration="3"', 'data-duration="3" data-no-timeline'));
    expect(await checks(gif, [0, 1, 2])).toEqual([true, true, true]);
    await gif.close();
    // Timers run between seeks: wait on the Node side, so the page's timers (and only they) run.
    const seekThenCheck = async (p: Page): Promise<boolean[]> => {
      const out: boolean[] = [];
      for (let f = 0; f < 4; f++) {
        await p.evaluate((t) => (window as any).__frameloom.seek(t), f / 30);
        await new Promise((resolve) => setTimeout(resolve, 30));
        out.push(await p.evaluate(() => (window as any).__frameloom.changedSinceLastCheck()));
      }
      return out;
    };
    const quiet = await open(page(`<div class="box"></div>`).replace('data-duration="3"', 'data-duration="3" data-no-timeline'));
    expect(await seekThenCheck(quiet)).toEqual([true, false, false, false]);
    await quiet.close();
    const timer = await open(
      page(`<script>setInterval(function () { window.n = (window.n || 0) + 1; }, 5);</script>`).replace('data-duration="3"', 'data-duration="3" data-no-timeline'),
    );
    expect(await seekThenCheck(timer)).toEqual([true, true, true, true]);
    await timer.close();
  });
});

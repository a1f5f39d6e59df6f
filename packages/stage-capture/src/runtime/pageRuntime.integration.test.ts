import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumArgs, findChromium } from "@frameloom/shared-helpers";
import { compileProject, type CompiledProject } from "../compile/compileProject.js";
import { startFileServer, type FileServer } from "../server/fileServer.js";
import { pageRuntimeScript } from "./pageRuntime.js";

const gsapFile = createRequire(import.meta.url).resolve("gsap/dist/gsap.min.js");

const FIXTURE = `<!doctype html>
<html><head><meta charset="utf-8">
<style>
  * { margin: 0; padding: 0 }
  #root { position: relative; width: 400px; height: 300px; overflow: hidden; background: #000 }
  .abs { position: absolute; width: 10px; height: 10px; background: red }
  @keyframes slide { from { transform: translateX(0) } to { transform: translateX(200px) } }
  #css { width: 10px; height: 10px; background: blue; animation: slide 2s linear both }
</style>
<script src="gsap.min.js"></script>
</head><body>
<div id="root" data-composition-id="main" data-width="400" data-height="300">
  <div id="box" class="abs"></div>
  <div id="css" data-start="1"></div>
  <div id="wa" class="abs"></div>
  <div id="clip" class="abs" data-start="1" data-duration="1"></div>
  <p id="flow" data-start="1" data-duration="1" style="display: flex">in flow</p>
  <div id="a" class="abs" data-start="0" data-duration="2"></div>
  <div id="b" class="abs" data-start="a + 0.5" data-duration="1"></div>
  <div id="twos" class="abs" data-start="2s" data-duration="1"></div>
  <div id="scene" class="abs" data-start="3" data-duration="1" style="visibility: visible">
    <div id="inner" class="abs" data-start="0"></div>
  </div>
  <div id="host" class="abs" data-composition-id="child" data-start="1" data-duration="3">
    <div id="childbox" class="abs" style="opacity: 0"></div>
    <script>
      window.__timelines = window.__timelines || {};
      window.__timelines.child = gsap.timeline({ paused: true }).to("#childbox", { opacity: 1, duration: 1, ease: "none" });
    </script>
  </div>
  <div id="quiet" class="abs" data-composition-id="quiet" data-no-timeline></div>
</div>
<script>
  window.__timelines = window.__timelines || {};
  const tl = gsap.timeline({ paused: true });
  tl.to("#box", { x: 100, duration: 2, ease: "none" }).to("#box", { y: 50, duration: 2.5, ease: "none" });
  window.__timelines.main = tl;
  document.getElementById("wa").animate([{ opacity: 0 }, { opacity: 1 }], { duration: 2000, fill: "both" });
  window.__rafLog = [];
  function loop(ts) {
    window.__rafLog.push({ ts: ts, perf: performance.now(), date: Date.now(), newDate: new Date().getTime() });
    requestAnimationFrame(loop);
  }
  requestAnimationFrame(loop);
  const cancelled = requestAnimationFrame(function () { window.__cancelledRan = true; });
  cancelAnimationFrame(cancelled);
</script>
</body></html>`;

let dir: string;
let compiled: CompiledProject;
let server: FileServer;
let browser: Browser;
let page: Page;

async function openPage(html: string, id: string): Promise<Page> {
  const p = await browser.newPage();
  await p.evaluateOnNewDocument(pageRuntimeScript({ fps: { num: 30, den: 1 }, compositionId: id, width: 400, height: 300 }));
  const s = await startFileServer({ root: dir, entryUrlPath: "index.html", entryHtml: html });
  p.once("close", () => void s.close());
  await p.goto(s.entryUrl, { waitUntil: "load" });
  return p;
}

interface State {
  x: number;
  y: number;
  cssX: number;
  waOpacity: number;
  childOpacity: number;
  visible: Record<string, boolean>;
}

async function seek(t: number): Promise<State> {
  return page.evaluate(async (time) => {
    const fl = (window as unknown as { __frameloom: { seek(t: number): Promise<void> } }).__frameloom;
    await fl.seek(time);
    const byId = (id: string): HTMLElement => document.getElementById(id)!;
    const matrix = (id: string): DOMMatrix => new DOMMatrix(getComputedStyle(byId(id)).transform);
    const visible: Record<string, boolean> = {};
    for (const id of ["clip", "flow", "a", "b", "twos", "scene", "inner", "host", "css"]) {
      const style = getComputedStyle(byId(id));
      visible[id] = style.display !== "none" && style.visibility !== "hidden";
    }
    return {
      x: matrix("box").m41,
      y: matrix("box").m42,
      cssX: matrix("css").m41,
      waOpacity: Number(getComputedStyle(byId("wa")).opacity),
      childOpacity: Number(getComputedStyle(byId("childbox")).opacity),
      visible,
    };
  }, t);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "flm-runtime-"));
  await copyFile(gsapFile, path.join(dir, "gsap.min.js"));
  await writeFile(path.join(dir, "index.html"), FIXTURE);
  compiled = await compileProject(dir);
  server = await startFileServer({ root: compiled.projectDir, entryUrlPath: compiled.entryUrlPath, entryHtml: compiled.html });
  browser = await puppeteer.launch({ executablePath: findChromium(), args: chromiumArgs(), headless: true });
  page = await browser.newPage();
  await page.setViewport({ width: compiled.width, height: compiled.height });
  await page.evaluateOnNewDocument(
    pageRuntimeScript({ fps: compiled.fps, compositionId: compiled.id, width: compiled.width, height: compiled.height }),
  );
  await page.goto(server.entryUrl, { waitUntil: "load" });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("page runtime", () => {
  it("ready() infers the duration from the root GSAP timeline (no root data-duration)", async () => {
    expect(compiled.durationSec).toBeNull();
    const result = await page.evaluate(() => (window as any).__frameloom.ready());
    expect(result.duration).toBeCloseTo(4.5, 6);
    expect(await page.evaluate(() => (window as any).__hf.duration)).toBeCloseTo(4.5, 6);
  });

  it("virtual time: rAF runs once per seek with t·1000, clocks read the same", async () => {
    const before = await page.evaluate(() => (window as any).__rafLog.length);
    expect(before).toBe(0);
    await seek(1.5);
    const log1 = await page.evaluate(() => (window as any).__rafLog);
    expect(log1).toEqual([{ ts: 1500, perf: 1500, date: 1500, newDate: 1500 }]);
    await seek(0.5);
    const log2 = await page.evaluate(() => (window as any).__rafLog);
    expect(log2.length).toBe(2);
    expect(log2[1]).toEqual({ ts: 500, perf: 500, date: 500, newDate: 500 });
    expect(await page.evaluate(() => (window as any).__cancelledRan ?? false)).toBe(false);
    expect(await page.evaluate(() => [new Date(5).getTime(), new Date() instanceof Date, typeof Date()])).toEqual([5, true, "string"]);
  });

  it("seeks GSAP, CSS animations (from data-start) and WAAPI", async () => {
    const s = await seek(1.5);
    expect(s.x).toBeCloseTo(75, 3);
    expect(s.y).toBeCloseTo(0, 3);
    expect(s.cssX).toBeCloseTo(50, 1); // 0.5 s into a 2 s slide that starts at 1 s
    expect(s.waOpacity).toBeCloseTo(0.75, 2);
    const t2 = await seek(2);
    expect(t2.cssX).toBeCloseTo(100, 1); // §9 test 6: frame 60 shows 100 px
    expect(t2.x).toBeCloseTo(100, 3);
    const t3 = await seek(3);
    expect(t3.y).toBeCloseTo(20, 3);
    expect(t3.waOpacity).toBe(1);
    const t0 = await seek(0);
    expect([t0.x, t0.cssX, t0.waOpacity]).toEqual([0, 0, 0]);
  });

  it("is a pure function of t: backwards then forwards gives the same state", async () => {
    const first = await seek(1.5);
    await seek(4);
    await seek(0);
    const again = await seek(1.5);
    expect(again).toEqual(first);
  });

  it("clip windows are half-open, in-flow clips collapse and their inline style comes back", async () => {
    for (const [t, shown] of [[0, false], [1, true], [1.5, true], [2, false]] as const) {
      const s = await seek(t);
      expect(s.visible.clip, `clip at ${t}`).toBe(shown);
      expect(s.visible.flow, `flow at ${t}`).toBe(shown);
    }
    expect(await page.evaluate(() => document.getElementById("flow")!.style.display)).toBe("none");
    await seek(1);
    expect(await page.evaluate(() => document.getElementById("flow")!.getAttribute("style"))).toBe("display: flex;");
    expect(await page.evaluate(() => document.getElementById("clip")!.getAttribute("style"))).toBeNull();
  });

  it("resolves relative starts (§9 test 2) and treats '2s' as a reference that falls back to 0", async () => {
    const at = async (frame: number): Promise<State["visible"]> => (await seek(frame / 30)).visible;
    expect((await at(74)).b).toBe(false);
    expect((await at(75)).b).toBe(true);
    expect((await at(104)).b).toBe(true);
    expect((await at(105)).b).toBe(false);
    expect((await at(0)).twos).toBe(true);
    expect((await at(30)).twos).toBe(false);
  });

  it("hides descendants of a timed ancestor outside its window", async () => {
    const early = await seek(1);
    expect([early.visible.scene, early.visible.inner]).toEqual([false, false]);
    const inside = await seek(3.5);
    expect([inside.visible.scene, inside.visible.inner]).toEqual([true, true]);
    expect(await page.evaluate(() => document.getElementById("scene")!.style.visibility)).toBe("visible");
  });

  it("offsets a nested composition's timeline by its host start and holds its end", async () => {
    const before = await seek(0.5);
    expect([before.visible.host, before.childOpacity]).toEqual([false, 0]);
    const mid = await seek(1.5);
    expect(mid.visible.host).toBe(true);
    expect(mid.childOpacity).toBeCloseTo(0.5, 3);
    const held = await seek(3);
    expect(held.childOpacity).toBe(1);
    expect((await seek(4)).visible.host).toBe(false);
  });

  it("records page errors and quantises t to the frame grid", async () => {
    await page.addScriptTag({ content: 'setTimeout(function () { throw new Error("boom"); }); Promise.reject(new Error("nope"));' });
    await new Promise((r) => setTimeout(r, 100));
    expect(await page.evaluate(() => (window as any).__frameloom.errors)).toEqual(expect.arrayContaining(["boom", "unhandled rejection: nope"]));
    await page.evaluate(() => (window as any).__hf.seek(1.51));
    expect(await page.evaluate(() => performance.now())).toBeCloseTo(1500, 6);
  });

  it("uses root data-duration when present and playback-start/rate on hosts (§9 test 4)", async () => {
    const html = compiled.html
      .replace('data-width="400"', 'data-duration="6" data-width="400"')
      .replace('data-start="1" data-duration="3"', 'data-start="1" data-duration="3" data-playback-start="0.5" data-playback-rate="0.5"');
    const other = await openPage(html, "main");
    try {
      expect(await other.evaluate(() => (window as any).__frameloom.ready())).toEqual({ duration: 6 });
      await other.evaluate(() => (window as any).__frameloom.seek(1.5));
      // local = 0.5 + (1.5 - 1) * 0.5 = 0.75
      expect(Number(await other.evaluate(() => getComputedStyle(document.getElementById("childbox")!).opacity))).toBeCloseTo(0.75, 3);
    } finally {
      await other.close();
    }
  });

  it("each seek is reflected in the next screenshot", async () => {
    const shot = async (t: number): Promise<string> => {
      await seek(t);
      return page.screenshot({ type: "png", encoding: "base64", clip: { x: 0, y: 0, width: 200, height: 60 } });
    };
    const early = await shot(0);
    const mid = await shot(1.5);
    await shot(3);
    expect(mid).not.toBe(early);
    expect(await shot(1.5)).toBe(mid);
  });

  it("ready() waits briefly for late timelines and infers CSS durations when there is none", async () => {
    const late = `<!doctype html><html><head><script src="gsap.min.js"></script></head><body>
      <div id="r" data-composition-id="late" data-width="400" data-height="300"><div id="x"></div></div>
      <script>setTimeout(function () {
        window.__timelines = { late: gsap.timeline({ paused: true }).to("#x", { x: 10, duration: 1.25 }) };
      }, 300);</script></body></html>`;
    const p1 = await openPage(late, "late");
    try {
      expect(await p1.evaluate(() => (window as any).__frameloom.ready())).toEqual({ duration: 1.25 });
    } finally {
      await p1.close();
    }
    const cssOnly = `<!doctype html><html><head><style>
      @keyframes k { to { opacity: 0 } } #y { animation: k 2s 0.5s 2 }
      #z { animation: k 1s infinite }</style></head><body>
      <div data-composition-id="css" data-width="400" data-height="300">
        <div id="y" data-start="1"></div><div id="z"></div>
      </div></body></html>`;
    const p2 = await openPage(cssOnly, "css");
    try {
      const started = Date.now();
      // no timeline registered: polls ~2 s after load, then goes on; 1 + 0.5 + 2·2 = 5.5, infinite ignored
      expect(await p2.evaluate(() => (window as any).__frameloom.ready())).toEqual({ duration: 5.5 });
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      await p2.close();
    }
  });

  it("applies the virtual time to same-origin iframes", async () => {
    await writeFile(
      path.join(dir, "frame.html"),
      "<!doctype html><script>window.__ts = []; requestAnimationFrame(function (ts) { window.__ts.push(ts, performance.now()); });</script>",
    );
    const html = `<!doctype html><html><body><div data-composition-id="f" data-no-timeline data-width="400" data-height="300">
      <iframe id="fr" src="frame.html"></iframe></div></body></html>`;
    const p = await openPage(html, "f");
    try {
      await p.evaluate(() => (window as any).__frameloom.ready());
      await p.evaluate(() => (window as any).__frameloom.seek(1));
      const inner = await p.evaluate(() => (document.getElementById("fr") as HTMLIFrameElement).contentWindow!.eval("window.__ts"));
      expect(inner).toEqual([1000, 1000]);
    } finally {
      await p.close();
    }
  });
});

/**
 * The runtime's HyperFrames surface in real Chromium: globals before the first page script (§3.1),
 * GSAP callbacks on seek with a path-independent result (§3.4), adapter registries and the hf-seek
 * waitUntil() protocol (§3.5). Renders through the CLI are in test/hf-*.e2e.test.ts.
 */
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

async function openPage(html: string, id: string, adapterWaitMs?: number): Promise<Page> {
  const p = await browser.newPage();
  await p.evaluateOnNewDocument(pageRuntimeScript({ fps: { num: 30, den: 1 }, compositionId: id, width: 320, height: 180, adapterWaitMs }));
  const s = await startFileServer({ root: dir, entryUrlPath: "index.html", entryHtml: html });
  p.once("close", () => void s.close());
  await p.goto(s.entryUrl, { waitUntil: "load" });
  await p.evaluate(() => (window as any).__frameloom.ready());
  return p;
}

const seekTo = (p: Page, t: number) => p.evaluate((time) => (window as any).__frameloom.seek(time), t);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "flm-hf-runtime-"));
  await copyFile(gsapFile, path.join(dir, "gsap.min.js"));
  browser = await puppeteer.launch({ executablePath: findChromium(), args: chromiumArgs(), headless: true });
});

afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("HyperFrames globals (§3.1)", () => {
  const html = `<!doctype html><html data-composition-variables='[{"id":"title","type":"string","default":"A"},{"id":"n","type":"number","default":1}]'>
    <head><script src="gsap.min.js"></script><script>
      window.__seen = {
        timelines: typeof window.__timelines, hyperframes: typeof window.__hyperframes,
        getVariables: typeof (window.__hyperframes && window.__hyperframes.getVariables),
        vars: typeof window.__hfVariables, byComp: typeof window.__hfVariablesByComp,
        anime: Array.isArray(window.__hfAnime), lottie: Array.isArray(window.__hfLottie), d3: Array.isArray(window.__hfD3),
        three: window.__hfThreeTime, player: typeof window.__player, ready: window.__renderReady,
      };
      window.__varsAtScript = window.__hyperframes.getVariables();
    </script></head><body>
    <div id="root" data-composition-id="main" data-width="320" data-height="180" data-duration="1">
      <div id="box"></div>
      <div data-composition-id="card" data-start="0"><div data-hf-inner-root data-composition-variables='[{"id":"price","default":5}]'></div></div>
    </div>
    <script>
      window.__timelines["main"] = gsap.timeline({ paused: true }).to("#box", { x: 100, duration: 1, ease: "none" });
      window.__timelines["card"] = gsap.timeline({ paused: true });
    </script></body></html>`;

  it("exist before the first page script; a page assigns __timelines[id] without creating it", async () => {
    const p = await openPage(html, "main");
    try {
      expect(await p.evaluate(() => (window as any).__seen)).toEqual({
        timelines: "object", hyperframes: "object", getVariables: "function", vars: "object", byComp: "object",
        anime: true, lottie: true, d3: true, three: 0, player: "object", ready: false,
      });
      expect(await p.evaluate(() => (window as any).__frameloom.errors)).toEqual([]);
      expect(await p.evaluate(() => [(window as any).__renderReady, (window as any).__playerReady])).toEqual([true, true]);
      await seekTo(p, 0.5);
      expect(await p.evaluate(() => new DOMMatrix(getComputedStyle(document.getElementById("box")!).transform).m41)).toBeCloseTo(50, 3);
      expect(await p.evaluate(() => [(window as any).__player.getTime(), (window as any).__player.getDuration(), (window as any).__hfThreeTime])).toEqual([0.5, 1, 0.5]);
    } finally {
      await p.close();
    }
  });

  it("getVariables(): declared defaults under __hfVariables as it is at call time; per composition from __hfVariablesByComp", async () => {
    const p = await openPage(html, "main");
    try {
      expect(await p.evaluate(() => (window as any).__varsAtScript)).toEqual({ title: "A", n: 1 });
      const later = await p.evaluate(() => {
        const w = window as any;
        w.__hfVariables = { title: "B", extra: true };
        w.__hfVariablesByComp.card = { price: 9 };
        return [w.__hyperframes.getVariables(), w.__hyperframes.getVariables("card"), w.__hyperframes.getVariables("nope")];
      });
      // Top level: every declaration in the document (the card's too, as HyperFrames does), then __hfVariables.
      expect(later).toEqual([{ title: "B", n: 1, price: 5, extra: true }, { price: 9 }, {}]);
      expect(await p.evaluate(() => { const w = window as any; delete w.__hfVariablesByComp.card; return w.__hyperframes.getVariables("card"); })).toEqual({ price: 5 });
    } finally {
      await p.close();
    }
  });

  it("fitTextFontSize() steps down from baseFontSize until the text fits one line; assetUrl() resolves", async () => {
    const p = await openPage(html, "main");
    try {
      const r = await p.evaluate(() => {
        const hf = (window as any).__hyperframes;
        const opts = { fontFamily: "sans-serif", maxWidth: 300, baseFontSize: 40, minFontSize: 10, step: 2, fontWeight: 400 };
        const fit = hf.fitTextFontSize("a fairly long headline here", opts);
        const ctx = document.createElement("canvas").getContext("2d")!;
        const width = (size: number) => { ctx.font = "400 " + size + "px sans-serif"; return ctx.measureText("a fairly long headline here").width; };
        return { fit, at: width(fit.fontSize), above: width(fit.fontSize + 2), short: hf.fitTextFontSize("hi", opts), never: hf.fitTextFontSize("x".repeat(200), opts), url: hf.assetUrl("a/b.png") };
      });
      expect(r.fit.fits).toBe(true);
      expect(r.at).toBeLessThanOrEqual(300);
      expect(r.above).toBeGreaterThan(300);
      expect(r.short).toEqual({ fontSize: 40, fits: true });
      expect(r.never).toEqual({ fontSize: 10, fits: false });
      expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/a\/b\.png$/);
    } finally {
      await p.close();
    }
  });

  it("keeps globals a page (or an earlier injected script) already set", async () => {
    const p = await browser.newPage();
    try {
      await p.evaluateOnNewDocument("window.__hfVariables = { title: 'injected' }; window.__timelines = { pre: 1 };");
      await p.evaluateOnNewDocument(pageRuntimeScript({ fps: { num: 30, den: 1 }, compositionId: "main", width: 320, height: 180 }));
      const s = await startFileServer({ root: dir, entryUrlPath: "index.html", entryHtml: html.replace("window.__timelines[\"card\"]", "window.__pre = window.__timelines.pre; window.__timelines[\"card\"]") });
      p.once("close", () => void s.close());
      await p.goto(s.entryUrl, { waitUntil: "load" });
      expect(await p.evaluate(() => [(window as any).__varsAtScript, (window as any).__pre])).toEqual([{ title: "injected", n: 1 }, 1]);
    } finally {
      await p.close();
    }
  });
});

describe("GSAP callbacks on seek (§3.4)", () => {
  // Calls at 0, 0.5, 1, 1.5 (1 and 1.5 fall exactly on frames 30 and 45); a tween 0.5 → 2.5 s whose
  // onUpdate paints its value and counts its calls; an onComplete; a nested timeline with its own call.
  const html = `<!doctype html><html><head><script src="gsap.min.js"></script></head><body>
    <div id="root" data-composition-id="cb" data-width="320" data-height="180" data-duration="3"></div>
    <script>
      window.__log = [];
      window.__rand = [];
      window.__state = { calls: 0, value: 0, updates: 0, done: 0, nested: 0 };
      const s = window.__state, o = { v: 0 };
      const tl = gsap.timeline({ paused: true });
      [0, 0.5, 1, 1.5].forEach((at) => tl.call(() => { s.calls += 1; __log.push("call@" + at + "=" + performance.now()); __rand.push(Math.random()); }, null, at));
      tl.to(o, { v: 100, duration: 2, ease: "none", onUpdate() { s.value = Math.round(o.v); s.updates += 1; }, onComplete() { s.done += 1; __log.push("done"); } }, 0.5);
      const inner = gsap.timeline();
      inner.call(() => { s.nested += 1; __log.push("nested"); }, null, 0.25);
      tl.add(inner, 2);
      window.__timelines["cb"] = tl;
    </script></body></html>`;
  type CbState = { calls: number; value: number; updates: number; done: number; nested: number };
  const stateAt = async (p: Page, frame: number): Promise<CbState> => {
    await seekTo(p, frame / 30);
    return p.evaluate(() => ({ ...(window as any).__state }));
  };

  it("a sequential render fires each callback once, at the frame that reaches it", async () => {
    const p = await openPage(html, "cb");
    try {
      const seq: Record<number, CbState> = {};
      for (let k = 0; k < 90; k++) seq[k] = await stateAt(p, k);
      expect(seq[0]).toEqual({ calls: 1, value: 0, updates: 0, done: 0, nested: 0 });
      expect(seq[14]!.calls).toBe(1);
      expect(seq[15]).toMatchObject({ calls: 2, value: 0, updates: 1 });
      expect(seq[29]!.calls).toBe(2);
      expect(seq[30]!.calls).toBe(3);
      expect(seq[45]).toMatchObject({ calls: 4, value: 50, updates: 31 });
      expect(seq[67]).toMatchObject({ calls: 4, nested: 0 });
      expect(seq[68]).toMatchObject({ nested: 1 });
      expect(seq[74]).toMatchObject({ value: 98, done: 0 });
      expect(seq[75]).toMatchObject({ value: 100, updates: 61, done: 1 });
      expect(seq[89]).toEqual({ calls: 4, value: 100, updates: 61, done: 1, nested: 1 });
      // Once each, in order, each with the clock of the frame that reached it.
      expect(await p.evaluate(() => (window as any).__log)).toEqual(["call@0=0", "call@0.5=500", "call@1=1000", "call@1.5=1500", "nested", "done"]);
    } finally {
      await p.close();
    }
  });

  it("a page that starts mid-timeline or skips frames shows what the sequential render shows", async () => {
    const seqPage = await openPage(html, "cb");
    const seq: CbState[] = [];
    let seqRand: number[];
    try {
      for (let k = 0; k < 90; k++) seq.push(await stateAt(seqPage, k));
      seqRand = await seqPage.evaluate(() => (window as any).__rand);
    } finally {
      await seqPage.close();
    }
    // A worker of the streaming route (chunks of 6, every other chunk), one starting at frame 45 (--frames 45-…),
    // one at exactly the frame of a call, one past the end.
    const plans = [[...Array(90).keys()].filter((k) => Math.floor(k / 6) % 2 === 1), [45, 46, 47, 60, 75, 89], [30, 31], [89]];
    for (const plan of plans) {
      const p = await openPage(html, "cb");
      try {
        for (const k of plan) expect(await stateAt(p, k), `frame ${k} of [${plan.join(",")}]`).toEqual(seq[k]);
        const log = await p.evaluate(() => (window as any).__log);
        expect(log).toEqual(["call@0=0", "call@0.5=500", "call@1=1000", "call@1.5=1500", "nested", "done"].slice(0, log.length));
        // Seeded Math.random: each callback drew what it drew on its frame of the sequential render.
        const rand = await p.evaluate(() => (window as any).__rand);
        expect(rand).toEqual(seqRand!.slice(0, rand.length));
      } finally {
        await p.close();
      }
    }
  });

  it("frame 0 shows a later from() tween's start state (GSAP's lazy first render is flushed)", async () => {
    const p = await openPage(
      `<!doctype html><html><head><script src="gsap.min.js"></script></head><body>
      <div id="root" data-composition-id="lazy" data-width="320" data-height="180" data-duration="2"><div id="x"></div></div>
      <script>window.__timelines["lazy"] = gsap.timeline({ paused: true }).to({}, { duration: 2 }, 0).from("#x", { opacity: 0, duration: 0.5, ease: "none" }, 0.5);</script>
      </body></html>`,
      "lazy",
    );
    try {
      const opacity = async (t: number) => {
        await seekTo(p, t);
        return p.evaluate(() => getComputedStyle(document.getElementById("x")!).opacity);
      };
      expect([await opacity(0), await opacity(0.7), await opacity(1.5)]).toEqual(["0", "0.4", "1"]);
    } finally {
      await p.close();
    }
  });

  it("seeking the same frame again changes nothing", async () => {
    const p = await openPage(html, "cb");
    try {
      const once = await stateAt(p, 30);
      expect(await stateAt(p, 30)).toEqual(once);
      expect((await stateAt(p, 31)).calls).toBe(3);
    } finally {
      await p.close();
    }
  });
});

describe("adapter registries and hf-seek (§3.5)", () => {
  const html = (script: string) => `<!doctype html><html><body>
    <div id="root" data-composition-id="ad" data-width="320" data-height="180"></div>
    <script>${script}</script></body></html>`;

  it("seeks __hfAnime (paused first) and __hfLottie, sets __hfThreeTime, and counts Lottie ends in the duration", async () => {
    const p = await openPage(
      html(`
      window.__calls = [];
      __hfAnime.push({ paused: false, duration: 2500, pause() { this.paused = true; __calls.push("pause"); }, seek(ms) { __calls.push("anime " + ms); } });
      __hfLottie.push({ isLoaded: true, getDuration() { return 1.5; }, goToAndStop(v, isFrame) { __calls.push("lottie " + v + " " + isFrame); } });
      // 1 s of 30 frames: held on its last frame, or wrapped when it loops.
      __hfLottie.push({ isLoaded: true, totalFrames: 30, frameRate: 30, loop: false, goToAndStop(v, isFrame) { __calls.push("held " + v + " " + isFrame); } });
      __hfLottie.push({ isLoaded: true, totalFrames: 30, frameRate: 30, loop: true, goToAndStop(v, isFrame) { __calls.push("looped " + v + " " + isFrame); } });
      // Inside a composition that starts at 1 s: local time t − 1; 3 s long, so it ends at 4 s.
      const host = document.createElement("div");
      host.setAttribute("data-composition-id", "sub");
      host.setAttribute("data-start", "1");
      const lw = host.appendChild(document.createElement("div"));
      document.getElementById("root").appendChild(host);
      __hfLottie.push({ isLoaded: true, wrapper: lw, totalFrames: 90, frameRate: 30, loop: false, goToAndStop(v, isFrame) { __calls.push("nested " + v + " " + isFrame); } });
      addEventListener("hf-seek", (e) => __calls.push("hf-seek " + e.detail.time + " three " + window.__hfThreeTime));`),
      "ad",
    );
    try {
      // Lottie ends count (the nested one's: 1 + 90/30); anime.js ones (2.5 s) do not, as in HyperFrames.
      expect(await p.evaluate(() => (window as any).__frameloom.duration)).toBe(4);
      await seekTo(p, 1.5);
      expect(await p.evaluate(() => (window as any).__calls)).toEqual(["pause", "anime 1500", "lottie 1500 false", "held 29 true", "looped 15 true", "nested 500 false", "hf-seek 1.5 three 1.5"]);
    } finally {
      await p.close();
    }
  });

  it("waits for every waitUntil() promise before the seek resolves", async () => {
    const p = await openPage(
      html(`
      window.__drawn = -1;
      addEventListener("hf-seek", (e) => e.detail.waitUntil(new Promise((r) => setTimeout(() => { window.__drawn = e.detail.time; r(); }, 150))));
      addEventListener("hf-seek", (e) => e.detail.waitUntil(Promise.resolve()));`),
      "ad",
    );
    try {
      const drawn = await p.evaluate(async () => {
        await (window as any).__frameloom.seek(1);
        return (window as any).__drawn;
      });
      expect(drawn).toBe(1);
      expect(await p.evaluate(() => [(window as any).__frameloom.errors, (window as any).__frameloom.adapterTimeout])).toEqual([[], null]);
    } finally {
      await p.close();
    }
  });

  it("dispatches hf-seek once per new time; waitUntil() after the dispatch throws", async () => {
    const p = await openPage(
      html(`window.__times = []; window.__late = null;
      addEventListener("hf-seek", (e) => { __times.push(e.detail.time); Promise.resolve().then(() => { try { e.detail.waitUntil(Promise.resolve()); } catch (err) { __late = err.message; } }); });`),
      "ad",
    );
    try {
      for (const t of [0.5, 0.5, 1]) await seekTo(p, t);
      expect(await p.evaluate(() => [(window as any).__times, (window as any).__late])).toEqual([
        [0.5, 1],
        "hf-seek waitUntil() must be called synchronously from the event listener",
      ]);
    } finally {
      await p.close();
    }
  });

  it("a promise still pending after adapterWaitMs sets adapterTimeout; a rejected one is a page error", async () => {
    const p = await openPage(
      html(`addEventListener("hf-seek", (e) => {
        if (e.detail.time === 1) e.detail.waitUntil(new Promise(() => {}));
        if (e.detail.time === 2) e.detail.waitUntil(Promise.reject(new Error("context lost")));
      });`),
      "ad",
      300,
    );
    try {
      const started = Date.now();
      await seekTo(p, 1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(await p.evaluate(() => (window as any).__frameloom.adapterTimeout)).toBe(
        "hf-seek at t=1s: 1 of 1 waitUntil() promise(s) still pending after 300 ms",
      );
      await seekTo(p, 2);
      expect(await p.evaluate(() => (window as any).__frameloom.errors)).toEqual(["hf-seek at t=2s: a waitUntil() promise rejected: context lost"]);
    } finally {
      await p.close();
    }
  });
});

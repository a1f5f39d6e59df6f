// Seeded randomness in the page runtime: HyperFrames' Mulberry32 and seed, reseeded on every seek.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumArgs, findChromium } from "@frameloom/shared-helpers";
import { startFileServer, type FileServer } from "../server/fileServer.js";
import { pageRuntimeScript } from "./pageRuntime.js";

const HTML = `<!doctype html><html><body>
<div id="root" data-composition-id="r" data-width="64" data-height="64" data-duration="2" data-no-timeline></div>
<script>window.atLoad = [Math.random(), Math.random()];</script>
</body></html>`;

/** Reference: HyperFrames' generator from the seed of `ms` (COMPOSITION.md §3.6). */
function mulberryFrom(ms: number): () => number {
  let state = (Math.imul(Math.max(0, Math.floor(ms)) | 0, -1640531527) + 0x9e3779b9) | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

let dir: string;
let server: FileServer;
let browser: Browser;

async function open(seedRandom: boolean | undefined): Promise<Page> {
  const page = await browser.newPage();
  await page.evaluateOnNewDocument(
    pageRuntimeScript({ fps: { num: 30, den: 1 }, compositionId: "r", width: 64, height: 64, ...(seedRandom === undefined ? {} : { seedRandom }) }),
  );
  await page.goto(server.entryUrl, { waitUntil: "load" });
  return page;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "flm-random-"));
  server = await startFileServer({ root: dir, entryUrlPath: "index.html", entryHtml: HTML });
  browser = await puppeteer.launch({ executablePath: findChromium(), args: chromiumArgs(), headless: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("seeded randomness (default)", () => {
  it("load-time scripts draw from the seed of 0 ms; every seek reseeds from floor(t·1000), repeatably", async () => {
    const page = await open(undefined);
    try {
      const zero = mulberryFrom(0);
      expect(await page.evaluate("window.atLoad")).toEqual([zero(), zero()]);
      const draw = (t: number) => page.evaluate(`window.__frameloom.seek(${t}).then(() => [Math.random(), Math.random(), Math.random()])`);
      for (const frame of [7, 0, 45, 7]) {
        const t = frame / 30;
        const ref = mulberryFrom(t * 1000);
        expect(await draw(t), `frame ${frame}`).toEqual([ref(), ref(), ref()]);
      }
    } finally {
      await page.close();
    }
  });

  it("crypto.getRandomValues fills 4 bytes per draw (little-endian), then a byte per draw; randomUUID is a v4 UUID", async () => {
    const page = await open(true);
    try {
      const bytes = await page.evaluate(`window.__frameloom.seek(1).then(() => Array.from(crypto.getRandomValues(new Uint8Array(6))))`);
      const ref = mulberryFrom(1000);
      const word = (ref() * 4294967296) >>> 0;
      expect(bytes).toEqual([word & 255, (word >>> 8) & 255, (word >>> 16) & 255, word >>> 24, (ref() * 256) | 0, (ref() * 256) | 0]);
      const uuids = (await page.evaluate(`window.__frameloom.seek(1).then(() => [crypto.randomUUID(), crypto.randomUUID()])`)) as string[];
      for (const uuid of uuids) expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(await page.evaluate(`window.__frameloom.seek(1).then(() => crypto.randomUUID())`)).toBe(uuids[0]);
    } finally {
      await page.close();
    }
  });
});

describe("--native-random", () => {
  it("leaves Chromium's own generators in place", async () => {
    const page = await open(false);
    try {
      expect(await page.evaluate("String(Math.random)")).toContain("[native code]");
      expect(await page.evaluate("String(crypto.getRandomValues)")).toContain("[native code]");
      const a = await page.evaluate(`window.__frameloom.seek(1).then(() => Math.random())`);
      const b = await page.evaluate(`window.__frameloom.seek(1).then(() => Math.random())`);
      expect(a).not.toBe(b);
    } finally {
      await page.close();
    }
  });
});

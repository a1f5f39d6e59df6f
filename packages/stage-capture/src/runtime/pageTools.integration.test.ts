// The layer planner and frame injector bundles (page/layerPlanner.ts, page/frameInjector.ts) in
// real Chromium: paint-order layering around media, signatures, show(k), and frame images styled
// and placed like their video.
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumArgs, findChromium } from "@frameloom/shared-helpers";
import { FRAME_INJECTOR_SOURCE } from "./frameInjector.js";
import { LAYER_PLANNER_SOURCE } from "./layerPlanner.js";

// A 2×2 red PNG.
const PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAwMDAxMDAAAAPJQEDBn+PqgAAAABJRU5ErkJggg==";

const HTML = `<!doctype html><html><head><style>
  * { margin: 0 } body { width: 200px; height: 100px; background: #000 }
  #below { position: absolute; left: 0; top: 0; width: 50px; height: 50px; background: blue }
  #media { position: absolute; left: 10px; top: 10px; width: 80px; height: 40px; z-index: 1; border-radius: 8px; object-fit: cover }
  #above { position: absolute; left: 20px; top: 20px; width: 30px; height: 30px; background: green; z-index: 2 }
  #vid { position: absolute; left: 100px; top: 10px; width: 60px; height: 30px; opacity: 0.5 }
</style></head><body>
  <div id="below"></div><video id="media"></video><div id="above">text</div><video id="vid"></video>
</body></html>`;

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await puppeteer.launch({ executablePath: findChromium(), args: chromiumArgs(), headless: true });
  page = await browser.newPage();
  await page.evaluateOnNewDocument(LAYER_PLANNER_SOURCE);
  await page.evaluateOnNewDocument(FRAME_INJECTOR_SOURCE);
  await page.goto("data:text/html," + encodeURIComponent(HTML), { waitUntil: "load" });
});

afterAll(async () => {
  await browser?.close();
});

describe("layer planner", () => {
  it("splits the page around media in paint order; signatures repeat while nothing changes", async () => {
    const result = await page.evaluate(() => {
      const layers = (window as any).__frameloomLayers;
      const first = layers.plan(["media"]);
      const layerOf = (id: string) => document.getElementById(id)!.getAttribute("data-flm-l");
      const again = layers.plan(["media"]);
      document.getElementById("above")!.textContent = "changed";
      const changed = layers.plan(["media"]);
      return { first, again, changed, below: layerOf("below"), above: layerOf("above"), media: layerOf("media") };
    });
    expect(result.first.media).toEqual([{ id: "media", rect: { x: 10, y: 10, width: 80, height: 40 }, opacity: 1, fit: "cover", radius: [8, 8, 8, 8, 8, 8, 8, 8] }]);
    expect([result.below, result.media, result.above]).toEqual(["0", "x", "1"]);
    // Layer 0 holds a non-layer <video> (#vid): never unchanged. Layer 1 is plain DOM.
    expect(result.first.signatures[0]).toBeNull();
    expect(typeof result.first.signatures[1]).toBe("string");
    expect(result.again.signatures).toEqual(result.first.signatures);
    expect(result.changed.signatures[1]).not.toBe(result.first.signatures[1]);
  });

  it("show(k) leaves only layer k visible; reset() restores the page", async () => {
    const visibility = await page.evaluate(() => {
      const layers = (window as any).__frameloomLayers;
      layers.plan(["media"]);
      layers.show(1);
      const shown = ["below", "above"].map((id) => getComputedStyle(document.getElementById(id)!).visibility);
      const body = getComputedStyle(document.body).backgroundColor;
      layers.reset();
      const after = ["below", "above"].map((id) => getComputedStyle(document.getElementById(id)!).visibility);
      return { shown, body, after };
    });
    expect(visibility).toEqual({ shown: ["hidden", "visible"], body: "rgba(0, 0, 0, 0)", after: ["visible", "visible"] });
  });
});

describe("frame injector", () => {
  it("puts a decoded frame image right after its video, placed and styled like it; the video is hidden", async () => {
    const state = await page.evaluate(async (src) => {
      const inject = (window as any).__frameloomInject;
      const decoded = await inject.set([{ id: "vid", key: "k1", src }]);
      const again = await inject.set([{ id: "vid", key: "k1", src }]);
      const img = document.getElementById("vid")!.nextElementSibling as HTMLImageElement;
      const cs = getComputedStyle(img);
      const shownBefore = cs.display;
      await inject.set([{ id: "vid", key: null }]);
      return {
        decoded,
        again,
        className: img.className,
        box: [img.style.left, img.style.top, img.style.width, img.style.height],
        opacity: cs.opacity,
        shownBefore,
        shownAfter: getComputedStyle(img).display,
        videoVisibility: getComputedStyle(document.getElementById("vid")!).visibility,
        natural: img.naturalWidth,
      };
    }, PNG);
    expect(state).toEqual({
      decoded: 1,
      again: 0,
      className: "__render_frame__",
      box: ["100px", "10px", "60px", "30px"],
      opacity: "0.5",
      shownBefore: "block",
      shownAfter: "none",
      videoVisibility: "hidden",
      natural: 2,
    });
  });
});

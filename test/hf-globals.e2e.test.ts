/**
 * HyperFrames page globals (COMPOSITION.md §3.1) exist before the first page script: a composition
 * that assigns `window.__timelines["g"]` without creating it, pushes onto `__hfAnime`, reads
 * `__hyperframes.getVariables()` (declared defaults) and `__hfVariables` from a `<head>` script, and
 * has no root data-duration (the duration comes from that timeline), renders; the decoded frames
 * show the timeline's motion and the variable's colour.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "@frameloom/cli";
import { decodeFrame, frameCountOf, hex, near, pixel } from "./helpers/media.js";
import { leftovers } from "./helpers/procs.js";
import { sandbox, type Sandbox } from "./helpers/sandbox.js";

// 320x180. #g moves x 0 → 200 over 2 s (the timeline is the duration: 60 frames). #v takes its colour
// from the declared default of "tint"; #w is white only if every global was there for the head script.
export const GLOBALS_HTML = `<!doctype html>
<html data-composition-variables='[{"id":"tint","type":"color","label":"Tint","default":"#00ff00"}]'>
<head><meta charset="utf-8">
<style>* { margin:0; padding:0; } html, body { background:#000; overflow:hidden; }
#root { position:relative; width:320px; height:180px; overflow:hidden; }
.b { position:absolute; width:40px; height:40px; }</style>
<script src="gsap.min.js"></script>
<script>
  // No "window.__timelines = window.__timelines || {}" anywhere: the runtime made it (HyperFrames does).
  var ok = typeof window.__timelines === "object" && Array.isArray(window.__hfAnime) && Array.isArray(window.__hfLottie)
    && typeof window.__hfVariables === "object" && typeof window.__hfVariablesByComp === "object"
    && typeof window.__hyperframes.getVariables === "function";
  window.__headOk = ok;
  window.__tint = window.__hyperframes.getVariables().tint;
  window.__hfAnime.push({ seek: function () {} });
</script>
</head><body>
<div id="root" data-composition-id="g" data-width="320" data-height="180">
  <div class="b" id="g" style="left:0;top:10px;background:#fff"></div>
  <div class="b" id="v" style="left:0;top:70px"></div>
  <div class="b" id="w" style="left:0;top:130px;background:#f00"></div>
</div>
<script>
  document.getElementById("v").style.background = window.__tint;
  if (window.__headOk) document.getElementById("w").style.background = "#fff";
  window.__timelines["g"] = gsap.timeline({ paused: true }).to("#g", { x: 200, duration: 2, ease: "none" });
</script>
</body></html>`;

describe("HyperFrames globals exist before page scripts", () => {
  let box: Sandbox;
  let output: string;

  beforeAll(async () => {
    box = sandbox("hf-globals");
    const dir = box.project("globals", GLOBALS_HTML, { gsap: true });
    output = path.join(box.out, "globals.mp4");
    const summary = await render({ input: dir, output, quality: "standard", workers: 1 });
    expect(summary.frames).toBe(60);
  });
  afterAll(() => box?.cleanup());

  it("renders the 60 frames the page's own timeline asks for, and leaves nothing behind", async () => {
    expect(await frameCountOf(output)).toBe(60);
    expect(await leftovers(box.root)).toEqual([]);
    expect(box.tmpLeft()).toEqual([]);
  });

  for (const k of [0, 30, 59]) {
    it(`frame ${k}: the timeline registered without creating __timelines moves #g to x = ${((200 * k) / 60).toFixed(1)}`, async () => {
      const frame = await decodeFrame(output, k);
      const x = (200 * k) / 60;
      expect(near(pixel(frame, x + 20, 30), hex("#ffffff")), `block centre at ${x + 20}`).toBe(true);
      if (x >= 30) expect(near(pixel(frame, 10, 30), hex("#000000")), "where it started").toBe(true);
      expect(near(pixel(frame, x + 60, 30), hex("#000000")), "ahead of it").toBe(true);
    });
  }

  it("getVariables() in a head script gives the declared default; every global was there for it", async () => {
    const frame = await decodeFrame(output, 15);
    expect(near(pixel(frame, 20, 90), hex("#00ff00"), 24), `tint block ${pixel(frame, 20, 90).join(",")}`).toBe(true);
    expect(near(pixel(frame, 20, 150), hex("#ffffff"), 24), `globals block ${pixel(frame, 20, 150).join(",")}`).toBe(true);
  });
});

/**
 * Scripts from CDNs (docs/capture.md, "CDN scripts"): gsap (jsdelivr) and its ScrollTrigger plugin
 * (cdnjs) render from the local npm copy, offline, with no warning; a CDN script with no local copy
 * of its major version is a warning naming the URL, and FLM_ERR_COMPILE_CDN_SCRIPT_UNAVAILABLE
 * with --strict.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "@frameloom/cli";
import { isFrameloomError } from "@frameloom/shared-helpers";
import { decodeFrame, near, pixel } from "./helpers/media.js";
import { sandbox, type Sandbox } from "./helpers/sandbox.js";

const page = (scripts: string, body: string) => `<!doctype html><html><head><meta charset="utf-8">${scripts}
<style>* { margin:0; padding:0; } html, body { background:#000; overflow:hidden; }
#root { position:relative; width:160px; height:90px; overflow:hidden; } .b { position:absolute; width:20px; height:20px; background:#f00; }</style>
</head><body><div id="root" data-composition-id="c" data-width="160" data-height="90" data-duration="1">
<div class="b" id="box" style="left:0;top:10px;background:#fff"></div><div class="b" id="flag" style="left:0;top:50px"></div></div>
<script>${body}</script></body></html>`;

describe("CDN scripts", () => {
  let box: Sandbox;
  beforeAll(() => {
    box = sandbox("cdn");
  });
  afterAll(() => box?.cleanup());

  it("serves gsap and ScrollTrigger from the local npm copy: the timeline runs offline", async () => {
    const dir = box.project(
      "gsap",
      page(
        `<script src="https://cdn.jsdelivr.net/npm/gsap@3.12.5/dist/gsap.min.js" integrity="sha384-x" crossorigin="anonymous"></script><script src="https://cdnjs.cloudflare.com/ajax/libs/gsap/3.12.5/ScrollTrigger.min.js"></script>`,
        `if (window.ScrollTrigger) document.getElementById("flag").style.background = "#0f0";
         window.__timelines = window.__timelines || {}; window.__timelines.c = gsap.timeline({ paused: true }).to("#box", { x: 100, duration: 1, ease: "none" });`,
      ),
    );
    const warnings: string[] = [];
    const output = path.join(box.out, "gsap.mp4");
    await render({ input: dir, output, quality: "standard", workers: 1, strict: true, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    const f15 = await decodeFrame(output, 15);
    expect(near(pixel(f15, 60, 20), [255, 255, 255], 40)).toBe(true);
    expect(near(pixel(f15, 10, 20), [0, 0, 0], 40)).toBe(true);
    expect(near(pixel(f15, 10, 60), [0, 255, 0], 40)).toBe(true);
  });

  it("warns naming a CDN script with no local copy, and fails with --strict", async () => {
    const url = "https://unpkg.com/gsap@2.1.3/dist/TweenMax.min.js";
    const dir = box.project("missing", page(`<script src="${url}"></script>`, `if (!window.TweenMax) document.getElementById("flag").style.background = "#fff";`));
    const warnings: string[] = [];
    await render({ input: dir, output: path.join(box.out, "missing.mp4"), quality: "draft", workers: 1, onWarning: (w) => warnings.push(w) });
    expect(warnings.some((w) => w.includes(`script ${url} comes from a CDN`) && w.includes("gsap@2"))).toBe(true);
    const error = await render({ input: dir, output: path.join(box.out, "strict.mp4"), quality: "draft", workers: 1, strict: true }).then(() => null, (e: unknown) => e);
    expect(isFrameloomError(error) && error.code).toBe("FLM_ERR_COMPILE_CDN_SCRIPT_UNAVAILABLE");
  });
});

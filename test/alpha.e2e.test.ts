/** 4. Alpha outputs: VP9 WebM with alpha, ProRes 4444, PNG sequence (RGBA files) and GIF, from a page with no background. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import path from "node:path";
import { render } from "@frameloom/cli";
import { decodeFrame, decodeImage, frameCountOf, near, pixel, videoStream, type RgbaFrame } from "./helpers/media.js";
import { leftovers } from "./helpers/procs.js";
import { page, sandbox, type Sandbox } from "./helpers/sandbox.js";

// 320x180, 0.5 s at 30 fps = 15 frames; transparent page, one opaque block (100..200, 50..130) that
// moves right by 60 px over the duration (rAF-driven) so the alpha follows the content.
const ALPHA_HTML = page({
  id: "alpha",
  duration: "0.5",
  bodyBg: "transparent",
  extraRootAttrs: "data-no-timeline",
  style: `#blk { left:100px; top:50px; width:100px; height:80px; background:#ff3000; }`,
  body: `<div class="blk" id="blk"></div>`,
  script: `const b = document.getElementById("blk");
  requestAnimationFrame(function tick(now) { b.style.transform = "translateX(" + (now * 0.12) + "px)"; requestAnimationFrame(tick); });`,
});
const FRAMES = 15;

function checkAlpha(frame: RgbaFrame, k: number, label: string) {
  const dx = Math.round((k / 30) * 120);
  const inside = pixel(frame, 150 + dx, 90);
  const outside = [pixel(frame, 20, 20), pixel(frame, 300, 170), pixel(frame, 150 + dx, 20), pixel(frame, 80 + dx, 90)];
  expect(inside[3], `${label} frame ${k}: alpha inside the block`).toBeGreaterThanOrEqual(243);
  expect(near(inside, [255, 48, 0], 14), `${label} frame ${k}: colour inside the block is ${inside.join(",")}`).toBe(true);
  for (const p of outside) expect(p[3], `${label} frame ${k}: alpha outside the block`).toBeLessThanOrEqual(12);
}

describe("alpha outputs", () => {
  let box: Sandbox;
  let dir: string;
  beforeAll(() => {
    box = sandbox("alpha");
    dir = box.project("alpha", ALPHA_HTML);
  });
  afterAll(() => box?.cleanup());

  it("webm-alpha: VP9 with an alpha plane, transparent outside the block and opaque inside", async () => {
    const output = path.join(box.out, "a.webm");
    const summary = await render({ input: dir, output, preset: "webm-alpha", format: "webm", workers: 1 });
    expect(summary.frames).toBe(FRAMES);
    const s = await videoStream(output);
    expect(s.codec_name).toBe("vp9");
    expect(s.tags?.alpha_mode ?? s.tags?.ALPHA_MODE).toBe("1");
    expect(await frameCountOf(output, "libvpx-vp9")).toBe(FRAMES);
    for (const k of [0, 7, 14]) checkAlpha(await decodeFrame(output, k, { decoder: "libvpx-vp9" }), k, "webm");
  });

  it("prores-4444: yuva444p10le .mov with alpha", async () => {
    const output = path.join(box.out, "a.mov");
    await render({ input: dir, output, preset: "prores-4444", workers: 1 });
    const s = await videoStream(output);
    expect(s.codec_name).toBe("prores");
    // Written as -pix_fmt yuva444p10le, profile 4444 (ap4h). ffmpeg 5.1's ProRes decoder reports 4444 streams
    // as yuva444p12le (it decodes them at 12 bits), so ffprobe cannot show "10le" here: accept both alpha formats.
    expect((s as unknown as { profile: string }).profile).toBe("4444");
    expect((s as unknown as { codec_tag_string: string }).codec_tag_string).toBe("ap4h");
    expect(s.pix_fmt).toMatch(/^yuva444p1[02]le$/);
    expect(await frameCountOf(output)).toBe(FRAMES);
    for (const k of [0, 14]) checkAlpha(await decodeFrame(output, k), k, "prores");
  });

  it("png-sequence: a directory of N RGBA PNGs", async () => {
    const output = path.join(box.out, "seq");
    const summary = await render({ input: dir, output, preset: "png-sequence", format: "png-sequence", workers: 2 });
    expect(summary.frames).toBe(FRAMES);
    const files = readdirSync(output).filter((f) => f.endsWith(".png")).sort();
    expect(files).toHaveLength(FRAMES);
    expect(readdirSync(output)).toHaveLength(FRAMES);
    const first = path.join(output, files[0]!);
    const s = await videoStream(first);
    expect(s.codec_name).toBe("png");
    expect(s.pix_fmt).toBe("rgba");
    expect([s.width, s.height]).toEqual([320, 180]);
    checkAlpha(await decodeImage(first), 0, "png");
    checkAlpha(await decodeImage(path.join(output, files[14]!)), 14, "png");
  });

  it("gif: renders N frames, block colour in place, transparent background", async () => {
    const output = path.join(box.out, "a.gif");
    await render({ input: dir, output, preset: "gif", workers: 1 });
    const s = await videoStream(output);
    expect(s.codec_name).toBe("gif");
    expect(await frameCountOf(output)).toBe(FRAMES);
    const f = await decodeFrame(output, 0);
    expect(near(pixel(f, 150, 90), [255, 48, 0], 24)).toBe(true);
    expect(pixel(f, 20, 20)[3]).toBe(0);
  });

  it("leaves no process, temp dir or partial file", async () => {
    expect(await leftovers(box.root)).toEqual([]);
    expect(box.tmpLeft()).toEqual([]);
    expect(box.outFiles().sort()).toEqual(["a.gif", "a.mov", "a.webm", "seq"]);
  });
});

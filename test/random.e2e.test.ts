/**
 * Seeded randomness: Math.random and crypto.getRandomValues are Mulberry32 reseeded from the frame
 * time on every seek (HyperFrames' seed, COMPOSITION.md §3.6), so the same input renders the same
 * frames with any worker count or chunking; --native-random opts out.
 *
 * The page paints the frame's first Math.random() as 12 black/white cells (readable after H.264)
 * and scatters blocks placed and coloured by Math.random and crypto.getRandomValues below them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { render } from "@frameloom/cli";
import { decodeAll, near, pixel, psnr, type RgbaFrame } from "./helpers/media.js";
import { leftovers } from "./helpers/procs.js";
import { page, sandbox, type Sandbox } from "./helpers/sandbox.js";

const FPS = 30;
const FRAMES = 60;
const BITS = 12;
const W = 320;
const CELL = Math.floor(W / BITS);

/** HyperFrames' first Math.random() after a seek to `ms` (Mulberry32, seed from floor(ms)). */
function firstRandomAt(ms: number): number {
  let state = (Math.imul(Math.max(0, Math.floor(ms)) | 0, -1640531527) + 0x9e3779b9) | 0;
  state = (state + 0x6d2b79f5) | 0;
  let x = state;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
}

function randomPage(): string {
  const cells = Array.from({ length: BITS }, (_, b) => `<div class="blk bit" style="left:${b * CELL}px;width:${CELL}px;top:0;height:50px"></div>`).join("");
  const blocks = Array.from({ length: 8 }, () => `<div class="blk dot" style="width:30px;height:30px"></div>`).join("");
  return page({
    id: "random",
    width: W,
    height: 180,
    duration: String(FRAMES / FPS),
    extraRootAttrs: "data-no-timeline",
    body: cells + blocks,
    script: `
    var cells = [].slice.call(document.querySelectorAll(".bit"));
    var dots = [].slice.call(document.querySelectorAll(".dot"));
    requestAnimationFrame(function tick() {
      var code = Math.floor(Math.random() * ${1 << BITS});
      cells.forEach(function (c, b) { c.style.background = (code >> b) & 1 ? "#fff" : "#000"; });
      var rgb = crypto.getRandomValues(new Uint8Array(dots.length * 3));
      dots.forEach(function (d, k) {
        d.style.left = Math.floor(Math.random() * 290) + "px";
        d.style.top = 60 + Math.floor(Math.random() * 90) + "px";
        d.style.background = "rgb(" + rgb[3 * k] + "," + rgb[3 * k + 1] + "," + rgb[3 * k + 2] + ")";
      });
      requestAnimationFrame(tick);
    });`,
  });
}

function readCode(frame: RgbaFrame): number {
  let value = 0;
  for (let b = 0; b < BITS; b++) {
    const p = pixel(frame, b * CELL + CELL / 2, 25);
    if (near(p, [255, 255, 255], 40)) value |= 1 << b;
    else if (!near(p, [0, 0, 0], 40)) throw new Error(`cell ${b} is ${p.join(",")}: neither black nor white`);
  }
  return value;
}

describe("seeded randomness", () => {
  let box: Sandbox;
  let dir: string;
  let reference: string;
  beforeAll(async () => {
    box = sandbox("random");
    dir = box.project("random", randomPage());
    reference = path.join(box.out, "w1.mp4");
    await render({ input: dir, output: reference, workers: 1 });
  });
  afterAll(() => box?.cleanup());

  it("frame i's first Math.random() is HyperFrames' Mulberry32 value for floor(i/fps·1000) ms", async () => {
    const codes = (await decodeAll(reference)).map(readCode);
    const expected = Array.from({ length: FRAMES }, (_, i) => Math.floor(firstRandomAt((i / FPS) * 1000) * (1 << BITS)));
    expect(codes).toEqual(expected);
    expect(new Set(codes).size, "the values change from frame to frame").toBeGreaterThan(FRAMES / 2);
  });

  it("a second render with --workers 1 gives the same frames", async () => {
    const again = path.join(box.out, "again.mp4");
    await render({ input: dir, output: again, workers: 1 });
    const db = await psnr(reference, again);
    console.log(`two --workers 1 renders of a Math.random page: PSNR ${db} dB`);
    expect(db).toBeGreaterThanOrEqual(50);
  });

  it("2 workers on the disk route give the same frames", async () => {
    const two = path.join(box.out, "w2-disk.mp4");
    await render({ input: dir, output: two, workers: 2, route: "disk" });
    expect(await psnr(reference, two)).toBeGreaterThanOrEqual(50);
  });

  it("a chunk (--frames 25-59) gives the same frames as the full render", async () => {
    const chunk = path.join(box.out, "chunk.mp4");
    await render({ input: dir, output: chunk, workers: 1, frames: "25-59" });
    const codes = (await decodeAll(chunk)).map(readCode);
    const full = (await decodeAll(reference)).map(readCode);
    expect(codes).toEqual(full.slice(25, 60));
  });

  it("--native-random opts out: Math.random is Chromium's own, and the frames differ", async () => {
    const native = path.join(box.out, "native.mp4");
    await render({ input: dir, output: native, workers: 1, nativeRandom: true });
    const db = await psnr(reference, native);
    console.log(`seeded vs --native-random render: PSNR ${db} dB`);
    expect(db).toBeLessThan(30);
    expect(await leftovers(box.root)).toEqual([]);
    expect(box.tmpLeft()).toEqual([]);
  });
});

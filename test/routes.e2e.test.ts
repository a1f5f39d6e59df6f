/**
 * 3. Routes and workers give the same frames; 7. the same composition rendered twice gives the same frames.
 * Compared with ffmpeg's psnr filter over every frame (≥ 50 dB average, or identical).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { render } from "@frameloom/cli";
import { frameCountOf, psnr } from "./helpers/media.js";
import { animatedPage } from "./helpers/fixtures.js";
import { leftovers } from "./helpers/procs.js";
import { sandbox, type Sandbox } from "./helpers/sandbox.js";

const FRAMES = 75;

describe("routes, workers and determinism", () => {
  let box: Sandbox;
  let dir: string;
  let reference: string;

  beforeAll(async () => {
    box = sandbox("routes");
    dir = box.project("anim", animatedPage(), { gsap: true });
    reference = path.join(box.out, "streaming-w1.mp4");
    const summary = await render({ input: dir, output: reference, workers: 1, route: "streaming" });
    expect(summary).toMatchObject({ frames: FRAMES, route: "streaming", workers: 1 });
    expect(await frameCountOf(reference)).toBe(FRAMES);
  });
  afterAll(() => box?.cleanup());

  const variants = [
    { name: "streaming-w2", workers: 2, route: "streaming" as const },
    { name: "disk-w2", workers: 2, route: "disk" as const },
    { name: "sequential", workers: 2, route: "sequential" as const, expectWorkers: 1 },
  ];
  for (const v of variants) {
    it(`${v.name} matches 1-worker streaming frame for frame`, async () => {
      const output = path.join(box.out, `${v.name}.mp4`);
      const summary = await render({ input: dir, output, workers: v.workers, route: v.route });
      expect(summary).toMatchObject({ frames: FRAMES, route: v.route, workers: v.expectWorkers ?? v.workers });
      expect(await frameCountOf(output)).toBe(FRAMES);
      expect(await psnr(reference, output)).toBeGreaterThanOrEqual(50);
      expect(await leftovers(box.root)).toEqual([]);
      expect(box.tmpLeft()).toEqual([]);
      expect(box.outFiles().filter((f) => f.startsWith("."))).toEqual([]);
    });
  }

  it("determinism: rendering the same composition again gives the same frames", async () => {
    const again = path.join(box.out, "again.mp4");
    await render({ input: dir, output: again, workers: 1, route: "streaming" });
    expect(await psnr(reference, again)).toBeGreaterThanOrEqual(50);
  });

  it("sanity: the comparison detects a different composition time (frames 1.. vs 0..)", async () => {
    const shifted = path.join(box.out, "shifted.mp4");
    await render({ input: dir, output: shifted, workers: 1, frames: `1-${FRAMES - 1}` });
    // Same length is not required by psnr=shortest=0; compare frame-shifted output: must be well below 50 dB.
    expect(await psnr(reference, shifted)).toBeLessThan(45);
  });
});

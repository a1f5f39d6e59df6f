/**
 * Video timing in a render (COMPOSITION.md §2.3, §4.1), SDR route: a clip whose frame n is a flat
 * grey of limited-range luma 16 + 6n (full-range R = G = B ≈ 6n·255/219) shows, at composition time t, source frame floor((t − start)·rate·fps),
 * shifted by data-media-start, wrapped by `loop`, held at its last frame otherwise.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "@frameloom/cli";
import { page, sandbox, type Sandbox } from "./helpers/sandbox.js";
import { decodeAll, pixel } from "./helpers/media.js";

const run = promisify(execFile);

/** Grey of the frame at the centre of the video box, as a source frame number. */
function sourceFrameAt(frame: Awaited<ReturnType<typeof decodeAll>>[number]): number {
  const [r] = pixel(frame, 32, 32);
  return Math.round(r / ((6 * 255) / 219));
}

describe("video timing (SDR, composited)", () => {
  let box: Sandbox;
  let clipDir: string;
  beforeAll(async () => {
    box = sandbox("media");
    clipDir = box.project("clip", "<!-- placeholder -->");
    // 1 s at 30 fps, frame n = grey 16 + 6n (n = 0..29), lossless so levels are exact.
    await run("ffmpeg", [
      "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=64x64:r=30:d=1",
      "-vf", "geq=lum='16+6*N':cb=128:cr=128,format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
      "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv",
      path.join(clipDir, "ramp.mp4"),
    ]);
  });
  afterAll(() => box?.cleanup());

  async function framesFor(name: string, videoAttrs: string, duration = "2"): Promise<number[]> {
    const dir = box.project(
      name,
      page({ id: name, width: 64, height: 64, duration, body: `<video class="blk" id="v" src="ramp.mp4" muted data-start="0" ${videoAttrs} style="left:0;top:0;width:64px;height:64px"></video>` }),
    );
    await run("cp", [path.join(clipDir, "ramp.mp4"), dir]);
    const output = path.join(box.out, `${name}.mp4`);
    await render({ input: dir, output, preset: "high" });
    return (await decodeAll(output)).map(sourceFrameAt);
  }

  it("plays at the composition rate and holds the last frame past the end", async () => {
    const seen = await framesFor("plain", 'data-duration="2"');
    expect(seen.slice(0, 30)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(seen.slice(30, 60)).toEqual(Array(30).fill(29));
  });

  it("data-playback-rate=2 shows every other frame; data-media-start shifts it", async () => {
    const fast = await framesFor("rate", 'data-duration="1" data-playback-rate="2"', "1");
    expect(fast.slice(0, 15)).toEqual(Array.from({ length: 15 }, (_, i) => 2 * i));
    expect(fast[20]).toBe(29);
    const shifted = await framesFor("trim", 'data-duration="1" data-media-start="0.5"', "1");
    expect(shifted.slice(0, 15)).toEqual(Array.from({ length: 15 }, (_, i) => 15 + i));
  });

  it("loop wraps to fill the slot", async () => {
    const looped = await framesFor("loop", 'data-duration="2" loop');
    expect(looped.slice(28, 34)).toEqual([28, 29, 0, 1, 2, 3]);
    expect(looped[45]).toBe(15);
  });
});

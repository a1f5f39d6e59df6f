/** 2. Rational fps, frame counts (§3.2) and --frames ranges: counted frames, ffprobe rate and content. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { render } from "@frameloom/cli";
import { decodeFrame, frameCountOf, videoStream } from "./helpers/media.js";
import { counterPage, readCounter } from "./helpers/fixtures.js";
import { sandbox, type Sandbox } from "./helpers/sandbox.js";

describe("rational fps and frame ranges", () => {
  let box: Sandbox;
  beforeAll(() => {
    box = sandbox("fps");
  });
  afterAll(() => box?.cleanup());

  it("--fps 30000/1001 with data-duration=1 renders exactly 30 frames at r_frame_rate 30000/1001", async () => {
    const dir = box.project("ntsc", counterPage({ duration: "1", fpsNum: 30000, fpsDen: 1001 }));
    const output = path.join(box.out, "ntsc.mp4");
    const summary = await render({ input: dir, output, fps: "30000/1001", quality: "draft", workers: 1 });
    expect(summary.frames).toBe(30);
    expect(summary.compositionFps).toBe("30000/1001");
    const s = await videoStream(output);
    expect(s.r_frame_rate).toBe("30000/1001");
    expect(await frameCountOf(output)).toBe(30);
    // Each frame k shows time k·1001/30000: first and last indices read back from the pixels.
    expect(readCounter(await decodeFrame(output, 0))).toBe(0);
    expect(readCounter(await decodeFrame(output, 17))).toBe(17);
    expect(readCounter(await decodeFrame(output, 29))).toBe(29);
  });

  it("data-duration=2.0001 at 30 fps renders 61 frames (ceil), the last one at t=2.0", async () => {
    const dir = box.project("ceil", counterPage({ duration: "2.0001", fpsNum: 30 }));
    const output = path.join(box.out, "ceil.mp4");
    const summary = await render({ input: dir, output, quality: "draft", workers: 2 });
    expect(summary.frames).toBe(61);
    expect((await videoStream(output)).r_frame_rate).toBe("30/1");
    expect(await frameCountOf(output)).toBe(61);
    expect(readCounter(await decodeFrame(output, 60))).toBe(60);
  });

  it("--frames 10-19 renders exactly 10 frames; output frame 0 is composition frame 10", async () => {
    const dir = box.project("range", counterPage({ duration: "1", fpsNum: 30 }));
    const output = path.join(box.out, "range.mp4");
    const summary = await render({ input: dir, output, frames: "10-19", quality: "draft", workers: 2 });
    expect(summary.frames).toBe(10);
    expect(await frameCountOf(output)).toBe(10);
    const read = [];
    for (const k of [0, 1, 5, 9]) read.push(readCounter(await decodeFrame(output, k)));
    expect(read).toEqual([10, 11, 15, 19]);
  });
});

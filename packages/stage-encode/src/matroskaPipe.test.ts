// The Matroska writer's pure parts: the stamps that make ffmpeg's CFR logic repeat the right picture.
import { describe, expect, it } from "vitest";
import { STAMP_OFFSET, frameTicks, matroskaFrame, matroskaHeader } from "./matroskaPipe.js";

describe("matroska pipe", () => {
  it("stamps frame 0 at 0 and frame i at (i + 1/4) frames, exactly, in µs", () => {
    expect(STAMP_OFFSET).toBe(0.25);
    expect(frameTicks(0, { num: 30, den: 1 })).toBe(0n);
    expect(frameTicks(1, { num: 30, den: 1 })).toBe(41_666n); // 1.25 / 30 s
    expect(frameTicks(3, { num: 30000, den: 1001 })).toBe(108_441n); // 3.25 · 1001 / 30000 s
    // A long render does not drift: frame 108000 (an hour at 30 fps) is 3600 s + a quarter frame.
    expect(frameTicks(108_000, { num: 30, den: 1 })).toBe(3_600_008_333n);
  });

  it("writes an EBML header, an open segment and one MJPEG track of the frame size", () => {
    const head = matroskaHeader({ width: 1920, height: 1080, fps: { num: 30, den: 1 } });
    expect(head.subarray(0, 4)).toEqual(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]));
    expect(head.includes(Buffer.from("V_MJPEG"))).toBe(true);
    // The Segment's size is "unknown": a live stream.
    const segment = head.indexOf(Buffer.from([0x18, 0x53, 0x80, 0x67]));
    expect(head.subarray(segment + 4, segment + 12)).toEqual(Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  });

  it("a frame is a cluster head plus the JPEG bytes themselves (not copied)", () => {
    const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    const [head, body] = matroskaFrame(5, { num: 30, den: 1 }, jpeg);
    expect(body).toBe(jpeg);
    expect(head!.subarray(0, 4)).toEqual(Buffer.from([0x1f, 0x43, 0xb6, 0x75]));
    // The cluster's declared size covers its timecode, the block head and the frame.
    const declared = Number(head!.readBigUInt64BE(4) & 0x00ffffffffffffffn);
    expect(declared).toBe(head!.length - 12 + jpeg.length);
  });
});

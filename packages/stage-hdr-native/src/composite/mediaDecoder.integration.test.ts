import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { transfer as tf } from "../transfer.js";
import { MediaFrameSource } from "./mediaDecoder.js";
import { ffmpeg, ffmpegChildren, waitFor } from "./testUtil.js";

const dir = mkdtempSync(path.join(tmpdir(), "flm-media-"));
const pq = path.join(dir, "pq.mp4");
const sdr = path.join(dir, "sdr.mp4");
const fps = { num: 30, den: 1 };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  ffmpeg([
    "-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=2", "-vf", "format=yuv420p10le", "-c:v", "libx265", "-preset", "ultrafast",
    "-x265-params", "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc",
    "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-tag:v", "hvc1", pq,
  ]);
  ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x90:r=30:d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-colorspace", "bt709", sdr]);
});

/** ffmpeg's decode of frame n through the same zscale chain (checks framing and frame indexing). */
function reference(file: string, n: number, matrix = "bt2020"): Buffer {
  const [m, t, p] = matrix === "bt2020" ? ["2020_ncl", "smpte2084", "2020"] : ["709", "709", "709"];
  return ffmpeg([
    "-i", file, "-vf", `select=eq(n\\,${n}),zscale=matrixin=${m}:rangein=limited:range=full:transferin=${t}:transfer=${t}:primariesin=${p}:primaries=${p}:chromalin=center:filter=bilinear,format=gbrp16le,format=rgb48le`,
    "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb48le", "-",
  ]);
}

function maxDiff16(a: Buffer, b: Buffer): number {
  let m = 0;
  for (let i = 0; i < a.length; i += 2) m = Math.max(m, Math.abs(a.readUInt16LE(i) - b.readUInt16LE(i)));
  return m;
}

describe("MediaFrameSource", () => {
  it("decodes 10-bit limited range exactly: Y 940 → 65535, Y 502 → 32767/32768, Y 64 → 0", async () => {
    // A y4m of three flat grey frames (no chroma), so every matrix gives R = G = B.
    const w = 16, h = 16;
    const header = Buffer.from(`YUV4MPEG2 W${w} H${h} F30:1 Ip A1:1 C420p10 XYSCSS=420P10\n`);
    const parts: Buffer[] = [header];
    for (const y of [940, 502, 64]) {
      const plane = (v: number, n: number) => { const b = Buffer.alloc(n * 2); for (let i = 0; i < n; i++) b.writeUInt16LE(v, i * 2); return b; };
      parts.push(Buffer.from("FRAME\n"), plane(y, w * h), plane(512, (w * h) / 4), plane(512, (w * h) / 4));
    }
    const file = path.join(dir, "grey.y4m");
    writeFileSync(file, Buffer.concat(parts));
    const src = await MediaFrameSource.open({ path: file, fps });
    try {
      const values = [];
      for (const k of [0, 1, 2]) values.push((await src.frameAt(k / 30)).readUInt16LE(0));
      expect(values[0]).toBe(65535);
      expect(Math.abs(values[1]! - 32767.5)).toBeLessThanOrEqual(1);
      expect(values[2]).toBe(0);
    } finally {
      src.close();
    }
  });

  it("frame k matches ffmpeg's own decode of frame k; holds the last frame; restarts backwards", async () => {
    const src = await MediaFrameSource.open({ path: pq, fps });
    try {
      expect([src.width, src.height, src.transfer, src.still]).toEqual([320, 180, "pq", false]);
      const seen = new Map<number, Buffer>();
      for (const k of [0, 1, 2, 5, 29, 30, 59]) {
        const frame = await src.frameAt(k / 30);
        expect(frame.length).toBe(320 * 180 * 6);
        expect(maxDiff16(frame, reference(pq, k)), `frame ${k}`).toBe(0);
        seen.set(k, frame);
      }
      expect(seen.get(1)!.equals(seen.get(2)!)).toBe(false); // the clip's frames differ
      expect(src.starts).toBe(1);
      // same frame again, and a time inside frame 59
      expect(await src.frameAt(59 / 30 + 0.01)).toBe(seen.get(59));
      // past the end: hold the last frame
      expect((await src.frameAt(2.5)).equals(seen.get(59)!)).toBe(true);
      expect((await src.frameAt(10)).equals(seen.get(59)!)).toBe(true);
      expect(src.starts).toBe(1);
      // backwards: restart at that frame
      const f10 = await src.frameAt(10 / 30);
      expect(src.starts).toBe(2);
      expect(maxDiff16(f10, reference(pq, 10))).toBe(0);
      expect(maxDiff16(await src.frameAt(11 / 30), reference(pq, 11))).toBe(0);
    } finally {
      src.close();
    }
    expect(await waitFor(() => ffmpegChildren().length === 0)).toBe(true);
  });

  it("mediaStart shifts local time; a first request past the end gives the last frame", async () => {
    const src = await MediaFrameSource.open({ path: pq, fps, mediaStart: 1 });
    try {
      expect(maxDiff16(await src.frameAt(0.5), reference(pq, 45))).toBe(0);
    } finally {
      src.close();
    }
    const late = await MediaFrameSource.open({ path: pq, fps });
    try {
      expect(maxDiff16(await late.frameAt(7), reference(pq, 59))).toBe(0);
    } finally {
      late.close();
    }
  });

  it("SDR clip uses the bt709 matrix", async () => {
    const src = await MediaFrameSource.open({ path: sdr, fps });
    try {
      expect(src.transfer).toBe("sdr");
      expect(maxDiff16(await src.frameAt(0.2), reference(sdr, 6, "bt709"))).toBe(0);
    } finally {
      src.close();
    }
  });

  it("toneMap: PQ / HLG → sRGB: 203 nits ≈ white, 1000 nits and 10000 nits white without wrapping, dark tones as without tone mapping", async () => {
    // flat grey columns (no chroma): PQ 0 / ≈ 10 nits / 203 nits / 1000 nits / 10000 nits, then HLG 75 %
    const w = 48;
    const h = 16;
    const pqYs = [64, 300, 573, 723, 940];
    const write = (name: string, ys: number[]): string => {
      const header = Buffer.from(`YUV4MPEG2 W${w} H${h} F30:1 Ip A1:1 C420p10 XYSCSS=420P10\n`);
      const yPlane = Buffer.alloc(w * h * 2);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) yPlane.writeUInt16LE(ys[Math.floor((x * ys.length) / w)], 2 * (y * w + x));
      const c = Buffer.alloc((w * h) / 2);
      for (let i = 0; i < c.length; i += 2) c.writeUInt16LE(512, i);
      const file = path.join(dir, name);
      writeFileSync(file, Buffer.concat([header, Buffer.from("FRAME\n"), yPlane, c, c]));
      return file;
    };
    const column = (frame: Buffer, i: number, n: number): number[] => {
      const x = Math.floor(((i + 0.5) * w) / n);
      return [0, 2, 4].map((o) => frame.readUInt16LE(6 * (8 * w + x) + o));
    };
    const pqFile = write("pq-grey.y4m", pqYs);
    const src = await MediaFrameSource.open({ path: pqFile, fps, transfer: "pq", toneMap: true });
    try {
      expect([src.transfer, src.sourceTransfer, src.toneMap]).toEqual(["srgb", "pq", true]);
      const f = await src.frameAt(0);
      const cols = pqYs.map((_, i) => column(f, i, pqYs.length));
      console.log("tone-mapped PQ Y 64 / 300 / 573 (203 nits) / 723 (1000 nits) / 940:", cols.map((c) => c[0]));
      for (const c of cols) expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1); // grey stays grey
      expect(cols[0][0]).toBe(0);
      // below the shoulder: what the compositor's own PQ → SDR maths gives
      const dark = tf.srgbEncode(tf.pqDecode((300 - 64) / 876) / 203) * 65535;
      expect(Math.abs(cols[1][0] - dark)).toBeLessThanOrEqual(64);
      expect(cols[2][0] >> 8).toBeGreaterThanOrEqual(235);
      expect(cols[2][0]).toBeLessThan(65535); // compressed, not clipped
      expect(cols[3][0]).toBeGreaterThanOrEqual(cols[2][0]);
      expect(cols[3][0] >> 8).toBeGreaterThanOrEqual(253);
      expect(cols[4][0]).toBe(65535); // beyond the peak: clipped, not wrapped
    } finally {
      src.close();
    }
    const hlgFile = write("hlg-grey.y4m", [64, 721]);
    const hlg = await MediaFrameSource.open({ path: hlgFile, fps, transfer: "hlg", toneMap: true });
    try {
      expect(hlg.transfer).toBe("srgb");
      const f = await hlg.frameAt(0);
      expect(column(f, 0, 2)[0]).toBe(0);
      expect(column(f, 1, 2)[0] >> 8).toBeGreaterThanOrEqual(235); // HLG 75 % = 203 nits
    } finally {
      hlg.close();
    }
  });

  it("toneMap on an SDR source: same frames, reported as srgb", async () => {
    const src = await MediaFrameSource.open({ path: sdr, fps, toneMap: true });
    try {
      expect([src.transfer, src.sourceTransfer]).toEqual(["srgb", "sdr"]);
      expect(maxDiff16(await src.frameAt(0.2), reference(sdr, 6, "bt709"))).toBe(0);
    } finally {
      src.close();
    }
  });

  it("a still image is decoded once and held", async () => {
    const png = path.join(dir, "still.png");
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=64x48,format=rgb48be", "-frames:v", "1", png]);
    const src = await MediaFrameSource.open({ path: png, fps, transfer: "pq" });
    try {
      expect(src.still).toBe(true);
      const a = await src.frameAt(0);
      const b = await src.frameAt(3.3);
      expect(b).toBe(a);
      expect(src.starts).toBe(1);
      expect(a.equals(ffmpeg(["-i", png, "-f", "rawvideo", "-pix_fmt", "rgb48le", "-"]))).toBe(true);
    } finally {
      src.close();
    }
  });

  it("close() mid-stream kills ffmpeg and fails later calls; undecodable files give a coded error", async () => {
    const src = await MediaFrameSource.open({ path: pq, fps, maxBuffered: 1 });
    await src.frameAt(0);
    expect(ffmpegChildren().length).toBe(1);
    src.close();
    expect(await waitFor(() => ffmpegChildren().length === 0)).toBe(true);
    await expect(src.frameAt(0.1)).rejects.toMatchObject({ code: "FLM_ERR_HDR_COMPOSITE_MEDIA_CLOSED" });
    const bad = path.join(dir, "bad.mp4");
    writeFileSync(bad, "this is not a video");
    await expect(MediaFrameSource.open({ path: bad, fps })).rejects.toMatchObject({ code: "FLM_ERR_HDR_COMPOSITE_MEDIA_DECODE", message: expect.stringContaining(bad) });
  });

  it("throughput at 1920x1080 (report)", async () => {
    const hd = path.join(dir, "hd.mp4");
    ffmpeg([
      "-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30:d=2", "-vf", "format=yuv420p10le", "-c:v", "libx265", "-preset", "ultrafast",
      "-x265-params", "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", hd,
    ]);
    const src = await MediaFrameSource.open({ path: hd, fps });
    try {
      await src.frameAt(0);
      const t0 = performance.now();
      for (let k = 1; k < 60; k++) await src.frameAt(k / 30);
      const s = (performance.now() - t0) / 1000;
      console.log(`MediaFrameSource 1920x1080 PQ HEVC -> rgb48le: ${(59 / s).toFixed(1)} frames/s`);
    } finally {
      src.close();
    }
  });
});

import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  findFfmpeg,
  findFfprobe,
  frameFileName,
  runProcess,
  type EncodeSettings,
  type Frame,
  type FrameEncoding,
  type FrameStream,
  type StageProgress,
} from "@frameloom/shared-helpers";
import { EncodeErrors } from "./errors.js";
import { runEncodeStage, stage, type EncodeStageInput } from "./encodeStage.js";

const W = 64;
const H = 48;
const ffmpeg = findFfmpeg();
const ffprobe = findFfprobe();
let dir: string;
let redJpeg: Buffer;
let halfPng: Buffer; // left half transparent, right half opaque red

const mp4: EncodeSettings = { format: "mp4", codec: "libx264", pixelFormat: "yuv420p", alpha: false, speed: "ultrafast", crf: 20 };
const webm: EncodeSettings = { format: "webm", codec: "libvpx-vp9", pixelFormat: "yuva420p", alpha: true, speed: "realtime", crf: 30 };
const mov: EncodeSettings = { format: "mov", codec: "prores_ks", pixelFormat: "yuva444p10le", alpha: true };
const gif: EncodeSettings = { format: "gif", codec: "gif", pixelFormat: "rgba", alpha: true };
const pngSeq: EncodeSettings = { format: "png-sequence", codec: "png", pixelFormat: "rgba", alpha: true };

function rgbaFrame(w: number, h: number, px: (x: number, y: number) => [number, number, number, number]): Buffer {
  const buf = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) buf.set(px(x, y), (y * w + x) * 4);
  return buf;
}

async function* stream(data: Buffer, encoding: FrameEncoding, from: number, count: number, delayMs = 0): AsyncGenerator<Frame> {
  for (let i = from; i < from + count; i++) {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    yield { index: i, encoding, data };
  }
}

function ctx(signal = new AbortController().signal) {
  const progress: StageProgress[] = [];
  const warnings: string[] = [];
  return { signal, progress: (p: StageProgress) => progress.push(p), warn: (m: string) => warnings.push(m), progressLog: progress, warnings };
}

function input(over: Partial<EncodeStageInput> & Pick<EncodeStageInput, "outputPath" | "settings">): EncodeStageInput {
  return { composition: { width: W, height: H, fps: { num: 30, den: 1 } }, range: { from: 0, to: 4 }, ...over };
}

async function probe(file: string): Promise<Record<string, string | number>> {
  const r = await runProcess(ffprobe, ["-v", "error", "-count_frames", "-show_streams", "-of", "json", file]);
  const json = JSON.parse(r.stdout.toString()) as { streams: Record<string, string | number>[] };
  return json.streams.find((s) => s.codec_type === "video") as Record<string, string | number>;
}

async function decodeRgba(file: string, decoder: string[] = []): Promise<Buffer> {
  const r = await runProcess(ffmpeg, ["-v", "error", ...decoder, "-i", file, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgba", "-"]);
  return r.stdout;
}

const pixel = (buf: Buffer, x: number, y: number, w = W) => [...buf.subarray((y * w + x) * 4, (y * w + x) * 4 + 4)];

function pidAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "frameloom-encode-test-"));
  redJpeg = (
    await runProcess(ffmpeg, ["-v", "error", "-f", "lavfi", "-i", `color=red:s=${W}x${H}`, "-frames:v", "1", "-q:v", "2", "-f", "image2pipe", "-c:v", "mjpeg", "-"])
  ).stdout;
  const raw = rgbaFrame(W, H, (x) => (x < W / 2 ? [0, 0, 0, 0] : [255, 0, 0, 255]));
  halfPng = (
    await runProcess(ffmpeg, ["-v", "error", "-f", "rawvideo", "-pix_fmt", "rgba", "-s", `${W}x${H}`, "-i", "-", "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"], { input: raw })
  ).stdout;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("mp4 (libx264)", () => {
  it("encodes a JPEG stream: h264 yuv420p, BT.709 tags, exact frames, 30000/1001, faststart, red stays red", async () => {
    const out = path.join(dir, "jpeg.mp4.tmp");
    const c = ctx();
    const res = await runEncodeStage(
      input({ outputPath: out, settings: mp4, frames: stream(redJpeg, "jpeg", 0, 12), range: { from: 0, to: 12 }, composition: { width: W, height: H, fps: { num: 30000, den: 1001 } } }),
      c,
    );
    expect(res).toMatchObject({ outputPath: out, frames: 12 });
    expect(res.encodeMs).toBeGreaterThan(0);
    const s = await probe(out);
    expect(s).toMatchObject({
      codec_name: "h264", pix_fmt: "yuv420p", width: W, height: H, nb_read_frames: "12", r_frame_rate: "30000/1001",
      color_space: "bt709", color_primaries: "bt709", color_transfer: "bt709", color_range: "tv",
    });
    const bytes = readFileSync(out);
    expect(bytes.indexOf("moov")).toBeGreaterThan(0);
    expect(bytes.indexOf("moov")).toBeLessThan(bytes.indexOf("mdat"));
    const [r, g, b] = pixel(await decodeRgba(out), 10, 10);
    expect(r).toBeGreaterThanOrEqual(248);
    expect(g).toBeLessThanOrEqual(6);
    expect(b).toBeLessThanOrEqual(6);
    expect(c.progressLog.at(-1)).toEqual({ framesDone: 12, totalFrames: 12 });
    expect(c.progressLog.length).toBeGreaterThanOrEqual(2);
  });

  it("a JPEG frame repeating the previous one (the same Buffer, or equal bytes) is left to ffmpeg to repeat: the output equals sending every frame", async () => {
    const colours = ["red", "lime", "blue"];
    const pictures = await Promise.all(
      colours.map(async (c) => (await runProcess(ffmpeg, ["-v", "error", "-f", "lavfi", "-i", `color=${c}:s=${W}x${H}`, "-frames:v", "1", "-q:v", "2", "-f", "image2pipe", "-c:v", "mjpeg", "-"])).stdout),
    );
    // Holds of one, two and four frames, a hold at the very end, and a picture coming back.
    const order = [0, 0, 1, 2, 2, 2, 2, 0, 1, 1, 2, 2];
    /** The same picture in other bytes: a JPEG comment (COM segment) right after SOI naming the frame. */
    const unique = (jpeg: Buffer, i: number) => {
      const text = Buffer.from(`frame ${i}`);
      const com = Buffer.from([0xff, 0xfe, 0, text.length + 2]);
      return Buffer.concat([jpeg.subarray(0, 2), com, text, jpeg.subarray(2)]);
    };
    type Bytes = "shared" | "copied" | "unique";
    async function* frames(bytes: Bytes): AsyncGenerator<Frame> {
      for (const [i, p] of order.entries()) {
        const data = bytes === "shared" ? pictures[p]! : bytes === "copied" ? Buffer.from(pictures[p]!) : unique(pictures[p]!, i);
        yield { index: i, encoding: "jpeg", data };
      }
    }
    const md5s = async (file: string) =>
      (await runProcess(ffmpeg, ["-v", "error", "-i", file, "-f", "framemd5", "-pix_fmt", "rgb24", "-"])).stdout.toString().split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(",").at(-1)!.trim());
    const range = { from: 0, to: order.length };
    const run = async (bytes: Bytes) => {
      const file = path.join(dir, `repeat-${bytes}.mp4`);
      return { file, result: await runEncodeStage(input({ outputPath: file, settings: mp4, frames: frames(bytes), range }), ctx()) };
    };
    const sharedRun = await run("shared");
    const copiedRun = await run("copied");
    const uniqueRun = await run("unique");
    // Repeats at positions 1, 4-6 and 9; the hold at the end still sends its last frame.
    expect(sharedRun.result.framesRepeated).toBe(5);
    expect(copiedRun.result.framesRepeated).toBe(5);
    expect(uniqueRun.result.framesRepeated).toBe(0);
    const [a, b, every] = await Promise.all([md5s(sharedRun.file), md5s(copiedRun.file), md5s(uniqueRun.file)]);
    expect(every).toHaveLength(order.length);
    expect(a).toEqual(every);
    expect(b).toEqual(every);
    const shared = sharedRun.file;
    // And the pictures are where the order puts them: each hold repeats its own picture.
    const red = 0, lime = 1, blue = 2;
    const decoded = await Promise.all(order.map((_, i) => runProcess(ffmpeg, ["-v", "error", "-i", shared, "-vf", `select=eq(n\\,${i})`, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])));
    const dominant = decoded.map((r) => { const px = [...r.stdout.subarray(0, 3)]; return px.indexOf(Math.max(...px)); });
    expect(dominant).toEqual(order.map((p) => [red, lime, blue][p]));
  });

  it("uses the BT.709 matrix and limited range for RGB input (pure red → Y≈63, decodes ≈255,0,0); odd sizes pad to even", async () => {
    const out = path.join(dir, "rgba.mp4");
    const w = 65;
    const h = 49;
    const red = rgbaFrame(w, h, () => [255, 0, 0, 255]);
    await runEncodeStage(
      input({ outputPath: out, settings: { ...mp4, crf: 10 }, frames: stream(red, "rgba", 0, 3), range: { from: 0, to: 3 }, composition: { width: w, height: h, fps: { num: 30, den: 1 } } }),
      ctx(),
    );
    const s = await probe(out);
    expect(s).toMatchObject({ width: 66, height: 50, nb_read_frames: "3" });
    const yuv = (await runProcess(ffmpeg, ["-v", "error", "-i", out, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])).stdout;
    // BT.709 limited: Y = 16 + 219·0.2126 = 62.6, Cr = 240 (BT.601 would give Y = 81).
    expect(Math.abs((yuv[66 * 10 + 10] as number) - 63)).toBeLessThanOrEqual(2);
    const [r, g, b] = pixel(await decodeRgba(out, []), 10, 10, 66);
    expect(r).toBeGreaterThanOrEqual(252);
    expect(g).toBeLessThanOrEqual(3);
    expect(b).toBeLessThanOrEqual(3);
  });

  it("disk route from range.from = 10 gives the same frame count, and muxes audio", async () => {
    const framesDir = path.join(dir, "disk");
    await mkdir(framesDir);
    for (let i = 10; i < 16; i++) await writeFile(path.join(framesDir, frameFileName(i, "jpeg")), redJpeg);
    const audio = path.join(dir, "tone.m4a");
    await runProcess(ffmpeg, ["-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=1", "-c:a", "aac", audio]);
    const out = path.join(dir, "disk.mp4");
    const c = ctx();
    const res = await runEncodeStage(
      input({
        outputPath: out, settings: mp4, range: { from: 10, to: 16 }, audioPath: audio,
        framesOnDisk: { dir: framesDir, encoding: "jpeg", pattern: "frame_%06d.jpg", range: { from: 10, to: 16 } },
      }),
      c,
    );
    expect(res.frames).toBe(6);
    expect(await probe(out)).toMatchObject({ codec_name: "h264", nb_read_frames: "6" });
    const all = JSON.parse((await runProcess(ffprobe, ["-v", "error", "-show_streams", "-of", "json", out])).stdout.toString()) as { streams: { codec_name: string }[] };
    expect(all.streams.map((s) => s.codec_name)).toEqual(["h264", "aac"]);
    expect(c.progressLog.at(-1)?.framesDone).toBe(6);
  });
});

describe("alpha formats", () => {
  it("webm (vp9 yuva420p) keeps alpha", async () => {
    const out = path.join(dir, "alpha.webm");
    await runEncodeStage(input({ outputPath: out, settings: webm, frames: stream(halfPng, "png", 0, 4) }), ctx());
    const s = await probe(out);
    expect(s).toMatchObject({ codec_name: "vp9", width: W, height: H, nb_read_frames: "4" });
    const px = await decodeRgba(out, ["-c:v", "libvpx-vp9"]);
    expect(pixel(px, 4, 20)[3]).toBeLessThan(10);
    expect(pixel(px, 56, 20)[3]).toBeGreaterThan(245);
    expect(pixel(px, 56, 20)[0]).toBeGreaterThan(240);
  });

  it("mov (prores 4444, yuva444p10le) keeps alpha", async () => {
    const out = path.join(dir, "alpha.mov");
    await runEncodeStage(input({ outputPath: out, settings: mov, frames: stream(halfPng, "png", 0, 4) }), ctx());
    const s = await probe(out);
    expect(s).toMatchObject({ codec_name: "prores", width: W, height: H, nb_read_frames: "4" });
    expect(String(s.pix_fmt)).toMatch(/^yuva444p1[02]le$/); // the prores decoder reports 12-bit for 4444
    expect(String(s.profile)).toMatch(/4444/);
    const px = await decodeRgba(out);
    expect(pixel(px, 4, 20)[3]).toBeLessThan(10);
    expect(pixel(px, 56, 20)[3]).toBeGreaterThan(245);
  });
});

describe("gif and png-sequence", () => {
  it("gif from PNG frames", async () => {
    const out = path.join(dir, "anim.gif");
    await runEncodeStage(input({ outputPath: out, settings: gif, frames: stream(halfPng, "png", 0, 5), range: { from: 0, to: 5 } }), ctx());
    expect(await probe(out)).toMatchObject({ codec_name: "gif", width: W, height: H, nb_read_frames: "5" });
  });

  it("png-sequence writes PNG frames as-is, 1-based by position in the range", async () => {
    const out = path.join(dir, "seq-png");
    const c = ctx();
    const res = await runEncodeStage(input({ outputPath: out, settings: pngSeq, frames: stream(halfPng, "png", 7, 3), range: { from: 7, to: 10 }, audioPath: "/nope.m4a" }), c);
    expect(res.frames).toBe(3);
    expect(readdirSync(out).sort()).toEqual(["frame_000001.png", "frame_000002.png", "frame_000003.png"]);
    expect(readFileSync(path.join(out, "frame_000002.png")).equals(halfPng)).toBe(true);
    expect(c.warnings.join()).toMatch(/no audio/);
  });

  it("png-sequence converts JPEG frames through ffmpeg to RGBA PNGs", async () => {
    const out = path.join(dir, "seq-jpeg");
    await runEncodeStage(input({ outputPath: out, settings: pngSeq, frames: stream(redJpeg, "jpeg", 0, 4) }), ctx());
    expect(readdirSync(out).sort()).toEqual(["frame_000001.png", "frame_000002.png", "frame_000003.png", "frame_000004.png"]);
    expect(await probe(path.join(out, "frame_000004.png"))).toMatchObject({ codec_name: "png", pix_fmt: "rgba", width: W, height: H });
  });
});

describe("HEVC 10-bit HDR", () => {
  it("encodes yuv420p10le frames with PQ tags and HDR10 mastering metadata", async () => {
    const pixels = W * H;
    const frame = Buffer.alloc((pixels + 2 * (W / 2) * (H / 2)) * 2);
    for (let i = 0; i < pixels; i++) frame.writeUInt16LE(573, i * 2); // PQ 203-nit white, limited range
    for (let i = pixels; i < frame.length / 2; i++) frame.writeUInt16LE(512, i * 2);
    const out = path.join(dir, "hdr.mp4");
    const settings: EncodeSettings = {
      format: "mp4", codec: "libx265", pixelFormat: "yuv420p10le", alpha: false, speed: "ultrafast", crf: 20,
      colour: { primaries: "bt2020", transfer: "smpte2084", matrix: "bt2020nc", range: "tv" },
      codecParams: "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400",
    };
    await runEncodeStage(input({ outputPath: out, settings, frames: stream(frame, "yuv420p10le", 0, 3), range: { from: 0, to: 3 } }), ctx());
    expect(await probe(out)).toMatchObject({
      codec_name: "hevc", codec_tag_string: "hvc1", pix_fmt: "yuv420p10le", color_transfer: "smpte2084",
      color_primaries: "bt2020", color_space: "bt2020nc", nb_read_frames: "3",
    });
    const frames = await runProcess(ffprobe, ["-v", "error", "-show_frames", "-read_intervals", "%+#1", out]);
    expect(frames.stdout.toString()).toContain("Mastering display metadata");
    expect(frames.stdout.toString()).toContain("Content light level metadata");
    const y = (await runProcess(ffmpeg, ["-v", "error", "-i", out, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p10le", "-"])).stdout;
    expect(Math.abs(y.readUInt16LE((10 * W + 10) * 2) - 573)).toBeLessThanOrEqual(4);
  });
});

describe("failures", () => {
  it("ffmpeg killed mid-stream → FFMPEG_FAILED with stderr tail, no output, no process", async () => {
    const out = path.join(dir, "killed.mp4");
    let child: ChildProcess | undefined;
    let stderr = "";
    async function* killing(): AsyncGenerator<Frame> {
      for (let i = 0; i < 200; i++) {
        if (i === 40) process.kill(child?.pid as number, "SIGKILL");
        await new Promise((r) => setTimeout(r, 15));
        yield { index: i, encoding: "jpeg", data: redJpeg };
      }
    }
    const err = await runEncodeStage(
      input({
        outputPath: out, settings: mp4, frames: killing(), range: { from: 0, to: 200 },
        onSpawn: (c) => {
          child = c;
          c.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        },
      }),
      ctx(),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: EncodeErrors.FFMPEG_FAILED });
    const message = (err as Error).message;
    expect(message).toMatch(/killed by SIGKILL/);
    const lastLine = stderr.trim().split("\n").at(-1) ?? "";
    expect(lastLine.length).toBeGreaterThan(0);
    expect(message).toContain(lastLine);
    expect(existsSync(out)).toBe(false);
    expect(pidAlive(child?.pid)).toBe(false);
  });

  it("ffmpeg exiting early (bad option) → FFMPEG_FAILED whose message holds ffmpeg's own error", async () => {
    const out = path.join(dir, "bad.mp4");
    const err = await runEncodeStage(
      input({ outputPath: out, settings: { ...mp4, extraArgs: ["-no_such_option", "1"] }, frames: stream(redJpeg, "jpeg", 0, 50), range: { from: 0, to: 50 } }),
      ctx(),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: EncodeErrors.FFMPEG_FAILED });
    expect((err as Error).message).toMatch(/no_such_option/);
    expect(existsSync(out)).toBe(false);
  });

  it("abort → rejects promptly with FLM_ERR_ABORTED, no process, no output", async () => {
    const out = path.join(dir, "aborted.mp4");
    const ac = new AbortController();
    let child: ChildProcess | undefined;
    setTimeout(() => ac.abort(), 300);
    const started = Date.now();
    const err = await runEncodeStage(
      input({ outputPath: out, settings: mp4, frames: stream(redJpeg, "jpeg", 0, 1000, 20), range: { from: 0, to: 1000 }, onSpawn: (c) => (child = c) }),
      ctx(ac.signal),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "FLM_ERR_ABORTED" });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(child).toBeDefined();
    expect(pidAlive(child?.pid)).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it("unwritable output path → OUTPUT_UNWRITABLE naming the path", async () => {
    const err = await runEncodeStage(input({ outputPath: "/proc/nope/out.mp4", settings: mp4, frames: stream(redJpeg, "jpeg", 0, 4) }), ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: EncodeErrors.OUTPUT_UNWRITABLE });
    expect((err as Error).message).toContain("/proc/nope/out.mp4");
  });

  it("out-of-order frame → FRAME_OUT_OF_ORDER naming the frame, no output", async () => {
    const out = path.join(dir, "order.mp4");
    async function* gap(): AsyncGenerator<Frame> {
      for (const index of [0, 1, 3, 2]) yield { index, encoding: "jpeg", data: redJpeg };
    }
    const err = await runEncodeStage(input({ outputPath: out, settings: mp4, frames: gap() }), ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: EncodeErrors.FRAME_OUT_OF_ORDER });
    expect((err as Error).message).toMatch(/frame 3 arrived where frame 2 was expected/);
    expect(existsSync(out)).toBe(false);
  });

  it("short stream → FRAME_MISSING; missing disk file → FRAME_MISSING naming it", async () => {
    const out = path.join(dir, "short.mp4");
    const err = await runEncodeStage(input({ outputPath: out, settings: mp4, frames: stream(redJpeg, "jpeg", 0, 2) }), ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: EncodeErrors.FRAME_MISSING });
    expect(existsSync(out)).toBe(false);
    const empty = path.join(dir, "empty");
    await mkdir(empty);
    const err2 = await runEncodeStage(
      input({ outputPath: out, settings: mp4, framesOnDisk: { dir: empty, encoding: "jpeg", pattern: "frame_%06d.jpg", range: { from: 0, to: 4 } } }),
      ctx(),
    ).catch((e: unknown) => e);
    expect(err2).toMatchObject({ code: EncodeErrors.FRAME_MISSING });
    expect((err2 as Error).message).toContain("frame 0");
  });

  it("refuses both or neither frame source", async () => {
    const err = await runEncodeStage(input({ outputPath: path.join(dir, "x.mp4"), settings: mp4 }), ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: EncodeErrors.INPUT_INVALID });
  });
});

describe("kernel adapter", () => {
  it("stage.run maps plan/frames and returns { encoded }", async () => {
    expect(stage.meta).toMatchObject({
      name: "encode",
      kernel: "^2.0.0",
      needs: { plan: "RenderPlan", frames: "Frames", outputPath: "OutputPath" },
      optional: { audio: "AudioTrack" },
      provides: { encoded: "EncodedOutput" },
      yieldsToProducer: true,
    });
    const out = path.join(dir, "stage.mp4");
    const c = ctx();
    const frames: FrameStream = stream(redJpeg, "jpeg", 0, 3);
    const result = await stage.run(
      {
        plan: { composition: { width: W, height: H, fps: { num: 30, den: 1 } }, output: { preset: "standard", encode: mp4, capture: {} } } as never,
        frames: { kind: "stream", range: { from: 0, to: 3 }, frames },
        outputPath: out,
      },
      { ...c, config: {} as never, workDir: dir },
    );
    expect(result.encoded).toMatchObject({ outputPath: out, frames: 3 });
    expect(await probe(out)).toMatchObject({ nb_read_frames: "3" });
  });
});

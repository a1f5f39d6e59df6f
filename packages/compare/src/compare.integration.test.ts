// compare() on real files made with ffmpeg: the issue's "prove it" cases.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFrameloomError } from "@frameloom/shared-helpers";
import { compare } from "./compare.js";
import { CompareErrors } from "./errors.js";
import { formatCompareReport } from "./report.js";

const run = promisify(execFile);
const ffmpeg = (...args: string[]) => run("ffmpeg", ["-v", "error", "-y", ...args]);

// Irregular 880 Hz bursts (seconds), so an envelope has a shape to match.
const BURSTS = "between(T,0.3,0.45)+between(T,0.9,1.0)+between(T,1.7,1.95)+between(T,2.4,2.5)+between(T,3.1,3.4)";
const beeps = (shift: number) => `aevalsrc='0.5*sin(2*PI*880*t)*(${BURSTS.replaceAll("T", `(t-${shift})`)})':s=48000:d=4`;

let dir: string;
const f = (name: string) => path.join(dir, name);

async function video(name: string, vf = "null", audio?: string): Promise<void> {
  const inputs = ["-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=3"];
  if (audio) inputs.push("-f", "lavfi", "-i", audio);
  await ffmpeg(...inputs, "-vf", vf, "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p", ...(audio ? ["-c:a", "aac", "-shortest"] : []), f(name));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "compare-test-"));
  await Promise.all([
    video("a.mp4"),
    // Left half black from 1.5 s (frame 45) on.
    video("half-black.mp4", "drawbox=x=0:y=0:w=iw/2:h=ih:color=black:t=fill:enable='gte(t,1.5)'"),
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=3", "-frames:v", "89", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p", f("short.mp4")),
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=3", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", f("big.mp4")),
    (async () => {
      const still = ["-f", "lavfi", "-i", "color=c=#204060:s=160x90:r=30:d=4"];
      const enc = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k", "-shortest"];
      await Promise.all([
        ffmpeg(...still, "-f", "lavfi", "-i", beeps(0), ...enc, f("beeps.mp4")),
        ffmpeg(...still, "-f", "lavfi", "-i", beeps(0.2), ...enc, f("beeps-200ms.mp4")),
        ffmpeg(...still, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", f("silent.mp4")),
      ]);
    })(),
    // 10-bit lossless: Y 500 vs 502, one 8-bit code apart at most after truncation.
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=64x64:r=30:d=1", "-vf", "format=yuv420p10le,lutyuv=y=500:u=512:v=512", "-c:v", "ffv1", f("y500.mkv")),
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=64x64:r=30:d=1", "-vf", "format=yuv420p10le,lutyuv=y=502:u=512:v=512", "-c:v", "ffv1", f("y502.mkv")),
    (async () => {
      mkdirSync(f("seq-a"));
      await ffmpeg("-f", "lavfi", "-i", "testsrc2=s=96x54:r=30:d=0.2", "-pix_fmt", "rgba", "-start_number", "1", path.join(f("seq-a"), "frame_%06d.png"));
    })(),
  ]);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("compare: video", () => {
  it("a video against itself passes, every checkpoint identical", async () => {
    const r = await compare(f("a.mp4"), f("a.mp4"));
    expect(r.pass).toBe(true);
    expect(r.failures).toEqual([]);
    expect(r.video!.checkpoints).toHaveLength(100);
    expect(r.video!.checkpoints.every((c) => c.psnr === Infinity)).toBe(true);
    expect(r.a).toMatchObject({ kind: "video", width: 320, height: 180, frames: 90, fps: "30/1", bitDepth: 8 });
    expect(r.audio).toMatchObject({ present: "none", pass: true });
  });

  it("half the frame blacked out from 1.5 s fails, naming the first failing checkpoint (frame 45)", async () => {
    const r = await compare(f("a.mp4"), f("half-black.mp4"), { diffDir: f("diffs"), diffCount: 3 });
    expect(r.pass).toBe(false);
    const first = r.video!.firstFailure!;
    expect(first.frame).toBe(45);
    expect(first.index).toBe(50);
    // Every checkpoint before 1.5 s still passes, every one after fails.
    for (const c of r.video!.checkpoints) expect(c.pass, `checkpoint ${c.index} frame ${c.frame}`).toBe(c.frame < 45);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatch(/50 of 100 checkpoints below 30 dB .*first at checkpoint 50, frame 45, t=1\.483 s/);
    expect(r.diffImages).toHaveLength(3);
    expect(readdirSync(f("diffs")).sort()).toEqual(r.diffImages.map((p) => path.basename(p)).sort());
    // a | b | diff: three panels side by side.
    const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", r.diffImages[0]!]);
    expect(stdout.trim()).toBe("960,180");
    const report = formatCompareReport(r);
    expect(report.split("\n")[0]).toMatch(/^FAIL/);
    expect(report).toContain("first at checkpoint 50, frame 45");
  });

  it("--max-frame-failures lets that many checkpoints fail, no more", async () => {
    expect((await compare(f("a.mp4"), f("half-black.mp4"), { maxFrameFailures: 50 })).pass).toBe(true);
    expect((await compare(f("a.mp4"), f("half-black.mp4"), { maxFrameFailures: 49 })).pass).toBe(false);
  });

  it("different frame counts fail with both counts in the message", async () => {
    const r = await compare(f("a.mp4"), f("short.mp4"));
    expect(r.pass).toBe(false);
    expect(r.failures).toContain("frame count: a has 90 frames, b has 89");
  });

  it("different resolutions fail without a PSNR pass", async () => {
    const r = await compare(f("a.mp4"), f("big.mp4"));
    expect(r.failures).toContain("resolution: a is 320×180, b is 640×360");
    expect(r.video).toBeNull();
  });

  it("HDR-depth sources are compared in 10-bit: Y 500 vs 502 is not identical", async () => {
    const r = await compare(f("y500.mkv"), f("y502.mkv"));
    expect(r.video!.bitDepth).toBe(10);
    const psnr = r.video!.minPsnr;
    // MSE over Y (4096 px, d=2) and U, V (1024 px each, d=0): 4·4096/6144 = 2.667 → 10·log10(1023²/2.667).
    expect(psnr).toBeCloseTo(10 * Math.log10((1023 * 1023) / (8 / 3)), 1);
  });
});

describe("compare: audio", () => {
  it("audio shifted by 200 ms passes inside the lag window (±5) and fails outside it (±1)", async () => {
    const inside = await compare(f("beeps.mp4"), f("beeps-200ms.mp4"), { maxAudioLagWindows: 5 });
    expect(inside.audio).toMatchObject({ present: "both", pass: true, lagWindows: 3 });
    expect(inside.pass).toBe(true);
    const outside = await compare(f("beeps.mp4"), f("beeps-200ms.mp4"), { maxAudioLagWindows: 1 });
    expect(outside.pass).toBe(false);
    expect(outside.audio!.correlation).toBeLessThan(0.9);
    expect(outside.failures.join("\n")).toMatch(/audio: correlation .* below 0\.9 .*searched ±1/);
  });

  it("audio on one side only fails", async () => {
    const r = await compare(f("beeps.mp4"), f("silent.mp4"));
    expect(r.audio).toMatchObject({ present: "a-only", pass: false });
    expect(r.failures).toContain("audio: only a has an audio stream");
  });
});

describe("compare: png sequences", () => {
  it("identical directories pass file by file; a changed file fails by name; a missing one by count", async () => {
    const same = await compare(f("seq-a"), f("seq-a"));
    expect(same.pass).toBe(true);
    expect(same.a).toMatchObject({ kind: "png-sequence", frames: 6, width: 96, height: 54, hasAlpha: true });
    expect(same.video!.checkpoints.map((c) => c.file)).toEqual(readdirSync(f("seq-a")).sort());

    cpSync(f("seq-a"), f("seq-b"), { recursive: true });
    await ffmpeg("-f", "lavfi", "-i", "color=c=red:s=96x54", "-frames:v", "1", "-pix_fmt", "rgba", path.join(f("seq-b"), "frame_000004.png"));
    const changed = await compare(f("seq-a"), f("seq-b"));
    expect(changed.pass).toBe(false);
    expect(changed.video!.failedCheckpoints).toBe(1);
    expect(changed.failures[0]).toMatch(/1 of 6 files below 30 dB .*first at file frame_000004\.png/);

    rmSync(path.join(f("seq-b"), "frame_000006.png"));
    const missing = await compare(f("seq-a"), f("seq-b"));
    expect(missing.failures).toContain("frame count: a has 6 frames, b has 5");
    expect(missing.failures).toContain("files: only in a: frame_000006.png; only in b: none");
  });
});

describe("compare: bad input", () => {
  const codeOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return "resolved";
    } catch (error) {
      return isFrameloomError(error) ? `${error.code}: ${error.message}` : String(error);
    }
  };
  it("a missing file, a text file, an empty directory and bad thresholds get coded errors naming them", async () => {
    writeFileSync(f("notes.mp4"), "not a video");
    mkdirSync(f("empty"), { recursive: true });
    expect(await codeOf(compare(f("a.mp4"), f("nope.mp4")))).toMatch(new RegExp(`^${CompareErrors.INPUT_MISSING}: b ".*nope\\.mp4" does not exist`));
    expect(await codeOf(compare(f("notes.mp4"), f("a.mp4")))).toMatch(new RegExp(`^${CompareErrors.INPUT_UNREADABLE}: a ".*notes\\.mp4" is not a readable video`));
    expect(await codeOf(compare(f("empty"), f("a.mp4")))).toMatch(new RegExp(`^${CompareErrors.INPUT_UNREADABLE}: a ".*empty" is a directory with no \\.png files`));
    expect(await codeOf(compare(f("a.mp4"), f("a.mp4"), { minPsnr: NaN }))).toMatch(/FLM_ERR_COMPARE_OPTION_INVALID: minPsnr \(--min-psnr\): expected a number of dB ≥ 0, got NaN/);
    expect(await codeOf(compare(f("a.mp4"), f("a.mp4"), { checkpoints: 0 }))).toMatch(/checkpoints \(--checkpoints\): expected an integer ≥ 1, got 0/);
  });
});

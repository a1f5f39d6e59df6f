import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFfmpeg, runProcess, type EncodeSettings } from "@frameloom/shared-helpers";
import { startFfmpeg } from "./ffmpegProcess.js";
import { verifyOutput } from "./verifyOutput.js";

const mp4: EncodeSettings = { format: "mp4", codec: "libx264", pixelFormat: "yuv420p", alpha: false };
const webm: EncodeSettings = { format: "webm", codec: "libvpx-vp9", pixelFormat: "yuva420p", alpha: true };
const pngSeq: EncodeSettings = { format: "png-sequence", codec: "png", pixelFormat: "rgba", alpha: true };
const signal = new AbortController().signal;
let dir: string;
let h264: string;
let vp9: string;

async function make(file: string, codec: string[], audio = false): Promise<void> {
  await runProcess(findFfmpeg(), [
    "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=64x48:r=30:d=0.5",
    ...(audio ? ["-f", "lavfi", "-i", "sine=d=0.5", "-map", "0:v", "-map", "1:a", "-t", "0.5"] : []),
    ...codec, file,
  ]);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "flm-verify-"));
  h264 = path.join(dir, "a.mp4");
  vp9 = path.join(dir, "a.webm");
  await make(h264, ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]);
  await make(vp9, ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-auto-alt-ref", "0"]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const check = (outputPath: string, settings: EncodeSettings, frames: number, hasAudio = false) =>
  verifyOutput({ outputPath, settings, frames, hasAudio, signal });
const invalid = (part: string) => ({ code: "FLM_ERR_ENCODE_OUTPUT_INVALID", message: expect.stringContaining(part) });

describe("verifyOutput", () => {
  it("accepts a file with the expected container, codec and frame count (header for mp4, packets for webm)", async () => {
    await expect(check(h264, mp4, 15)).resolves.toBeUndefined();
    await expect(check(vp9, webm, 15)).resolves.toBeUndefined();
  });

  it("refuses a wrong frame count, container, codec or a missing audio track", async () => {
    await expect(check(h264, mp4, 16)).rejects.toMatchObject(invalid("holds 15 video frames, not 16"));
    await expect(check(vp9, webm, 14)).rejects.toMatchObject(invalid("not 14"));
    await expect(check(h264, webm, 15)).rejects.toMatchObject(invalid("not webm"));
    await expect(check(h264, { ...mp4, codec: "libx265" }, 15)).rejects.toMatchObject(invalid("is h264, not hevc"));
    await expect(check(h264, mp4, 15, true)).rejects.toMatchObject(invalid("audio track is missing"));
  });

  it("refuses a truncated MP4 (no moov atom) on one line", async () => {
    const plain = path.join(dir, "plain.mp4");
    await make(plain, ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]);
    const truncated = path.join(dir, "truncated.mp4");
    const bytes = readFileSync(plain);
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const error = await check(truncated, mp4, 15).catch((e: Error) => e);
    expect(error).toMatchObject(invalid("ffprobe cannot read it"));
    expect((error as Error).message).not.toContain("\n");
  });

  it("png-sequence: every numbered file present and non-empty", async () => {
    const seq = path.join(dir, "seq");
    await mkdir(seq);
    await writeFile(path.join(seq, "frame_000001.png"), "x");
    await writeFile(path.join(seq, "frame_000002.png"), "");
    await expect(check(seq, pngSeq, 1)).resolves.toBeUndefined();
    await expect(check(seq, pngSeq, 2)).rejects.toMatchObject(invalid("frame_000002.png is empty"));
    await expect(check(seq, pngSeq, 3)).rejects.toMatchObject(invalid("frame_000002.png is empty"));
  });
});

describe("ffmpeg's exit code is not trusted", () => {
  // A stand-in that prints what ffmpeg 5.1 prints on a full disk and exits 0 (the real ENOSPC is
  // proven end to end on a tmpfs in test/outputs.e2e.test.ts).
  const fake = (stderr: string) =>
    startFfmpeg("/bin/sh", ["-c", `cat >/dev/null; printf '%s\\n' "${stderr}" >&2; exit 0`], { signal: new AbortController().signal });

  it("exit 0 after 'No space left on device' is FLM_ERR_ENCODE_DISK_FULL", async () => {
    const proc = fake("[mp4 @ 0x1] Error writing trailer of /o/.x.partial.mp4: No space left on device");
    await expect(proc.finish()).rejects.toMatchObject({ code: "FLM_ERR_ENCODE_DISK_FULL", message: expect.stringContaining("No space left on device") });
  });

  it("exit 0 after any other failed trailer is FLM_ERR_ENCODE_FFMPEG_FAILED", async () => {
    const proc = fake("Error writing trailer of /o/x.mp4: Input/output error");
    await expect(proc.finish()).rejects.toMatchObject({ code: "FLM_ERR_ENCODE_FFMPEG_FAILED", message: expect.stringContaining("Input/output error") });
  });
});

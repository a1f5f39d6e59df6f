// runAudioStage with real ffprobe/ffmpeg: skip conditions, dropped tracks and their warnings, errors.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MediaSource } from "@frameloom/shared-helpers";
import { AudioErrors } from "./errors.js";
import { runAudioStage, type AudioContext } from "./audioStage.js";

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "flm-audio-"));
  await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=1000:duration=1", path.join(dir, "tone.wav")]);
  await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=16x16:r=10:d=1", "-c:v", "libx264", "-preset", "ultrafast", path.join(dir, "silent.mp4")]);
  await writeFile(path.join(dir, "junk.mp4"), "not a video");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function context(format = "mp4"): AudioContext & { warnings: string[] } {
  const warnings: string[] = [];
  return { signal: new AbortController().signal, workDir: dir, warn: (m) => warnings.push(m), warnings, config: { encode: { format } as never } };
}

const source = (over: Partial<MediaSource>): MediaSource => ({
  kind: "audio", path: path.join(dir, "tone.wav"), id: "a", start: 0, duration: null, mediaStart: 0, hasAudio: true, ...over,
});
const input = (media: MediaSource[]) => ({ composition: { fps: { num: 30, den: 1 }, durationSec: 2, media }, range: { from: 0, to: 60 } });

describe("runAudioStage", () => {
  it("returns null without ffmpeg when nothing sounds, and for gif / png-sequence", async () => {
    expect((await runAudioStage(input([source({ hasAudio: false }), source({ kind: "image", hasAudio: undefined })]), context())).audio).toBeNull();
    expect((await runAudioStage(input([source({})]), context("gif"))).audio).toBeNull();
    expect((await runAudioStage(input([source({})]), context("png-sequence"))).audio).toBeNull();
  });

  it("drops a video without an audio stream silently, an <audio> without one with a warning", async () => {
    const ctx = context();
    const result = await runAudioStage(input([source({ kind: "video", path: path.join(dir, "silent.mp4") }), source({ id: "x", path: path.join(dir, "silent.mp4") })]), ctx);
    expect(result.audio).toBeNull();
    expect(ctx.warnings).toEqual([expect.stringContaining('<audio id="x">')]);
  });

  it("fails on an unreadable video, warns and drops an unreadable <audio>", async () => {
    const ctx = context();
    expect((await runAudioStage(input([source({ path: path.join(dir, "junk.mp4") })]), ctx)).audio).toBeNull();
    expect(ctx.warnings[0]).toContain("cannot be read");
    await expect(runAudioStage(input([source({ kind: "video", path: path.join(dir, "junk.mp4") })]), context())).rejects.toMatchObject({
      code: AudioErrors.PROBE_FAILED,
    });
  });

  it("refuses a playlist that reaches outside (even when compile was bypassed): FLM_ERR_MEDIA_FORMAT_REFUSED naming the element", async () => {
    const playlist = path.join(dir, "list.mp3");
    const segment = path.join(dir, "tone.m4a"); // a segment extension the hls demuxer accepts
    await run("ffmpeg", ["-v", "error", "-y", "-i", path.join(dir, "tone.wav"), "-c:a", "aac", segment]);
    await writeFile(playlist, `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n${segment}\n#EXT-X-ENDLIST\n`);
    for (const kind of ["audio", "video"] as const) {
      await expect(runAudioStage(input([source({ kind, id: "p", path: playlist })]), context())).rejects.toMatchObject({
        code: "FLM_ERR_MEDIA_FORMAT_REFUSED",
        message: expect.stringContaining(`<${kind} id="p">`),
      });
    }
  });

  it("shortens an <audio> slot longer than its source (warning) and writes exactly the range", async () => {
    const ctx = context();
    const result = await runAudioStage(input([source({ duration: 2 })]), ctx);
    expect(ctx.warnings).toEqual([expect.stringContaining("shortened")]);
    expect(result.audio).toEqual({ path: path.join(dir, "audio.m4a"), durationSec: 2 });
    const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels,duration", "-of", "csv=p=0", result.audio!.path]);
    const [codec, rate, channels, duration] = stdout.trim().split(",");
    expect([codec, rate, channels]).toEqual(["aac", "48000", "2"]);
    expect(Math.abs(Number(duration) - 2)).toBeLessThan(0.03);
  });

  it("refuses a bad range and honours an aborted signal", async () => {
    await expect(runAudioStage({ ...input([source({})]), range: { from: 5, to: 2 } }, context())).rejects.toMatchObject({ code: AudioErrors.INPUT_INVALID });
    const controller = new AbortController();
    controller.abort();
    await expect(runAudioStage(input([source({})]), { ...context(), signal: controller.signal })).rejects.toMatchObject({ code: "FLM_ERR_ABORTED" });
  });
});

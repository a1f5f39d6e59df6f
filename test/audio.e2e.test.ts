/**
 * The audio mix in real renders (COMPOSITION.md §2.3, §4.2, §9 tests 7 and 8): tracks are SUMMED,
 * placed at their start, cut to the render range, and muxed as AAC 48 kHz stereo of exactly N/fps.
 * Levels are RMS over a window, measured with ffmpeg `astats` on the decoded output.
 */
import { execFile } from "node:child_process";
import { copyFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "@frameloom/cli";
import { page, sandbox, type Sandbox } from "./helpers/sandbox.js";
import { ffprobe } from "./helpers/media.js";
import { stage as audioStage } from "../packages/stage-audio/dist/index.js";

const run = promisify(execFile);

/** One AAC frame at 48 kHz is 1024 / 48000 ≈ 0.021 s. */
const AAC_FRAME_SEC = 0.03;

/** A 1 kHz sine whose PEAK is −12 dBFS (amplitude 10^(−12/20)): RMS ≈ −15 dBFS. */
const TONE = "0.251189*sin(2*PI*1000*t)";
const TONE_RMS_DB = -15.05;

/** RMS level (dBFS, all channels) of `file`'s audio over [from, to) seconds; −Infinity for digital silence. */
async function rmsDb(file: string, from: number, to: number): Promise<number> {
  const { stderr } = await run("ffmpeg", [
    "-v", "info", "-nostats", "-i", file, "-vn",
    "-af", `atrim=start=${from}:end=${to},astats=measure_perchannel=none:measure_overall=RMS_level`,
    "-f", "null", "-",
  ]);
  const m = /RMS level dB: (-?inf|-?[\d.]+)/.exec(stderr);
  if (!m) throw new Error(`no RMS level in ffmpeg output:\n${stderr.slice(-1500)}`);
  return m[1]!.endsWith("inf") ? -Infinity : Number(m[1]);
}

async function audioStreams(file: string) {
  return (await ffprobe(file)).streams.filter((s) => s.codec_type === "audio") as unknown as {
    codec_name: string;
    sample_rate: string;
    channels: number;
    duration: string;
  }[];
}

describe("audio mix", () => {
  let box: Sandbox;
  let assets: string;
  beforeAll(async () => {
    box = sandbox("audio");
    assets = path.join(box.root, "assets");
    await run("mkdir", ["-p", assets]);
    const gen = (args: string[]) => run("ffmpeg", ["-v", "error", "-y", ...args]);
    await Promise.all([
      gen(["-f", "lavfi", "-i", `aevalsrc=${TONE}:s=48000:d=3`, "-c:a", "pcm_s16le", path.join(assets, "tone3.wav")]),
      gen(["-f", "lavfi", "-i", `aevalsrc=${TONE}:s=44100:d=1`, "-c:a", "pcm_s16le", path.join(assets, "tone1.wav")]),
      // 64×64, 2 s video with a stereo tone.
      gen([
        "-f", "lavfi", "-i", "color=c=gray:s=64x64:r=30:d=2",
        "-f", "lavfi", "-i", `aevalsrc=${TONE}|${TONE}:s=48000:d=2`,
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k", "-shortest",
        path.join(assets, "clip.mp4"),
      ]),
    ]);
  });
  afterAll(() => box?.cleanup());

  /** The audio stage's own track of the last render named `name` (copied out of the work dir). */
  const mixed = (name: string) => path.join(box.out, `${name}.audio.m4a`);

  /** Renders a 64×64 page with `body`, copying the named assets next to it. */
  async function renderBody(name: string, body: string, opts: { duration?: string; frames?: string; files?: string[] } = {}): Promise<string> {
    const dir = box.project(name, page({ id: name, width: 64, height: 64, duration: opts.duration ?? "2", body }));
    for (const file of opts.files ?? ["tone3.wav"]) copyFileSync(path.join(assets, file), path.join(dir, file));
    const output = path.join(box.out, `${name}.mp4`);
    // The real audio stage, keeping a copy of its track for inspection.
    const keepAudio = {
      meta: audioStage.meta,
      async run(input: Parameters<typeof audioStage.run>[0], ctx: Parameters<typeof audioStage.run>[1]) {
        const result = await audioStage.run(input, ctx);
        if (result.audio) copyFileSync(result.audio.path, mixed(name));
        return result;
      },
    };
    await render({ input: dir, output, preset: "draft", stages: { audio: keepAudio }, ...(opts.frames ? { frames: opts.frames } : {}) });
    return output;
  }

  it("sums two identical tones (+6 dB over one), places a tone at data-start, and is AAC 48 kHz stereo of N/fps", async () => {
    const [single, double, late] = await Promise.all([
      renderBody("single", '<audio id="a" src="tone3.wav" data-start="0"></audio>'),
      renderBody("double", '<audio id="a" src="tone3.wav" data-start="0" data-volume="1"></audio><audio id="b" src="tone3.wav" data-start="0" data-volume="1"></audio>'),
      renderBody("late", '<audio id="a" src="tone3.wav" data-start="1"></audio>'),
    ]);
    const one = await rmsDb(single, 0.2, 1.8);
    const two = await rmsDb(double, 0.2, 1.8);
    expect(one).toBeGreaterThan(TONE_RMS_DB - 1);
    expect(one).toBeLessThan(TONE_RMS_DB + 1);
    // The sum, not the average: +6.02 dB (peak ≈ −6 dBFS, RMS ≈ −9 dBFS).
    expect(two - one).toBeGreaterThan(5);
    expect(two - one).toBeLessThan(7);

    expect(await rmsDb(late, 0, 0.98)).toBeLessThan(-60);
    expect(Math.abs((await rmsDb(late, 1.05, 1.95)) - one)).toBeLessThan(1);

    for (const name of ["single", "double", "late"]) {
      // 60 frames at 30 fps = 2 s: the mixed track within one AAC frame, the muxed stream near it.
      const [track] = await audioStreams(mixed(name));
      expect(track).toMatchObject({ codec_name: "aac", sample_rate: "48000", channels: 2 });
      expect(Math.abs(Number(track!.duration) - 2)).toBeLessThan(AAC_FRAME_SEC);
      const [stream, ...more] = await audioStreams(path.join(box.out, `${name}.mp4`));
      expect(more).toHaveLength(0);
      expect(stream).toMatchObject({ codec_name: "aac", sample_rate: "48000", channels: 2 });
      expect(Math.abs(Number(stream!.duration) - 2)).toBeLessThan(AAC_FRAME_SEC);
    }
  });

  it("--frames 30-59 gives audio of exactly that second (a tone starting at 1 s sounds from the cut's start)", async () => {
    const cut = await renderBody("cut", '<audio id="a" src="tone3.wav" data-start="1"></audio>', { frames: "30-59" });
    const [track] = await audioStreams(mixed("cut"));
    expect(Math.abs(Number(track!.duration) - 1)).toBeLessThan(AAC_FRAME_SEC);
    const [stream] = await audioStreams(cut);
    expect(Math.abs(Number(stream!.duration) - 1)).toBeLessThan(AAC_FRAME_SEC);
    expect(await rmsDb(cut, 0.03, 0.5)).toBeGreaterThan(TONE_RMS_DB - 1);
  });

  it("data-volume=0.5 lowers the level by about 6 dB", async () => {
    const [full, half] = await Promise.all([
      renderBody("vol1", '<audio id="a" src="tone3.wav"></audio>', { duration: "1" }),
      renderBody("vol05", '<audio id="a" src="tone3.wav" data-volume="0.5"></audio>', { duration: "1" }),
    ]);
    const drop = (await rmsDb(full, 0.1, 0.9)) - (await rmsDb(half, 0.1, 0.9));
    expect(drop).toBeGreaterThan(5);
    expect(drop).toBeLessThan(7);
  });

  it("an unmuted <video> is heard, a muted one is not; <audio loop> plays once", async () => {
    const video = (attrs: string) =>
      `<video class="blk" id="v" src="clip.mp4" data-start="0" data-duration="1" ${attrs} style="left:0;top:0;width:64px;height:64px"></video>`;
    const [loud, muted, looped] = await Promise.all([
      renderBody("vloud", video(""), { duration: "1", files: ["clip.mp4"] }),
      renderBody("vmuted", video("muted"), { duration: "1", files: ["clip.mp4"] }),
      renderBody("aloop", '<audio id="a" src="tone1.wav" data-start="0" data-duration="3" loop></audio>', { duration: "3", files: ["tone1.wav"] }),
    ]);
    expect(await rmsDb(loud, 0.1, 0.9)).toBeGreaterThan(TONE_RMS_DB - 1);
    // A muted video alone: nothing sounds, so no audio stream at all.
    expect(await audioStreams(muted)).toHaveLength(0);
    expect(await rmsDb(looped, 0.1, 0.9)).toBeGreaterThan(TONE_RMS_DB - 1);
    expect(await rmsDb(looped, 1.05, 2.95)).toBeLessThan(-60);
  });

  it("a composition without sound has no audio stream", async () => {
    const silent = await renderBody("none", '<div class="blk" style="width:10px;height:10px;background:#fff"></div>', { duration: "1", files: [] });
    expect(await audioStreams(silent)).toHaveLength(0);
  });
});

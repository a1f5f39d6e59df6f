// runAudioStage with real ffmpeg: it mixes the plan's sounds (the plan stage decided and windowed them) into exactly the range.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlannedAudioTrack } from "@frameloom/shared-helpers";
import { AudioErrors } from "./errors.js";
import { runAudioStage, stage, type AudioContext } from "./audioStage.js";

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "flm-audio-"));
  await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=1000:duration=1", path.join(dir, "tone.wav")]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function context(): AudioContext & { warnings: string[] } {
  const warnings: string[] = [];
  return { signal: new AbortController().signal, workDir: dir, warn: (m) => warnings.push(m), warnings };
}

const track = (over: Partial<PlannedAudioTrack> = {}): PlannedAudioTrack => ({
  id: "a", path: path.join(dir, "tone.wav"), start: 0, length: 1, mediaStart: 0, rate: 1, volume: 1, channels: 1, ...over,
});
const input = (audio: PlannedAudioTrack[], range = { from: 0, to: 60 }) => ({
  plan: { composition: { fps: { num: 30, den: 1 }, durationSec: 2, media: [] } as never, range, audio },
});

async function probe(file: string): Promise<string[]> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels,duration", "-of", "csv=p=0", file]);
  return stdout.trim().split(",");
}

describe("runAudioStage", () => {
  it("meta: reads the plan, provides the mixed track", () => {
    expect(stage.meta).toEqual({ name: "audio", kernel: "^2.0.0", needs: { plan: "RenderPlan" }, provides: { audio: "AudioTrack" } });
  });

  it("returns null without ffmpeg when the plan has no sound", async () => {
    expect((await runAudioStage(input([]), context())).audio).toBeNull();
  });

  it("mixes the planned sounds into exactly the range (padded with silence), AAC 48 kHz stereo", async () => {
    const result = await runAudioStage(input([track({ start: 0.5 })]), context());
    expect(result.audio).toEqual({ path: path.join(dir, "audio.m4a"), durationSec: 2 });
    const [codec, rate, channels, duration] = await probe(result.audio!.path);
    expect([codec, rate, channels]).toEqual(["aac", "48000", "2"]);
    expect(Math.abs(Number(duration) - 2)).toBeLessThan(0.03);
    // A sub-range: exactly its length.
    const part = await runAudioStage(input([track()], { from: 15, to: 45 }), context());
    expect(Math.abs(Number((await probe(part.audio!.path))[3]) - 1)).toBeLessThan(0.03);
  });

  it("refuses a bad range and honours an aborted signal", async () => {
    await expect(runAudioStage(input([track()], { from: 5, to: 2 }), context())).rejects.toMatchObject({ code: AudioErrors.INPUT_INVALID });
    const controller = new AbortController();
    controller.abort();
    await expect(runAudioStage(input([track()]), { ...context(), signal: controller.signal })).rejects.toMatchObject({ code: "FLM_ERR_ABORTED" });
  });
});

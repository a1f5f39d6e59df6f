/**
 * The render plan end to end (issue 10): one ffprobe per media file in a whole render, a PQ
 * render's HDR10 metadata carrying the measured MaxCLL, and the plan path — `frameloom plan`,
 * `render-plan` of each chunk, `assemble` — giving the same video (PSNR) and audio (correlation,
 * no click at the joins) as a local render, for H.264 with a video clip and audio, HEVC PQ (tags
 * and mastering metadata kept) and ProRes 4444 with alpha.
 */
import { execFile } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "@frameloom/cli";
import { page, sandbox, type Sandbox } from "./helpers/sandbox.js";
import { alphaDotPage, clipAndToneArgs, hdrVideoPage } from "./helpers/fixtures.js";
import { runCli } from "./helpers/cli.js";
import { correlation, maxStep, samples } from "./helpers/audio.js";
import { frameCountOf, ffprobe, psnr } from "./helpers/media.js";
import { compareVideos, decodeYuv10, firstFrameSideData, pqEncode, probeVideo, yCode } from "./helpers/hdr.js";

const run = promisify(execFile);

/** A lossless 30 fps PQ clip: a `peak`-nit grey patch on a 100-nit grey ground (grey: every channel at that light). */
async function makeLightClip(file: string, peak: number): Promise<void> {
  const code = (nits: number) => Math.round(yCode(pqEncode(nits)));
  await run("ffmpeg", [
    "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=160x90:r=30:d=1",
    "-vf", `format=yuv420p10le,geq=lum='if(between(X,40,119)*between(Y,20,69),${code(peak)},${code(100)})':cb=512:cr=512`,
    "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:lossless=1:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc",
    "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-tag:v", "hvc1", file,
  ]);
}

/** The content light level side data of a file's first frame (ffprobe), or null. */
async function contentLightOf(file: string): Promise<{ max_content: number; max_average: number } | null> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1", "-show_frames", "-of", "json", file], { maxBuffer: 1 << 28 });
  const frames = JSON.parse(stdout).frames as { side_data_list?: { side_data_type: string; max_content?: number; max_average?: number }[] }[];
  const cll = frames[0]?.side_data_list?.find((d) => d.side_data_type === "Content light level metadata");
  return cll ? { max_content: Number(cll.max_content), max_average: Number(cll.max_average) } : null;
}

async function cli(args: string[]): Promise<any> {
  const r = await runCli([...args, "--json"]);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

/** plan → render-plan per chunk → assemble; returns the plan summary. */
async function renderViaPlan(box: Sandbox, project: string, name: string, output: string, extra: string[] = []): Promise<any> {
  const planDir = path.join(box.root, `${name}-plan`);
  const planned = await cli(["plan", project, "-o", planDir, "--chunk-size", "12", "--for", output, ...extra]);
  const manifest = JSON.parse(readFileSync(path.join(planDir, "manifest.json"), "utf8"));
  const ext = path.extname(output);
  const segments: string[] = [];
  for (const chunk of manifest.chunks as { from: number; to: number }[]) {
    const seg = path.join(box.root, `${name}-seg-${chunk.from}${ext}`);
    await cli(["render-plan", planDir, "--frames", `${chunk.from}-${chunk.to - 1}`, "-o", seg, "--workers", "1"]);
    segments.push(seg);
  }
  await cli(["assemble", planDir, ...segments, "-o", output]);
  return planned;
}

describe("render plan", () => {
  let box: Sandbox;
  let sdrProject: string;
  let pqProject: string;
  let alphaProject: string;
  beforeAll(async () => {
    box = sandbox("plan");
    const gen = (args: string[]) => run("ffmpeg", ["-v", "error", "-y", ...args]);
    sdrProject = box.project(
      "sdr",
      page({
        duration: "1.2",
        style: `#box { left:10px; top:10px; width:60px; height:60px; background:#e63946; animation: move 1.2s linear forwards; }
          @keyframes move { to { transform: translateX(200px); } }
          video { left:160px; top:90px; width:128px; height:72px; }`,
        body: `<div class="blk" id="box"></div><video class="blk" id="clip" src="clip.mp4" data-start="0" data-has-audio="true"></video>
          <audio id="tone" src="tone.wav" data-start="0.1"></audio>`,
      }),
    );
    await Promise.all(clipAndToneArgs(sdrProject, 1.5, 1.2, 660).map(gen));
    pqProject = box.project(
      "pq",
      hdrVideoPage(),
    );
    // A PQ clip whose brightest pixels are 600 nits.
    await makeLightClip(path.join(pqProject, "clip.mp4"), 600);
    alphaProject = box.project(
      "alpha",
      alphaDotPage(),
    );
  });
  afterAll(() => box?.cleanup());

  it("a whole render probes each media file once (ffprobe spawns counted)", async () => {
    const log = path.join(box.root, "ffprobe.log");
    const wrapper = path.join(box.root, "ffprobe-count.sh");
    const { stdout } = await run("sh", ["-c", "command -v ffprobe"]);
    writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> ${log}\nexec ${stdout.trim()} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const before = process.env.FFPROBE_PATH;
    process.env.FFPROBE_PATH = wrapper;
    try {
      const summary = await render({ input: sdrProject, output: path.join(box.out, "probes.mp4"), workers: 1 });
      expect(summary.frames).toBe(36);
    } finally {
      if (before === undefined) delete process.env.FFPROBE_PATH;
      else process.env.FFPROBE_PATH = before;
    }
    const lines = readFileSync(log, "utf8").trim().split("\n");
    expect(lines.filter((l) => l.includes("clip.mp4")), lines.join("\n")).toHaveLength(1);
    expect(lines.filter((l) => l.includes("tone.wav")), lines.join("\n")).toHaveLength(1);
  });

  it("PQ: the HDR10 metadata carries the measured MaxCLL ≈ 600 of a 600-nit clip, not 1000", async () => {
    const output = path.join(box.out, "pq-local.mp4");
    const summary = await render({ input: pqProject, output, workers: 1 });
    expect(summary.hdr).toMatchObject({ mode: "auto", transfer: "pq", reason: '<video id="hdr"> is PQ (smpte2084)' });
    const light = summary.hdr!.contentLight!;
    console.log(`content light: ${JSON.stringify(light)}`);
    expect(light.maxCll).toBeGreaterThan(570);
    expect(light.maxCll).toBeLessThan(630);
    expect(await contentLightOf(output)).toEqual({ max_content: light.maxCll, max_average: light.maxFall });
  });

  it("plan → render-plan per chunk → assemble equals a local render: H.264 + a video clip + audio", async () => {
    const local = path.join(box.out, "sdr-local.mp4");
    await render({ input: sdrProject, output: local, workers: 1 });
    const assembled = path.join(box.out, "sdr-assembled.mp4");
    const planned = await renderViaPlan(box, sdrProject, "sdr", assembled);
    expect(planned.chunks).toBe(3);
    expect(await frameCountOf(assembled)).toBe(36);
    const db = await psnr(assembled, local);
    console.log(`plan path vs local: PSNR ${db.toFixed(2)} dB`);
    expect(db).toBeGreaterThanOrEqual(50);
    const [a, b] = await Promise.all([samples(assembled), samples(local)]);
    expect(Math.abs(a.length - 48000 * 1.2)).toBeLessThan(1100);
    const corr = correlation(a, b);
    console.log(`audio correlation ${corr.toFixed(5)}`);
    expect(corr).toBeGreaterThanOrEqual(0.99);
    // No click where the video segments join (0.4 s, 0.8 s): the audio is muxed once, whole.
    // The signal's own largest step, where both tones sound (0.15–0.35 s), bounds the steps at the joins.
    const own = maxStep(a, 0.15 * 48000, 0.35 * 48000);
    for (const t of [0.4, 0.8]) expect(maxStep(a, t * 48000 - 480, t * 48000 + 480)).toBeLessThanOrEqual(own * 1.05 + 1e-4);
    const packets = await run("ffprobe", ["-v", "error", "-select_streams", "v", "-show_entries", "packet=flags", "-of", "csv=p=0", assembled]);
    const keys = packets.stdout.trim().split("\n").flatMap((flags, i) => (flags.startsWith("K") ? [i] : []));
    expect(keys).toEqual(expect.arrayContaining([0, 12, 24]));
  });

  it("HDR PQ in chunks keeps the tags and mastering metadata and matches the local HDR render (10-bit PSNR ≥ 50 dB)", async () => {
    const assembled = path.join(box.out, "pq-assembled.mp4");
    await renderViaPlan(box, pqProject, "pq", assembled);
    expect(await probeVideo(assembled)).toMatchObject({ codec_name: "hevc", pix_fmt: "yuv420p10le", color_primaries: "bt2020", color_transfer: "smpte2084", color_space: "bt2020nc" });
    const side = (await firstFrameSideData(assembled)).join("\n");
    expect(side).toContain("Mastering display metadata");
    expect(side).toContain("Content light level metadata");
    const [a, b] = await Promise.all([decodeYuv10(assembled), decodeYuv10(path.join(box.out, "pq-local.mp4"))]);
    expect(a).toHaveLength(30);
    const { minPsnr } = compareVideos(a, b);
    console.log(`PQ plan path vs local: min PSNR ${minPsnr.toFixed(2)} dB (10-bit)`);
    expect(minPsnr).toBeGreaterThanOrEqual(50);
  });

  it("ProRes 4444 with alpha in chunks matches the local render", async () => {
    const local = path.join(box.out, "alpha-local.mov");
    await render({ input: alphaProject, output: local, workers: 1 });
    const assembled = path.join(box.out, "alpha-assembled.mov");
    await renderViaPlan(box, alphaProject, "alpha", assembled);
    const v = (await ffprobe(assembled)).streams.find((s) => s.codec_type === "video")!;
    expect(v.codec_name).toBe("prores");
    expect(String(v.pix_fmt)).toMatch(/^yuva444p1[02]le$/);
    expect(await frameCountOf(assembled)).toBe(24);
    const db = await psnr(assembled, local);
    console.log(`ProRes alpha plan path vs local: PSNR ${db.toFixed(2)} dB`);
    expect(db).toBeGreaterThanOrEqual(50);
  });

  it("refuses a plan made by another Frameloom version, and a frame range outside the plan", async () => {
    const planDir = path.join(box.root, "sdr-plan");
    const file = path.join(planDir, "manifest.json");
    const manifest = JSON.parse(readFileSync(file, "utf8"));
    const bad = await runCli(["render-plan", planDir, "--frames", "30-99", "-o", path.join(box.out, "x.mp4")]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("outside");
    writeFileSync(file, JSON.stringify({ ...manifest, frameloomVersion: "9.9.9" }));
    const r = await runCli(["render-plan", planDir, "--frames", "0-11", "-o", path.join(box.out, "x.mp4")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("FLM_ERR_PLAN_VERSION");
    expect(r.stderr).toContain("9.9.9");
    writeFileSync(file, JSON.stringify(manifest));
  });
});

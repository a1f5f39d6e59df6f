/**
 * Distributed rendering against a real redis-server on 127.0.0.1 (issue 10): `frameloom worker`
 * processes and `frameloom render --distributed`. A 10-second composition with a video clip and
 * audio in chunks of 60 frames equals a local render; a worker SIGKILLed mid-chunk loses nothing;
 * a killed client resumes without rendering a chunk twice; HDR PQ and ProRes 4444 alpha keep
 * their tags; bad cases fail fast with a coded reason.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { render } from "@frameloom/cli";
import { runDistributed, sharedDirectoryStorage } from "@frameloom/distributed";
import { startRedis, type TestRedis } from "@frameloom/distributed/testRedis";
import { BIN, page, sandbox, type Sandbox } from "./helpers/sandbox.js";
import { alphaDotPage, clipAndToneArgs, hdrVideoPage } from "./helpers/fixtures.js";
import { runCli } from "./helpers/cli.js";
import { correlation, maxStep, samples } from "./helpers/audio.js";
import { decodeImage, frameCountOf, ffprobe, psnr } from "./helpers/media.js";
import { compareVideos, decodeYuv10, firstFrameSideData, makeClip, probeVideo } from "./helpers/hdr.js";

const run = promisify(execFile);

interface Worker {
  child: ChildProcess;
  log: string[];
  exited: Promise<void>;
}

const waitFor = async (what: string, ok: () => boolean, ms = 120_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("distributed rendering (BullMQ + redis-server)", () => {
  let box: Sandbox;
  let redis: TestRedis;
  let storage: string;
  let long: string;
  let short: string;
  let pq: string;
  let alpha: string;
  let queueN = 0;
  const workers: Worker[] = [];
  /** A fresh queue per test: a shared CI Redis never mixes tests' jobs. */
  const queue = () => `flm-e2e-${process.pid}-${++queueN}`;

  const startWorkers = (n: number, q: string, env: Record<string, string> = {}): Worker[] =>
    Array.from({ length: n }, () => {
      const child = spawn(process.execPath, [BIN, "worker", "--redis", redis.url, "--storage", storage, "--queue", q], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "ignore", "pipe"],
      });
      const log: string[] = [];
      child.stderr!.on("data", (d: Buffer) => log.push(...d.toString().split("\n").filter(Boolean)));
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      const w = { child, log, exited };
      workers.push(w);
      return w;
    });
  const stopWorkers = async () => {
    const live = workers.splice(0);
    for (const w of live) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGTERM");
    await Promise.all(live.map((w) => Promise.race([w.exited, new Promise((r) => setTimeout(r, 15_000))])));
    for (const w of live) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
  };
  const done = (ws: Worker[]) => ws.flatMap((w) => w.log.filter((l) => l.startsWith("worker: chunk-done")));

  async function distributed(project: string, output: string, q: string, chunk: number, extra: string[] = []): Promise<any> {
    const r = await runCli(["render", project, "-o", output, "--distributed", "--redis", redis.url, "--storage", storage, "--queue", q, "--chunk-size", String(chunk), "--json", ...extra]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  }

  beforeAll(async () => {
    box = sandbox("distributed");
    redis = await startRedis();
    storage = path.join(box.root, "storage");
    const gen = (args: string[]) => run("ffmpeg", ["-v", "error", "-y", ...args]);
    const scene = (duration: string) =>
      page({
        duration,
        style: `#box { left:10px; top:10px; width:50px; height:50px; background:#2a9d8f; animation: move ${duration}s linear forwards; }
          @keyframes move { to { transform: translateX(250px) rotate(90deg); } }
          video { left:96px; top:60px; width:128px; height:72px; }`,
        body: `<div class="blk" id="box"></div><video class="blk" id="clip" src="clip.mp4" data-start="1" data-has-audio="true"></video>
          <audio id="music" src="tone.wav" data-start="0"></audio>`,
      });
    long = box.project("long", scene("10"));
    short = box.project("short", scene("3"));
    for (const dir of [long, short]) {
      await Promise.all(clipAndToneArgs(dir, 4, 10, 330).map(gen));
    }
    pq = box.project(
      "pq",
      hdrVideoPage(),
    );
    await makeClip(path.join(pq, "clip.mp4"), { transfer: "pq", width: 160, height: 90, seconds: 1 });
    alpha = box.project(
      "alpha",
      alphaDotPage(),
    );
  });
  afterEach(stopWorkers);
  afterAll(async () => {
    await stopWorkers();
    await redis?.stop();
    box?.cleanup();
  });

  it("3 workers, chunks of 60: a 10 s composition with a video clip and audio equals a local render", async () => {
    const q = queue();
    const ws = startWorkers(3, q);
    const output = path.join(box.out, "long.mp4");
    const summary = await distributed(long, output, q, 60);
    expect(summary).toMatchObject({ frames: 300, chunks: 5, chunksRendered: 5, chunksReused: 0 });
    expect(done(ws)).toHaveLength(5);
    const local = path.join(box.out, "long-local.mp4");
    await render({ input: long, output: local });
    expect(await frameCountOf(output)).toBe(300);
    const db = await psnr(output, local);
    const [a, b] = await Promise.all([samples(output), samples(local)]);
    const corr = correlation(a, b);
    console.log(`distributed vs local: PSNR ${db.toFixed(2)} dB, audio correlation ${corr.toFixed(5)}, ${(summary.wallMs / 1000).toFixed(1)} s`);
    expect(db).toBeGreaterThanOrEqual(50);
    expect(corr).toBeGreaterThanOrEqual(0.99);
    expect(Math.abs(a.length - 48000 * 10)).toBeLessThan(1100);
    // No click at the joins (2, 4, 6, 8 s): no sample step there larger than the signal's own largest.
    const own = maxStep(a, 48000 * 0.5, 48000 * 1.9);
    for (const t of [2, 4, 6, 8]) expect(maxStep(a, 48000 * t - 480, 48000 * t + 480)).toBeLessThanOrEqual(own * 1.05 + 1e-4);
  });

  it("a worker SIGKILLed in the middle of a chunk: the render completes, no chunk lost or doubled", async () => {
    const q = queue();
    // The victim starts alone, so it surely holds a chunk when it dies; the others join then.
    const [victim] = startWorkers(1, q);
    const output = path.join(box.out, "killed.mp4");
    const rendering = distributed(short, output, q, 30);
    await waitFor("the victim to start a chunk", () => victim!.log.some((l) => l.startsWith("worker: chunk-start")));
    const others = startWorkers(2, q);
    await new Promise((r) => setTimeout(r, 700));
    expect(victim!.log.some((l) => l.startsWith("worker: chunk-done"))).toBe(false);
    victim!.child.kill("SIGKILL");
    const summary = await rendering;
    expect(summary).toMatchObject({ frames: 90, chunks: 3 });
    expect(await frameCountOf(output)).toBe(90);
    const finished = done(others).map((l) => l.split(" ")[2]);
    expect(new Set(finished).size).toBe(finished.length);
    const segments = readdirSync(path.join(storage, "segments", summary.planHash));
    expect(segments.filter((f) => /^\d+-\d+\.mp4$/.test(f)).sort()).toEqual(["0-30.mp4", "30-60.mp4", "60-90.mp4"]);
    expect(await psnr(output, (await localOf(short, "short-local.mp4")))).toBeGreaterThanOrEqual(50);
  });

  async function localOf(project: string, name: string): Promise<string> {
    const file = path.join(box.out, name);
    await render({ input: project, output: file });
    return file;
  }

  it("the client killed after half the chunks: run again, only the missing chunks are rendered", async () => {
    const q = queue();
    const first = startWorkers(1, q);
    const output = path.join(box.out, "resumed.mp4");
    const client = spawn(process.execPath, [BIN, "render", short, "-o", output, "--distributed", "--redis", redis.url, "--storage", storage, "--queue", q, "--chunk-size", "15"], { stdio: "ignore" });
    await waitFor("3 of 6 chunks", () => done(first).length >= 3);
    client.kill("SIGKILL");
    await stopWorkers(); // the workers go too: nothing renders while no client waits
    const before = done(first).length;
    const second = startWorkers(2, q);
    const summary = await distributed(short, output, q, 15);
    expect(summary.chunks).toBe(6);
    expect(summary.chunksReused).toBeGreaterThanOrEqual(3);
    const again = done(second).map((l) => l.split(" ")[2]);
    const firstRun = done(first).map((l) => l.split(" ")[2]);
    console.log(`resume: ${before} chunks before the kill, ${again.length} after (${summary.chunksReused} re-used)`);
    expect(again.filter((c) => firstRun.includes(c))).toEqual([]);
    expect(before + again.length).toBe(6);
    expect(await frameCountOf(output)).toBe(90);
  });

  it("HDR PQ and ProRes 4444 alpha render distributed: tags and mastering metadata kept, equal to the local render", async () => {
    const q = queue();
    startWorkers(2, q);
    const pqOut = path.join(box.out, "pq.mp4");
    await distributed(pq, pqOut, q, 10);
    expect(await probeVideo(pqOut)).toMatchObject({ codec_name: "hevc", pix_fmt: "yuv420p10le", color_primaries: "bt2020", color_transfer: "smpte2084", color_space: "bt2020nc" });
    const side = (await firstFrameSideData(pqOut)).join("\n");
    expect(side).toContain("Mastering display metadata");
    expect(side).toContain("Content light level metadata");
    const pqLocal = await localOf(pq, "pq-local.mp4");
    const { minPsnr } = compareVideos(await decodeYuv10(pqOut), await decodeYuv10(pqLocal));
    console.log(`PQ distributed vs local: min PSNR ${minPsnr.toFixed(2)} dB (10-bit)`);
    expect(minPsnr).toBeGreaterThanOrEqual(50);
    const movOut = path.join(box.out, "alpha.mov");
    await distributed(alpha, movOut, q, 8);
    expect((await ffprobe(movOut)).streams.find((s) => s.codec_type === "video")).toMatchObject({ codec_name: "prores" });
    expect(await psnr(movOut, await localOf(alpha, "alpha-local.mov"))).toBeGreaterThanOrEqual(50);
    // png-sequence: chunks are directories of frames; the assembled sequence is numbered as a local one.
    const seqOut = path.join(box.out, "seq");
    await distributed(alpha, seqOut, q, 8, ["--format", "png-sequence"]);
    const seqLocal = path.join(box.out, "seq-local");
    await render({ input: alpha, output: seqLocal, format: "png-sequence" });
    expect(readdirSync(seqOut).sort()).toEqual(readdirSync(seqLocal).sort());
    expect(readdirSync(seqOut)).toHaveLength(24);
    for (const name of ["frame_000001.png", "frame_000009.png", "frame_000024.png"]) {
      const [a, b] = await Promise.all([decodeImage(path.join(seqOut, name)), decodeImage(path.join(seqLocal, name))]);
      let worst = 0;
      for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
      expect(worst, name).toBeLessThanOrEqual(2);
    }
    // gif is refused before anything is queued.
    const gif = await runCli(["render", alpha, "-o", path.join(box.out, "a.gif"), "--distributed", "--redis", redis.url, "--storage", storage, "--queue", q]);
    expect(gif.code).not.toBe(0);
    expect(gif.stderr).toContain("gif cannot be rendered in chunks");
  });

  it("bad cases, each a clear error, fast: Redis unreachable, a plan dir a worker cannot read, another version's plan", async () => {
    const t0 = performance.now();
    const r = await runCli(["render", short, "-o", path.join(box.out, "x.mp4"), "--distributed", "--redis", "redis://127.0.0.1:1", "--storage", storage]);
    expect(performance.now() - t0).toBeLessThan(5000 + 2000); // Node start-up included
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("FLM_ERR_DISTRIBUTED_REDIS_UNREACHABLE");
    expect(r.stderr).toContain("redis://127.0.0.1:1");
    expect(readdirSync(box.out)).not.toContain("x.mp4");

    const q = queue();
    startWorkers(1, q);
    const base = { redisUrl: redis.url, queue: q, segmentExt: "mp4", storage: sharedDirectoryStorage(storage), totalFrames: 30, attempts: 2, backoffMs: 100 };
    const missing = path.join(box.root, "no-such-plan");
    await expect(
      runDistributed({ ...base, planDir: missing, planHash: "a".repeat(64), chunks: [{ from: 0, to: 30 }], outputPath: path.join(storage, "x.mp4") }),
    ).rejects.toMatchObject({ code: "FLM_ERR_DISTRIBUTED_CHUNK_FAILED", message: expect.stringMatching(/0-.*FLM_ERR_PLAN_UNREADABLE/s) });

    const planDir = path.join(box.root, "old-plan");
    // A chunking no other test uses: no segment of this plan exists yet.
    const planned = await runCli(["plan", short, "-o", planDir, "--chunk-size", "45", "--json"]);
    expect(planned.code, planned.stderr).toBe(0);
    const manifestFile = path.join(planDir, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, frameloomVersion: "0.0.1" }));
    await expect(
      runDistributed({ ...base, planDir, planHash: manifest.planHash, chunks: manifest.chunks, totalFrames: 90, outputPath: path.join(storage, "y.mp4") }),
    ).rejects.toMatchObject({ code: "FLM_ERR_DISTRIBUTED_CHUNK_FAILED", message: expect.stringContaining("FLM_ERR_PLAN_VERSION") });
  });
});

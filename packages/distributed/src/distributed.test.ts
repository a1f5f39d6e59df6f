// The engine against a real redis-server, with fake handlers that write small text segments.
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildProcess } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isFrameloomError, killTree, spawnTracked } from "@frameloom/shared-helpers";
import { DistributedErrors, runDistributed, sharedDirectoryStorage, startWorker, type AssembleJobData, type RunDistributedOptions, type Chunk, type DistributedProgress, type DistributedWorker, type PlanStorage, type WorkerHandlers } from "./index.js";
import { startRedis, type TestRedis } from "./testRedis.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const PLAN = "0123456789abcdef";
const key = (c: Chunk) => `${c.from}-${c.to}`;
const segmentText = (c: Chunk) => `segment ${key(c)} begin\nsegment ${key(c)} end\n`;
const chunksOf = (n: number, size = 10): Chunk[] => Array.from({ length: n }, (_, i) => ({ from: i * size, to: (i + 1) * size }));

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

// Per test: scratch dirs, workers and processes, all gone afterwards.
const scratch: string[] = [];
const workers: DistributedWorker[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
  await Promise.all(children.splice(0).map(stopChild));
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  await expectNoSocketsTo(redis.port);
});

function scratchDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "frameloom-distributed-test-"));
  scratch.push(dir);
  return dir;
}

/** Open sockets of this process to the test Redis: every exit path must close them all. */
/** runDistributed's options for a test plan in `root`: the fixed plan hash, text segments, `out.txt` in root, 50 ms polling. */
function runOptions(root: string, storage: PlanStorage, queue: string, chunks: Chunk[], totalFrames: number, redisUrl = redis.url): RunDistributedOptions {
  return { redisUrl, queue, planDir: root, planHash: PLAN, chunks, segmentExt: "txt", storage, outputPath: path.join(root, "out.txt"), totalFrames, pollMs: 50 };
}

async function expectNoSocketsTo(port: number): Promise<void> {
  const open = () =>
    (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().filter((h) => h instanceof net.Socket && !h.destroyed && h.remotePort === port);
  for (let i = 0; i < 40 && open().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(open().length, "Redis sockets left open").toBe(0);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  killTree(child, "SIGTERM");
  const timer = setTimeout(() => killTree(child), 5000);
  await exited;
  clearTimeout(timer);
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error("aborted"));
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      reject(new Error("aborted"));
    }, { once: true });
  });
}

interface Fake {
  handlers: WorkerHandlers;
  calls: { chunk: string; attempt: number }[];
  assembles: AssembleJobData[];
  inFlight(): number;
  /** Per chunk: how long to take, or an error to throw. */
  behave: (c: Chunk, attempt: number) => { ms?: number; fail?: string };
}

function fakeHandlers(defaultMs = 50): Fake {
  let inFlight = 0;
  const fake: Fake = {
    calls: [],
    assembles: [],
    inFlight: () => inFlight,
    behave: () => ({ ms: defaultMs }),
    handlers: {
      async renderChunk(job, signal) {
        fake.calls.push({ chunk: key(job.chunk), attempt: job.attempt });
        inFlight++;
        try {
          const b = fake.behave(job.chunk, job.attempt);
          await writeFile(job.outputPath, `segment ${key(job.chunk)} begin\n`);
          await pause(b.ms ?? defaultMs, signal);
          if (b.fail) throw new Error(b.fail);
          await appendFile(job.outputPath, `segment ${key(job.chunk)} end\n`);
        } finally {
          inFlight--;
        }
      },
      async assemble(job) {
        fake.assembles.push(job);
        const parts = await Promise.all(job.segmentPaths.map((p) => readFile(p, "utf8")));
        await writeFile(job.outputPath, parts.join(""));
      },
    },
  };
  return fake;
}

async function startWorkers(n: number, fake: Fake, storage: PlanStorage, queue: string, seen?: Map<string, string>): Promise<DistributedWorker[]> {
  const started = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      startWorker({
        redisUrl: redis.url,
        queue,
        storage,
        handlers: fake.handlers,
        onEvent: (e) => {
          if (e.type === "chunk-done") seen?.set(key(e.chunk), `w${i}`);
        },
      }),
    ),
  );
  workers.push(...started);
  return started;
}

const queueName = () => `test-${randomUUID()}`;
const segmentFiles = (root: string) => {
  const dir = path.join(root, "segments", PLAN);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};

describe("distributed render", () => {
  it("three workers render each missing chunk once, reuse the stored one, and assemble all in order", async () => {
    const root = scratchDir();
    const storage = sharedDirectoryStorage(root);
    const queue = queueName();
    const chunks = chunksOf(9);
    // Chunk 0-10 is already rendered (an earlier run): it must not be queued again.
    const tmp = storage.tempSegmentPath(PLAN, chunks[0], "txt");
    await mkdir(path.dirname(tmp), { recursive: true });
    writeFileSync(tmp, segmentText(chunks[0]));
    await storage.commitSegment(tmp, PLAN, chunks[0], "txt");

    const fake = fakeHandlers(80);
    const seen = new Map<string, string>();
    await startWorkers(3, fake, storage, queue, seen);
    const progress: DistributedProgress[] = [];
    const outputPath = path.join(root, "out.txt");
    const result = await runDistributed({
      ...runOptions(root, storage, queue, [...chunks].reverse(), 90), // any order in, ascending order out
      onProgress: (p) => progress.push(p),
    });

    expect(result).toMatchObject({ chunksRendered: 8, chunksReused: 1, attached: false });
    expect(fake.calls.map((c) => c.chunk).sort()).toEqual(chunks.slice(1).map(key).sort());
    expect(new Set(seen.values()).size, "chunks spread over the workers").toBeGreaterThanOrEqual(2);
    expect(fake.assembles).toHaveLength(1);
    expect(fake.assembles[0].chunks).toEqual(chunks);
    expect(fake.assembles[0].segmentPaths).toEqual(chunks.map((c) => storage.segmentPath(PLAN, c, "txt")));
    expect(readFileSync(outputPath, "utf8")).toBe(chunks.map(segmentText).join(""));
    // Exactly the 9 published segments: no temp file left behind.
    expect(segmentFiles(root)).toEqual(chunks.map((c) => `${key(c)}.txt`).sort());

    expect(progress[0].framesDone).toBe(10);
    for (let i = 1; i < progress.length; i++) expect(progress[i].framesDone).toBeGreaterThanOrEqual(progress[i - 1].framesDone);
    expect(progress.at(-1)).toMatchObject({ framesDone: 90, totalFrames: 90, chunksDone: 9, chunksTotal: 9, chunksFailed: 0, etaSec: 0 });
    expect(progress.some((p) => p.chunksRunning > 0)).toBe(true);
    expect(progress.some((p) => typeof p.etaSec === "number" && p.framesDone < 90)).toBe(true);
  });

  it("resume: a run aborted halfway, re-run, renders only the chunks still missing", async () => {
    const root = scratchDir();
    const storage = sharedDirectoryStorage(root);
    const queue = queueName();
    const chunks = chunksOf(8);
    const fake = fakeHandlers(150);
    const first = await startWorkers(2, fake, storage, queue);
    const controller = new AbortController();
    const opts = runOptions(root, storage, queue, chunks, 80);
    const aborted = runDistributed({ ...opts, signal: controller.signal, onProgress: (p) => p.chunksDone >= 4 && controller.abort() });
    await expect(aborted).rejects.toMatchObject({ code: "FLM_ERR_ABORTED" });
    // The workers go too (they hand their running chunks back to the queue).
    await Promise.all(first.map((w) => w.close()));
    const present = await Promise.all(chunks.map((c) => storage.hasSegment(PLAN, c, "txt")));
    const missing = chunks.filter((_, i) => !present[i]).map(key);
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.length).toBeLessThanOrEqual(4);
    expect(fake.assembles).toHaveLength(0);

    const callsBefore = fake.calls.length;
    await startWorkers(2, fake, storage, queue);
    const result = await runDistributed(opts);
    // Joined the flow the aborted client left in Redis, and rendered just the rest.
    expect(result).toMatchObject({ attached: true, chunksReused: 8 - missing.length, chunksRendered: missing.length });
    expect(fake.calls.slice(callsBefore).map((c) => c.chunk).sort()).toEqual([...missing].sort());
    expect(fake.assembles).toHaveLength(1);
    expect(readFileSync(opts.outputPath, "utf8")).toBe(chunks.map(segmentText).join(""));
    expect(segmentFiles(root)).toEqual(chunks.map((c) => `${key(c)}.txt`).sort());

    // Everything rendered: a third run queues no chunk, only the assemble.
    rmSync(opts.outputPath);
    const callsDone = fake.calls.length;
    expect(await runDistributed(opts)).toMatchObject({ attached: false, chunksReused: 8, chunksRendered: 0 });
    expect(fake.calls.length).toBe(callsDone);
    expect(fake.assembles).toHaveLength(2);
    expect(readFileSync(opts.outputPath, "utf8")).toBe(chunks.map(segmentText).join(""));
  });

  it("a worker finds a chunk's segment already committed (after it was queued) and does not render it again", async () => {
    const root = scratchDir();
    const storage = sharedDirectoryStorage(root);
    const queue = queueName();
    const chunks = chunksOf(3);
    const fake = fakeHandlers(20);
    let queued!: () => void;
    const isQueued = new Promise<void>((r) => (queued = r));
    const run = runDistributed({ ...runOptions(root, storage, queue, chunks, 30), onProgress: () => queued() });
    await isQueued;
    // Committed meanwhile (a worker that died between commit and job completion, say).
    const temp = storage.tempSegmentPath(PLAN, chunks[1], "txt");
    await mkdir(path.dirname(temp), { recursive: true });
    writeFileSync(temp, segmentText(chunks[1]));
    await storage.commitSegment(temp, PLAN, chunks[1], "txt");
    const reusedByWorker: string[] = [];
    workers.push(await startWorker({ redisUrl: redis.url, queue, storage, handlers: fake.handlers, onEvent: (e) => e.type === "chunk-reused" && reusedByWorker.push(key(e.chunk)) }));
    const result = await run;
    expect(result).toMatchObject({ chunksRendered: 3, chunksReused: 0 });
    expect(reusedByWorker).toEqual(["10-20"]);
    expect(fake.calls.map((c) => c.chunk).sort()).toEqual(["0-10", "20-30"]);
    expect(readFileSync(path.join(root, "out.txt"), "utf8")).toBe(chunks.map(segmentText).join(""));
  });

  it("a closing worker hands its running chunk back at once, without using an attempt", async () => {
    const root = scratchDir();
    const storage = sharedDirectoryStorage(root);
    const queue = queueName();
    const fake = fakeHandlers(20);
    // The first worker hangs until its signal aborts.
    fake.behave = () => (fake.calls.length === 1 ? { ms: 60_000 } : { ms: 20 });
    const [first] = await startWorkers(1, fake, storage, queue);
    const run = runDistributed(runOptions(root, storage, queue, chunksOf(1), 10));
    for (let i = 0; i < 200 && fake.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(fake.calls).toHaveLength(1);
    const t = Date.now();
    await first.close();
    await startWorkers(1, fake, storage, queue);
    await run;
    // Far below the 10 s lock a dead worker's job waits for.
    expect(Date.now() - t).toBeLessThan(4000);
    expect(fake.calls).toEqual([
      { chunk: "0-10", attempt: 1 },
      { chunk: "0-10", attempt: 1 },
    ]);
  });

  it("a chunk that fails every attempt fails the render with its range and last error; a fixed re-run renders only what is missing", async () => {
    const root = scratchDir();
    const storage = sharedDirectoryStorage(root);
    const queue = queueName();
    const chunks = chunksOf(4);
    const fake = fakeHandlers(30);
    let broken = true;
    fake.behave = (c, attempt) => (broken && c.from === 20 ? { ms: 5, fail: `encoder crashed at frame 25 (attempt ${attempt})` } : { ms: 30 });
    await startWorkers(2, fake, storage, queue);
    const opts = { ...runOptions(root, storage, queue, chunks, 40), attempts: 2, backoffMs: 50 };
    const error = await runDistributed(opts).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isFrameloomError(error, DistributedErrors.CHUNK_FAILED), String(error)).toBe(true);
    const err = error as Error & { details: Record<string, unknown> };
    expect(err.message).toContain("chunk 20-30");
    expect(err.message).toContain("encoder crashed at frame 25 (attempt 2)");
    expect(err.details).toMatchObject({ chunk: { from: 20, to: 30 }, attempts: 2 });
    expect(fake.calls.filter((c) => c.chunk === "20-30").map((c) => c.attempt)).toEqual([1, 2]);
    expect(fake.assembles).toHaveLength(0);
    expect(existsSync(opts.outputPath)).toBe(false);

    // Chunks still running when the render failed finish; wait for them before counting.
    for (let i = 0; i < 100 && fake.inFlight() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    const present = await Promise.all(chunks.map((c) => storage.hasSegment(PLAN, c, "txt")));
    const missing = chunks.filter((_, i) => !present[i]).map(key);
    expect(missing).toContain("20-30");

    broken = false;
    const callsBefore = fake.calls.length;
    const result = await runDistributed(opts);
    expect(result).toMatchObject({ attached: false, chunksRendered: missing.length, chunksReused: 4 - missing.length });
    expect(fake.calls.slice(callsBefore).map((c) => c.chunk).sort()).toEqual([...missing].sort());
    expect(readFileSync(opts.outputPath, "utf8")).toBe(chunks.map(segmentText).join(""));
  });

  it("an assemble that fails every attempt fails the render with FLM_ERR_DISTRIBUTED_ASSEMBLE_FAILED", async () => {
    const root = scratchDir();
    const storage = sharedDirectoryStorage(root);
    const queue = queueName();
    const fake = fakeHandlers(10);
    let assembleCalls = 0;
    fake.handlers.assemble = async () => {
      assembleCalls++;
      throw new Error("concat: segment 2 has a different codec");
    };
    await startWorkers(1, fake, storage, queue);
    const error = await runDistributed({ ...runOptions(root, storage, queue, chunksOf(2), 20), attempts: 2, backoffMs: 20 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isFrameloomError(error, DistributedErrors.ASSEMBLE_FAILED), String(error)).toBe(true);
    expect((error as Error).message).toContain("concat: segment 2 has a different codec");
    expect(assembleCalls).toBe(2);
  });

  it("Redis going away while the client waits: it fails naming the URL, within its bound, and closes its connections", async () => {
    const own = await startRedis({ own: true });
    try {
      const root = scratchDir();
      let queued!: () => void;
      const isQueued = new Promise<void>((r) => (queued = r));
      const t = Date.now();
      const run = runDistributed({ ...runOptions(root, sharedDirectoryStorage(root), queueName(), chunksOf(2), 20, own.url), redisLossMs: 1000, onProgress: () => queued() });
      await isQueued;
      await own.stop();
      const error = await run.then(
        () => null,
        (e: unknown) => e,
      );
      expect(isFrameloomError(error, DistributedErrors.REDIS_UNREACHABLE), String(error)).toBe(true);
      expect((error as Error).message).toContain(own.url);
      expect(Date.now() - t).toBeLessThan(8000);
      await expectNoSocketsTo(own.port);
    } finally {
      await own.stop();
    }
  });

  it("a worker process SIGKILLed mid-chunk: the render completes, each segment committed once, assembled once in order", async () => {
    const fixture = path.join(here, "fixtures/worker.mjs");
    if (!existsSync(path.join(here, "../dist/index.js"))) throw new Error("packages/distributed/dist is missing: run `npm run build` first (turbo does, before test)");
    const root = scratchDir();
    const storage = sharedDirectoryStorage(root);
    const queue = queueName();
    const logPath = path.join(root, "log.jsonl");
    const chunks = chunksOf(6);
    // Short locks so the dead worker's chunk is free again within seconds (defaults: 10 s / 5 s).
    const env = { ...process.env, REDIS_URL: redis.url, QUEUE: queue, ROOT: root, LOG: logPath, RENDER_MS: "1000", LOCK_MS: "3000", STALLED_MS: "1000" };
    const procs = Array.from({ length: 3 }, () => {
      const child = spawnTracked(process.execPath, [fixture], { env, stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      return child;
    });
    const lines = (child: ChildProcess, match: (line: string) => boolean) =>
      new Promise<string>((resolve, reject) => {
        let buf = "";
        let err = "";
        child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
        child.once("exit", (code) => reject(new Error(`worker exited (${code}) before the expected line: ${err}`)));
        child.stdout!.on("data", (d: Buffer) => {
          buf += d.toString();
          const hit = buf.split("\n").find(match);
          if (hit) resolve(hit);
        });
      });
    await Promise.all(procs.map((p) => lines(p, (l) => l === "ready")));

    const victim = procs[0];
    const victimStarted = lines(victim, (l) => l.startsWith("start "));
    const outputPath = path.join(root, "out.txt");
    const run = runDistributed({ ...runOptions(root, storage, queue, chunks, 60), pollMs: 100 });
    const victimChunk = (await victimStarted).slice("start ".length);
    await new Promise((r) => setTimeout(r, 300));
    killTree(victim, "SIGKILL");
    const result = await run;

    expect(result.chunksRendered).toBe(6);
    const log = readFileSync(logPath, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { pid: number; type: string; chunk?: string; chunks?: string[] });
    const commits = log.filter((r) => r.type === "commit").map((r) => r.chunk).sort();
    expect(commits, "each chunk committed exactly once").toEqual(chunks.map(key).sort());
    const starts = log.filter((r) => r.type === "start" && r.chunk === victimChunk);
    expect(starts[0].pid).toBe(victim.pid);
    expect(starts.some((s) => s.pid !== victim.pid), "the killed worker's chunk was taken up by another").toBe(true);
    expect(log.some((r) => r.pid === victim.pid && r.type === "commit" && r.chunk === victimChunk)).toBe(false);
    const assembles = log.filter((r) => r.type === "assemble");
    expect(assembles).toHaveLength(1);
    expect(assembles[0].chunks).toEqual(chunks.map(key));
    expect(readFileSync(outputPath, "utf8")).toBe(chunks.map(segmentText).join(""));
    for (const c of chunks) expect(readFileSync(storage.segmentPath(PLAN, c, "txt"), "utf8")).toBe(segmentText(c));
  });
});

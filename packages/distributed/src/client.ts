import { randomUUID } from "node:crypto";
import { FlowProducer, Job, Queue, type FlowJobNode, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import { FrameloomError, abortError, assertNotAborted, errorMessage } from "@frameloom/shared-helpers";
import { DistributedErrors } from "./errors.js";
import { chunkJobId, chunkOfJob, enqueueLockKey, flowPointerKey, generationKey, jobIdOfKey, parentJobId } from "./ids.js";
import { assertRedisReachable, checkRedisUrl, closeWithin, DEFAULT_QUEUE, KEY_PREFIX, redactUrl } from "./redis.js";
import type { PlanStorage } from "./storage.js";
import { chunkKey, type AssembleJobData, type Chunk, type ChunkJobData, type DistributedProgress } from "./types.js";
import { checkChunks, checkExt, checkNonNegativeInt, checkPlanHash, checkPositiveInt, checkQueueName } from "./validate.js";

export interface RunDistributedOptions {
  redisUrl: string;
  queue?: string;
  planDir: string;
  planHash: string;
  chunks: Chunk[];
  segmentExt: string;
  storage: PlanStorage;
  outputPath: string;
  /** Frames the chunks cover (the progress denominator). */
  totalFrames: number;
  /** Attempts per chunk, and for the assemble job (default 3). */
  attempts?: number;
  /** First retry delay; doubles per attempt (default 1000 ms). */
  backoffMs?: number;
  /** How often the client reads the flow's state (default 250 ms). */
  pollMs?: number;
  /** How long Redis may stay unanswering while waiting before the run fails (default 15 000 ms; the flow stays queued). */
  redisLossMs?: number;
  onProgress?(p: DistributedProgress): void;
  /** Stops waiting and closes the connections; the jobs stay in Redis, so a re-run resumes. */
  signal?: AbortSignal;
}

export interface DistributedResult {
  /** Chunks that had no segment when the run started (rendered by the workers). */
  chunksRendered: number;
  /** Chunks whose segment was already in storage (earlier runs): not queued. */
  chunksReused: number;
  wallMs: number;
  /** The assemble job this run waited on. */
  jobId: string;
  /** True when the run joined a flow an earlier, interrupted client had queued. */
  attached: boolean;
}

// A flow in these states still ends in an assemble: join it instead of queueing a second one.
const LIVE = new Set(["waiting-children", "waiting", "active", "delayed", "prioritized"]);
const KEEP_COMPLETED = { age: 24 * 3600 };
const KEEP_FAILED = { age: 7 * 24 * 3600 };
// Longer than any job is kept, so a generation number is never handed out twice for live ids.
const META_TTL_S = 30 * 24 * 3600;
const LOCK_TTL_MS = 15_000;

/** Rejects when `signal` fires, so no Redis call can keep an aborted client waiting. */
function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const sameChunks = (a: readonly Chunk[], b: readonly Chunk[]) =>
  a.length === b.length && a.every((c, i) => c.from === b[i].from && c.to === b[i].to);

/**
 * Renders a plan on the workers: one BullMQ flow, a parent `assemble` job with one child job per
 * chunk that has no segment yet, and waits for the parent. Retries (with exponential backoff) and
 * recovery from dead workers are BullMQ's; segments already in storage are never queued again.
 */
export async function runDistributed(o: RunDistributedOptions): Promise<DistributedResult> {
  const started = Date.now();
  const url = checkRedisUrl(o.redisUrl);
  const queueName = checkQueueName(o.queue ?? DEFAULT_QUEUE);
  const planHash = checkPlanHash(o.planHash);
  const ext = checkExt(o.segmentExt);
  const chunks = checkChunks(o.chunks);
  const totalFrames = checkPositiveInt("totalFrames", o.totalFrames, 0);
  const attempts = checkPositiveInt("attempts", o.attempts, 3);
  const backoffMs = checkNonNegativeInt("backoffMs", o.backoffMs, 1000);
  const pollMs = checkPositiveInt("pollMs", o.pollMs, 250);
  const redisLossMs = checkPositiveInt("redisLossMs", o.redisLossMs, 15_000);
  for (const [name, value] of [["planDir", o.planDir], ["outputPath", o.outputPath]] as const) {
    if (typeof value !== "string" || value === "") throw new FrameloomError(DistributedErrors.OPTIONS_INVALID, `${name} must be a non-empty path, received ${JSON.stringify(value)}`);
  }
  const { storage, signal } = o;
  assertNotAborted(signal);
  await raceAbort(assertRedisReachable(url), signal);

  const present = await Promise.all(chunks.map((c) => storage.hasSegment(planHash, c, ext)));
  const missing = chunks.filter((_, i) => !present[i]);
  const reused = chunks.filter((_, i) => present[i]);

  // Commands fail after a few quick reconnect attempts (about 1.5 s) instead of queueing forever
  // (ioredis' default) or backing off up to 20 s (BullMQ's): waitForFlow decides when to give up.
  const retryStrategy = (times: number) => Math.min(times * 250, 1000);
  const connection = { url, maxRetriesPerRequest: 3, connectTimeout: 5000, retryStrategy };
  const queue = new Queue(queueName, { connection, prefix: KEY_PREFIX });
  const flow = new FlowProducer({ connection, prefix: KEY_PREFIX });
  const redis = new Redis(url, { maxRetriesPerRequest: 3, connectTimeout: 5000, retryStrategy, lazyConnect: true });
  // BullMQ and ioredis emit connection errors as events; the calls below report them.
  queue.on("error", () => {});
  flow.on("error", () => {});
  redis.on("error", () => {});
  try {
    await raceAbort(redis.connect(), signal);
    const { parentId, attached } = await raceAbort(
      enqueue({ redis, queue, flow, queueName, planHash, ext, chunks, missing, attempts, backoffMs, planDir: o.planDir, outputPath: o.outputPath, storage }),
      signal,
    ).catch((e: unknown) => {
      if (e instanceof FrameloomError) throw e;
      throw new FrameloomError(DistributedErrors.REDIS_UNREACHABLE, `could not queue plan ${planHash} on Redis at ${redactUrl(url)}: ${errorMessage(e)}`, { cause: e, retryable: true });
    });
    await waitForFlow({ queue, parentId, chunks, reused, totalFrames, pollMs, redisLossMs, attempts, url, onProgress: o.onProgress, signal });
    return { chunksRendered: missing.length, chunksReused: reused.length, wallMs: Date.now() - started, jobId: parentId, attached };
  } finally {
    await Promise.all([closeWithin(queue), closeWithin(flow), closeWithin({ close: () => redis.quit().then(() => {}), disconnect: async () => redis.disconnect() })]);
    // quit() can leave the socket to a later tick; nothing may keep the process alive.
    redis.disconnect();
  }
}

interface EnqueueArgs {
  redis: Redis;
  queue: Queue;
  flow: FlowProducer;
  queueName: string;
  planHash: string;
  ext: string;
  chunks: Chunk[];
  missing: Chunk[];
  attempts: number;
  backoffMs: number;
  planDir: string;
  outputPath: string;
  storage: PlanStorage;
}

/** Joins the plan's live flow when it renders the same chunks to the same output, else queues a new one. */
async function enqueue(a: EnqueueArgs): Promise<{ parentId: string; attached: boolean }> {
  const lockKey = enqueueLockKey(a.queueName, a.planHash);
  const pointerKey = flowPointerKey(a.queueName, a.planHash);
  const token = randomUUID();
  // Two clients starting the same plan at once must not queue two assembles of one output.
  const deadline = Date.now() + LOCK_TTL_MS;
  while ((await a.redis.set(lockKey, token, "PX", LOCK_TTL_MS, "NX")) !== "OK") {
    if (Date.now() > deadline) {
      throw new FrameloomError(DistributedErrors.PLAN_BUSY, `another client has been queueing plan ${a.planHash} for ${LOCK_TTL_MS} ms (lock ${lockKey}); try again`);
    }
    await sleep(100);
  }
  try {
    const current = await a.redis.get(pointerKey);
    if (current) {
      const parent = await Job.fromId<AssembleJobData>(a.queue, current);
      const state = parent ? await parent.getState() : "unknown";
      if (parent && LIVE.has(state) && !parent.deferredFailure && sameChunks(parent.data.chunks ?? [], a.chunks) && parent.data.outputPath === a.outputPath) {
        return { parentId: current, attached: true };
      }
    }
    const gen = await a.redis.incr(generationKey(a.queueName, a.planHash));
    await a.redis.expire(generationKey(a.queueName, a.planHash), META_TTL_S);
    const parentId = parentJobId(a.planHash, gen);
    const retry: JobsOptions = { attempts: a.attempts, backoff: { type: "exponential", delay: a.backoffMs } };
    const children: FlowJobNode[] = a.missing.map((chunk) => {
      const data: ChunkJobData = { planDir: a.planDir, planHash: a.planHash, chunk, segmentExt: a.ext, segmentPath: a.storage.segmentPath(a.planHash, chunk, a.ext) };
      return {
        name: "chunk",
        queueName: a.queueName,
        data,
        opts: { ...retry, jobId: chunkJobId(a.planHash, gen, chunk), failParentOnFailure: true, removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
      };
    });
    const data: AssembleJobData = {
      planDir: a.planDir,
      planHash: a.planHash,
      chunks: a.chunks,
      segmentExt: a.ext,
      segmentPaths: a.chunks.map((c) => a.storage.segmentPath(a.planHash, c, a.ext)),
      outputPath: a.outputPath,
    };
    await a.flow.add({
      name: "assemble",
      queueName: a.queueName,
      data,
      opts: { ...retry, jobId: parentId, removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
      children,
    });
    await a.redis.set(pointerKey, parentId, "EX", META_TTL_S);
    return { parentId, attached: false };
  } finally {
    // Only our own lock: it may have expired and been taken by another client meanwhile.
    await a.redis
      .eval(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`, 1, lockKey, token)
      .catch(() => {});
  }
}

interface WaitArgs {
  queue: Queue;
  parentId: string;
  chunks: Chunk[];
  reused: Chunk[];
  totalFrames: number;
  pollMs: number;
  redisLossMs: number;
  attempts: number;
  url: string;
  onProgress?(p: DistributedProgress): void;
  signal?: AbortSignal;
}

/** Polls the parent until it completes; throws the failing chunk (or assemble) with its last error. */
async function waitForFlow(w: WaitArgs): Promise<void> {
  const wanted = new Map(w.chunks.map((c) => [chunkKey(c), c]));
  const done = new Set(w.reused.map(chunkKey));
  const framesOf = (keys: Iterable<string>) => [...keys].reduce((n, k) => n + (wanted.get(k)!.to - wanted.get(k)!.from), 0);
  const framesAtStart = framesOf(done);
  const t0 = Date.now();
  let lastSignature = "";
  let lastEmit = 0;
  let failingSince: number | null = null;

  const report = (running: number, failed: number, force = false) => {
    if (!w.onProgress) return;
    const framesDone = framesOf(done);
    const rendered = framesDone - framesAtStart;
    const elapsed = (Date.now() - t0) / 1000;
    const etaSec = framesDone >= w.totalFrames ? 0 : rendered > 0 ? Math.round(((w.totalFrames - framesDone) * elapsed) / rendered) : null;
    const p: DistributedProgress = { framesDone, totalFrames: w.totalFrames, chunksDone: done.size, chunksRunning: running, chunksFailed: failed, chunksTotal: w.chunks.length, etaSec };
    const signature = `${framesDone}/${running}/${failed}`;
    // On every change, and about once a second otherwise (the ETA moves).
    if (!force && signature === lastSignature && Date.now() - lastEmit < 1000) return;
    lastSignature = signature;
    lastEmit = Date.now();
    try {
      w.onProgress(p);
    } catch {
      /* a progress callback must not fail the render */
    }
  };

  for (let first = true; ; first = false) {
    if (!first) await sleep(w.pollMs, w.signal);
    let tick: { state: string; parent: Job<AssembleJobData>; running: number; failed: number; unprocessed: Job[] };
    try {
      tick = await raceAbort(readFlow(w.queue, w.parentId, wanted, done), w.signal);
      failingSince = null;
    } catch (e) {
      if (e instanceof FrameloomError) throw e;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > w.redisLossMs) {
        throw new FrameloomError(
          DistributedErrors.REDIS_UNREACHABLE,
          `lost Redis at ${redactUrl(w.url)} while waiting for ${w.parentId} (${errorMessage(e)}); the render stays queued: run it again to resume`,
          { cause: e, retryable: true },
        );
      }
      continue;
    }
    const { state, parent } = tick;
    if (state === "completed") {
      for (const k of wanted.keys()) done.add(k);
      report(0, tick.failed, true);
      return;
    }
    if (state === "failed" || parent.deferredFailure) {
      report(tick.running, tick.failed + 1, true);
      throw await flowFailure(w, parent, tick.unprocessed);
    }
    report(tick.running, tick.failed);
  }
}

async function readFlow(queue: Queue, parentId: string, wanted: Map<string, Chunk>, done: Set<string>) {
  const parent = await Job.fromId<AssembleJobData>(queue, parentId);
  if (!parent) {
    throw new FrameloomError(DistributedErrors.JOB_LOST, `assemble job ${parentId} is no longer in Redis (removed by hand, or Redis was flushed); run the render again`);
  }
  const state = await parent.getState();
  const deps = await parent.getDependencies();
  for (const key of Object.keys(deps.processed ?? {})) {
    const c = chunkOfJob(key);
    if (c && wanted.has(chunkKey(c))) done.add(chunkKey(c));
  }
  const ids = (deps.unprocessed ?? []).map(jobIdOfKey);
  const [jobs, active] = await Promise.all([Promise.all(ids.map((id) => Job.fromId(queue, id))), ids.length ? queue.getActive() : Promise.resolve([])]);
  const unprocessed = jobs.filter((j): j is Job => j !== undefined);
  const ours = new Set(ids);
  const running = active.filter((j) => j.id !== undefined && ours.has(j.id)).length;
  const failed = unprocessed.filter((j) => j.attemptsMade > 0).length;
  return { state, parent, running, failed, unprocessed };
}

/** The error for a failed flow: the chunk that ran out of attempts, else the assemble itself; stops the rest. */
async function flowFailure(w: WaitArgs, parent: Job<AssembleJobData>, unprocessed: Job[]): Promise<FrameloomError> {
  // BullMQ records which child failed the parent: "child <prefix>:<queue>:<id> failed".
  const reason = parent.deferredFailure || parent.failedReason || "";
  const childKey = /child (\S+) failed/.exec(reason)?.[1];
  // The flow is over: chunks not started yet are dropped (running ones finish, and their segments are kept).
  await Promise.all(unprocessed.map((j) => w.queue.remove(j.id!).catch(() => 0)));
  if (childKey) {
    const child = await Job.fromId<ChunkJobData>(w.queue, jobIdOfKey(childKey)).catch(() => undefined);
    const chunk = child?.data.chunk ?? chunkOfJob(childKey);
    const range = chunk ? `${chunk.from}-${chunk.to}` : jobIdOfKey(childKey);
    const last = child?.failedReason || "no error recorded";
    const tries = child?.attemptsMade ?? w.attempts;
    return new FrameloomError(
      DistributedErrors.CHUNK_FAILED,
      `chunk ${range} (frames [${range.replace("-", ", ")})) failed after ${tries} attempt${tries === 1 ? "" : "s"}: ${last}`,
      { details: { chunk, jobId: child?.id ?? jobIdOfKey(childKey), attempts: tries, failedReason: last, stacktrace: child?.stacktrace } },
    );
  }
  return new FrameloomError(
    DistributedErrors.ASSEMBLE_FAILED,
    `assembling ${parent.data.outputPath} failed after ${parent.attemptsMade} attempt${parent.attemptsMade === 1 ? "" : "s"}: ${reason || "no error recorded"}`,
    { details: { jobId: parent.id, failedReason: reason, stacktrace: parent.stacktrace } },
  );
}

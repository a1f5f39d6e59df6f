import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { UnrecoverableError, WaitingError, Worker, type Job } from "bullmq";
import { FrameloomError, errorMessage } from "@frameloom/shared-helpers";
import { DistributedErrors } from "./errors.js";
import { assertRedisReachable, checkRedisUrl, closeWithin, DEFAULT_QUEUE, KEY_PREFIX, redactUrl } from "./redis.js";
import type { PlanStorage } from "./storage.js";
import { chunkKey, type AssembleJobData, type ChunkJobData, type WorkerEvent, type WorkerHandlers } from "./types.js";
import { checkChunk, checkChunks, checkExt, checkPlanHash, checkPositiveInt, checkQueueName } from "./validate.js";

export interface StartWorkerOptions {
  redisUrl: string;
  queue?: string;
  /** Jobs this worker runs at once (default 1: a chunk render already uses the machine). */
  concurrency?: number;
  handlers: WorkerHandlers;
  storage: PlanStorage;
  onEvent?(event: WorkerEvent): void;
  /** Lock on a running job, renewed every half of it; a killed worker's job is free again this long after. Default 10 000. */
  lockDurationMs?: number;
  /** How often workers look for running jobs whose lock expired (a dead worker's). Default 5 000. */
  stalledIntervalMs?: number;
  /** Times one job may be taken back from dead workers before it fails. Default 3. */
  maxStalledCount?: number;
  /** On close, how long running handlers get to honour the abort before the worker disconnects anyway. Default 10 000. */
  closeGraceMs?: number;
  /** Stored on every job this worker takes (shows who rendered what). */
  name?: string;
}

export interface DistributedWorker {
  /**
   * Stops taking jobs, aborts the running handlers and hands their jobs back to the queue (so
   * another worker starts them at once, without waiting for the lock to expire), then closes
   * every connection.
   */
  close(): Promise<void>;
}

const CLOSING = "worker closing";

/** Starts a worker that renders chunk jobs and assembles finished flows, until closed. */
export async function startWorker(o: StartWorkerOptions): Promise<DistributedWorker> {
  const url = checkRedisUrl(o.redisUrl);
  const queueName = checkQueueName(o.queue ?? DEFAULT_QUEUE);
  const concurrency = checkPositiveInt("concurrency", o.concurrency, 1);
  const lockDuration = checkPositiveInt("lockDurationMs", o.lockDurationMs, 10_000);
  const stalledInterval = checkPositiveInt("stalledIntervalMs", o.stalledIntervalMs, 5_000);
  const maxStalledCount = checkPositiveInt("maxStalledCount", o.maxStalledCount, 3);
  const closeGraceMs = checkPositiveInt("closeGraceMs", o.closeGraceMs, 10_000);
  const { handlers, storage } = o;
  const emit = (e: WorkerEvent) => {
    try {
      o.onEvent?.(e);
    } catch {
      /* a logging callback must not fail a render */
    }
  };
  await assertRedisReachable(url);

  let closing = false;
  const running = new Set<Promise<unknown>>();

  /** After an abort caused by close(): back to wait, without using up an attempt. */
  const requeue = async (job: Job, token: string | undefined): Promise<never> => {
    try {
      await job.moveToWait(token);
    } catch {
      /* lock already gone: the stalled check returns the job instead */
    }
    throw new WaitingError();
  };

  const renderChunk = async (job: Job<ChunkJobData>, token: string | undefined, signal: AbortSignal) => {
    const { planDir, planHash } = job.data;
    const chunk = checkChunk(job.data.chunk);
    const ext = checkExt(job.data.segmentExt);
    const jobId = job.id ?? "";
    // A segment already committed (an earlier run, or this job before its worker died) is final.
    if (await storage.hasSegment(planHash, chunk, ext)) {
      emit({ type: "chunk-reused", chunk, planHash, jobId });
      return { chunk, reused: true };
    }
    const attempt = job.attemptsMade + 1;
    const temp = storage.tempSegmentPath(planHash, chunk, ext);
    const started = Date.now();
    emit({ type: "chunk-start", chunk, planHash, attempt, jobId });
    try {
      await mkdir(path.dirname(temp), { recursive: true });
      await handlers.renderChunk({ planDir, planHash, chunk, outputPath: temp, attempt }, signal);
      const segmentPath = await storage.commitSegment(temp, planHash, chunk, ext);
      emit({ type: "chunk-done", chunk, planHash, ms: Date.now() - started, jobId });
      return { chunk, reused: false, segmentPath };
    } catch (e) {
      await rm(temp, { force: true }).catch(() => {});
      if (closing) {
        emit({ type: "chunk-requeued", chunk, planHash, jobId });
        return requeue(job, token);
      }
      emit({ type: "chunk-failed", chunk, planHash, attempt, error: errorMessage(e), jobId });
      throw e;
    }
  };

  const assemble = async (job: Job<AssembleJobData>, token: string | undefined, signal: AbortSignal) => {
    const planHash = checkPlanHash(job.data.planHash);
    const ext = checkExt(job.data.segmentExt);
    const chunks = checkChunks(job.data.chunks);
    const jobId = job.id ?? "";
    // Paths as this worker's storage sees them (the shared directory may be mounted elsewhere here).
    for (const chunk of chunks) {
      if (!(await storage.hasSegment(planHash, chunk, ext))) {
        const msg = `[${DistributedErrors.SEGMENT_MISSING}] segment of chunk ${chunkKey(chunk)} is missing at ${storage.segmentPath(planHash, chunk, ext)}`;
        emit({ type: "assemble-failed", planHash, error: msg, jobId });
        // Retrying cannot bring it back; a re-run of the plan renders it again.
        throw new UnrecoverableError(msg);
      }
    }
    const data: AssembleJobData = { ...job.data, chunks, segmentPaths: chunks.map((c) => storage.segmentPath(planHash, c, ext)) };
    const started = Date.now();
    emit({ type: "assemble-start", planHash, outputPath: data.outputPath, jobId });
    try {
      await handlers.assemble(data, signal);
    } catch (e) {
      if (closing) return requeue(job, token);
      emit({ type: "assemble-failed", planHash, error: errorMessage(e), jobId });
      throw e;
    }
    emit({ type: "assemble-done", planHash, outputPath: data.outputPath, ms: Date.now() - started, jobId });
    return { outputPath: data.outputPath };
  };

  // Three parameters: BullMQ passes an AbortSignal only to processors that declare it.
  const processor = async (job: Job, token?: string, bullSignal?: AbortSignal) => {
    const controller = new AbortController();
    const onAbort = () => controller.abort(bullSignal?.reason ?? CLOSING);
    if (bullSignal?.aborted) onAbort();
    bullSignal?.addEventListener("abort", onAbort, { once: true });
    const work = (async () => {
      // Fetched while closing: give it straight back.
      if (closing) return requeue(job, token);
      if (job.name === "chunk") return renderChunk(job as Job<ChunkJobData>, token, controller.signal);
      if (job.name === "assemble") return assemble(job as Job<AssembleJobData>, token, controller.signal);
      throw new UnrecoverableError(`unknown job "${job.name}" in queue ${queueName}`);
    })();
    running.add(work);
    try {
      return await work;
    } finally {
      running.delete(work);
      bullSignal?.removeEventListener("abort", onAbort);
    }
  };

  const worker = new Worker(queueName, processor, {
    connection: { url, maxRetriesPerRequest: null },
    prefix: KEY_PREFIX,
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount,
    name: o.name,
    autorun: true,
  });
  worker.on("error", (e) => emit({ type: "error", error: errorMessage(e) }));
  try {
    await worker.waitUntilReady();
  } catch (e) {
    await closeWithin({ close: () => worker.close(true), disconnect: () => worker.disconnect() });
    throw new FrameloomError(DistributedErrors.REDIS_UNREACHABLE, `worker could not connect to Redis at ${redactUrl(url)}: ${errorMessage(e)}`, { cause: e });
  }

  let closed: Promise<void> | undefined;
  return {
    close() {
      closed ??= (async () => {
        closing = true;
        // Stops fetching first, then aborts what runs; the processors hand their jobs back.
        const graceful = worker.close();
        worker.cancelAllJobs(CLOSING);
        let timer: NodeJS.Timeout | undefined;
        const done = await Promise.race([
          graceful.then(
            () => true,
            () => true,
          ),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), closeGraceMs);
          }),
        ]);
        clearTimeout(timer);
        // A handler that ignored the abort (or Redis gone): drop the connections; that job's lock
        // expires and another worker takes it.
        if (!done) await worker.disconnect().catch(() => {});
      })();
      return closed;
    },
  };
}

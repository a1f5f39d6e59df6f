/**
 * Distributed rendering on BullMQ + Redis (@frameloom/distributed): `frameloom worker` renders
 * chunks of plan dirs and assembles finished renders; `frameloom render --distributed` plans the
 * render into shared storage, queues the chunks whose segment is not there yet, shows progress
 * across them and moves the assembled file into place.
 *
 * Invariants:
 * - Storage is a directory every worker sees (`--storage`, default `.frameloom-distributed/` next
 *   to the output): the plan dir and, keyed by plan hash and range, the segments and the
 *   assembled output. Re-running the same render re-uses every segment already there.
 * - Redis is checked first (FLM_ERR_DISTRIBUTED_REDIS_UNREACHABLE within 5 s, naming the URL).
 * - The final output is written by one rename from storage (same filesystem by default); a
 *   failed render leaves no output.
 */
import { mkdir, rename, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { FrameloomError, errorMessage, isFrameloomError } from "@frameloom/shared-helpers";
import {
  assertRedisReachable,
  runDistributed,
  sharedDirectoryStorage,
  startWorker,
  type DistributedProgress,
  type DistributedWorker,
  type WorkerEvent,
} from "@frameloom/distributed";
import { CliErrors } from "./errors.js";
import { DEFAULT_CHUNK_SIZE, assemblePlan, planProject, renderPlanRange, type PlanApiOptions } from "./planCommands.js";

/** The segment extension of a plan: its container, or `frames` for png-sequence segment directories. */
export function segmentExtOf(format: string): string {
  return format === "png-sequence" ? "frames" : format;
}

export interface WorkerOptions {
  redisUrl: string;
  queue?: string;
  /** Chunk jobs at once (default 1). */
  concurrency?: number;
  /** Browsers per chunk render (default 1: run more worker processes instead). */
  captureWorkers?: number | "auto";
  /** The shared storage root, as the client names it (`render --distributed --storage`). */
  storage: string;
  onEvent?(event: WorkerEvent): void;
  onWarning?(message: string): void;
}

/** Starts a worker: chunks are rendered from the plan dir a job names; a finished flow is assembled. */
export async function startRenderWorker(o: WorkerOptions): Promise<DistributedWorker> {
  return startWorker({
    redisUrl: o.redisUrl,
    queue: o.queue,
    concurrency: o.concurrency,
    storage: sharedDirectoryStorage(o.storage),
    onEvent: o.onEvent,
    handlers: {
      renderChunk: (job, signal) =>
        withCode(
          renderPlanRange({
            planDir: job.planDir,
            frames: job.chunk,
            output: job.outputPath,
            workers: o.captureWorkers ?? 1,
            signal,
            onWarning: o.onWarning,
          }),
        ),
      assemble: (job, signal) =>
        withCode(
          assemblePlan({
            planDir: job.planDir,
            segments: job.chunks.map((chunk, i) => ({ path: job.segmentPaths[i]!, ...chunk })),
            output: job.outputPath,
            signal,
          }),
        ),
    },
  });
}

/** A job's failure as BullMQ records it (the message only): keep the stable code in it, for the client's error. */
async function withCode(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (isFrameloomError(error) && !error.message.includes(error.code)) {
      throw new FrameloomError(error.code, `${error.message} [${error.code}]`, { cause: error, details: error.details });
    }
    throw error;
  }
}

export interface DistributedRenderOptions extends Omit<PlanApiOptions, "planDir" | "output"> {
  output: string;
  redisUrl: string;
  queue?: string;
  /** Shared storage root every worker sees; default `<output dir>/.frameloom-distributed`. */
  storage?: string;
  /** Attempts per chunk before the render fails (default 3). */
  attempts?: number;
  onProgress?(p: DistributedProgress): void;
}

export interface DistributedSummary {
  output: string;
  frames: number;
  chunks: number;
  chunksRendered: number;
  chunksReused: number;
  planHash: string;
  planMs: number;
  wallMs: number;
  preset: string;
  hdr: { mode: string; transfer: "pq" | "hlg" | null; reason: string };
  warnings: string[];
}

export async function renderDistributed(o: DistributedRenderOptions): Promise<DistributedSummary> {
  const started = performance.now();
  const { redisUrl, queue, storage: storageOption, attempts, onProgress, output: outputOption, ...planOptions } = o;
  const output = path.resolve(outputOption);
  await assertRedisReachable(redisUrl);
  const root = path.resolve(storageOption ?? path.join(path.dirname(output), ".frameloom-distributed"));
  const planDir = path.join(root, "plans", path.basename(output));
  await mkdir(path.dirname(planDir), { recursive: true });
  const planned = await planProject({ ...planOptions, output, planDir, chunkSize: planOptions.chunkSize ?? DEFAULT_CHUNK_SIZE });
  const { plan, manifest } = planned;
  if (plan.output.encode.format === "gif") {
    // Every chunk would fail every attempt: say so before anything is queued.
    throw new FrameloomError(CliErrors.OPTION_INVALID, "gif cannot be rendered in chunks (its palette is built over the whole render): render it locally, or render mp4/webm/png-sequence distributed");
  }
  const ext = segmentExtOf(plan.output.encode.format);
  const storage = sharedDirectoryStorage(root);
  const assembled = path.join(root, "outputs", `${manifest.planHash}${path.extname(output) || ".frames"}`);
  await mkdir(path.dirname(assembled), { recursive: true });
  const result = await runDistributed({
    redisUrl,
    queue,
    planDir: planned.dir,
    planHash: manifest.planHash,
    chunks: manifest.chunks,
    segmentExt: ext,
    storage,
    outputPath: assembled,
    totalFrames: plan.range.to - plan.range.from,
    attempts,
    onProgress,
    signal: o.signal,
  });
  await moveIntoPlace(assembled, output);
  return {
    output,
    frames: plan.range.to - plan.range.from,
    chunks: manifest.chunks.length,
    chunksRendered: result.chunksRendered,
    chunksReused: result.chunksReused,
    planHash: manifest.planHash,
    planMs: planned.planMs,
    wallMs: Math.round(performance.now() - started),
    preset: plan.output.preset,
    hdr: plan.hdr,
    warnings: plan.warnings,
  };
}

/** The assembled file from storage to the user's output by one rename; never over a directory (png-sequence: an empty one). */
async function moveIntoPlace(from: string, to: string): Promise<void> {
  const existing = await stat(to).catch(() => null);
  const source = await stat(from);
  if (existing?.isDirectory() && !source.isDirectory()) {
    throw new FrameloomError(CliErrors.OPTION_INVALID, `output "${to}" is an existing directory; name a file`);
  }
  await mkdir(path.dirname(to), { recursive: true });
  try {
    // An empty directory makes way for a sequence (rmdir refuses a non-empty one: nothing of the user's is deleted).
    if (existing?.isDirectory()) await rmdir(to);
    await rename(from, to);
  } catch (error) {
    throw new FrameloomError(CliErrors.OPTION_INVALID, `cannot move the assembled render to "${to}": ${errorMessage(error)}`, { cause: error });
  }
}

/** One line of distributed progress. */
export function progressLine(p: DistributedProgress): string {
  const eta = p.etaSec === null ? "?" : `${Math.round(p.etaSec)} s`;
  return `frames ${p.framesDone}/${p.totalFrames} | chunks ${p.chunksDone}/${p.chunksTotal} done, ${p.chunksRunning} running, ${p.chunksFailed} failed | ETA ${eta}`;
}


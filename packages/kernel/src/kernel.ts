/**
 * The kernel: a small sequencer. It resolves and checks a stage set, then runs the stages in order
 * over one render job, timing each (`perfStages.<stage>Ms`), forwarding progress, honouring an
 * AbortSignal, and cleaning up on every exit path. It never names a concrete stage.
 *
 * Invariants:
 * - Nothing starts (no browser, no ffmpeg) until every stage resolved and the set checked out.
 * - The output is written under a temp name in the output's directory and renamed only on success;
 *   a failed or cancelled render leaves no output file and no temp directory.
 * - The output never replaces a directory (png-sequence: only an empty one or a previous sequence),
 *   the input, or a file the composition reads (outputGuard.ts): checked before any stage runs, then
 *   against the composition's files as soon as a stage provides `composition`.
 * - A stage's result may carry `settled`: that stage is timed until it resolves (streaming).
 * - Each value has one provider (checked in stages.ts); what a stage reports about its run (`stats`, or what
 *   `settled` resolves with) is recorded by stage name in the result, never read from mutable objects.
 * - Nothing here names a concrete stage: which stage's progress counts frames (`meta.countsFrames`) and whose
 *   failure yields to an upstream producer's (`meta.yieldsToProducer`) come from stage meta.
 */
import { access, mkdir, rm } from "node:fs/promises";
import { constants } from "node:fs";
import { setMaxListeners } from "node:events";
import path from "node:path";
import {
  FrameloomError,
  abortError,
  createJob,
  createTempDir,
  errorMessage,
  isFrameloomError,
  removeOnParentDeath,
  updateJobStatus,
  type RenderConfig,
  type RenderJob,
  type Stage,
  type StageContext,
  type StageProgress,
  type StageStats,
} from "@frameloom/shared-helpers";
import { KernelErrors } from "./errors.js";
import { HookRunner, type KernelHooks } from "./hooks.js";
import { assertNotAnInput, assertOutputTarget, replaceOutput } from "./outputGuard.js";
import { checkStages, resolveStages, type StageSet } from "./stages.js";

export interface RenderRequest {
  config: RenderConfig;
  stages: StageSet;
  signal?: AbortSignal;
  hooks?: Partial<KernelHooks>;
  /** Base for relative stage module paths. */
  cwd?: string;
  /**
   * False: the stage set writes no output file at `outputPath` (e.g. `frameloom plan`, whose last stage writes a plan
   * directory itself); the output checks and the final rename are skipped. Default true.
   */
  producesOutput?: boolean;
}

export interface RenderResult {
  job: RenderJob;
  /** Every value the stages provided, by name. */
  values: Record<string, unknown>;
  /** What each stage reported about its run (`stats` / the value `settled` resolved with), by stage name. */
  stats: Record<string, StageStats>;
}

/** Where the output is written until the render succeeds: same directory, so rename is atomic. */
export function tempOutputPath(output: string, jobId: string): string {
  const ext = path.extname(output);
  return path.join(path.dirname(output), `.${path.basename(output, ext)}.${jobId}.partial${ext}`);
}

async function assertOutputWritable(output: string): Promise<void> {
  const dir = path.dirname(output);
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    throw new FrameloomError(
      KernelErrors.OUTPUT_UNWRITABLE,
      `cannot write the output "${output}": directory "${dir}" is not writable (${errorMessage(error)})`,
      { cause: error },
    );
  }
}

export class Kernel {
  readonly hooks = new HookRunner();

  addHook<K extends keyof KernelHooks>(name: K, fn: KernelHooks[K]): this {
    this.hooks.add(name, fn);
    return this;
  }

  async render(request: RenderRequest): Promise<RenderResult> {
    for (const [name, fn] of Object.entries(request.hooks ?? {})) this.hooks.add(name as keyof KernelHooks, fn as never);
    const stages = await resolveStages(request.stages, request.cwd);
    checkStages(stages);
    const producesOutput = request.producesOutput !== false;
    if (producesOutput) {
      await assertOutputTarget(request.config);
      await assertOutputWritable(request.config.output);
    }

    let job = createJob(request.config);
    const controller = new AbortController();
    // Browsers, ffmpeg processes and decoders each listen for cancellation: more than Node's default 10.
    setMaxListeners(256, controller.signal);
    const onOuterAbort = () => controller.abort(request.signal?.reason);
    if (request.signal?.aborted) throw abortError(request.signal);
    request.signal?.addEventListener("abort", onOuterAbort, { once: true });

    const workDir = await createTempDir("render");
    const outputPath = tempOutputPath(request.config.output, job.id);
    // A killed render (SIGKILL included) leaves no partial output: the watchdog removes it.
    const forgetPartial = removeOnParentDeath(outputPath);
    const values: Record<string, unknown> = { config: request.config, outputPath };
    const stats: Record<string, StageStats> = {};
    const settled: Promise<unknown>[] = [];
    let failure: unknown;

    const setJob = (patch: Parameters<typeof updateJobStatus>[1]) => {
      job = updateJobStatus(job, patch);
    };
    const emitProgress = (stage: Stage["meta"], update: StageProgress) => {
      setJob({
        totalFrames: update.totalFrames || job.totalFrames,
        workers: update.workers ?? job.workers,
        ...(stage.countsFrames ? { framesRendered: update.framesDone } : {}),
      });
      // Capture is the long stage; the last 5 % is the encoder draining and the rename.
      if (job.totalFrames) setJob({ progress: (0.95 * job.framesRendered) / job.totalFrames });
      this.hooks.emit("onProgress", {
        jobId: job.id,
        stage: stage.name,
        status: job.status,
        progress: job.progress,
        framesDone: update.framesDone,
        totalFrames: update.totalFrames,
        workers: job.workers,
        message: update.message,
      });
    };

    setJob({ status: "running" });
    try {
      for (const stage of stages) {
        const name = stage.meta.name;
        if (controller.signal.aborted) throw abortError(controller.signal);
        setJob({ stage: name });
        await this.hooks.run("onStageStart", { stage: name }, name);
        const ctx: StageContext = {
          signal: controller.signal,
          config: request.config,
          workDir: workDir.path,
          progress: (update) => emitProgress(stage.meta, update),
          warn: (message) => {
            setJob({ warnings: [...job.warnings, message] });
            this.hooks.emit("onWarning", message);
          },
        };
        const wanted = [...Object.keys(stage.meta.needs), ...Object.keys(stage.meta.optional ?? {}).filter((key) => key in values)];
        const input = Object.fromEntries(wanted.map((key) => [key, values[key]]));
        const started = performance.now();
        const timed = (ms: number) => {
          setJob({ perfStages: { [`${name}Ms`]: Math.round(ms) } });
        };
        const result = (await stage.run(input, ctx)) as Record<string, unknown> & { stats?: StageStats; settled?: Promise<StageStats | void> };
        for (const [key, type] of Object.entries(stage.meta.provides)) {
          if (!(key in result)) {
            throw new FrameloomError(KernelErrors.STAGE_RESULT, `stage "${name}" did not return "${key}", which its meta provides`);
          }
          values[key] = result[key];
          // The output must never replace a file the composition reads.
          if (type === "Composition" && producesOutput) await assertNotAnInput(request.config.output, result[key] as never);
        }
        if (result.stats) stats[name] = { ...result.stats };
        if (result.settled) {
          // A stream producer: it is done (and timed) when its stream is drained. A rejection aborts the rest.
          const done = result.settled.then(
            (reported) => {
              timed(performance.now() - started);
              if (reported) stats[name] = { ...stats[name], ...reported };
            },
            (error) => {
              controller.abort(error);
              throw error;
            },
          );
          done.catch(() => {});
          settled.push(done);
        } else {
          timed(performance.now() - started);
        }
        await this.hooks.run("onStageEnd", { stage: name, ms: performance.now() - started }, name);
      }
      await Promise.all(settled);
      if (producesOutput) await replaceOutput(outputPath, request.config.output, request.config.presets.requested.encode.format);
      setJob({ status: "done", progress: 1, stage: null });
      return { job, values, stats };
    } catch (error) {
      controller.abort(error);
      // A streaming producer's failure is the root cause of the consumer's; prefer it.
      const producerErrors = await Promise.allSettled(settled);
      const rootCause = producerErrors.find((r): r is PromiseRejectedResult => r.status === "rejected")?.reason;
      const failedStage = stages.find((s) => s.meta.name === job.stage);
      failure = pickRootCause(error, rootCause, failedStage?.meta.yieldsToProducer === true, request.signal);
      const cancelled = request.signal?.aborted ?? false;
      setJob({
        status: cancelled ? "cancelled" : "failed",
        errorDetails: {
          code: isFrameloomError(failure) ? failure.code : "FLM_ERR_UNKNOWN",
          message: errorMessage(failure),
          stage: job.stage,
        },
      });
      throw failure;
    } finally {
      request.signal?.removeEventListener("abort", onOuterAbort);
      if (!controller.signal.aborted) controller.abort(new Error("render finished"));
      await rm(outputPath, { recursive: true, force: true }).catch(() => {});
      forgetPartial();
      await workDir.cleanup().catch(() => {});
      await this.hooks.run("onClose", { ok: failure === undefined, error: failure }).catch(() => {});
    }
  }
}

/**
 * The render's error: a cancellation; else, when a streaming producer failed, the producer's error in place of an
 * abort it caused or of the failure of a consumer that yields to it (`meta.yieldsToProducer`); else the error.
 */
function pickRootCause(error: unknown, producerError: unknown, consumerYields: boolean, signal?: AbortSignal): unknown {
  if (signal?.aborted) return abortError(signal);
  const producerFailed = producerError !== undefined && !isFrameloomError(producerError, "FLM_ERR_ABORTED");
  if (producerFailed && (isFrameloomError(error, "FLM_ERR_ABORTED") || consumerYields)) return producerError;
  return error;
}

/** One-call form: a fresh kernel per render. */
export function runRender(request: RenderRequest): Promise<RenderResult> {
  return new Kernel().render(request);
}

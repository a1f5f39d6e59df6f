/**
 * Capture stage: seeks the composition in Chromium frame by frame and reads each frame back.
 *
 * Input: the compiled `composition` and the frame `range` [from, to) to capture (the compile stage
 * guarantees 0 ≤ from < to ≤ totalFrames). Output: `capture` = { range, frames } on the streaming
 * route (an async iterable in index order, consumed by the encoder with back-pressure; `settled`
 * resolves when it is drained), { range, framesOnDisk } on the disk/sequential routes, or
 * `layeredFrames` (layer stacks for the composite stage) on any route.
 *
 * Every route runs on the one capture engine (engine/engine.ts): the browser and the capture method
 * are decided here once (`decideCapture`), the session pool applies them, the scheduler hands out
 * ranges with the shared adaptive retry, and the sink is a stream or a directory.
 *
 * Invariants: every frame in the range is delivered exactly once, frame i shows composition time
 * frameTime(i); all browsers and the file server are closed on every exit path; a page exception
 * fails the render with the page's message; a crashed browser is retried (once at the same worker
 * count, then with half the workers); `capture.stats.report` says which browser and method captured
 * and how many frames were re-used.
 */
import { statfs } from "node:fs/promises";
import path from "node:path";
import {
  FrameloomError,
  abortError,
  type CaptureMethod,
  type CaptureReport,
  type CaptureRoute,
  type CaptureSettings,
  type Composition,
  type FrameRange,
  type FramesOnDisk,
  type FrameStream,
  type Frame,
  type LayeredFrame,
  type Stage,
  type StageContext,
  type StageMeta,
} from "@frameloom/shared-helpers";
import { layeredMediaOf } from "../compile/hdrMarkup.js";
import { startFileServer } from "../server/fileServer.js";
import { BrowserSession, type SessionStats } from "./browserSession.js";
import { resolveBrowser, type ResolvedBrowser } from "./browserProvider.js";
import { captureInto, streamCapture } from "./engine/engine.js";
import { SessionPool } from "./engine/sessionPool.js";
import { FrameDirectory, LayerDirectory } from "./engine/sinks.js";
import { VideoFrameStore } from "./videoInject.js";
import { CaptureErrors } from "./errors.js";
import { autoWorkers } from "./workers.js";

/** Below this much free space in the work dir, a browser crash is taken for the full disk it is. */
const DISK_FULL_BYTES = 32 * 1024 * 1024;

/**
 * A Chromium that crashes because the work dir's disk is full (its shared memory and profile live
 * there, next to the frames) is not retried: the crash becomes the coded disk-full error.
 */
async function diskFullOr(error: unknown, workDir: string): Promise<unknown> {
  if (error instanceof FrameloomError && error.retryable) {
    const fs = await statfs(workDir).catch(() => null);
    const free = fs ? fs.bavail * fs.bsize : Infinity;
    if (free < DISK_FULL_BYTES) {
      return new FrameloomError(
        CaptureErrors.DISK_FULL,
        `the disk holding the render's temp dir is full (${Math.round(free / 1024)} KiB free at ${workDir}): ${error.message}; ` +
          `free space there or set TMPDIR to a larger disk`,
        { cause: error },
      );
    }
  }
  return error;
}

export interface CaptureStageInput {
  composition: Composition;
  range: FrameRange;
}

export interface CaptureOutput {
  range: FrameRange;
  route: CaptureRoute;
  /** HDR renders: one stack of layers per frame, composited by the composite stage. */
  layeredFrames?: AsyncIterable<LayeredFrame>;
  /** Streaming route. */
  frames?: FrameStream;
  /** Disk and sequential routes. */
  framesOnDisk?: FramesOnDisk;
  /** Filled in as capture runs: DOM layer screenshots taken, re-used and skipped (layered capture). */
  stats?: CaptureStats;
}

export interface CaptureStats extends SessionStats {
  /** Which browser and method captured, and the frame counts (`--json` → `capture`); set when capture starts. */
  report?: CaptureReport;
}

export interface CaptureStageResult {
  capture: CaptureOutput;
  /** Resolves when every frame was delivered (and browsers closed); rejects with the capture failure. */
  settled: Promise<{ captureMs: number; workers: number }>;
}

export const meta: StageMeta = {
  name: "capture",
  kernel: "^1.0.0",
  needs: ["composition", "range"],
  provides: ["capture"],
};

/** How SDR renders holding `<video>` composite it when the settings do not say (`--video-compositing`). */
export const DEFAULT_VIDEO_COMPOSITING: "inject" | "layered" = "inject";

/**
 * SDR video injection applies: an opaque SDR render whose only layered media are videos, unless layered capture
 * was asked for. HDR and alpha renders stay layered.
 */
export function injectsVideo(composition: Composition, capture: { videoCompositing?: "inject" | "layered" }): boolean {
  const layers = composition.layers;
  if (!layers || composition.hdr != null || layers.output !== "sdr" || layers.alpha) return false;
  return (capture.videoCompositing ?? DEFAULT_VIDEO_COMPOSITING) === "inject";
}

export function chooseRoute(requested: CaptureRoute | "auto"): CaptureRoute {
  return requested === "auto" ? "streaming" : requested;
}

export interface CaptureDecision {
  browser: ResolvedBrowser;
  /** The method sessions open with; a failed BeginFrame probe still turns it into screenshots. */
  method: CaptureMethod;
  note?: string;
}

/**
 * The browser and the capture method, decided once per render. BeginFrame needs a headless shell:
 * the system Chromium runs new headless, which has no HeadlessExperimental domain, so "auto" does
 * not try it there; an explicit "beginframe" is tried anyway (the probe decides).
 */
export async function decideCapture(settings: Pick<CaptureSettings, "browser" | "method">): Promise<CaptureDecision> {
  const browser = await resolveBrowser(settings.browser ?? "auto");
  const asked = settings.method ?? "auto";
  if (asked === "screenshot") return { browser, method: "screenshot" };
  if (asked === "auto" && browser.kind === "system") {
    return { browser, method: "screenshot", note: "the system Chromium has no BeginFrame (install @sparticuz/chromium for the headless shell)" };
  }
  return { browser, method: "beginframe" };
}

export async function runCaptureStage(input: CaptureStageInput, ctx: StageContext): Promise<CaptureStageResult> {
  const { composition, range } = input;
  const { config } = ctx;
  const started = performance.now();
  const inject = injectsVideo(composition, config.capture);
  const layerMedia = composition.layers && !inject ? layeredMediaOf(composition.media, composition.hdr != null) : undefined;
  const route = chooseRoute(config.route);
  const total = range.to - range.from;
  let workers =
    route === "sequential"
      ? 1
      : config.workers === "auto"
        ? autoWorkers(total, composition.width, composition.height)
        : Math.min(config.workers, total);
  const decision = await decideCapture(config.capture);
  if (decision.browser.note) ctx.warn(decision.browser.note);
  const videoInject = inject
    ? await VideoFrameStore.start({ media: composition.media, fps: composition.fps, range, dir: path.join(ctx.workDir, "video-frames"), signal: ctx.signal })
    : undefined;
  const server = await startFileServer({
    root: composition.projectDir,
    entryUrlPath: composition.entryUrlPath,
    entryHtml: composition.html,
  });
  const closeServices = async () => {
    await server.close();
    videoInject?.close();
  };
  const stats: CaptureStats = { framesCaptured: 0, framesReused: 0, layersCaptured: 0, layersReused: 0, layersSkippedEmpty: 0 };
  const pool = new SessionPool({
    method: decision.method,
    methodNote: decision.note,
    warn: ctx.warn,
    signal: ctx.signal,
    open: (worker, attempt, method, tag) =>
      BrowserSession.open({
        composition,
        entryUrl: server.entryUrl,
        origin: server.origin,
        capture: config.capture,
        strict: config.strict,
        warn: ctx.warn,
        signal: ctx.signal,
        profileDir: BrowserSession.profileDirFor(ctx.workDir, worker, attempt, tag),
        layerMedia,
        stats,
        videoInject,
        browser: decision.browser,
        method,
        reuseFrames: config.capture.reuseFrames !== false,
      }),
  });
  // Filled in as capture runs: the method may still change at the first session's probe.
  const report: CaptureReport = {
    browser: decision.browser.kind,
    executablePath: decision.browser.executablePath,
    version: decision.browser.version,
    get method() {
      return pool.method;
    },
    get methodNote() {
      return pool.methodNote;
    },
    get framesCaptured() {
      return stats.framesCaptured;
    },
    get framesReused() {
      return stats.framesReused;
    },
  };
  stats.report = report;
  const reportProgress = (framesDone: number) => ctx.progress({ framesDone, totalFrames: total, workers });
  reportProgress(0);
  const engine = {
    range,
    workers,
    pool,
    signal: ctx.signal,
    onFrame: reportProgress,
    explainFailure: (error: unknown) => diskFullOr(error, ctx.workDir),
    onWorkersChanged: (next: number, reason: string) => {
      workers = next;
      ctx.warn(`capture retry with ${next} worker(s): ${reason}`);
      ctx.progress({ framesDone: 0, totalFrames: total, workers: next, message: "retry" });
    },
  };

  if (route === "streaming") {
    let resolveSettled!: (v: { captureMs: number; workers: number }) => void;
    let rejectSettled!: (e: unknown) => void;
    const settled = new Promise<{ captureMs: number; workers: number }>((res, rej) => {
      resolveSettled = res;
      rejectSettled = rej;
    });
    const run = layerMedia
      ? streamCapture<LayeredFrame>({ ...engine, capture: (s, i) => s.captureLayered(i) })
      : streamCapture<Frame>({ ...engine, capture: (s, i) => s.captureFrame(i) });
    // On abort (a later stage failed, or the user cancelled) close the browsers first, then settle:
    // the kernel removes the work dir (browser profiles) only after `settled`.
    ctx.signal.addEventListener(
      "abort",
      () => {
        void run
          .shutdown()
          .then(closeServices)
          .finally(() => rejectSettled(abortError(ctx.signal)));
      },
      { once: true },
    );
    async function* frames<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
      try {
        yield* source;
      } catch (error) {
        rejectSettled(error);
        throw error;
      } finally {
        await closeServices();
        resolveSettled({ captureMs: performance.now() - started, workers });
      }
    }
    const capture: CaptureOutput = layerMedia
      ? { range, route, layeredFrames: frames(run.items as AsyncGenerator<LayeredFrame>), stats }
      : { range, route, frames: frames(run.items as AsyncGenerator<Frame>), stats };
    return { capture, settled };
  }

  try {
    if (layerMedia) {
      const dir = await LayerDirectory.create(path.join(ctx.workDir, "layers"), range);
      await captureInto<LayeredFrame>({ ...engine, capture: (s, i) => s.captureLayered(i), put: (f) => dir.put(f) });
      return {
        capture: { range, route, layeredFrames: dir.frames(), stats },
        settled: Promise.resolve({ captureMs: performance.now() - started, workers }),
      };
    }
    const dir = await FrameDirectory.create(path.join(ctx.workDir, "frames"), config.capture.encoding, range);
    await captureInto<Frame>({ ...engine, capture: (s, i) => s.captureFrame(i), put: (f) => dir.put(f) });
    return {
      capture: { range, route, framesOnDisk: dir.framesOnDisk, stats },
      settled: Promise.resolve({ captureMs: performance.now() - started, workers }),
    };
  } finally {
    await closeServices();
  }
}

export const stage: Stage<CaptureStageInput, { capture: CaptureOutput }> = {
  meta,
  run: (input, ctx) => runCaptureStage(input, ctx),
};

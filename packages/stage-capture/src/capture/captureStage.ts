/**
 * Capture stage: seeks the composition in Chromium frame by frame and reads each frame back.
 *
 * Input: the render `plan` (its composition, the frame `range` [from, to), the capture settings and
 * the layer plan). Output: `captured: Frames` — a stream in index order on the streaming route
 * (consumed with back-pressure; `settled` resolves when it is drained), a directory on the
 * disk/sequential routes, or layer stacks for the composite stage on any route.
 *
 * Every route runs on the one capture engine (engine/engine.ts): the browser and the capture method
 * are decided here once (`decideCapture`), the session pool applies them, the scheduler hands out
 * ranges with the shared adaptive retry, and the sink is a stream or a directory.
 *
 * Invariants: every frame in the range is delivered exactly once, frame i shows composition time
 * frameTime(i); all browsers and the file server are closed on every exit path; a page exception
 * fails the render with the page's message; a crashed browser is retried (once at the same worker
 * count, then with half the workers); the stats `settled` resolves with say which browser and method
 * captured and how many frames were re-used.
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
  type Frame,
  type Frames,
  type LayeredFrame,
  type MediaSource,
  type RenderPlan,
  type Stage,
  type StageContext,
  type StageMeta,
} from "@frameloom/shared-helpers";
import { prepareLayeredMarkup } from "../compile/hdrMarkup.js";
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
  plan: RenderPlan;
}

/** What capture reports when its frames are all delivered (the kernel records it as the stage's stats). */
export interface CaptureStageStats {
  [key: string]: unknown;
  route: CaptureRoute;
  captureMs: number;
  workers: number;
  /** Which browser and method captured, and the frame counts (`--json` → `capture`). */
  report: CaptureReport;
  /** Layered capture: DOM layer screenshots taken, re-used (unchanged) and skipped (empty). */
  layersCaptured: number;
  layersReused: number;
  layersSkippedEmpty: number;
}

export interface CaptureStageResult {
  captured: Frames;
  /** Resolves when every frame was delivered (and browsers closed), with the stats; rejects with the capture failure. */
  settled: Promise<CaptureStageStats>;
}

export const meta: StageMeta = {
  name: "capture",
  kernel: "^2.0.0",
  needs: { plan: "RenderPlan" },
  provides: { captured: "Frames" },
  countsFrames: true,
};

/** How SDR renders holding `<video>` composite it when the settings do not say (`--video-compositing`). */
export const DEFAULT_VIDEO_COMPOSITING: "inject" | "layered" = "inject";

/**
 * SDR video injection applies: an opaque SDR render whose only layered media are videos, unless layered capture
 * was asked for. HDR and alpha renders stay layered.
 */
export function injectsVideo(plan: Pick<RenderPlan, "layers" | "hdr">, capture: { videoCompositing?: "inject" | "layered" }): boolean {
  const layers = plan.layers;
  if (!layers || plan.hdr.transfer !== null || layers.output !== "sdr" || layers.alpha) return false;
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
  const { plan } = input;
  const { range } = plan;
  const { config } = ctx;
  const settings = plan.output.capture;
  const started = performance.now();
  const inject = injectsVideo(plan, settings);
  const mediaById = new Map(plan.composition.media.map((m) => [m.id, m]));
  const layered = (plan.layers?.mediaIds ?? []).map((id) => mediaById.get(id)).filter((m): m is MediaSource => m !== undefined);
  // Media the compositor paints (or the injector replaces) are laid out by the page, never decoded by it.
  const composition: Composition = plan.layers
    ? { ...plan.composition, html: prepareLayeredMarkup(plan.composition.html, layered, plan.media) }
    : plan.composition;
  const layerMedia = plan.layers && !inject ? layered : undefined;
  const route = chooseRoute(config.route);
  const total = range.to - range.from;
  let workers =
    route === "sequential"
      ? 1
      : config.workers === "auto"
        ? autoWorkers(total, composition.width, composition.height)
        : Math.min(config.workers, total);
  const decision = await decideCapture(settings);
  if (decision.browser.note) ctx.warn(decision.browser.note);
  const videoInject = inject
    ? await VideoFrameStore.start({
        media: composition.media,
        probed: plan.media,
        fps: composition.fps,
        range,
        dir: path.join(ctx.workDir, "video-frames"),
        signal: ctx.signal,
      })
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
  const stats: SessionStats = { framesCaptured: 0, framesReused: 0, layersCaptured: 0, layersReused: 0, layersSkippedEmpty: 0 };
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
        capture: settings,
        strict: config.strict,
        warn: ctx.warn,
        signal: ctx.signal,
        profileDir: BrowserSession.profileDirFor(ctx.workDir, worker, attempt, tag),
        layerMedia,
        stats,
        videoInject,
        browser: decision.browser,
        method,
        reuseFrames: settings.reuseFrames !== false,
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
  const finalStats = (): CaptureStageStats => ({
    route,
    captureMs: Math.round(performance.now() - started),
    workers,
    report: { ...report },
    layersCaptured: stats.layersCaptured,
    layersReused: stats.layersReused,
    layersSkippedEmpty: stats.layersSkippedEmpty,
  });
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
    let resolveSettled!: (v: CaptureStageStats) => void;
    let rejectSettled!: (e: unknown) => void;
    const settled = new Promise<CaptureStageStats>((res, rej) => {
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
        resolveSettled(finalStats());
      }
    }
    const captured: Frames = layerMedia
      ? { kind: "layered", range, frames: frames(run.items as AsyncGenerator<LayeredFrame>) }
      : { kind: "stream", range, frames: frames(run.items as AsyncGenerator<Frame>) };
    return { captured, settled };
  }

  try {
    if (layerMedia) {
      const dir = await LayerDirectory.create(path.join(ctx.workDir, "layers"), range);
      await captureInto<LayeredFrame>({ ...engine, capture: (s, i) => s.captureLayered(i), put: (f) => dir.put(f) });
      return { captured: { kind: "layered", range, frames: dir.frames() }, settled: Promise.resolve(finalStats()) };
    }
    const dir = await FrameDirectory.create(path.join(ctx.workDir, "frames"), settings.encoding, range);
    await captureInto<Frame>({ ...engine, capture: (s, i) => s.captureFrame(i), put: (f) => dir.put(f) });
    return { captured: { kind: "directory", range, onDisk: dir.framesOnDisk }, settled: Promise.resolve(finalStats()) };
  } finally {
    await closeServices();
  }
}

export const stage: Stage<CaptureStageInput, { captured: Frames }> = {
  meta,
  run: (input, ctx) => runCaptureStage(input, ctx),
};

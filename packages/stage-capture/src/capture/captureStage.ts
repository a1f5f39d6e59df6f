/**
 * Capture stage: seeks the composition in Chromium frame by frame and screenshots it.
 *
 * Input: the compiled `composition` and the frame `range` [from, to) to capture (the compile stage
 * guarantees 0 ≤ from < to ≤ totalFrames). Output: `capture` = { range, frames } on the streaming
 * route (an async iterable in index order, consumed by the encoder with back-pressure; `settled`
 * resolves when it is drained) or { range, framesOnDisk } on the disk/sequential routes.
 *
 * Invariants: every frame in the range is delivered exactly once, frame i shows composition time
 * frameTime(i); all browsers and the file server are closed on every exit path; a page exception
 * fails the render with the page's message; a crashed browser is retried (once per chunk on the
 * streaming route, adaptive retry on the disk route).
 */
import path from "node:path";
import {
  abortError,
  type CaptureRoute,
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
import { BrowserSession } from "./browserSession.js";
import { captureToDisk } from "./diskRoute.js";
import { streamFrames } from "./streamingRoute.js";
import { VideoFrameStore } from "./videoInject.js";
import { autoWorkers } from "./workers.js";

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

export interface CaptureStats {
  layersCaptured: number;
  layersReused: number;
  layersSkippedEmpty: number;
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

export async function runCaptureStage(input: CaptureStageInput, ctx: StageContext): Promise<CaptureStageResult> {
  const { composition, range } = input;
  const { config } = ctx;
  const started = performance.now();
  const inject = injectsVideo(composition, config.capture);
  const layerMedia = composition.layers && !inject ? layeredMediaOf(composition.media, composition.hdr != null) : undefined;
  let route = chooseRoute(config.route);
  if (layerMedia && route !== "streaming") {
    ctx.warn(`layered capture (HDR or video) always streams: --route ${route} ignored`);
    route = "streaming";
  }
  const total = range.to - range.from;
  let workers =
    route === "sequential"
      ? 1
      : config.workers === "auto"
        ? autoWorkers(total, composition.width, composition.height)
        : Math.min(config.workers, total);
  const videoInject = inject
    ? await VideoFrameStore.start({ media: composition.media, fps: composition.fps, range, dir: path.join(ctx.workDir, "video-frames"), signal: ctx.signal })
    : undefined;
  const server = await startFileServer({
    root: composition.projectDir,
    entryUrlPath: composition.entryUrlPath,
    entryHtml: composition.html,
  });
  const stats: CaptureStats = { layersCaptured: 0, layersReused: 0, layersSkippedEmpty: 0 };
  const openSession = (worker: number, attempt: number) =>
    BrowserSession.open({
      composition,
      entryUrl: server.entryUrl,
      origin: server.origin,
      capture: config.capture,
      strict: config.strict,
      warn: ctx.warn,
      signal: ctx.signal,
      profileDir: BrowserSession.profileDirFor(ctx.workDir, worker, attempt),
      layerMedia,
      stats,
      videoInject,
    });
  const report = (framesDone: number) => ctx.progress({ framesDone, totalFrames: total, workers });
  report(0);

  if (route === "streaming") {
    let resolveSettled!: (v: { captureMs: number; workers: number }) => void;
    let rejectSettled!: (e: unknown) => void;
    const settled = new Promise<{ captureMs: number; workers: number }>((res, rej) => {
      resolveSettled = res;
      rejectSettled = rej;
    });
    const common = { range, workers, openSession, signal: ctx.signal, onFrame: report };
    const inner = layerMedia
      ? streamFrames<LayeredFrame>({ ...common, capture: (s, i) => s.captureLayered(i) })
      : streamFrames<Frame>({ ...common, capture: (s, i) => s.captureFrame(i) });
    // On abort (a later stage failed, or the user cancelled) close the browsers first, then settle:
    // the kernel removes the work dir (browser profiles) only after `settled`.
    ctx.signal.addEventListener(
      "abort",
      () => {
        void inner
          .shutdown()
          .then(() => server.close())
          .then(() => videoInject?.close())
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
        await server.close();
        videoInject?.close();
        resolveSettled({ captureMs: performance.now() - started, workers });
      }
    }
    const capture: CaptureOutput = layerMedia
      ? { range, route, layeredFrames: frames(inner as AsyncGenerator<LayeredFrame>), stats }
      : { range, route, frames: frames(inner as AsyncGenerator<Frame>), stats };
    return { capture, settled };
  }

  try {
    const result = await captureToDisk({
      range,
      workers,
      dir: path.join(ctx.workDir, "frames"),
      capture: config.capture,
      openSession,
      signal: ctx.signal,
      onFrame: report,
      onWorkersChanged: (next, reason) => {
        workers = next;
        ctx.warn(`capture retry with ${next} worker(s): ${reason}`);
        ctx.progress({ framesDone: 0, totalFrames: total, workers: next, message: "retry" });
      },
    });
    return {
      capture: { range, route, framesOnDisk: result.framesOnDisk },
      settled: Promise.resolve({ captureMs: performance.now() - started, workers: result.workers }),
    };
  } finally {
    await server.close();
    videoInject?.close();
  }
}

export const stage: Stage<CaptureStageInput, { capture: CaptureOutput }> = {
  meta,
  run: (input, ctx) => runCaptureStage(input, ctx),
};

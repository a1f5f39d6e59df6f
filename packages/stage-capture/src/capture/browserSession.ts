/**
 * One Chromium process with one page, loaded with a composition and ready to seek + screenshot.
 * One page per browser on purpose: a second tab in the same context hangs on capture
 * (CAPTURE-NOTES.md §7). The page lives in its own browser context, whose proxy is the network
 * guard's black hole: the sealed page (server/networkGuard.ts); the browser's first tab is closed.
 *
 * Invariants: every failure is a coded error and the first one wins: a page exception is fatal
 * and carries the page's message; a strict-mode network attempt (at any time, not only at load),
 * a navigation away and the memory cap are fatal; a browser or renderer that dies is retryable and
 * noticed at once (disconnect, target-crashed), not at the frame timeout. `close()` stops every
 * watcher and closes the browser and both black holes.
 */
import path from "node:path";
import type { CDPSession, Page } from "puppeteer-core";
import {
  FrameloomError,
  abortError,
  errorMessage,
  frameTime,
  type CaptureMethod,
  type CaptureSettings,
  type Composition,
  type Frame,
  type LayerCapture,
  type LayeredFrame,
  type MediaLayerPlacement,
  type MediaSource,
  mediaLocalTime,
} from "@frameloom/shared-helpers";
import { FRAME_INJECTOR_SOURCE } from "../runtime/frameInjector.js";
import { LAYER_PLANNER_SOURCE } from "../runtime/layerPlanner.js";
import { pageRuntimeScript } from "../runtime/pageRuntime.js";
import { blockedKindNote, openNetworkGuard, type NetworkGuard } from "../server/networkGuard.js";
import { BEGIN_FRAME_ARGS, FrameTicks, probeBeginFrame } from "./beginFrame.js";
import type { ResolvedBrowser } from "./browserProvider.js";
import { CaptureErrors } from "./errors.js";
import { launchChromium, type LaunchedChromium } from "./chromium.js";
import { BeginFrameShooter, ScreenshotShooter, type Shooter } from "./shooters.js";
import { guardPage, type PageGuards } from "./pageGuards.js";
import type { VideoFrameStore } from "./videoInject.js";

/** Longer than pageGuards' wait for a crash's reason: a retryable failure waits this long for the crash behind it. */
const CRASH_SETTLE_MS = 400;

export interface SessionOptions {
  composition: Composition;
  /** URL of the compiled entry on the project file server. */
  entryUrl: string;
  origin: string;
  capture: CaptureSettings;
  strict: boolean;
  warn(message: string): void;
  signal: AbortSignal;
  /** Directory for the browser profile (inside the render's work dir, removed with it). */
  profileDir: string;
  /** HDR layered capture: these media elements become their own layers (captures are transparent PNG). */
  layerMedia?: MediaSource[];
  /** Shared counters of frames and DOM layer screenshots (all sessions of a render add to them). */
  stats?: SessionStats;
  /** The Chromium to launch (browserProvider.ts). */
  browser: ResolvedBrowser;
  /** How frames are read back; "beginframe" launches with BeginFrame control and probes it once loaded. */
  method: CaptureMethod;
  /** Repeat the previous frame when nothing changed (BeginFrame damage, or the page's own check). */
  reuseFrames: boolean;
  /** SDR video injection: every frame, each video's decoded frame is set into the page as an `<img>` (videoInject.ts). */
  videoInject?: VideoFrameStore;
}

export interface SessionStats {
  framesCaptured: number;
  framesReused: number;
  layersCaptured: number;
  layersReused: number;
  layersSkippedEmpty: number;
}

/** The BeginFrame probe failed on this browser: the session was closed; open it again with screenshots. */
export class BeginFrameUnavailable extends Error {}

/** BeginFrame probe budget (enable, warm-up frame, one screenshot frame). */
const PROBE_TIMEOUT_MS = 5000;

interface LayerPlan {
  /** Where each media element is painted: the placement the compositor gets, keyed by element id. */
  media: (Omit<MediaLayerPlacement, "kind" | "mediaId" | "localTime"> & { id: string })[];
  /** Per DOM layer: null = always capture; "0:…" = the layer paints nothing. */
  signatures: (string | null)[];
}

const READY_TIMEOUT_MS = 60_000;
const FRAME_TIMEOUT_MS = 60_000;

export class BrowserSession {
  private pageError: FrameloomError | null = null;
  private failWaiters = new Set<(error: FrameloomError) => void>();
  private closed = false;
  /** Removes this session's abort listener (set once open succeeds). */
  private detach: () => void = () => {};
  /** The page's watchers (navigation, crash, memory) and the black holes, stopped by close(). */
  private guards: PageGuards | null = null;
  private network: NetworkGuard | null = null;
  /** What the session is doing, for messages. */
  private phase = "while loading";
  /** Last captured DOM layers by position, for re-use when a layer did not change. */
  private lastLayers: { signature: string | null; mediaCount: number; png: Buffer }[] = [];
  /** How this session reads pixels back (set once the page is loaded). */
  private shooter!: Shooter;

  private constructor(
    private readonly chromium: LaunchedChromium,
    private readonly page: Page,
    private readonly cdp: CDPSession,
    private readonly options: SessionOptions,
    readonly duration: number,
  ) {}

  /** Launches Chromium, loads the composition and waits until frame 0 can be captured. */
  static async open(options: SessionOptions): Promise<BrowserSession> {
    if (options.signal.aborted) throw abortError(options.signal);
    // Findings may come before the session object exists: the first is kept for it.
    let session: BrowserSession | null = null;
    let early: FrameloomError | null = null;
    const fail = (error: FrameloomError) => (session ? session.fail(error) : (early ??= error));
    const network = await openNetworkGuard({
      origin: options.origin,
      strict: options.strict,
      warn: options.warn,
      onViolation: (target, kind) =>
        fail(
          new FrameloomError(
            CaptureErrors.NETWORK_BLOCKED,
            `--strict: the composition tried to reach ${target}${blockedKindNote(kind)} ${session?.phase ?? "while loading"} ` +
              `(outside the project); make the asset local`,
            { details: { target, kind } },
          ),
        ),
    });
    let chromium: LaunchedChromium;
    try {
      chromium = await launchChromium({
        executablePath: options.browser.executablePath,
        profileDir: options.profileDir,
        signal: options.signal,
        args: options.method === "beginframe" ? [...network.chromiumArgs, ...BEGIN_FRAME_ARGS] : network.chromiumArgs,
        maxHeapMb: options.capture.maxPageMemoryMb,
      });
    } catch (error) {
      await network.close();
      throw error;
    }
    const { browser } = chromium;
    let guards: PageGuards | null = null;
    try {
      const context = await browser.createBrowserContext(network.context);
      const target = await context.newPage();
      for (const other of await browser.pages()) if (other !== target) await other.close().catch(() => {});
      await denyDownloads(chromium, context.id);
      const { composition } = options;
      await target.setViewport({ width: composition.width, height: composition.height, deviceScaleFactor: 1 });
      const cdp = await target.createCDPSession();
      if (options.capture.transparent) {
        await cdp.send("Emulation.setDefaultBackgroundColorOverride", { color: { r: 0, g: 0, b: 0, a: 0 } });
      }
      await target.evaluateOnNewDocument(
        pageRuntimeScript({
          fps: composition.fps,
          compositionId: composition.id,
          width: composition.width,
          height: composition.height,
          seedRandom: !options.capture.nativeRandom,
        }),
      );
      if (options.videoInject) await target.evaluateOnNewDocument(FRAME_INJECTOR_SOURCE);
      if (options.layerMedia) {
        await target.evaluateOnNewDocument(LAYER_PLANNER_SOURCE);
        await cdp.send("Emulation.setDefaultBackgroundColorOverride", { color: { r: 0, g: 0, b: 0, a: 0 } });
      }
      guards = await guardPage({
        page: target,
        cdp,
        chromium,
        guard: network,
        origin: new URL(options.origin).origin,
        entryUrl: options.entryUrl,
        maxPageMemoryMb: options.capture.maxPageMemoryMb,
        warn: options.warn,
        fail,
        where: () => session?.phase ?? "while loading",
      });
      session = new BrowserSession(chromium, target, cdp, options, 0);
      session.guards = guards;
      session.network = network;
      if (early) session.fail(early);
      target.on("pageerror", (error) => session!.fail(pageErrorOf(error)));
      browser.on("disconnected", () => {
        if (!session!.closed) {
          session!.fail(new FrameloomError(CaptureErrors.BROWSER_CRASHED, "Chromium exited unexpectedly during capture", { retryable: true }));
        }
      });
      const abort = () => session!.fail(abortError(options.signal));
      options.signal.addEventListener("abort", abort, { once: true });
      session.detach = () => options.signal.removeEventListener("abort", abort);
      guards.loadingEntry();
      await session.guarded(
        target.goto(options.entryUrl, { waitUntil: "load", timeout: READY_TIMEOUT_MS }).catch((error) => {
          throw new FrameloomError(CaptureErrors.PAGE_LOAD, `the composition page failed to load: ${errorMessage(error)}`, { cause: error });
        }),
        READY_TIMEOUT_MS,
        "page load",
      );
      if (options.method === "beginframe") {
        const ticks = new FrameTicks((1000 * composition.fps.den) / composition.fps.num);
        const probe = await session.guarded(probeBeginFrame(cdp, { timeoutMs: PROBE_TIMEOUT_MS, ticks }), PROBE_TIMEOUT_MS + 1000, "BeginFrame probe");
        if (!probe.ok) throw new BeginFrameUnavailable(probe.reason);
        session.shooter = new BeginFrameShooter(cdp, ticks);
      } else {
        session.shooter = new ScreenshotShooter(cdp, (expression) => session!.evaluate(expression));
      }
      const shooter = session.shooter;
      const ready = await session.guarded(
        shooter.pump(session.evaluate<{ duration: number }>("window.__frameloom.ready()")),
        READY_TIMEOUT_MS,
        "readiness",
      );
      (session as { duration: number }).duration = ready.duration;
      session.phase = "after loading";
      return session;
    } catch (error) {
      if (session) {
        await session.close();
      } else {
        guards?.stop();
        await chromium.close();
        await network.close();
      }
      // A protocol error while the page is set up (the browser died under us) is a retryable crash.
      throw error instanceof FrameloomError || error instanceof BeginFrameUnavailable ? error : toCaptureError(error);
    }
  }

  /** Records the first fatal error and wakes anything waiting on the page. */
  private fail(error: FrameloomError): void {
    if (this.pageError) return;
    this.pageError = error;
    for (const waiter of this.failWaiters) waiter(error);
  }

  /** Races a page operation against a page error, a crash, an abort and a timeout. */
  private guarded<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    if (this.pageError) {
      // The work already runs: its own failure (the page is gone) is not news.
      work.catch(() => {});
      return Promise.reject(this.pageError);
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(() => reject(new FrameloomError(CaptureErrors.SEEK_FAILED, `${what} timed out after ${timeoutMs} ms`, { retryable: true }))),
        timeoutMs,
      );
      const onFail = (error: FrameloomError) => finish(() => reject(error));
      const finish = (fn: () => void) => {
        clearTimeout(timer);
        this.failWaiters.delete(onFail);
        fn();
      };
      this.failWaiters.add(onFail);
      work.then(
        (value) => finish(() => (this.pageError ? reject(this.pageError) : resolve(value))),
        (error) => {
          const own = toCaptureError(error);
          if (this.pageError || !own.retryable) return finish(() => reject(this.pageError ?? own));
          // A killed renderer fails page work (a BeginFrame without screenshot) before pageGuards has told its crash
          // apart (it waits for the reason): give the crash that long to arrive, so the render says what happened.
          setTimeout(() => finish(() => reject(this.pageError ?? own)), CRASH_SETTLE_MS);
        },
      );
    });
  }

  private async evaluate<T>(expression: string): Promise<T> {
    const result = await this.cdp.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    if (result.exceptionDetails) {
      const text = result.exceptionDetails.exception?.description ?? result.exceptionDetails.text;
      throw new FrameloomError(CaptureErrors.PAGE_ERROR, `the page threw: ${text}`);
    }
    return result.result.value as T;
  }

  /**
   * Seeks and fails with the page's message if anything threw meanwhile: rAF callbacks, GSAP
   * callbacks and animation code run inside the runtime's seek, which records (not rethrows) them.
   */
  private async seek(t: number): Promise<void> {
    const { error, adapterTimeout } = await this.shooter.pump(
      this.evaluate<{ error: string | null; adapterTimeout: string | null }>(
        `window.__frameloom.seek(${t}).then(() => ({ error: window.__frameloom.errors.length ? String(window.__frameloom.errors[0]) : null, adapterTimeout: window.__frameloom.adapterTimeout }))`,
      ),
    );
    if (error !== null) {
      throw new FrameloomError(CaptureErrors.PAGE_ERROR, `the composition page threw an exception at t=${t}s: ${error}`);
    }
    // hf-seek listeners handed the frame promises that never settled (hfAdapters.ts): the page's canvas code hangs.
    if (adapterTimeout !== null) throw new FrameloomError(CaptureErrors.ADAPTER_TIMEOUT, `the composition page did not finish drawing: ${adapterTimeout}`);
  }

  /** Seeks to frame `index` and captures it. */
  async captureFrame(index: number): Promise<Frame> {
    const t = frameTime(index, this.options.composition.fps);
    this.phase = `at frame ${index} (t=${Number(t.toFixed(3))}s)`;
    const { capture } = this.options;
    const data = await this.guarded(
      (async () => {
        await this.seek(t);
        if (this.options.videoInject) await this.shooter.pump(this.injectVideoFrames(t));
        const shot = await this.shooter.shoot({ format: capture.encoding, quality: capture.quality, mayReuse: this.options.reuseFrames });
        this.count(shot.reused ? "framesReused" : "framesCaptured");
        return shot.data;
      })(),
      FRAME_TIMEOUT_MS,
      `frame ${index}`,
    );
    return { index, encoding: capture.encoding, data };
  }

  /**
   * HDR layered capture of frame `index`: seek, plan the layer stack, then one transparent PNG per
   * DOM layer that changed since the previous frame (others re-use their earlier capture; layers
   * that paint nothing are left out).
   */
  async captureLayered(index: number): Promise<LayeredFrame> {
    const media = this.options.layerMedia ?? [];
    const t = frameTime(index, this.options.composition.fps);
    this.phase = `at frame ${index} (t=${Number(t.toFixed(3))}s)`;
    return this.guarded(
      (async () => {
        await this.seek(t);
        const plan = await this.evaluate<LayerPlan>(`window.__frameloomLayers.plan(${JSON.stringify(media.map((m) => m.id))})`);
        const layers: LayerCapture[] = [];
        const next: typeof this.lastLayers = [];
        let readBack = false;
        for (let k = 0; k <= plan.media.length; k++) {
          const signature = plan.signatures[k] ?? null;
          const previous = this.lastLayers[k];
          if (signature !== null && signature.startsWith("0:")) {
            this.count("layersSkippedEmpty");
          } else if (signature !== null && previous && previous.signature === signature && previous.mediaCount === plan.media.length) {
            this.count("layersReused");
            layers.push({ kind: "dom", png: previous.png, reused: true });
            next[k] = previous;
          } else {
            await this.evaluate(`window.__frameloomLayers.show(${k})`);
            // The page's own change check cannot see through show(k); BeginFrame damage can.
            const shot = await this.shooter.shoot({ format: "png", mayReuse: this.options.reuseFrames && this.shooter.method === "beginframe" });
            const png = shot.data;
            readBack ||= !shot.reused;
            this.count(shot.reused ? "layersReused" : "layersCaptured");
            layers.push({ kind: "dom", png, reused: shot.reused });
            next[k] = { signature, mediaCount: plan.media.length, png };
          }
          const placed = plan.media[k];
          if (placed) {
            const source = media.find((m) => m.id === placed.id)!;
            layers.push({
              kind: "media",
              mediaId: placed.id,
              localTime: mediaLocalTime(source, t),
              rect: placed.rect,
              opacity: placed.opacity,
              fit: placed.fit,
              ...(placed.transform ? { transform: placed.transform } : {}),
              ...(placed.radius ? { radius: placed.radius } : {}),
            });
          }
        }
        this.lastLayers = next;
        this.count(readBack ? "framesCaptured" : "framesReused");
        return { index, layers };
      })(),
      FRAME_TIMEOUT_MS,
      `frame ${index}`,
    );
  }

  /** Keys of the video frames the page holds, by video id (injection sends only changed frames). */
  private injected = new Map<string, string>();

  /** SDR video injection: sets each video's frame at time t into the page and waits until the images are decoded. */
  private async injectVideoFrames(t: number): Promise<void> {
    const frames = await this.options.videoInject!.framesAt(t);
    const payload = [];
    for (const f of frames) {
      const src = this.injected.get(f.id) === f.key ? undefined : await f.dataUrl();
      payload.push({ id: f.id, key: f.key, ...(src === undefined ? {} : { src }) });
    }
    await this.evaluate(`window.__frameloomInject.set(${JSON.stringify(payload)})`);
    for (const f of frames) this.injected.set(f.id, f.key);
  }

  private count(what: keyof SessionStats): void {
    if (this.options.stats) this.options.stats[what] += 1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.guards?.stop();
    await this.chromium.close();
    await this.network?.close();
  }

  /** The process id, for diagnostics and crash tests. */
  get pid(): number | undefined {
    return this.chromium.process.pid;
  }

  /** `tag` tells apart a reopen of the same attempt (after a failed BeginFrame probe: "s"). */
  static profileDirFor(workDir: string, worker: number, attempt: number, tag = ""): string {
    return path.join(workDir, `chromium-w${worker}-a${attempt}${tag}`);
  }
}

/** Downloads (`<a download>`, navigations to attachments) never write files. Best effort. */
async function denyDownloads(chromium: LaunchedChromium, browserContextId: string | undefined): Promise<void> {
  try {
    const session = await chromium.browser.target().createCDPSession();
    await session.send("Browser.setDownloadBehavior", { behavior: "deny", ...(browserContextId ? { browserContextId } : {}) });
    await session.detach();
  } catch {
    /* an older Chromium without the command: downloads stay Chromium's default */
  }
}

function pageErrorOf(error: unknown): FrameloomError {
  const message = error instanceof Error ? error.message : String(error);
  return new FrameloomError(CaptureErrors.PAGE_ERROR, `the composition page threw an exception: ${message}`);
}

function toCaptureError(error: unknown): FrameloomError {
  if (error instanceof FrameloomError) return error;
  const message = errorMessage(error);
  const crashed = /Target closed|Session closed|Connection closed|Protocol error|detached/i.test(message);
  return new FrameloomError(
    crashed ? CaptureErrors.BROWSER_CRASHED : CaptureErrors.SEEK_FAILED,
    crashed ? `Chromium stopped responding during capture: ${message}` : message,
    { cause: error, retryable: true },
  );
}

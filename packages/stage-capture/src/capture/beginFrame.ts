/**
 * BeginFrame capture support: the Chromium flags, the launch probe, and a `beginFrame` call that
 * survives "Another frame is pending".
 *
 * Invariants:
 * - `probeBeginFrame` never throws and never takes longer than its timeout (default 5 s): it
 *   answers ok only when a `HeadlessExperimental.beginFrame` with a PNG screenshot returned PNG
 *   bytes. On a browser without the domain (Debian's Chromium) it fails in milliseconds with the
 *   protocol's "wasn't found" message as the reason.
 * - `frameTimeTicks` strictly increase per page (`FrameTicks`); the probe takes its ticks from
 *   the caller's source when given one, so that capture can go on on the same page afterwards.
 * - Facts about a page in a browser launched with `BEGIN_FRAME_ARGS` (headless shell 153):
 *   it paints only when a BeginFrame is sent, so `requestAnimationFrame` callbacks do not run
 *   (nor puppeteer's `waitForFunction`, which polls on rAF by default) and
 *   `Page.captureScreenshot` (`page.screenshot`) hangs until the protocol timeout; navigation
 *   (`page.goto(…, { waitUntil: "load" })`), `Runtime.evaluate`, timers, `document.fonts.ready`,
 *   `img.decode()` and `setViewport` work.
 *   The first screenshot frame of a new page can come back without data (no damage yet): a
 *   warm-up frame first, and a retry while the data is empty, get past it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CDPSession } from "puppeteer-core";
import { FrameloomError, errorMessage } from "@frameloom/shared-helpers";
import { launchChromium } from "./chromium.js";
import { CaptureErrors } from "./errors.js";

/**
 * What BeginFrame capture needs on the command line (HyperFrames' list, kept as is).
 * `--deterministic-mode` alone already implies the next six in the headless shell, and
 * `--enable-begin-frame-control` is what makes every page wait for BeginFrames.
 * `--disable-threaded-scrolling` and `--enable-surface-synchronization` are unknown to
 * Chromium 153 (no such switch in the binary; both behaviours are the default now) and ignored.
 */
export const BEGIN_FRAME_ARGS: readonly string[] = Object.freeze([
  "--deterministic-mode",
  "--enable-begin-frame-control",
  "--disable-new-content-rendering-timeout",
  "--run-all-compositor-stages-before-draw",
  "--disable-threaded-animation",
  "--disable-threaded-scrolling",
  "--disable-checker-imaging",
  "--disable-image-animation-resync",
  "--enable-surface-synchronization",
]);

/** `HeadlessExperimental.beginFrame` parameters (the protocol's, typed here: puppeteer's types mark it experimental). */
export interface BeginFrameParams {
  /** Milliseconds on the page's frame clock; must increase from one call to the next (`FrameTicks`). */
  frameTimeTicks: number;
  /** Frame interval in milliseconds. */
  interval: number;
  /** Run the frame without drawing (a warm-up). */
  noDisplayUpdates?: boolean;
  screenshot?: { format?: "png" | "jpeg" | "webp"; quality?: number; optimizeForSpeed?: boolean };
}

export interface BeginFrameResult {
  hasDamage: boolean;
  /** Base64 image; absent when nothing was drawn (no damage, or no screenshot asked). */
  screenshotData?: string;
}

export type BeginFrameProbe = { ok: true; ms: number } | { ok: false; reason: string; ms: number };

/** Strictly increasing `frameTimeTicks` for one page. */
export class FrameTicks {
  private last: number;

  /** `start` is the first tick minus one interval; any positive base works (the clock is the page's own). */
  constructor(readonly intervalMs = 1000 / 30, start = 1000) {
    this.last = start;
  }

  /** The next tick: one interval after the last one. */
  next(): number {
    this.last += this.intervalMs;
    return this.last;
  }
}

const PENDING_RETRIES = 6;
const PENDING_BACKOFF_MS = 10;
const PROBE_TIMEOUT_MS = 5000;
const PROBE_SCREENSHOT_ATTEMPTS = 5;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * One `HeadlessExperimental.beginFrame`. "Another frame is pending" (the previous frame is still
 * being produced) is retried with back-off (10, 20, 40 … ms, 6 times); anything else, and a frame
 * still pending after the retries, is a coded, retryable error.
 */
export async function sendBeginFrame(cdp: CDPSession, params: BeginFrameParams): Promise<BeginFrameResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      // The domain is experimental: puppeteer's typed `send` does not list it.
      return (await (cdp.send as (method: string, params: object) => Promise<unknown>)("HeadlessExperimental.beginFrame", params)) as BeginFrameResult;
    } catch (error) {
      const pending = /Another frame is pending/i.test(errorMessage(error));
      if (pending && attempt < PENDING_RETRIES) {
        await delay(PENDING_BACKOFF_MS * 2 ** attempt);
        continue;
      }
      throw new FrameloomError(
        CaptureErrors.BEGIN_FRAME,
        `HeadlessExperimental.beginFrame failed${pending ? ` (still pending after ${PENDING_RETRIES} retries)` : ""}: ${errorMessage(error)}`,
        { cause: error, retryable: true },
      );
    }
  }
}

/**
 * Whether BeginFrame capture works on this page (which has navigated to a real document):
 * `HeadlessExperimental.enable`, a warm-up frame without display updates, then a frame with a PNG
 * screenshot that must carry PNG bytes (asked again a few times while it comes back empty).
 */
export async function probeBeginFrame(cdp: CDPSession, options: { timeoutMs?: number; ticks?: FrameTicks } = {}): Promise<BeginFrameProbe> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const ticks = options.ticks ?? new FrameTicks();
  const ms = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  // Once timed out, the probe sends nothing more: the caller may already be using the page.
  let abandoned = false;
  const timedOut = new Promise<BeginFrameProbe>((resolve) => {
    timer = setTimeout(() => {
      abandoned = true;
      resolve({ ok: false, reason: `no BeginFrame answer within ${timeoutMs} ms`, ms: ms() });
    }, timeoutMs);
  });
  const frame = (params: Omit<BeginFrameParams, "frameTimeTicks" | "interval">) => {
    if (abandoned) throw new Error("probe abandoned");
    return sendBeginFrame(cdp, { frameTimeTicks: ticks.next(), interval: ticks.intervalMs, ...params });
  };
  const probe = (async (): Promise<BeginFrameProbe> => {
    try {
      // Deprecated (a no-op) in newer Chromium and perhaps removed later: beginFrame alone decides.
      await (cdp.send as (method: string) => Promise<unknown>)("HeadlessExperimental.enable").catch((error: unknown) => {
        if (!/wasn't found/.test(errorMessage(error))) throw error;
      });
      await frame({ noDisplayUpdates: true });
      for (let attempt = 1; attempt <= PROBE_SCREENSHOT_ATTEMPTS; attempt++) {
        const { screenshotData } = await frame({ screenshot: { format: "png" } });
        if (!screenshotData) continue;
        const bytes = Buffer.from(screenshotData, "base64");
        if (bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) return { ok: true, ms: ms() };
        return { ok: false, reason: `beginFrame returned ${bytes.length} bytes that are not a PNG`, ms: ms() };
      }
      return { ok: false, reason: `beginFrame returned no screenshot data in ${PROBE_SCREENSHOT_ATTEMPTS} frames`, ms: ms() };
    } catch (error) {
      const cause = error instanceof FrameloomError && error.cause !== undefined ? error.cause : error;
      return { ok: false, reason: errorMessage(cause).replace(/^Protocol error \([^)]*\):\s*/, ""), ms: ms() };
    }
  })();
  try {
    return await Promise.race([probe, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Launches `executablePath` with `BEGIN_FRAME_ARGS`, opens a page on a small data: document in
 * its own browser context and probes it (doctor, and anyone choosing a capture method before a
 * render). The browser and its temp dir are gone when this returns; a launch failure throws.
 */
export async function probeBrowserBeginFrame(executablePath: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<BeginFrameProbe> {
  const workDir = await mkdtemp(path.join(tmpdir(), "frameloom-probe-"));
  const controller = new AbortController();
  const forward = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", forward, { once: true });
  try {
    const chromium = await launchChromium({
      executablePath,
      profileDir: path.join(workDir, "profile"),
      signal: controller.signal,
      args: [...BEGIN_FRAME_ARGS],
    });
    try {
      const context = await chromium.browser.createBrowserContext();
      const page = await context.newPage();
      await page.goto("data:text/html,<!doctype html><body style='margin:0;background:%23246'><p style='color:white'>frameloom</p>", {
        waitUntil: "load",
        timeout: 15_000,
      });
      const cdp = await page.createCDPSession();
      return await probeBeginFrame(cdp, { timeoutMs: options.timeoutMs });
    } finally {
      await chromium.close();
    }
  } finally {
    options.signal?.removeEventListener("abort", forward);
    await rm(workDir, { recursive: true, force: true }).catch(() => {});
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * How a page's pixels are read back: the capture method of a session (docs/capture.md, "Browsers
 * and capture methods").
 *
 * - `screenshot`: `Page.captureScreenshot`. Chromium draws on its own; whether anything changed is
 *   asked of the page (`window.__frameloom.changedSinceLastCheck()`, runtime/page), which answers
 *   false only when that is provably so.
 * - `beginframe`: the page draws only when told (`--enable-begin-frame-control`). A still page
 *   (the last frame repeated the one before): one BeginFrame without a screenshot draws the page
 *   and says whether anything was damaged, and only then a BeginFrame with a screenshot reads it
 *   back. A moving page (the last frame changed): the read-back is asked for at once, one BeginFrame
 *   a frame. A read-back leaves damage of its own (measured: the next BeginFrame always reports
 *   damage after one), so when a read-back shows the page stopped, one more BeginFrame absorbs it
 *   before damage is asked again.
 * - Either method: a read-back whose bytes equal the last shot's hands on the last shot's Buffer,
 *   so the encoder repeats the picture instead of decoding it again (matroskaPipe.ts), and counts
 *   as reused: `reused` means "the previous frame's picture", whether or not it was read back.
 *
 * Invariants: `lastShot` is always the image of what the page shows now, so repeating it when
 * nothing changed is exact; frameTimeTicks strictly increase per page; a shot is never reused
 * across formats or when the caller says it may not be.
 */
import type { CDPSession } from "puppeteer-core";
import { FrameloomError, type CaptureMethod } from "@frameloom/shared-helpers";
import { sendBeginFrame, type FrameTicks } from "./beginFrame.js";
import { CaptureErrors } from "./errors.js";

export interface Shot {
  data: Buffer;
  /** True when `data` is the previous shot's very Buffer: nothing changed since (no damage, or the same bytes read back). */
  reused: boolean;
}

export interface ShotRequest {
  format: "jpeg" | "png";
  quality?: number;
  /** The previous shot may stand in when nothing changed (false: always read back). */
  mayReuse: boolean;
}

export interface Shooter {
  readonly method: CaptureMethod;
  shoot(request: ShotRequest): Promise<Shot>;
  /**
   * Runs `work` while keeping the page's lifecycle moving: a BeginFrame page runs no rendering
   * steps (font loads, image decodes waiting on layout) unless frames are issued.
   */
  pump<T>(work: Promise<T>): Promise<T>;
}

type Evaluate = <T>(expression: string) => Promise<T>;

export class ScreenshotShooter implements Shooter {
  readonly method = "screenshot" as const;
  private lastShot: { format: string; data: Buffer } | null = null;

  constructor(
    private readonly cdp: CDPSession,
    private readonly evaluate: Evaluate,
  ) {}

  async shoot(request: ShotRequest): Promise<Shot> {
    // Asked every frame, so the page's notion of "since the last check" is the previous frame.
    const changed = request.mayReuse
      ? await this.evaluate<boolean>(
          "typeof window.__frameloom.changedSinceLastCheck === 'function' ? window.__frameloom.changedSinceLastCheck() : true",
        )
      : true;
    if (!changed && this.lastShot?.format === request.format) return { data: this.lastShot.data, reused: true };
    const shot = await this.cdp.send("Page.captureScreenshot", {
      format: request.format,
      ...(request.format === "jpeg" ? { quality: request.quality } : {}),
      optimizeForSpeed: true,
    });
    const data = Buffer.from(shot.data, "base64");
    // The page could not prove it unchanged, but the picture is: the last Buffer again (the encoder repeats it).
    if (request.mayReuse && this.lastShot?.format === request.format && this.lastShot.data.equals(data)) return { data: this.lastShot.data, reused: true };
    this.lastShot = { format: request.format, data };
    return { data, reused: false };
  }

  pump<T>(work: Promise<T>): Promise<T> {
    return work;
  }
}

/** Pump: a BeginFrame with no display update every PUMP_EVERY_MS while page work is pending. */
const PUMP_EVERY_MS = 16;
const SHOT_ATTEMPTS = 3;

export class BeginFrameShooter implements Shooter {
  readonly method = "beginframe" as const;
  private lastShot: { format: string; data: Buffer } | null = null;
  /**
   * The last frame was read back and differed from the one before: the next most likely changes too, so its
   * read-back is asked for at once (one BeginFrame) instead of after a BeginFrame that only asks for damage.
   */
  private moving = false;
  /** One BeginFrame at a time per page ("Another frame is pending" otherwise). */
  private queue: Promise<unknown> = Promise.resolve();

  /** `ticks` continues the clock the probe used on this page. */
  constructor(
    private readonly cdp: CDPSession,
    private readonly ticks: FrameTicks,
  ) {}

  private frame(params: { noDisplayUpdates?: boolean; screenshot?: { format: "jpeg" | "png"; quality?: number; optimizeForSpeed?: boolean } }) {
    const run = this.queue.then(() => {
      return sendBeginFrame(this.cdp, { frameTimeTicks: this.ticks.next(), interval: this.ticks.intervalMs, ...params });
    });
    this.queue = run.catch(() => {});
    return run;
  }

  async shoot(request: ShotRequest): Promise<Shot> {
    const previous = request.mayReuse && this.lastShot?.format === request.format ? this.lastShot.data : null;
    // A still page: ask for damage first, and read back only when there is some.
    if (previous && !this.moving) {
      const drawn = await this.frame({});
      if (!drawn.hasDamage) return this.repeat(previous);
    }
    const screenshot = { format: request.format, ...(request.format === "jpeg" ? { quality: request.quality } : {}), optimizeForSpeed: true };
    const data = await this.readBack(screenshot, previous !== null && this.moving);
    if (data === null) {
      // A moving page's read-back drew nothing: no damage since the last one.
      this.moving = false;
      return this.repeat(previous!);
    }
    if (previous?.equals(data)) {
      // The page stopped changing. The read-back left damage of its own; absorb it, so that the next frame's
      // BeginFrame without a read-back reports the page's damage only. The previous picture is also what a
      // renderer that died after the seek leaves behind (with the read-back's damage): `repeat` tells them apart.
      this.moving = false;
      await this.frame({});
      return this.repeat(previous);
    }
    this.lastShot = { format: request.format, data };
    this.moving = request.mayReuse;
    return { data, reused: false };
  }

  private async repeat(previous: Buffer): Promise<Shot> {
    await this.assertRendererAlive();
    return { data: previous, reused: true };
  }

  /**
   * One BeginFrame with a screenshot (asked again while it comes back empty). `emptyMeansUnchanged`: an empty
   * answer without damage means nothing changed since the last read-back (null), not "try again".
   */
  private async readBack(screenshot: { format: "jpeg" | "png"; quality?: number; optimizeForSpeed: boolean }, emptyMeansUnchanged: boolean): Promise<Buffer | null> {
    for (let attempt = 1; attempt <= SHOT_ATTEMPTS; attempt++) {
      const shot = await this.frame({ screenshot });
      if (shot.screenshotData) {
        if (!shot.hasDamage) await this.assertRendererAlive();
        return Buffer.from(shot.screenshotData, "base64");
      }
      if (emptyMeansUnchanged && !shot.hasDamage) return null;
    }
    throw new FrameloomError(CaptureErrors.BEGIN_FRAME, `BeginFrame returned no screenshot after ${SHOT_ATTEMPTS} attempts`, { retryable: true });
  }

  /**
   * "No damage" also comes back when the renderer died after the seek: the browser's compositor still holds the
   * previous frame, and would hand it on as this one. One round trip to the renderer tells the two apart; a dead
   * one fails it, and the session reports the crash.
   */
  private async assertRendererAlive(): Promise<void> {
    await this.cdp.send("Runtime.evaluate", { expression: "0", returnByValue: true });
  }

  async pump<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let inFlight: Promise<unknown> = Promise.resolve();
    const tick = () => {
      inFlight = this.frame({ noDisplayUpdates: true })
        .catch(() => {})
        .then(() => {
          if (!settled) timer = setTimeout(tick, PUMP_EVERY_MS);
        });
    };
    // Most page work (a seek) ends within a few ms and needs no frame: start pumping only after that.
    timer = setTimeout(tick, PUMP_EVERY_MS);
    try {
      return await work;
    } finally {
      settled = true;
      clearTimeout(timer);
      await inFlight;
    }
  }
}

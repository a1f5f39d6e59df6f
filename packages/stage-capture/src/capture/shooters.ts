/**
 * How a page's pixels are read back: the capture method of a session (docs/capture.md, "Browsers
 * and capture methods").
 *
 * - `screenshot`: `Page.captureScreenshot`. Chromium draws on its own; whether anything changed is
 *   asked of the page (`window.__frameloom.changedSinceLastCheck()`, runtime/page), which answers
 *   false only when that is provably so.
 * - `beginframe`: the page draws only when told (`--enable-begin-frame-control`). Per frame: one
 *   BeginFrame without a screenshot draws the page and says whether anything was damaged; only
 *   then a BeginFrame with a screenshot reads it back, and one more without a screenshot absorbs the
 *   damage that the read-back itself reports (measured: otherwise the next frame always has damage).
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
  /** True when these are the previous shot's bytes (nothing changed since). */
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
    // Without re-use there is no question to ask: straight to the read-back.
    if (request.mayReuse) {
      const drawn = await this.frame({});
      if (!drawn.hasDamage && this.lastShot?.format === request.format) {
        await this.assertRendererAlive();
        return { data: this.lastShot.data, reused: true };
      }
    }
    const screenshot = { format: request.format, ...(request.format === "jpeg" ? { quality: request.quality } : {}), optimizeForSpeed: true };
    for (let attempt = 1; attempt <= SHOT_ATTEMPTS; attempt++) {
      const shot = await this.frame({ screenshot });
      if (shot.screenshotData) {
        if (!shot.hasDamage) await this.assertRendererAlive();
        if (request.mayReuse) await this.frame({});
        const data = Buffer.from(shot.screenshotData, "base64");
        this.lastShot = { format: request.format, data };
        return { data, reused: false };
      }
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

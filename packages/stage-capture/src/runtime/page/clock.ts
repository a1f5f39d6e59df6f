/**
 * Virtual time (COMPOSITION.md §3.6). Invariants: `Date.now()`, `new Date()` and
 * `performance.now()` read `clock.ms`, which only seeks move; `requestAnimationFrame` only queues,
 * and the queue is flushed once per seek with the frame's time. Timers are not virtualised (the
 * runtime keeps the real ones for its own waits).
 */
import type { PageWindow } from "./types.js";

export interface VirtualClock {
  /** The page's virtual time in ms. */
  ms: number;
  readonly RealDate: DateConstructor;
  readonly realSetTimeout: (handler: () => void, ms: number) => number;
  readonly realClearTimeout: (id: number) => void;
}

export function installVirtualClock(w: PageWindow): VirtualClock {
  const RealDate = w.Date;
  const clock: VirtualClock = {
    ms: 0,
    RealDate,
    realSetTimeout: w.setTimeout.bind(w) as (handler: () => void, ms: number) => number,
    realClearTimeout: w.clearTimeout.bind(w),
  };
  // A constructor function (not a class) so `Date()` without `new` still returns a string.
  function FLDate(this: unknown, ...args: unknown[]): unknown {
    if (!new.target) return new RealDate(clock.ms).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [clock.ms] : args, new.target);
  }
  FLDate.prototype = RealDate.prototype;
  FLDate.now = function now() {
    return clock.ms;
  };
  FLDate.parse = RealDate.parse;
  FLDate.UTC = RealDate.UTC;
  try {
    Object.defineProperty(FLDate, "name", { value: "Date" });
  } catch {
    // Cosmetic only.
  }
  try {
    Object.defineProperty(RealDate.prototype, "constructor", { value: FLDate, writable: true, configurable: true });
  } catch {
    // Cosmetic only.
  }
  (w as { Date: unknown }).Date = FLDate;

  const virtualNow = function now() {
    return clock.ms;
  };
  try {
    Object.defineProperty(Performance.prototype, "now", { value: virtualNow, writable: true, configurable: true });
  } catch {
    // The instance property below still applies.
  }
  try {
    Object.defineProperty(w.performance, "now", { value: virtualNow, writable: true, configurable: true });
  } catch {
    // Left real.
  }
  return clock;
}

interface RafEntry {
  id: number;
  cb: FrameRequestCallback;
  cancelled: boolean;
}

/** What one flush ran. */
export interface RafFlush {
  /** Callbacks that ran. */
  ran: number;
  /** Callbacks that ran and are not GSAP's own ticker (see `isGsapTick`). */
  foreign: number;
}

/**
 * The rAF queue. `isGsapTick(run)` lets the damage tracker tell GSAP's ticker (whose DOM writes the
 * MutationObserver sees) from other callbacks (which may draw anything): it gets a function that
 * runs the callback and returns whether that run was provably GSAP's tick.
 */
export class RafQueue {
  private queue: RafEntry[] = [];
  private seq = 0;

  install(w: PageWindow): void {
    w.requestAnimationFrame = (cb: FrameRequestCallback): number => {
      this.seq += 1;
      this.queue.push({ id: this.seq, cb, cancelled: false });
      return this.seq;
    };
    Object.defineProperty(w.requestAnimationFrame, "name", { value: "requestAnimationFrame" });
    w.cancelAnimationFrame = (id: number): void => {
      for (const entry of this.queue) if (entry.id === id) entry.cancelled = true;
    };
    Object.defineProperty(w.cancelAnimationFrame, "name", { value: "cancelAnimationFrame" });
  }

  /** The id the last request got (ids grow by one per request). */
  get lastId(): number {
    return this.seq;
  }

  /** Whether `cb` was requested after request `id` (even if that request was cancelled since). */
  requestedSince(id: number, cb: FrameRequestCallback): boolean {
    for (const entry of this.queue) if (entry.id > id && entry.cb === cb) return true;
    return false;
  }

  flush(ts: number, recordError: (err: unknown) => void, isGsapTick: (cb: FrameRequestCallback, run: () => void) => boolean): RafFlush {
    const batch = this.queue;
    this.queue = [];
    const result: RafFlush = { ran: 0, foreign: 0 };
    for (const entry of batch) {
      if (entry.cancelled) continue;
      entry.cancelled = true;
      result.ran += 1;
      const gsap = isGsapTick(entry.cb, () => {
        try {
          entry.cb(ts);
        } catch (err) {
          recordError(err);
        }
      });
      if (!gsap) result.foreign += 1;
    }
    return result;
  }
}

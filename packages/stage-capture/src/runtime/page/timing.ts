/**
 * Start / duration resolution on the live DOM (COMPOSITION.md §2.2) and the timelines registry
 * (§3.1). Invariants: the attribute rules are compile's (compile/timingRules.ts), applied to live
 * elements; starts are memoised for one pass (a seek, or one duration computation) and a
 * reference cycle resolves to 0; window edges snap to frames as HyperFrames' render seek has them.
 */
import { snapToFrameEdge } from "@frameloom/shared-helpers";
import {
  authoredDuration,
  clipStart,
  playbackRateOf,
  playbackStartOf,
  resolveTimingReference,
  ROOT_DURATION_ATTRIBUTES,
  startAfter,
  toNumber,
} from "../../compile/timingRules.js";
import type { GsapAnimation, PageWindow } from "./types.js";

export function isTimeline(x: unknown): x is GsapAnimation {
  return !!x && typeof (x as GsapAnimation).totalTime === "function" && typeof (x as GsapAnimation).duration === "function";
}

/** Within a few ulps: an edge on a frame time cuts on that frame. */
export function nearlyEqual(a: number, b: number): boolean {
  return Math.abs(a - b) <= 4 * Number.EPSILON * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * Whether time `t` lies in the window [start, start + duration) (duration null: open-ended), both
 * edges snapped to the frame grid (0.2 + 0.1 = 0.30000000000000004 → 9/30) and compared with slack.
 * The duration is asked for only when t is past the start.
 */
export function inClipWindow(t: number, rawStart: number, durationOf: () => number | null, rate: number): boolean {
  const start = snapToFrameEdge(rawStart, rate);
  if (t < start && !nearlyEqual(t, start)) return false;
  const duration = durationOf();
  if (duration === null) return true;
  const end = snapToFrameEdge(rawStart + duration, rate);
  return t < end && !nearlyEqual(t, end);
}

export class PageTiming {
  private startCache: Map<Element, number> | null = null;
  private resolving: Set<Element> = new Set();

  constructor(
    private readonly w: PageWindow,
    private readonly compositionId: string,
    private readonly rate: number,
  ) {}

  /** `window.__timelines` by id; an array is normalised (one entry: the root's; several: "tl-i"). */
  timelines(): Record<string, unknown> {
    const tl = this.w.__timelines;
    if (!tl) return {};
    if (Array.isArray(tl)) {
      const out: Record<string, unknown> = {};
      if (tl.length === 1) out[this.compositionId] = tl[0];
      else for (let i = 0; i < tl.length; i++) out["tl-" + i] = tl[i];
      return out;
    }
    return tl as Record<string, unknown>;
  }

  findComposition(id: string): Element | null {
    const all = document.querySelectorAll("[data-composition-id]");
    for (let i = 0; i < all.length; i++) if (all[i]!.getAttribute("data-composition-id") === id) return all[i]!;
    return null;
  }

  rootElement(): Element | null {
    const all = document.querySelectorAll("[data-composition-id]");
    for (let i = 0; i < all.length; i++) if (all[i]!.getAttribute("data-composition-id") === this.compositionId) return all[i]!;
    return document.querySelector('[data-composition-id][data-root="true"]') || all[0] || null;
  }

  /** The root's timeline: registered under the root's id, or the only one when its host is the root (or absent). */
  rootTimeline(): GsapAnimation | null {
    const tls = this.timelines();
    const tl = tls[this.compositionId];
    if (isTimeline(tl)) return tl;
    const keys = Object.keys(tls).filter((k) => isTimeline(tls[k]));
    if (keys.length === 1) {
      const host = this.findComposition(keys[0]!);
      if (!host || host === this.rootElement()) return tls[keys[0]!] as GsapAnimation;
    }
    return null;
  }

  parentComposition(el: Element): Element | null {
    const p = el.parentElement;
    return p ? p.closest("[data-composition-id]") : null;
  }

  /** Starts a memoised pass (every seek, every duration computation). */
  beginPass(): void {
    this.startCache = new Map();
    this.resolving = new Set();
  }

  endPass(): void {
    this.startCache = null;
  }

  start(el: Element): number {
    if (!this.startCache) this.beginPass();
    const cache = this.startCache!;
    const cached = cache.get(el);
    if (cached !== undefined) return cached;
    if (this.resolving.has(el)) return 0;
    this.resolving.add(el);
    const result = clipStart(
      el.getAttribute("data-start"),
      () => this.hostStart(el),
      (text) => this.reference(text),
    );
    this.resolving.delete(el);
    cache.set(el, result);
    return result;
  }

  private hostStart(el: Element): number {
    const host = this.parentComposition(el);
    return host ? this.start(host) : 0;
  }

  private reference(text: string): number {
    const found = resolveTimingReference(text, (id) => document.getElementById(id) || this.findComposition(id));
    if (!found || this.resolving.has(found.target)) return 0;
    const start = this.start(found.target);
    return startAfter(start, this.duration(found.target), found.offset);
  }

  playbackRate(el: Element): number {
    return playbackRateOf((name) => el.getAttribute(name));
  }

  playbackStart(el: Element): number {
    return playbackStartOf((name) => el.getAttribute(name));
  }

  /** Authored duration, else a media element's natural length, else a host's timeline length (both after playback start and rate). */
  duration(el: Element): number | null {
    const authored = authoredDuration(
      (name) => el.getAttribute(name),
      () => this.start(el),
    );
    if (authored !== null) return authored;
    const tag = el.tagName;
    if (tag === "VIDEO" || tag === "AUDIO") {
      const media = el as HTMLMediaElement;
      if (isFinite(media.duration) && media.duration > 0) {
        const natural = (media.duration - this.playbackStart(el)) / this.playbackRate(el);
        if (natural > 0) return natural;
      }
    }
    const comp = el.getAttribute("data-composition-id");
    if (comp !== null) {
      const tl = this.timelines()[comp];
      if (isTimeline(tl)) {
        const td = tl.duration();
        if (isFinite(td) && td > 0) return (td - this.playbackStart(el)) / this.playbackRate(el);
      }
    }
    return null;
  }

  inWindow(el: Element, t: number): boolean {
    return inClipWindow(t, this.start(el), () => this.duration(el), this.rate);
  }

  /** The root's authored duration (data-duration, else data-composition-duration) when > 0. */
  rootAuthoredDuration(): number | null {
    const root = this.rootElement();
    if (!root) return null;
    for (const name of ROOT_DURATION_ATTRIBUTES) {
      const d = toNumber(root.getAttribute(name));
      if (d !== null && d > 0) return d;
    }
    return null;
  }
}

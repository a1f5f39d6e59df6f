/**
 * GSAP seeking (COMPOSITION.md §3.4). Invariants:
 *
 * - Seeks run GSAP's events (.call(), onStart / onUpdate / onComplete …): totalTime(t) fires the
 *   callbacks between the previous time and t, once each. (HyperFrames then nudges to t + 0.001 and
 *   back with events suppressed; that re-arms a callback sitting exactly on t, which then fires
 *   again on the next frame, so there is no nudge here.)
 * - A timeline still at 0 renders nothing when seeked to 0, so the first seek that reaches its
 *   start forces that render: a callback at 0 fires at frame 0 (of its host's window).
 * - render() skips GSAP's lazy renders (a from() tween's start state waits for the next
 *   totalTime()): a throwaway seek of an empty detached timeline flushes them before and after.
 * - Callbacks make page state depend on the path to t. A seek forward from frame a to frame b first
 *   seeks GSAP through every frame a+1 … b-1 (with that frame's virtual clock and random seed), so
 *   a page that starts mid-timeline (a parallel worker, a retried chunk, --frames) ran the same
 *   callbacks in the same order as a sequential render from frame 0. A seek backwards is GSAP's own
 *   reverse seek.
 * - Sub-composition timelines play at their host's data-playback-start / data-playback-rate.
 */
import { frameIndexAt } from "@frameloom/shared-helpers";
import type { VirtualClock } from "./clock.js";
import type { SeededRandom } from "./random.js";
import { isTimeline, type PageTiming } from "./timing.js";
import type { GsapAnimation, PageWindow } from "./types.js";

const GSAP_CALLBACKS = ["onStart", "onUpdate", "onComplete", "onRepeat", "onReverseComplete", "onInterrupt"];

export function hasGsapCallback(anim: GsapAnimation | null | undefined): boolean {
  const vars = anim && anim.vars;
  if (!vars) return false;
  for (const name of GSAP_CALLBACKS) if (typeof vars[name] === "function") return true;
  return false;
}

export interface GsapEnv {
  w: PageWindow;
  timing: PageTiming;
  clock: VirtualClock;
  /** Null when randomness is native (--native-random). */
  rng: SeededRandom | null;
  /** Composition time, set while stepping through skipped frames. */
  setCompTime(t: number): void;
  compTime(): number;
  rate: number;
  recordError(err: unknown): void;
}

export class GsapSeeker {
  private readonly started = new WeakSet<GsapAnimation>();
  private flusher: GsapAnimation | null = null;
  /** The frame GSAP was last seeked to (-1: never). */
  private frame = -1;

  constructor(private readonly env: GsapEnv) {}

  /** Turns lag smoothing off: GSAP must not stretch time between seeks. */
  quiet(): void {
    const g = this.env.w.gsap;
    if (g && g.ticker && typeof g.ticker.lagSmoothing === "function") {
      try {
        g.ticker.lagSmoothing(0);
      } catch {
        // An old or stubbed GSAP: nothing to turn off.
      }
    }
  }

  private flushLazy(): void {
    const g = this.env.w.gsap;
    if (!this.flusher && g && typeof g.timeline === "function") {
      try {
        this.flusher = g.timeline({ paused: true }) as GsapAnimation;
        if (this.flusher.parent && this.flusher.parent.remove) this.flusher.parent.remove(this.flusher);
      } catch {
        this.flusher = null;
      }
    }
    if (this.flusher) this.flusher.totalTime(this.flusher.totalTime() === 0 ? 1 : 0, true);
  }

  private seekTimeline(tl: GsapAnimation, local: number): void {
    if (!this.started.has(tl)) {
      this.started.add(tl);
      if (local === 0 && typeof tl.render === "function" && tl.totalTime() === 0) {
        this.flushLazy();
        tl.render(0, false, true);
        this.flushLazy();
        return;
      }
    }
    tl.totalTime(local);
  }

  private seekAt(t: number): void {
    const { timing, recordError } = this.env;
    const tls = timing.timelines();
    const root = timing.rootTimeline();
    if (root) {
      try {
        if (typeof root.paused === "function") root.paused(true);
        const total = root.totalDuration!();
        const target = Math.min(t, isFinite(total) ? total : t);
        this.seekTimeline(root, target);
      } catch (err) {
        recordError(err);
      }
    }
    for (const key of Object.keys(tls)) {
      const tl = tls[key];
      if (!isTimeline(tl) || tl === root) continue;
      if (root && tl.parent === root) continue; // the author nested it: the root seek covered it
      const host = timing.findComposition(key);
      if (!host || host === timing.rootElement()) continue;
      try {
        if (typeof tl.paused === "function") tl.paused(true);
        const duration = tl.duration();
        let local = timing.playbackStart(host) + Math.max(0, t - timing.start(host)) * timing.playbackRate(host);
        local = Math.min(Math.max(0, local), isFinite(duration) ? duration : local);
        if (t >= timing.start(host)) this.seekTimeline(tl, local);
        else tl.totalTime(local);
      } catch (err) {
        recordError(err);
      }
    }
  }

  /** null: no callbacks anywhere; else the time after which stepping through frames changes nothing. */
  private callbackEnd(): number | null {
    const { timing } = this.env;
    const tls = timing.timelines();
    let found = false;
    let end = 0;
    for (const key of Object.keys(tls)) {
      const tl = tls[key];
      if (!isTimeline(tl)) continue;
      const kids = typeof tl.getChildren === "function" ? tl.getChildren(true, true, true) : [];
      let has = hasGsapCallback(tl);
      for (let k = 0; !has && k < kids.length; k++) has = hasGsapCallback(kids[k]);
      if (has) found = true;
      const length = typeof tl.totalDuration === "function" ? tl.totalDuration() : tl.duration();
      if (!isFinite(length)) return Infinity;
      const host = timing.findComposition(key);
      end = Math.max(
        end,
        host && host !== timing.rootElement() && tl !== timing.rootTimeline() ? timing.start(host) + length / timing.playbackRate(host) : length,
      );
    }
    return found ? end : null;
  }

  seek(t: number): void {
    const { env } = this;
    const rate = env.rate;
    const frame = frameIndexAt(t, rate);
    if (frame > this.frame + 1) {
      const end = this.callbackEnd();
      if (end !== null) {
        const savedMs = env.clock.ms;
        const savedComp = env.compTime();
        for (let k = this.frame + 1; k < frame; k++) {
          const tk = k / rate;
          if (tk > end + 1 / rate) break;
          env.setCompTime(tk);
          env.clock.ms = tk * 1000;
          // Callbacks draw the same random numbers as on that frame of a sequential render.
          if (env.rng) env.rng.reseed(env.clock.ms);
          this.seekAt(tk);
        }
        env.setCompTime(savedComp);
        env.clock.ms = savedMs;
        if (env.rng) env.rng.reseed(env.clock.ms);
      }
    }
    this.frame = frame;
    this.seekAt(t);
  }

  /**
   * Whether some GSAP animation could change what paints without a DOM mutation: a callback
   * (it may write the CSSOM, a form value, a scroll offset), a target that is not an Element (a
   * plain object read by a draw, a CSS rule, the window), or a tweened property that is not an
   * attribute or inline style (scroll, form value, media time).
   */
  hasEffectsOutsideTheDom(): boolean {
    const g = this.env.w.gsap;
    const roots: unknown[] = [];
    if (g && isTimeline(g.globalTimeline)) roots.push(g.globalTimeline);
    const tls = this.env.timing.timelines();
    for (const key of Object.keys(tls)) roots.push(tls[key]);
    for (const root of roots) {
      if (!isTimeline(root)) continue;
      if (hasGsapCallback(root) || hasHiddenTarget(root)) return true;
      const kids = typeof root.getChildren === "function" ? root.getChildren(true, true, true) : [];
      for (const kid of kids) if (hasGsapCallback(kid) || hasHiddenTarget(kid)) return true;
    }
    return false;
  }
}

const PROPERTIES_OUTSIDE_THE_DOM = ["scrollTo", "scrollTop", "scrollLeft", "value", "checked", "currentTime", "volume"];

function hasHiddenTarget(anim: GsapAnimation): boolean {
  if (typeof anim.targets !== "function") return false;
  const vars = anim.vars || {};
  for (const name of PROPERTIES_OUTSIDE_THE_DOM) if (name in vars) return true;
  let targets: unknown[];
  try {
    targets = anim.targets() || [];
  } catch {
    return true;
  }
  for (const target of targets) if (!(target instanceof Element)) return true;
  return false;
}

/**
 * HyperFrames adapter registries (COMPOSITION.md §3.5), seeked by the page runtime at every seek,
 * after GSAP / CSS / WAAPI and clip visibility and before the rAF queue is flushed (§3.3):
 *
 * - `window.__hfAnime`: anime.js instances (v3 `anime()` / `anime.timeline()`, v4 `animate()` /
 *   `createTimeline()`): paused, then `seek(t·1000)`. anime.js v3's `anime.running` is added to it.
 * - `window.__hfLottie`: lottie-web animations (and `lottie.getRegisteredAnimations()`, added to it)
 *   at their local time s = t − start of their composition (the closest `[data-composition-id]`):
 *   `loop: true` wraps, past the end the last frame holds (lottie draws nothing at frames ≥
 *   totalFrames), else `goToAndStop(s·1000, false)`; dotLottie players by `setFrame`,
 *   `setCurrentRawFrameValue` or `seek(percent)`. ready() waits for each lottie-web one's
 *   `DOMLoaded` (or `data_failed`) before frame 0.
 * - `__hfMapbox`, `__hfMaplibre` (`load`), `__hfLeaflet` (`whenReady`), `__hfGoogleMaps`
 *   (`tilesloaded`), `__hfD3` (transition `end()`): waited for by ready(), not seeked; and pending
 *   `THREE.DefaultLoadingManager` loads when Three.js is a global.
 * - `window.__hfThreeTime` and `window.__hfTypegpuTime` are set to t (seconds), then a `hf-seek`
 *   event is dispatched on `window` with `detail = { time: t, waitUntil(promise) }`: canvas / WebGL /
 *   WebGPU code draws the frame for `time` and hands what it still waits for to `waitUntil`
 *   (synchronously, inside the listener; later it throws). Dispatched when t differs from the
 *   previous dispatch. The frame is captured only once every such promise has
 *   settled; one that rejects fails the render with its reason (a page error), and if any is still
 *   pending after `waitMs` the seek reports an adapter timeout (FLM_ERR_CAPTURE_ADAPTER_TIMEOUT).
 *
 * Lottie ends (start + totalFrames / frameRate) count towards the inferred duration when the root
 * has no `data-duration` (§3.2); anime.js ones do not. All of this follows HyperFrames' runtime
 * adapters (hyperframes 0.8.170).
 */
import type { PageWindow } from "./types.js";
import { messageOf } from "./types.js";

export interface AdapterEnv {
  w: PageWindow;
  recordError(err: unknown): void;
  /** Called (once per seek that times out) with what is still pending. */
  timeout(message: string): void;
  realSetTimeout(handler: () => void, ms: number): number;
  realClearTimeout(id: number): void;
  waitMs: number;
  /** Start (s) of a composition element. */
  startOf(el: Element): number;
}

export interface HfAdapters {
  /** Waits before frame 0 (null: nothing to wait for); always resolves. */
  ready(): Promise<unknown> | null;
  /** Lottie ends, for the inferred duration. */
  ends(): number;
  /** Seeks every adapter to t; null or a promise that always resolves (failures go through env). */
  seek(t: number): Promise<void> | null;
  /** Whether the last seek ran page code (an anime.js or Lottie entry, or an hf-seek listener). */
  readonly lastSeekRanPageCode: boolean;
}

// oxlint-disable-next-line typescript/no-explicit-any -- registry entries are third-party objects of any shape
type Entry = any;

/** x wrapped into [0, n), a remainder within 1e-6 of n being 0 (a loop's last frame is its first). */
export function wrapFrame(x: number, n: number): number {
  const r = x % n;
  return n - r < 1e-6 ? 0 : r;
}

function isLottieWeb(a: Entry): boolean {
  return !!a && typeof a === "object" && typeof a.goToAndStop === "function";
}

function isDotLottie(a: Entry): boolean {
  return !!a && typeof a === "object" && typeof a.pause === "function" && ("totalFrames" in a || "duration" in a);
}

/** Length (s) of a lottie-web or dotLottie animation; null when it does not say. */
export function lottieLength(a: Entry): number | null {
  const perFrame = (frames: number, fps: number): number | null => (isFinite(frames) && frames > 0 && isFinite(fps) && fps > 0 ? frames / fps : null);
  if (isLottieWeb(a)) return perFrame(a.totalFrames, a.frameRate);
  if (isDotLottie(a)) return isFinite(a.duration) && a.duration > 0 ? a.duration : perFrame(a.totalFrames, a.frameRate);
  return null;
}

export function createHfAdapters(env: AdapterEnv): HfAdapters {
  const w = env.w;
  let ranPageCode = false;
  /** Whether anything listens for hf-seek on window (registrations are counted, removals are not: conservative). */
  let hfSeekListened = false;
  try {
    const realAdd = w.addEventListener;
    w.addEventListener = function addEventListener(this: Window, ...args: Parameters<Window["addEventListener"]>): void {
      if (args[0] === "hf-seek") hfSeekListened = true;
      return realAdd.apply(this, args);
    } as Window["addEventListener"];
  } catch {
    hfSeekListened = true;
  }

  function registry(name: string): Entry[] {
    const r = w[name];
    return Array.isArray(r) ? r : [];
  }
  function merge(name: string, found: unknown): void {
    if (!Array.isArray(found) || found.length === 0) return;
    const list: unknown[] = Array.isArray(w[name]) ? w[name] : [];
    for (const item of found) if (list.indexOf(item) < 0) list.push(item);
    w[name] = list;
  }
  function discover(): void {
    try {
      if (w.anime && Array.isArray(w.anime.running)) merge("__hfAnime", w.anime.running);
    } catch {
      // A page global that throws on access: nothing to add.
    }
    try {
      if (w.lottie && typeof w.lottie.getRegisteredAnimations === "function") merge("__hfLottie", w.lottie.getRegisteredAnimations());
    } catch {
      // As above.
    }
  }

  function seekAnime(ms: number): void {
    for (const a of registry("__hfAnime")) {
      if (!a) continue;
      ranPageCode = true;
      try {
        if (a.paused !== true && typeof a.pause === "function") a.pause();
        if (typeof a.seek === "function") a.seek(ms);
      } catch (err) {
        env.recordError(err);
      }
    }
  }

  function lottieStart(a: Entry): number {
    const el = isLottieWeb(a) ? a.wrapper : a.canvas;
    const host = el && typeof el.closest === "function" ? el.closest("[data-composition-id]") : null;
    return host ? env.startOf(host) : 0;
  }

  function seekLottie(t: number): void {
    for (const a of registry("__hfLottie")) {
      ranPageCode = true;
      try {
        const s = Math.max(0, t - lottieStart(a));
        const loop = a && a.loop === true;
        if (isLottieWeb(a)) {
          const frame = s * a.frameRate;
          if (a.totalFrames > 0 && loop) a.goToAndStop(wrapFrame(frame, a.totalFrames), true);
          else if (a.totalFrames > 0 && frame >= a.totalFrames) a.goToAndStop(a.totalFrames - 1, true);
          else a.goToAndStop(s * 1000, false);
        } else if (isDotLottie(a)) {
          const total = a.totalFrames || 0;
          if (typeof a.setFrame === "function") {
            const d = a.duration || 0;
            if (!(isFinite(total) && total > 0 && isFinite(d) && d > 0)) continue;
            const f = (s * total) / d;
            a.setFrame(Math.min(loop ? wrapFrame(f, total) : f, total - 1));
          } else if (typeof a.setCurrentRawFrameValue === "function") {
            const fr = a.frameRate || 30;
            const raw = loop && total > 0 ? wrapFrame(s * fr, total) : s * fr;
            if (total > 0) a.setCurrentRawFrameValue(Math.min(raw, total - 1));
          } else if (typeof a.seek === "function") {
            const len = a.duration || 0;
            if (isFinite(len) && len > 0) a.seek(Math.min(100, ((loop ? s % len : s) / len) * 100));
          }
        }
      } catch (err) {
        env.recordError(err);
      }
    }
  }

  let lastDispatch: number | null = null;
  function dispatchSeek(t: number): Promise<void> | null {
    try {
      w.__hfThreeTime = t;
      w.__hfTypegpuTime = t;
    } catch {
      // Non-writable: the page defined them itself.
    }
    if (t === lastDispatch) return null;
    lastDispatch = t;
    if (hfSeekListened) ranPageCode = true;
    const pending: Promise<unknown>[] = [];
    let open = true;
    const detail = {
      time: t,
      waitUntil(promise: unknown): void {
        if (!open) throw new Error("hf-seek waitUntil() must be called synchronously from the event listener");
        pending.push(Promise.resolve(promise));
      },
    };
    try {
      w.dispatchEvent(new CustomEvent("hf-seek", { detail }));
    } catch (err) {
      env.recordError(err);
    }
    open = false;
    if (pending.length === 0) return null;
    return new Promise((resolve) => {
      let left = pending.length;
      let finished = false;
      const timer = env.realSetTimeout(() => {
        if (finished) return;
        finished = true;
        env.timeout("hf-seek at t=" + t + "s: " + left + " of " + pending.length + " waitUntil() promise(s) still pending after " + env.waitMs + " ms");
        resolve();
      }, env.waitMs);
      const settled = (): void => {
        left -= 1;
        if (left === 0 && !finished) {
          finished = true;
          env.realClearTimeout(timer);
          resolve();
        }
      };
      for (const p of pending) {
        p.then(settled, (err) => {
          env.recordError("hf-seek at t=" + t + "s: a waitUntil() promise rejected: " + messageOf(err));
          settled();
        });
      }
    });
  }

  // Readiness before frame 0 (each wait is bounded by the runtime).
  function onceReady(list: Entry[], wait: (entry: Entry) => unknown): Promise<unknown>[] {
    const out: Promise<unknown>[] = [];
    for (const entry of list) {
      try {
        const p = wait(entry);
        if (p) out.push(Promise.resolve(p).catch(() => {}));
      } catch {
        // An entry without the expected API is not waited for.
      }
    }
    return out;
  }
  function threeLoads(): Promise<void> | null {
    const m = w.THREE && w.THREE.DefaultLoadingManager;
    if (!m || typeof m.itemsLoaded !== "number" || typeof m.itemsTotal !== "number" || m.itemsTotal <= m.itemsLoaded) return null;
    return new Promise((resolve) => {
      const poll = (): void => {
        if (m.itemsTotal <= m.itemsLoaded) resolve();
        else env.realSetTimeout(poll, 25);
      };
      poll();
    });
  }
  function ready(): Promise<unknown> | null {
    discover();
    let waits: Promise<unknown>[] = [];
    waits = waits.concat(
      onceReady(registry("__hfLottie"), (a) => {
        if (!a || a.isLoaded || typeof a.addEventListener !== "function" || !isLottieWeb(a)) return null;
        return new Promise((resolve) => {
          a.addEventListener("DOMLoaded", resolve);
          a.addEventListener("data_failed", resolve);
        });
      }),
    );
    const onLoad = (m: Entry): unknown => (m.loaded() ? null : new Promise((resolve) => m.on("load", resolve)));
    waits = waits.concat(onceReady(registry("__hfMapbox"), onLoad), onceReady(registry("__hfMaplibre"), onLoad));
    waits = waits.concat(onceReady(registry("__hfLeaflet"), (m) => new Promise((resolve) => m.whenReady(resolve))));
    waits = waits.concat(
      onceReady(
        registry("__hfGoogleMaps"),
        (m) =>
          new Promise<void>((resolve) => {
            const l = m.addListener("tilesloaded", () => {
              l.remove();
              resolve();
            });
          }),
      ),
    );
    waits = waits.concat(onceReady(registry("__hfD3"), (tr) => tr.end()));
    const three = threeLoads();
    if (three) waits.push(three);
    return waits.length ? Promise.all(waits) : null;
  }

  function ends(): number {
    discover();
    let max = 0;
    for (const entry of registry("__hfLottie")) {
      try {
        const len = lottieLength(entry);
        if (len !== null) max = Math.max(max, lottieStart(entry) + len);
      } catch {
        // An entry that throws does not count towards the duration.
      }
    }
    return max;
  }

  return {
    ready,
    ends,
    seek(t: number): Promise<void> | null {
      ranPageCode = false;
      discover();
      seekAnime(t * 1000);
      seekLottie(t);
      return dispatchSeek(t);
    },
    get lastSeekRanPageCode() {
      return ranPageCode;
    },
  };
}

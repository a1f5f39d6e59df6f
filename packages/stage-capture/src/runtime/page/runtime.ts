/**
 * The in-page runtime (COMPOSITION.md §2.1, §2.2, §3), installed by pageRuntimeScript()
 * (runtime/pageRuntime.ts) through page.evaluateOnNewDocument(), so it runs before any page script.
 *
 * In the page: `window.__frameloom = { ready(), seek(t), changedSinceLastCheck(), errors, config,
 * time, duration, adapterTimeout, realDate }` and `window.__hf = { get duration(), seek(t) }`, plus
 * HyperFrames' globals (§3.1, hfGlobals.ts) and adapter registries (§3.5, hfAdapters.ts).
 *
 * Invariants: seek(t) is a pure function of t (calls are serialised; GSAP's path-dependent callbacks
 * are replayed frame by frame, gsap.ts); a seek runs, in order: clock + random seed, GSAP, CSS / Web
 * Animations, clip visibility, animations again (elements that just became displayed restart
 * theirs), adapters, the rAF queue; then waits for images, fonts, adapters' waitUntil() promises and
 * same-origin iframes. The duration is fixed once ready() resolved (later seeks hide elements, and
 * display:none drops their CSS animations). Installing twice in a page does nothing.
 */
import { quantiseToFrame } from "@frameloom/shared-helpers";
import { AnimationSeeker } from "./animations.js";
import { fontsReady, ImageSettler, waitFor } from "./assets.js";
import { installVirtualClock, RafQueue } from "./clock.js";
import { DamageTracker } from "./damage.js";
import { GsapSeeker } from "./gsap.js";
import { createHfAdapters } from "./hfAdapters.js";
import { installHfGlobals } from "./hfGlobals.js";
import { installSeededRandom, SeededRandom } from "./random.js";
import { isTimeline, PageTiming } from "./timing.js";
import { messageOf, pageWindow, type RuntimeConfig } from "./types.js";
import { ClipVisibility } from "./visibility.js";

const READY_TIMELINE_WAIT_MS = 2000;
const READY_MEDIA_WAIT_MS = 10000;
const SEEK_IMAGE_WAIT_MS = 5000;

export function installPageRuntime(config: RuntimeConfig): void {
  const w = pageWindow();
  if (w.__frameloom) return;

  const rate = config.fps.num / config.fps.den;
  const errors: string[] = [];
  let compTime = 0;

  const clock = installVirtualClock(w);
  const rng = config.seedRandom ? new SeededRandom() : null;
  if (rng) installSeededRandom(w, rng);
  const raf = new RafQueue();
  raf.install(w);

  function recordError(err: unknown): void {
    errors.push(messageOf(err));
  }
  w.addEventListener("error", (event) => {
    if (event && event.error) recordError(event.error);
    else if (event && event.message) errors.push(event.message);
  });
  w.addEventListener("unhandledrejection", (event) => {
    const reason = event ? event.reason : undefined;
    errors.push("unhandled rejection: " + (reason && reason.message ? reason.message : String(reason)));
  });

  const timing = new PageTiming(w, config.compositionId, rate);
  // HyperFrames globals before any page script, and the adapter registries seeked at every seek.
  const hf = installHfGlobals(w, config, {
    seek: (t) => seek(t),
    time: () => compTime,
    duration: () => api.duration,
  });
  let adapterTimeout: string | null = null;
  const adapters = createHfAdapters({
    w,
    recordError,
    timeout: (message) => {
      if (adapterTimeout === null) adapterTimeout = message;
    },
    realSetTimeout: clock.realSetTimeout,
    realClearTimeout: clock.realClearTimeout,
    waitMs: config.adapterWaitMs,
    startOf: (el) => timing.start(el),
  });

  const animations = new AnimationSeeker(timing, () => compTime, recordError);
  animations.install();
  const gsap = new GsapSeeker({
    w,
    timing,
    clock,
    rng,
    setCompTime: (t) => {
      compTime = t;
    },
    compTime: () => compTime,
    rate,
    recordError,
  });
  const visibility = new ClipVisibility(timing);
  const images = new ImageSettler();
  const damage = new DamageTracker(w, { gsapEffectsOutsideTheDom: () => gsap.hasEffectsOutsideTheDom() });
  damage.install();

  // -----------------------------------------------------------------------------------------------
  // ready() (§3.7) and duration (§3.2)

  function loaded(): Promise<void> {
    if (document.readyState === "complete") return Promise.resolve();
    return new Promise((resolve) => w.addEventListener("load", () => resolve(), { once: true }));
  }
  function missingTimelines(): (string | null)[] {
    const tls = timing.timelines();
    const hosts = document.querySelectorAll("[data-composition-id]");
    const missing: (string | null)[] = [];
    for (let i = 0; i < hosts.length; i++) {
      if (hosts[i]!.hasAttribute("data-no-timeline")) continue;
      const id = hosts[i]!.getAttribute("data-composition-id");
      if (!isTimeline(tls[id as string]) && !(id === config.compositionId && timing.rootTimeline())) missing.push(id);
    }
    return missing;
  }
  let loadedAt: number | null = null;
  w.addEventListener("load", () => {
    loadedAt = clock.RealDate.now();
  });
  function waitTimelines(): Promise<void> {
    const deadline = (loadedAt === null ? clock.RealDate.now() : loadedAt) + READY_TIMELINE_WAIT_MS;
    return new Promise((resolve) => {
      const poll = (): void => {
        // A page that loaded no GSAP and registered no timeline by load will not register one:
        // don't hold every CSS-only composition for the whole wait.
        const noGsap = !w.gsap && Object.keys(timing.timelines()).length === 0;
        if (missingTimelines().length === 0 || noGsap || clock.RealDate.now() >= deadline) resolve();
        else clock.realSetTimeout(poll, 25);
      };
      poll();
    });
  }
  function waitVideos(): Promise<void> {
    const videos = document.querySelectorAll("video");
    const waits: Promise<unknown>[] = [];
    for (let i = 0; i < videos.length; i++) {
      const v = videos[i]!;
      if (v.readyState >= 2 || v.error || v.hasAttribute("data-flm-media-layer")) continue; // layered HDR media: the compositor decodes it
      if (v.preload === "none") v.preload = "auto";
      waits.push(
        new Promise((resolve) => {
          v.addEventListener("loadeddata", resolve, { once: true });
          v.addEventListener("error", resolve, { once: true });
        }),
      );
    }
    return waits.length ? waitFor(clock, Promise.all(waits), READY_MEDIA_WAIT_MS) : Promise.resolve();
  }
  function computeDuration(): number {
    const root = timing.rootElement();
    const authored = timing.rootAuthoredDuration();
    if (authored !== null) return authored;
    timing.beginPass();
    let max = 0;
    const tl = timing.rootTimeline();
    if (tl) {
      const td = tl.duration();
      if (isFinite(td)) max = Math.max(max, td);
    }
    max = Math.max(max, animations.ends());
    max = Math.max(max, adapters.ends());
    const media = document.querySelectorAll("video, audio");
    for (let m = 0; m < media.length; m++) {
      const md = timing.duration(media[m]!);
      if (md !== null) max = Math.max(max, timing.start(media[m]!) + md);
    }
    const hosts = document.querySelectorAll("[data-composition-id]");
    for (let h = 0; h < hosts.length; h++) {
      const host = hosts[h]!;
      if (host === root || timing.parentComposition(host) !== root) continue;
      const hd = timing.duration(host);
      if (hd !== null) max = Math.max(max, timing.start(host) + hd);
    }
    return isFinite(max) ? max : 0;
  }

  let readyPromise: Promise<{ duration: number }> | null = null;
  let readyDuration: number | null = null;
  function ready(): Promise<{ duration: number }> {
    if (readyPromise) return readyPromise;
    readyPromise = loaded()
      .then(() => {
        gsap.quiet();
        return fontsReady();
      })
      .then(() => waitFor(clock, images.settle(), READY_MEDIA_WAIT_MS))
      .then(waitTimelines)
      .then(waitVideos)
      .then(() => waitFor(clock, adapters.ready(), READY_MEDIA_WAIT_MS))
      .then(() => fontsReady())
      .then(() => {
        gsap.quiet();
        // Fixed once ready: later, seeks hide elements (display:none drops their CSS animations).
        readyDuration = computeDuration();
        hf.markReady();
        return { duration: readyDuration };
      });
    return readyPromise;
  }

  // -----------------------------------------------------------------------------------------------
  // seek(t) (§3.3): a pure function of t. Calls are serialised.

  function seekNow(time: number): Promise<void> {
    const t = quantiseToFrame(time, rate);
    compTime = t;
    clock.ms = t * 1000;
    if (rng) rng.reseed(clock.ms);
    timing.beginPass();
    gsap.quiet();
    gsap.seek(t);
    animations.seek(t);
    visibility.apply(t);
    animations.seek(t); // animations (re)started by elements that just became displayed
    const adapterWait = adapters.seek(t);
    if (adapters.lastSeekRanPageCode) damage.noteAdapterRan();
    const flushed = raf.flush(clock.ms, recordError, (cb, run) => damage.runRaf(raf, cb, run));
    if (flushed.foreign > 0) damage.noteForeignRaf();
    timing.endPass();
    const waits: Promise<unknown>[] = [];
    if (adapterWait) waits.push(adapterWait);
    const settling = images.settle();
    if (settling) waits.push(waitFor(clock, settling, SEEK_IMAGE_WAIT_MS));
    const fonts = fontsReady();
    if (fonts) waits.push(fonts);
    // Same-origin iframes carry their own copy of this runtime: give them the same time (§3.3 step 3).
    const frames = document.querySelectorAll("iframe");
    for (let f = 0; f < frames.length; f++) {
      try {
        const fw = frames[f]!.contentWindow as typeof w | null;
        if (fw && fw !== w && fw.__frameloom) waits.push(waitFor(clock, fw.__frameloom.seek(t), SEEK_IMAGE_WAIT_MS));
      } catch {
        // Cross-origin: it keeps its own time.
      }
    }
    return waits.length ? Promise.all(waits).then(() => {}) : Promise.resolve();
  }
  let chain: Promise<unknown> = Promise.resolve();
  function seek(t: number): Promise<void> {
    const next = chain.then(() => seekNow(t));
    chain = next.catch(() => {});
    return next;
  }

  const api = {
    config,
    errors,
    ready,
    seek,
    /** Damage-aware capture: false only when provably nothing that paints changed since the previous call (damage.ts). */
    changedSinceLastCheck: (): boolean => damage.changedSinceLastCheck(),
    /** Why the last changedSinceLastCheck() returned true (null when it returned false): diagnostics only. */
    get lastChangeReason(): string | null {
      return damage.lastReason;
    },
    get time() {
      return compTime;
    },
    /** Set (once) when an hf-seek waitUntil() promise outlived config.adapterWaitMs. */
    get adapterTimeout() {
      return adapterTimeout;
    },
    get duration(): number {
      if (readyDuration !== null) return readyDuration;
      return document.readyState === "complete" ? computeDuration() : 0;
    },
    realDate: clock.RealDate,
  };
  Object.defineProperty(w, "__frameloom", { value: api, configurable: false, writable: false, enumerable: false });
  if (!w.__hf) {
    w.__hf = {
      get duration() {
        return api.duration;
      },
      seek: (t: number) => seek(t),
    };
  }
}

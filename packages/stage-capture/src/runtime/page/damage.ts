/**
 * Damage tracking: `window.__frameloom.changedSinceLastCheck()`. The capture calls it after every
 * seek (and after injecting video frames), just before a screenshot; false lets it repeat the
 * previous frame's bytes. Invariant: it returns false only when it is provable, with the signals
 * below, that nothing that paints changed since the previous call; anything it cannot see makes it
 * true. The rules, in the order they are checked (every call updates all snapshots):
 *
 * 1. The first call → true.
 * 2. Any DOM mutation since the previous call (a MutationObserver on `document`, and on every shadow
 *    root created by `attachShadow`: subtree, attributes incl. style / class, childList,
 *    characterData; it starts observing at the first call) → true. Setting an attribute to the
 *    value it has counts (Chromium reports it): the layer planner's plan() does that, so ask before
 *    planning layers. GSAP tweens of DOM targets write inline styles or attributes, so they
 *    are seen here; so are the runtime's own visibility writes.
 * 3. Page code that may paint without a DOM mutation ran since the previous call → true:
 *    - a requestAnimationFrame callback, unless it is GSAP's own ticker while the ticker has no
 *      listener but GSAP's root update. The ticker's callback is recognised once a run of it
 *      advanced `gsap.ticker.frame` by exactly one and requested itself again (even if that tick
 *      then cancelled the request by putting the ticker to sleep); its later runs count as the
 *      ticker whether or not they dispatch;
 *    - a page timer callback (setTimeout / setInterval / requestIdleCallback); a string timer
 *      makes every later call true. (Timers are wrapped for the whole page, so code the capture
 *      evaluates in the page must not use them between a seek and the check);
 *    - an anime.js or Lottie registry entry was seeked, or `hf-seek` was dispatched while anything
 *      had ever registered an `hf-seek` listener on window.
 *    Also, on every call, a GSAP animation (in any registered timeline or GSAP's global timeline)
 *    with a callback (onUpdate, .call() …), a target that is not an Element (a plain object, a
 *    CSS rule, the window) or a tweened scroll / form value / media property → true.
 * 4. Loading: an image finished (load or error), a font face finished loading, the page's
 *    resource-timing entry count changed (a CSS background image, a font), the resource-timing
 *    buffer ever filled up, fonts are still loading, or the document is not complete → true.
 * 5. `document.getAnimations()` differs from the previous call: an animation added or removed, or
 *    one whose computed progress, current iteration or play state differs → true.
 * 6. The window's scroll offset differs, or an editable element has focus (its caret blinks) → true.
 * 7. Content that changes by itself → true: a `<canvas>`, `<iframe>`, `<embed>`, `<object>`,
 *    `<marquee>`, a rendered `<video>` (one with a layout box), `<audio controls>`, SVG SMIL
 *    (`<animate>`, `<animateTransform>`, `<animateMotion>`, `<set>`), or a possibly animated image:
 *    an `<img>` (or SVG `<image>`) whose source ends in .gif / .apng / .webp / .svg (or is a
 *    data: URL of those types), or such a `url(…)` in a style sheet or a style attribute (a
 *    cross-origin sheet, unreadable, counts as one). This scan runs only when the previous call
 *    returned true: a call that returned false saw no change that could have added such content.
 * 8. Otherwise → false.
 *
 * Not seen (documented limits): declarative shadow roots (`<template shadowrootmode>`); page code
 * run by other events (a Worker's or MessageChannel's message, a network callback) that changes
 * what paints without a DOM mutation (the CSSOM through insertRule / adoptedStyleSheets, a form
 * control's value, the CSS Highlight API); an `hf-seek` listener added through
 * `EventTarget.prototype.addEventListener.call(window, …)` (such listeners draw on a canvas, which
 * rule 7 covers).
 */
import type { RafQueue } from "./clock.js";
import type { PageWindow } from "./types.js";

/** What the damage tracker asks of the rest of the runtime at each check. */
export interface DamageSources {
  /** Whether some GSAP animation could change what paints without touching the DOM. */
  gsapEffectsOutsideTheDom(): boolean;
}

interface AnimationSnapshot {
  anim: Animation;
  progress: number | null | undefined;
  iteration: number | null | undefined;
  playState: string;
}

const SMIL = "animate, animateTransform, animateMotion, set";
const SELF_CHANGING = "canvas, iframe, embed, object, marquee, audio[controls], " + SMIL;

/** Whether a URL names an image format that may animate (GIF, APNG, WebP, SVG). */
export function isPossiblyAnimatedImageUrl(url: string): boolean {
  const text = String(url).trim();
  if (/^data:/i.test(text)) return /^data:image\/(gif|apng|webp|svg\+xml)[;,]/i.test(text);
  const path = text.replace(/[?#].*$/, "");
  return /\.(gif|apng|webp|svg)$/i.test(path);
}

/** Whether CSS text holds a url(…) of a possibly animated image. */
export function cssHasAnimatedImage(cssText: string): boolean {
  const urls = /url\(\s*(["']?)([^"')]*)\1\s*\)/gi;
  for (let m = urls.exec(cssText); m; m = urls.exec(cssText)) if (isPossiblyAnimatedImageUrl(m[2]!)) return true;
  return false;
}

/** Whether two animation snapshots show the same timing for the same animations, in order. */
export function sameAnimationTiming(a: readonly AnimationSnapshot[], b: readonly AnimationSnapshot[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.anim !== y.anim || x.progress !== y.progress || x.iteration !== y.iteration || x.playState !== y.playState) return false;
  }
  return true;
}

export class DamageTracker {
  private checked = false;
  private mutated = false;
  /** What page code ran since the previous call (null: none). */
  private pageCodeRan: string | null = null;
  private untrackableCode = false;
  private loaded = false;
  private bufferFull = false;
  private resourceCount = -1;
  private animations: AnimationSnapshot[] = [];
  private scroll = "";
  private lastResult = true;
  private observer: MutationObserver | null = null;
  /** Shadow roots created before the first check: observed from the first check on. */
  private pendingShadowRoots: ShadowRoot[] = [];

  constructor(
    private readonly w: PageWindow,
    private readonly sources: DamageSources,
  ) {}

  private observe(node: Node): void {
    try {
      this.observer!.observe(node, { subtree: true, attributes: true, childList: true, characterData: true });
    } catch {
      this.untrackableCode = true;
    }
  }

  /**
   * Installs the listeners and the timer wrappers; call before any page script runs. The
   * MutationObserver starts with the first check (which is true anyway), so a render that never
   * asks pays nothing for it.
   */
  install(): void {
    try {
      this.observer = new MutationObserver(() => {
        this.mutated = true;
      });
    } catch {
      this.untrackableCode = true;
    }
    const realAttachShadow = Element.prototype.attachShadow;
    if (realAttachShadow) {
      const track = (root: ShadowRoot): void => {
        if (!this.observer) return;
        if (this.checked) this.observe(root);
        else this.pendingShadowRoots.push(root);
      };
      Element.prototype.attachShadow = function attachShadow(this: Element, init: ShadowRootInit): ShadowRoot {
        const root = realAttachShadow.call(this, init);
        track(root);
        return root;
      };
    }
    const markLoaded = (): void => {
      this.loaded = true;
    };
    document.addEventListener("load", markLoaded, true);
    document.addEventListener("error", markLoaded, true);
    try {
      document.fonts.addEventListener("loadingdone", markLoaded);
      document.fonts.addEventListener("loadingerror", markLoaded);
    } catch {
      this.untrackableCode = true;
    }
    try {
      performance.addEventListener("resourcetimingbufferfull", () => {
        this.bufferFull = true;
      });
    } catch {
      this.bufferFull = true;
    }
    this.wrapTimers();
  }

  /** Page timers mark that page code ran (the runtime's own waits use the real timers it kept). */
  private wrapTimers(): void {
    const w = this.w;
    const mark = (): void => {
      this.pageCodeRan = this.pageCodeRan || "a page timer ran";
    };
    const untrackable = (): void => {
      this.untrackableCode = true;
    };
    type Scheduler = (handler: unknown, ...rest: unknown[]) => number;
    const wrap = (name: "setTimeout" | "setInterval" | "requestIdleCallback", real: Scheduler | undefined): void => {
      if (typeof real !== "function") return;
      const wrapped = function (this: unknown, handler: unknown, ...rest: unknown[]): number {
        if (typeof handler !== "function") {
          untrackable();
          return real.call(w, handler, ...rest);
        }
        const fn = handler as (...args: unknown[]) => unknown;
        return real.call(
          w,
          function (this: unknown, ...args: unknown[]) {
            mark();
            return fn.apply(this, args);
          },
          ...rest,
        );
      };
      Object.defineProperty(wrapped, "name", { value: name });
      try {
        (w as unknown as Record<string, unknown>)[name] = wrapped;
      } catch {
        untrackable();
      }
    };
    wrap("setTimeout", w.setTimeout as unknown as Scheduler);
    wrap("setInterval", w.setInterval as unknown as Scheduler);
    wrap("requestIdleCallback", w.requestIdleCallback as unknown as Scheduler | undefined);
  }

  /** rAF callbacks other than GSAP's ticker ran in this seek. */
  noteForeignRaf(): void {
    this.pageCodeRan = this.pageCodeRan || "a requestAnimationFrame callback ran";
  }

  /** An adapter (anime.js, Lottie, an hf-seek listener) ran in this seek. */
  noteAdapterRan(): void {
    this.pageCodeRan = this.pageCodeRan || "an HF adapter ran";
  }

  /** Callbacks proven to be GSAP's ticker (its `_tick` is one function for the page's life). */
  private readonly gsapTicks = new WeakSet<FrameRequestCallback>();

  /**
   * Runs one rAF callback; true when the run was GSAP's own ticker with no listener but GSAP's
   * root update (see rule 3). A callback is proven to be the ticker by a run during which
   * `gsap.ticker.frame` advanced by exactly one and that requested the same callback again; a
   * proven ticker's later runs count as the ticker whether or not they dispatch (a tick within
   * GSAP's frame gap, or right after a wake, only requests the next one). The callback always runs
   * exactly once.
   */
  runRaf(queue: RafQueue, cb: FrameRequestCallback, run: () => void): boolean {
    const g = this.w.gsap;
    const ticker = g && g.ticker;
    const listeners = ticker && Array.isArray(ticker._listeners) ? (ticker._listeners as unknown[]) : null;
    if (!ticker || typeof ticker.frame !== "number" || !listeners || listeners.length > 1) {
      run();
      return false;
    }
    const before = ticker.frame as number;
    const lastId = queue.lastId;
    run();
    if (listeners.length > 1 || ticker._listeners !== listeners) return false;
    if (this.gsapTicks.has(cb)) return true;
    // GSAP's _tick re-requests itself before it dispatches; the dispatch that puts the ticker to
    // sleep cancels that request again, which still identifies the callback.
    if (ticker.frame === before + 1 && queue.requestedSince(lastId, cb)) {
      this.gsapTicks.add(cb);
      return true;
    }
    return false;
  }

  private snapshotAnimations(): AnimationSnapshot[] {
    let list: Animation[];
    try {
      list = document.getAnimations();
    } catch {
      this.untrackableCode = true;
      return [];
    }
    return list.map((anim) => {
      let progress: number | null | undefined;
      let iteration: number | null | undefined;
      try {
        const timing = anim.effect ? anim.effect.getComputedTiming() : null;
        progress = timing ? timing.progress : undefined;
        iteration = timing ? timing.currentIteration : undefined;
      } catch {
        progress = NaN; // NaN never equals itself: this animation counts as changed
      }
      return { anim, progress, iteration, playState: anim.playState };
    });
  }

  private selfChangingContent(): boolean {
    if (document.querySelector(SELF_CHANGING)) return true;
    const videos = document.getElementsByTagName("video");
    for (let i = 0; i < videos.length; i++) if (videos[i]!.getClientRects().length > 0) return true;
    const images = document.images;
    for (let i = 0; i < images.length; i++) {
      const img = images[i]!;
      if (isPossiblyAnimatedImageUrl(img.currentSrc || img.src || img.getAttribute("src") || "")) return true;
    }
    const svgImages = document.getElementsByTagName("image");
    for (let i = 0; i < svgImages.length; i++) {
      const el = svgImages[i]!;
      if (isPossiblyAnimatedImageUrl(el.getAttribute("href") || el.getAttribute("xlink:href") || "")) return true;
    }
    const styled = document.querySelectorAll("[style*='url(' i]");
    for (let i = 0; i < styled.length; i++) if (cssHasAnimatedImage(styled[i]!.getAttribute("style") || "")) return true;
    const sheets = document.styleSheets;
    for (let i = 0; i < sheets.length; i++) if (sheetHasAnimatedImage(sheets[i]!)) return true;
    return false;
  }

  private focusedEditable(): boolean {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return false;
    const tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable === true;
  }

  /** Why the last call returned true (the first rule that fired), null when it returned false: for diagnostics. */
  lastReason: string | null = null;

  changedSinceLastCheck(): boolean {
    const w = this.w;
    let reason: string | null = null;
    const because = (why: string): void => {
      if (reason === null) reason = why;
    };
    if (!this.checked && this.observer) {
      this.observe(document);
      for (const root of this.pendingShadowRoots) this.observe(root);
      this.pendingShadowRoots = [];
    }
    // Pending mutation records count even when their callback has not run yet.
    if (this.observer && this.observer.takeRecords().length > 0) this.mutated = true;
    if (!this.checked) because("first check");
    if (this.mutated) because("DOM mutation");
    if (this.pageCodeRan) because(this.pageCodeRan);
    if (this.untrackableCode) because("untrackable page code");
    this.checked = true;
    this.mutated = false;
    this.pageCodeRan = null;

    try {
      if (this.sources.gsapEffectsOutsideTheDom()) because("GSAP animation with effects outside the DOM");
    } catch {
      because("GSAP inspection failed");
    }

    let count = -1;
    try {
      count = performance.getEntriesByType("resource").length;
    } catch {
      because("resource timing unreadable");
    }
    if (count !== this.resourceCount) because("resource loaded");
    this.resourceCount = count;
    if (this.loaded) because("image or font loaded");
    if (this.bufferFull) because("resource timing buffer full");
    if (document.readyState !== "complete") because("document loading");
    this.loaded = false;
    try {
      if (document.fonts && document.fonts.status === "loading") because("fonts loading");
    } catch {
      because("font status unreadable");
    }

    const animations = this.snapshotAnimations();
    if (!sameAnimationTiming(animations, this.animations)) because("animation timing");
    this.animations = animations;

    const scroll = w.scrollX + "," + w.scrollY;
    if (scroll !== this.scroll) because("scroll");
    this.scroll = scroll;
    if (this.focusedEditable()) because("focused editable element");

    // A call that returned false saw nothing that could add self-changing content since the scan.
    if (reason === null && this.lastResult) {
      try {
        if (this.selfChangingContent()) because("self-changing content");
      } catch {
        because("content scan failed");
      }
    }
    // Self-changing content keeps every later call true until a scan finds none.
    this.lastReason = reason;
    this.lastResult = reason !== null;
    return this.lastResult;
  }
}

function sheetHasAnimatedImage(sheet: CSSStyleSheet): boolean {
  let rules: CSSRuleList;
  try {
    rules = sheet.cssRules;
  } catch {
    return true; // cross-origin: unreadable, so not provably still
  }
  return rulesHaveAnimatedImage(rules);
}

function rulesHaveAnimatedImage(rules: CSSRuleList): boolean {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if ((rule as CSSGroupingRule).cssRules) {
      if (rulesHaveAnimatedImage((rule as CSSGroupingRule).cssRules)) return true;
      continue;
    }
    const imported = (rule as CSSImportRule).styleSheet;
    if (imported) {
      if (sheetHasAnimatedImage(imported)) return true;
      continue;
    }
    const text = rule.cssText;
    if (text.indexOf("url(") >= 0 && !/^@font-face/i.test(text) && cssHasAnimatedImage(text)) return true;
  }
  return false;
}

/**
 * The in-page runtime (COMPOSITION.md §2.1, §2.2, §3): virtual time, rAF queue, GSAP / CSS / WAAPI
 * seeking, clip visibility and seeded randomness. `pageRuntimeScript` returns self-contained JS for
 * `page.evaluateOnNewDocument()`, so it runs before any page script.
 *
 * Randomness (unless `seedRandom` is false, `--native-random`): `Math.random`,
 * `crypto.getRandomValues` and `crypto.randomUUID` draw from Mulberry32, reseeded on every seek
 * from the frame time exactly as HyperFrames' distributed renders do (COMPOSITION.md §3.6):
 * `state = (imul(floor(ms), −1640531527) + 0x9E3779B9) | 0`, ms = t·1000, and from ms = 0 before the
 * first seek. Frame i therefore sees the same sequence in every render, on any worker or chunk.
 *
 * In the page: `window.__frameloom = { ready(), seek(t), errors, config, time }` and
 * `window.__hf = { get duration(), seek(t) }`; plus HyperFrames' globals (§3.1, hfGlobals.ts) and
 * adapter registries (§3.5, hfAdapters.ts). GSAP seeks fire callbacks as a sequential play does
 * (seekGsap below).
 */
import type { Fps } from "@frameloom/shared-helpers";
import { HF_ADAPTERS_SOURCE } from "./hfAdapters.js";
import { HF_GLOBALS_SOURCE } from "./hfGlobals.js";

export interface PageRuntimeConfig {
  fps: Fps;
  compositionId: string;
  width: number;
  height: number;
  /** hf-seek: how long a frame waits for its waitUntil() promises (default 10 000 ms). */
  adapterWaitMs?: number;
  /** Seeded Math.random / crypto.getRandomValues / crypto.randomUUID (default true; false: --native-random). */
  seedRandom?: boolean;
}

/** Default per-frame wait for hf-seek waitUntil() promises (hfAdapters.ts). */
export const ADAPTER_WAIT_MS = 10_000;

/** Self-contained JS source for page.evaluateOnNewDocument(): runs before any page script. */
export function pageRuntimeScript(config: PageRuntimeConfig): string {
  const safe = {
    fps: { num: config.fps.num, den: config.fps.den },
    compositionId: String(config.compositionId),
    width: config.width,
    height: config.height,
    adapterWaitMs: config.adapterWaitMs ?? ADAPTER_WAIT_MS,
    seedRandom: config.seedRandom !== false,
  };
  // JSON is valid JS; escape "<" so the string can never close a surrounding <script>.
  return `(${RUNTIME_SOURCE})(${JSON.stringify(safe).replace(/</g, "\\u003c")}, ${HF_GLOBALS_SOURCE}, ${HF_ADAPTERS_SOURCE});`;
}

// Plain ES2020 that runs in the page. Kept as a raw string (no TS helpers can leak into it).
// Do not use template-literal interpolation or backticks inside.
const RUNTIME_SOURCE = String.raw`function (config, hfGlobals, hfAdapters) {
  "use strict";
  var w = window;
  if (w.__frameloom) return;

  var READY_TIMELINE_WAIT_MS = 2000;
  var READY_MEDIA_WAIT_MS = 10000;
  var SEEK_IMAGE_WAIT_MS = 5000;
  var rate = config.fps.num / config.fps.den;
  var errors = [];
  var virtualMs = 0;
  var compTime = 0;

  // ---------------------------------------------------------------------------------------------
  // Virtual time (§3.6): Date.now(), new Date(), performance.now(); rAF only queues.

  var RealDate = w.Date;
  var realSetTimeout = w.setTimeout.bind(w);
  var realClearTimeout = w.clearTimeout.bind(w);
  function FLDate() {
    if (!new.target) return new RealDate(virtualMs).toString();
    var args = arguments.length === 0 ? [virtualMs] : Array.prototype.slice.call(arguments);
    return Reflect.construct(RealDate, args, new.target);
  }
  FLDate.prototype = RealDate.prototype;
  FLDate.now = function now() { return virtualMs; };
  FLDate.parse = RealDate.parse;
  FLDate.UTC = RealDate.UTC;
  try { Object.defineProperty(FLDate, "name", { value: "Date" }); } catch (e) {}
  try { Object.defineProperty(RealDate.prototype, "constructor", { value: FLDate, writable: true, configurable: true }); } catch (e) {}
  w.Date = FLDate;

  var virtualNow = function now() { return virtualMs; };
  try { Object.defineProperty(Performance.prototype, "now", { value: virtualNow, writable: true, configurable: true }); } catch (e) {}
  try { Object.defineProperty(w.performance, "now", { value: virtualNow, writable: true, configurable: true }); } catch (e) {}

  // ---------------------------------------------------------------------------------------------
  // Seeded randomness (§3.6): Mulberry32, reseeded from the frame time on every seek. The seed and
  // the generator are HyperFrames' (Knuth's multiplicative hash plus the golden-ratio offset).

  var rngState = 0;
  function mulberry32() {
    rngState |= 0; rngState = (rngState + 0x6D2B79F5) | 0;
    var x = rngState;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  }
  function reseedRandom(ms) {
    var ms32 = Math.max(0, Math.floor(Number(ms) || 0)) | 0;
    rngState = (Math.imul(ms32, -1640531527) + 0x9E3779B9) | 0;
  }
  if (config.seedRandom) {
    reseedRandom(0);
    try { Math.random = function random() { return mulberry32(); }; } catch (e) {}
    var cryptoObj = w.crypto;
    if (cryptoObj && typeof cryptoObj.getRandomValues === "function") {
      var seededGetRandomValues = function getRandomValues(arr) {
        if (!arr || typeof arr.byteLength !== "number" || !arr.buffer) return arr;
        var byteLen = arr.byteLength;
        if (byteLen <= 0) return arr;
        var view = new DataView(arr.buffer, arr.byteOffset, byteLen);
        var i = 0;
        for (; i + 4 <= byteLen; i += 4) view.setUint32(i, (mulberry32() * 4294967296) >>> 0, true);
        for (; i < byteLen; i++) view.setUint8(i, (mulberry32() * 256) | 0);
        return arr;
      };
      try { cryptoObj.getRandomValues = seededGetRandomValues; } catch (e) {}
      if (typeof cryptoObj.randomUUID === "function") {
        try {
          cryptoObj.randomUUID = function randomUUID() {
            var b = seededGetRandomValues(new Uint8Array(16));
            b[6] = (b[6] & 0x0f) | 0x40;
            b[8] = (b[8] & 0x3f) | 0x80;
            var hex = [];
            for (var k = 0; k < 16; k++) hex.push((b[k] + 0x100).toString(16).slice(1));
            return hex.slice(0, 4).join("") + "-" + hex.slice(4, 6).join("") + "-" + hex.slice(6, 8).join("") + "-" +
              hex.slice(8, 10).join("") + "-" + hex.slice(10).join("");
          };
        } catch (e) {}
      }
    }
  }

  var rafQueue = [];
  var rafSeq = 0;
  w.requestAnimationFrame = function requestAnimationFrame(cb) {
    rafSeq += 1;
    rafQueue.push({ id: rafSeq, cb: cb, cancelled: false });
    return rafSeq;
  };
  w.cancelAnimationFrame = function cancelAnimationFrame(id) {
    for (var i = 0; i < rafQueue.length; i++) if (rafQueue[i].id === id) rafQueue[i].cancelled = true;
  };
  function flushRaf(ts) {
    var batch = rafQueue;
    rafQueue = [];
    for (var i = 0; i < batch.length; i++) {
      var entry = batch[i];
      if (entry.cancelled) continue;
      entry.cancelled = true;
      try { entry.cb(ts); } catch (err) { recordError(err); }
    }
  }

  function recordError(err) {
    var message = err && err.message ? err.message : String(err);
    errors.push(message);
  }
  w.addEventListener("error", function (event) {
    if (event && event.error) recordError(event.error);
    else if (event && event.message) errors.push(event.message);
  });
  w.addEventListener("unhandledrejection", function (event) {
    var reason = event ? event.reason : undefined;
    errors.push("unhandled rejection: " + (reason && reason.message ? reason.message : String(reason)));
  });

  // ---------------------------------------------------------------------------------------------
  // HyperFrames globals (§3.1, hfGlobals.ts) before any page script, and the adapter registries
  // (§3.5, hfAdapters.ts) seeked at every seek.

  var hf = hfGlobals(config, {
    seek: function (t) { return seek(t); },
    time: function () { return compTime; },
    duration: function () { return api.duration; },
  });
  var adapterTimeout = null;
  var adapters = hfAdapters({
    recordError: recordError,
    timeout: function (message) { if (adapterTimeout === null) adapterTimeout = message; },
    realSetTimeout: realSetTimeout,
    realClearTimeout: realClearTimeout,
    waitMs: config.adapterWaitMs,
    startOf: function (el) { return resolveStart(el); },
  });

  // ---------------------------------------------------------------------------------------------
  // Web Animations: created paused at 0, then seeked from the composition time they were first seen.

  var waapiBaseline = new WeakMap();
  var realAnimate = Element.prototype.animate;
  if (realAnimate) {
    Element.prototype.animate = function animate() {
      var anim = realAnimate.apply(this, arguments);
      try {
        waapiBaseline.set(anim, compTime);
        anim.pause();
        anim.currentTime = 0;
      } catch (e) {}
      return anim;
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  function num(value) {
    if (value === null || value === undefined) return null;
    var text = String(value).trim();
    if (text === "") return null;
    var n = Number(text);
    return isFinite(n) ? n : null;
  }
  function timelines() {
    var tl = w.__timelines;
    if (!tl) return {};
    if (Array.isArray(tl)) {
      var out = {};
      if (tl.length === 1) out[config.compositionId] = tl[0];
      else for (var i = 0; i < tl.length; i++) out["tl-" + i] = tl[i];
      return out;
    }
    return tl;
  }
  function isTimeline(x) { return !!x && typeof x.totalTime === "function" && typeof x.duration === "function"; }
  function rootElement() {
    var all = document.querySelectorAll("[data-composition-id]");
    for (var i = 0; i < all.length; i++) if (all[i].getAttribute("data-composition-id") === config.compositionId) return all[i];
    return document.querySelector('[data-composition-id][data-root="true"]') || all[0] || null;
  }
  function rootTimeline() {
    var tls = timelines();
    var tl = tls[config.compositionId];
    if (isTimeline(tl)) return tl;
    var keys = Object.keys(tls).filter(function (k) { return isTimeline(tls[k]); });
    if (keys.length === 1) {
      var host = findComposition(keys[0]);
      if (!host || host === rootElement()) return tls[keys[0]];
    }
    return null;
  }
  function findComposition(id) {
    var all = document.querySelectorAll("[data-composition-id]");
    for (var i = 0; i < all.length; i++) if (all[i].getAttribute("data-composition-id") === id) return all[i];
    return null;
  }
  function parentComposition(el) {
    var p = el.parentElement;
    return p ? p.closest("[data-composition-id]") : null;
  }

  // ---------------------------------------------------------------------------------------------
  // Start / duration resolution (§2.2). Memoised per pass.

  var startCache = null;
  var resolving = null;
  var REF = /^([A-Za-z0-9_.:-]+?)\s*(?:([+-])\s*(\d+(?:\.\d+)?|\.\d+))?$/;
  function beginPass() { startCache = new Map(); resolving = new Set(); }
  function lookup(id) {
    return document.getElementById(id) || findComposition(id);
  }
  function hostStart(el) {
    var host = parentComposition(el);
    return host ? resolveStart(host) : 0;
  }
  function resolveStart(el) {
    if (!startCache) beginPass();
    if (startCache.has(el)) return startCache.get(el);
    if (resolving.has(el)) return 0;
    resolving.add(el);
    var raw = el.getAttribute("data-start");
    var value = num(raw);
    var result;
    if (raw === null || value !== null) {
      result = Math.max(0, hostStart(el) + (value || 0));
    } else {
      result = resolveReference(raw.trim());
    }
    resolving.delete(el);
    startCache.set(el, result);
    return result;
  }
  function resolveReference(text) {
    var target = lookup(text);
    var offset = 0;
    if (!target) {
      var m = REF.exec(text);
      if (m) {
        target = lookup(m[1]);
        if (m[2] && m[3]) offset = (m[2] === "-" ? -1 : 1) * Number(m[3]);
      }
    }
    if (!target || resolving.has(target)) return 0;
    var start = resolveStart(target);
    var duration = resolveDuration(target);
    return Math.max(0, start + (duration || 0) + offset);
  }
  function playbackRate(el) {
    var r = num(el.getAttribute("data-playback-rate"));
    if (r === null || r <= 0) return 1;
    return Math.min(5, Math.max(0.1, r));
  }
  function playbackStart(el) {
    var names = ["data-playback-start", "data-media-start"];
    for (var i = 0; i < names.length; i++) {
      var v = num(el.getAttribute(names[i]));
      if (v !== null && v >= 0) return v;
    }
    return 0;
  }
  function resolveDuration(el) {
    var d = num(el.getAttribute("data-duration"));
    if (d !== null && d > 0) return d;
    var end = num(el.getAttribute("data-end"));
    if (end !== null) {
      var len = end - resolveStart(el);
      if (len > 0) return len;
    }
    var tag = el.tagName;
    if ((tag === "VIDEO" || tag === "AUDIO") && isFinite(el.duration) && el.duration > 0) {
      var natural = (el.duration - playbackStart(el)) / playbackRate(el);
      if (natural > 0) return natural;
    }
    var comp = el.getAttribute("data-composition-id");
    if (comp !== null) {
      var tl = timelines()[comp];
      if (isTimeline(tl)) {
        var td = tl.duration();
        if (isFinite(td) && td > 0) return (td - playbackStart(el)) / playbackRate(el);
      }
    }
    return null;
  }
  // Window edges as HyperFrames' render seek has them: an edge within 0.001 frame of a frame
  // boundary snaps onto it (0.2 + 0.1 = 0.30000000000000004 → 9/30; an authored 0.4667 → 14/30),
  // and t is compared with a few ulps of slack, so an edge on a frame time cuts on that frame.
  function snapEdge(x) {
    var f = x * rate, r = Math.round(f);
    return Math.abs(f - r) <= 0.001 ? r / rate : x;
  }
  function nearlyEqual(a, b) {
    return Math.abs(a - b) <= 4 * Number.EPSILON * Math.max(1, Math.abs(a), Math.abs(b));
  }
  function inWindow(el, t) {
    var rawStart = resolveStart(el);
    var start = snapEdge(rawStart);
    if (t < start && !nearlyEqual(t, start)) return false;
    var duration = resolveDuration(el);
    if (duration === null) return true;
    var end = snapEdge(rawStart + duration);
    return t < end && !nearlyEqual(t, end);
  }

  // ---------------------------------------------------------------------------------------------
  // GSAP (§3.4)

  function gsapQuiet() {
    var g = w.gsap;
    if (g && g.ticker && typeof g.ticker.lagSmoothing === "function") {
      try { g.ticker.lagSmoothing(0); } catch (e) {}
    }
  }
  // Seeks run GSAP's events (.call(), onStart / onUpdate / onComplete …): totalTime(t) fires the
  // callbacks between the previous time and t, once each. (HyperFrames then nudges to t + 0.001 and
  // back with events suppressed; that re-arms a callback sitting exactly on t, which then fires again
  // on the next frame, so there is no nudge here.) A timeline still at 0 renders nothing when seeked to
  // 0, so the first seek that reaches its start forces that render: a callback at 0 fires at frame 0
  // (of its host's window), like one anywhere else fires on the frame that lands on it.
  // render() skips GSAP's lazy renders (a from() tween's start state waits for the next totalTime()):
  // a throwaway seek of an empty detached timeline flushes them before and after.
  var gsapStarted = new WeakSet();
  var gsapFlusher = null;
  function flushGsapLazy() {
    var g = w.gsap;
    if (!gsapFlusher && g && typeof g.timeline === "function") {
      try { gsapFlusher = g.timeline({ paused: true }); if (gsapFlusher.parent && gsapFlusher.parent.remove) gsapFlusher.parent.remove(gsapFlusher); } catch (e) { gsapFlusher = null; }
    }
    if (gsapFlusher) gsapFlusher.totalTime(gsapFlusher.totalTime() === 0 ? 1 : 0, true);
  }
  function seekTimeline(tl, local) {
    if (!gsapStarted.has(tl)) {
      gsapStarted.add(tl);
      if (local === 0 && typeof tl.render === "function" && tl.totalTime() === 0) {
        flushGsapLazy();
        tl.render(0, false, true);
        flushGsapLazy();
        return;
      }
    }
    tl.totalTime(local);
  }
  function seekGsapAt(t) {
    var tls = timelines();
    var root = rootTimeline();
    if (root) {
      try {
        if (typeof root.paused === "function") root.paused(true);
        var total = root.totalDuration();
        var target = Math.min(t, isFinite(total) ? total : t);
        seekTimeline(root, target);
      } catch (err) { recordError(err); }
    }
    var keys = Object.keys(tls);
    for (var i = 0; i < keys.length; i++) {
      var tl = tls[keys[i]];
      if (!isTimeline(tl) || tl === root) continue;
      if (root && tl.parent === root) continue; // the author nested it: the root seek covered it
      var host = findComposition(keys[i]);
      if (!host || host === rootElement()) continue;
      try {
        if (typeof tl.paused === "function") tl.paused(true);
        var duration = tl.duration();
        var local = playbackStart(host) + Math.max(0, t - resolveStart(host)) * playbackRate(host);
        local = Math.min(Math.max(0, local), isFinite(duration) ? duration : local);
        if (t >= resolveStart(host)) seekTimeline(tl, local);
        else tl.totalTime(local);
      } catch (err) { recordError(err); }
    }
  }

  // Callbacks make a timeline's page state depend on the path to t, not only on t (a .call() that
  // increments a counter, an onUpdate that counts its calls). The path is made the same for every
  // page: a seek forward from frame a to frame b first seeks GSAP through every frame a+1 … b-1
  // (with the virtual clock and the random seed of each one), so a page that starts mid-timeline (a parallel worker, a
  // retried chunk, --frames) has run the same callbacks in the same order with the same clock as a
  // sequential render from frame 0. The capture routes only seek forward within a page. A seek
  // backwards is GSAP's own reverse seek (callbacks fire as the playhead passes them backwards).
  var GSAP_CALLBACKS = ["onStart", "onUpdate", "onComplete", "onRepeat", "onReverseComplete", "onInterrupt"];
  var gsapFrame = -1;
  function hasGsapCallback(anim) {
    var vars = anim && anim.vars;
    if (!vars) return false;
    for (var i = 0; i < GSAP_CALLBACKS.length; i++) if (typeof vars[GSAP_CALLBACKS[i]] === "function") return true;
    return false;
  }
  function gsapCallbackEnd() {
    // null: no callbacks anywhere; else the time after which stepping changes nothing.
    var tls = timelines();
    var keys = Object.keys(tls);
    var found = false;
    var end = 0;
    for (var i = 0; i < keys.length; i++) {
      var tl = tls[keys[i]];
      if (!isTimeline(tl)) continue;
      var kids = typeof tl.getChildren === "function" ? tl.getChildren(true, true, true) : [];
      var has = hasGsapCallback(tl);
      for (var k = 0; !has && k < kids.length; k++) has = hasGsapCallback(kids[k]);
      if (has) found = true;
      var length = typeof tl.totalDuration === "function" ? tl.totalDuration() : tl.duration();
      if (!isFinite(length)) return Infinity;
      var host = findComposition(keys[i]);
      end = Math.max(end, host && host !== rootElement() && tl !== rootTimeline() ? resolveStart(host) + length / playbackRate(host) : length);
    }
    return found ? end : null;
  }
  function seekGsap(t) {
    var frame = Math.floor(t * rate + 1e-9);
    if (frame > gsapFrame + 1) {
      var end = gsapCallbackEnd();
      if (end !== null) {
        var savedMs = virtualMs;
        var savedComp = compTime;
        for (var k = gsapFrame + 1; k < frame; k++) {
          var tk = k / rate;
          if (tk > end + 1 / rate) break;
          compTime = tk;
          virtualMs = tk * 1000;
          // Callbacks draw the same random numbers as on that frame of a sequential render.
          if (config.seedRandom && typeof reseedRandom === "function") reseedRandom(virtualMs);
          seekGsapAt(tk);
        }
        compTime = savedComp;
        virtualMs = savedMs;
        if (config.seedRandom && typeof reseedRandom === "function") reseedRandom(virtualMs);
      }
    }
    gsapFrame = frame;
    seekGsapAt(t);
  }

  // ---------------------------------------------------------------------------------------------
  // CSS animations and Web Animations (§3.5)

  function animationsNow() {
    try { return document.getAnimations(); } catch (e) { return []; }
  }
  function isCssAnimation(anim) { return typeof CSSAnimation !== "undefined" && anim instanceof CSSAnimation; }
  function isCssTransition(anim) { return typeof CSSTransition !== "undefined" && anim instanceof CSSTransition; }
  // A CSS animation runs from its nearest timed element's start (itself or an ancestor clip or
  // host), as HyperFrames' CSS adapter has it (\`el.closest("[data-start]")\`).
  function cssStart(anim) {
    var target = anim.effect && anim.effect.target;
    var timed = target && target.closest ? target.closest("[data-start]") : null;
    return timed ? resolveStart(timed) : 0;
  }
  function seekAnimations(t) {
    var anims = animationsNow();
    for (var i = 0; i < anims.length; i++) {
      var anim = anims[i];
      try {
        if (isCssTransition(anim)) { anim.finish(); continue; }
        var ms;
        if (isCssAnimation(anim)) {
          ms = Math.max(0, t - cssStart(anim)) * 1000;
        } else {
          if (!waapiBaseline.has(anim)) waapiBaseline.set(anim, t);
          ms = Math.max(0, t - waapiBaseline.get(anim)) * 1000;
        }
        anim.pause();
        anim.currentTime = ms;
      } catch (err) { recordError(err); }
    }
  }
  function animationEnds() {
    var max = 0;
    var anims = animationsNow();
    for (var i = 0; i < anims.length; i++) {
      var anim = anims[i];
      if (isCssTransition(anim) || !anim.effect) continue;
      var end = anim.effect.getComputedTiming().endTime;
      if (typeof end !== "number" || !isFinite(end)) continue;
      var offset = isCssAnimation(anim) ? cssStart(anim) : (waapiBaseline.has(anim) ? waapiBaseline.get(anim) : compTime);
      max = Math.max(max, offset + end / 1000);
    }
    return max;
  }

  // ---------------------------------------------------------------------------------------------
  // Visibility (§2.1)

  var NEVER_VISIBLE = { SCRIPT: 1, STYLE: 1, LINK: 1, META: 1, TEMPLATE: 1, TITLE: 1, HEAD: 1 };
  var hiddenState = new WeakMap();
  function saveInline(el) {
    return {
      display: el.style.getPropertyValue("display"),
      displayPriority: el.style.getPropertyPriority("display"),
      visibility: el.style.getPropertyValue("visibility"),
      visibilityPriority: el.style.getPropertyPriority("visibility"),
      hadStyle: el.hasAttribute("style"),
    };
  }
  function restoreInline(el, saved) {
    if (saved.display) el.style.setProperty("display", saved.display, saved.displayPriority);
    else el.style.removeProperty("display");
    if (saved.visibility) el.style.setProperty("visibility", saved.visibility, saved.visibilityPriority);
    else el.style.removeProperty("visibility");
    if (!saved.hadStyle && el.getAttribute("style") === "") el.removeAttribute("style");
  }
  function hide(el, mode) {
    var state = hiddenState.get(el);
    if (state) {
      // Someone (e.g. a GSAP autoAlpha tween) rewrote the property we own: that is the new original.
      if (state.mode === "display" && el.style.getPropertyValue("display") !== "none") state.saved.display = el.style.getPropertyValue("display");
      if (state.mode === "visibility" && el.style.getPropertyValue("visibility") !== "hidden") state.saved.visibility = el.style.getPropertyValue("visibility");
      if (state.mode === mode) return;
      restoreInline(el, state.saved);
    } else {
      state = { saved: saveInline(el), mode: mode };
      hiddenState.set(el, state);
    }
    state.mode = mode;
    if (mode === "display") el.style.setProperty("display", "none", "important");
    else el.style.setProperty("visibility", "hidden", "important");
  }
  function show(el) {
    var state = hiddenState.get(el);
    if (!state) return;
    hiddenState.delete(el);
    restoreInline(el, state.saved);
  }
  function applyVisibility(t) {
    var root = rootElement();
    var timed = document.querySelectorAll("[data-start], [data-hidden]");
    var hiddenSet = new Set();
    for (var i = 0; i < timed.length; i++) {
      var el = timed[i];
      if (el === root || NEVER_VISIBLE[el.tagName]) continue;
      if (el.hasAttribute("data-hidden")) { hiddenSet.add(el); continue; }
      if (!inWindow(el, t)) { hiddenSet.add(el); continue; }
      for (var a = el.parentElement; a && a !== root; a = a.parentElement) {
        if (a.hasAttribute("data-start") && !inWindow(a, t)) { hiddenSet.add(el); break; }
      }
    }
    // Read every layout-dependent value before writing any style (no forced recalc per element).
    var modes = new Map();
    hiddenSet.forEach(function (node) {
      if (node.hasAttribute("data-hidden")) { modes.set(node, "display"); return; }
      var position = getComputedStyle(node).position;
      var inFlow = position === "static" || position === "relative" || position === "sticky" || position === "";
      modes.set(node, inFlow && !node.querySelector("[data-start]") ? "display" : "visibility");
    });
    for (var j = 0; j < timed.length; j++) {
      var node = timed[j];
      if (node === root || NEVER_VISIBLE[node.tagName]) continue;
      if (modes.has(node)) hide(node, modes.get(node));
      else show(node);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Images and fonts

  var decoded = new WeakMap();
  function waitFor(promise, ms) {
    return new Promise(function (resolve) {
      var timer = realSetTimeout(resolve, ms);
      Promise.resolve(promise).then(function () { realClearTimeout(timer); resolve(); }, function () { realClearTimeout(timer); resolve(); });
    });
  }
  function imageLoaded(img) {
    if (img.complete) return Promise.resolve();
    return new Promise(function (resolve) {
      img.addEventListener("load", resolve, { once: true });
      img.addEventListener("error", resolve, { once: true });
    });
  }
  function settleImages() {
    var imgs = document.images;
    var waits = [];
    for (var i = 0; i < imgs.length; i++) {
      var img = imgs[i];
      var key = img.currentSrc || img.src;
      if (!key) continue;
      if (img.complete && decoded.get(img) === key) continue;
      waits.push((function (image, src) {
        return imageLoaded(image).then(function () {
          if (!image.naturalWidth) return;
          return image.decode().catch(function () {});
        }).then(function () { if (image.complete) decoded.set(image, image.currentSrc || src); });
      })(img, key));
    }
    return waits.length ? Promise.all(waits) : null;
  }
  function fontsReady() {
    return document.fonts && document.fonts.ready ? document.fonts.ready : null;
  }

  // ---------------------------------------------------------------------------------------------
  // ready() (§3.7) and duration (§3.2)

  function loaded() {
    if (document.readyState === "complete") return Promise.resolve();
    return new Promise(function (resolve) { w.addEventListener("load", function () { resolve(); }, { once: true }); });
  }
  function missingTimelines() {
    var tls = timelines();
    var hosts = document.querySelectorAll("[data-composition-id]");
    var missing = [];
    for (var i = 0; i < hosts.length; i++) {
      if (hosts[i].hasAttribute("data-no-timeline")) continue;
      var id = hosts[i].getAttribute("data-composition-id");
      if (!isTimeline(tls[id]) && !(id === config.compositionId && rootTimeline())) missing.push(id);
    }
    return missing;
  }
  var loadedAt = null;
  w.addEventListener("load", function () { loadedAt = RealDate.now(); });
  function waitTimelines() {
    var deadline = (loadedAt === null ? RealDate.now() : loadedAt) + READY_TIMELINE_WAIT_MS;
    return new Promise(function (resolve) {
      (function poll() {
        // A page that loaded no GSAP and registered no timeline by load will not register one:
        // don't hold every CSS-only composition for the whole wait.
        var noGsap = !w.gsap && Object.keys(timelines()).length === 0;
        if (missingTimelines().length === 0 || noGsap || RealDate.now() >= deadline) resolve();
        else realSetTimeout(poll, 25);
      })();
    });
  }
  function waitVideos() {
    var videos = document.querySelectorAll("video");
    var waits = [];
    for (var i = 0; i < videos.length; i++) {
      var v = videos[i];
      if (v.readyState >= 2 || v.error || v.hasAttribute("data-flm-media-layer")) continue; // layered HDR media: the compositor decodes it
      if (v.preload === "none") v.preload = "auto";
      waits.push(new Promise(function (resolve) {
        v.addEventListener("loadeddata", resolve, { once: true });
        v.addEventListener("error", resolve, { once: true });
      }));
    }
    return waits.length ? waitFor(Promise.all(waits), READY_MEDIA_WAIT_MS) : Promise.resolve();
  }
  function computeDuration() {
    var root = rootElement();
    if (root) {
      var names = ["data-duration", "data-composition-duration"];
      for (var i = 0; i < names.length; i++) {
        var d = num(root.getAttribute(names[i]));
        if (d !== null && d > 0) return d;
      }
    }
    beginPass();
    var max = 0;
    var tl = rootTimeline();
    if (tl) {
      var td = tl.duration();
      if (isFinite(td)) max = Math.max(max, td);
    }
    max = Math.max(max, animationEnds());
    max = Math.max(max, adapters.ends());
    var media = document.querySelectorAll("video, audio");
    for (var m = 0; m < media.length; m++) {
      var md = resolveDuration(media[m]);
      if (md !== null) max = Math.max(max, resolveStart(media[m]) + md);
    }
    var hosts = document.querySelectorAll("[data-composition-id]");
    for (var h = 0; h < hosts.length; h++) {
      if (hosts[h] === root || parentComposition(hosts[h]) !== root) continue;
      var hd = resolveDuration(hosts[h]);
      if (hd !== null) max = Math.max(max, resolveStart(hosts[h]) + hd);
    }
    return isFinite(max) ? max : 0;
  }

  var readyPromise = null;
  var readyDuration = null;
  function ready() {
    if (readyPromise) return readyPromise;
    readyPromise = loaded()
      .then(function () { gsapQuiet(); return fontsReady(); })
      .then(function () { return waitFor(settleImages(), READY_MEDIA_WAIT_MS); })
      .then(waitTimelines)
      .then(waitVideos)
      .then(function () { return waitFor(adapters.ready(), READY_MEDIA_WAIT_MS); })
      .then(function () { return fontsReady(); })
      .then(function () {
        gsapQuiet();
        // Fixed once ready: later, seeks hide elements (display:none drops their CSS animations).
        readyDuration = computeDuration();
        hf.markReady();
        return { duration: readyDuration };
      });
    return readyPromise;
  }

  // ---------------------------------------------------------------------------------------------
  // seek(t) (§3.3): a pure function of t. Calls are serialised.

  function quantise(t) {
    var x = Number(t);
    if (!isFinite(x) || x < 0) x = 0;
    return Math.floor(x * rate + 1e-9) / rate;
  }
  function seekNow(time) {
    var t = quantise(time);
    compTime = t;
    virtualMs = t * 1000;
    if (config.seedRandom) reseedRandom(virtualMs);
    beginPass();
    gsapQuiet();
    seekGsap(t);
    seekAnimations(t);
    applyVisibility(t);
    seekAnimations(t); // animations (re)started by elements that just became displayed
    var adapterWait = adapters.seek(t);
    flushRaf(virtualMs);
    startCache = null;
    var waits = [];
    if (adapterWait) waits.push(adapterWait);
    var images = settleImages();
    if (images) waits.push(waitFor(images, SEEK_IMAGE_WAIT_MS));
    var fonts = fontsReady();
    if (fonts) waits.push(fonts);
    // Same-origin iframes carry their own copy of this runtime: give them the same time (§3.3 step 3).
    var frames = document.querySelectorAll("iframe");
    for (var f = 0; f < frames.length; f++) {
      try {
        var fw = frames[f].contentWindow;
        if (fw && fw !== w && fw.__frameloom) waits.push(waitFor(fw.__frameloom.seek(t), SEEK_IMAGE_WAIT_MS));
      } catch (e) {}
    }
    return waits.length ? Promise.all(waits).then(function () {}) : Promise.resolve();
  }
  var chain = Promise.resolve();
  function seek(t) {
    var next = chain.then(function () { return seekNow(t); });
    chain = next.catch(function () {});
    return next;
  }

  var api = {
    config: config,
    errors: errors,
    ready: ready,
    seek: seek,
    get time() { return compTime; },
    /** Set (once) when an hf-seek waitUntil() promise outlived config.adapterWaitMs. */
    get adapterTimeout() { return adapterTimeout; },
    get duration() {
      if (readyDuration !== null) return readyDuration;
      return document.readyState === "complete" ? computeDuration() : 0;
    },
    realDate: RealDate,
  };
  Object.defineProperty(w, "__frameloom", { value: api, configurable: false, writable: false, enumerable: false });
  if (!w.__hf) {
    w.__hf = {
      get duration() { return api.duration; },
      seek: function (t) { return seek(t); },
    };
  }
}`;

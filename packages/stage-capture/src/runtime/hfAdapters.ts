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

/**
 * Plain ES2020 source of `function (env) → { ready(), seek(t), ends() }`, created by the runtime.
 * `env`: `recordError(err)`, `timeout(message)`, `realSetTimeout`, `realClearTimeout`, `waitMs`,
 * `startOf(compositionElement) → s`.
 * `seek` returns null or a promise that always resolves (failures go through env). Raw string: no
 * backticks or template interpolation inside.
 */
export const HF_ADAPTERS_SOURCE = String.raw`function (env) {
  var w = window;
  function registry(name) {
    var r = w[name];
    return Array.isArray(r) ? r : [];
  }
  function messageOf(err) { return err && err.message ? err.message : String(err); }
  function merge(name, found) {
    if (!Array.isArray(found) || found.length === 0) return;
    var list = Array.isArray(w[name]) ? w[name] : [];
    for (var i = 0; i < found.length; i++) if (list.indexOf(found[i]) < 0) list.push(found[i]);
    w[name] = list;
  }
  function discover() {
    try { if (w.anime && Array.isArray(w.anime.running)) merge("__hfAnime", w.anime.running); } catch (e) {}
    try { if (w.lottie && typeof w.lottie.getRegisteredAnimations === "function") merge("__hfLottie", w.lottie.getRegisteredAnimations()); } catch (e) {}
  }

  function seekAnime(ms) {
    var list = registry("__hfAnime");
    for (var i = 0; i < list.length; i++) {
      var a = list[i];
      if (!a) continue;
      try {
        if (a.paused !== true && typeof a.pause === "function") a.pause();
        if (typeof a.seek === "function") a.seek(ms);
      } catch (err) { env.recordError(err); }
    }
  }

  // lottie-web (goToAndStop) or a dotLottie player (pause + totalFrames / duration).
  function isLottieWeb(a) { return !!a && typeof a === "object" && typeof a.goToAndStop === "function"; }
  function isDotLottie(a) { return !!a && typeof a === "object" && typeof a.pause === "function" && ("totalFrames" in a || "duration" in a); }
  function wrap(x, n) { var r = x % n; return n - r < 1e-6 ? 0 : r; }
  function lottieLength(a) {
    var perFrame = function (frames, fps) { return isFinite(frames) && frames > 0 && isFinite(fps) && fps > 0 ? frames / fps : null; };
    if (isLottieWeb(a)) return perFrame(a.totalFrames, a.frameRate);
    if (isDotLottie(a)) return isFinite(a.duration) && a.duration > 0 ? a.duration : perFrame(a.totalFrames, a.frameRate);
    return null;
  }
  function lottieStart(a) {
    var el = isLottieWeb(a) ? a.wrapper : a.canvas;
    var host = el && typeof el.closest === "function" ? el.closest("[data-composition-id]") : null;
    return host ? env.startOf(host) : 0;
  }
  function seekLottie(t) {
    var list = registry("__hfLottie");
    for (var i = 0; i < list.length; i++) {
      var a = list[i];
      try {
        var s = Math.max(0, t - lottieStart(a));
        var loop = a && a.loop === true;
        if (isLottieWeb(a)) {
          var frame = s * a.frameRate;
          if (a.totalFrames > 0 && loop) a.goToAndStop(wrap(frame, a.totalFrames), true);
          else if (a.totalFrames > 0 && frame >= a.totalFrames) a.goToAndStop(a.totalFrames - 1, true);
          else a.goToAndStop(s * 1000, false);
        } else if (isDotLottie(a)) {
          var total = a.totalFrames || 0;
          if (typeof a.setFrame === "function") {
            var d = a.duration || 0;
            if (!(isFinite(total) && total > 0 && isFinite(d) && d > 0)) continue;
            var f = (s * total) / d;
            a.setFrame(Math.min(loop ? wrap(f, total) : f, total - 1));
          } else if (typeof a.setCurrentRawFrameValue === "function") {
            var fr = a.frameRate || 30;
            var raw = loop && total > 0 ? wrap(s * fr, total) : s * fr;
            if (total > 0) a.setCurrentRawFrameValue(Math.min(raw, total - 1));
          } else if (typeof a.seek === "function") {
            var len = a.duration || 0;
            if (isFinite(len) && len > 0) a.seek(Math.min(100, ((loop ? s % len : s) / len) * 100));
          }
        }
      } catch (err) { env.recordError(err); }
    }
  }

  var lastDispatch = null;
  function dispatchSeek(t) {
    try { w.__hfThreeTime = t; w.__hfTypegpuTime = t; } catch (e) {}
    if (t === lastDispatch) return null;
    lastDispatch = t;
    var pending = [];
    var open = true;
    var detail = {
      time: t,
      waitUntil: function (promise) {
        if (!open) throw new Error("hf-seek waitUntil() must be called synchronously from the event listener");
        pending.push(Promise.resolve(promise));
      },
    };
    try { w.dispatchEvent(new CustomEvent("hf-seek", { detail: detail })); } catch (err) { env.recordError(err); }
    open = false;
    if (pending.length === 0) return null;
    return new Promise(function (resolve) {
      var left = pending.length;
      var finished = false;
      var timer = env.realSetTimeout(function () {
        if (finished) return;
        finished = true;
        env.timeout("hf-seek at t=" + t + "s: " + left + " of " + pending.length + " waitUntil() promise(s) still pending after " + env.waitMs + " ms");
        resolve();
      }, env.waitMs);
      function settled() {
        left -= 1;
        if (left === 0 && !finished) {
          finished = true;
          env.realClearTimeout(timer);
          resolve();
        }
      }
      for (var i = 0; i < pending.length; i++) {
        pending[i].then(settled, function (err) {
          env.recordError("hf-seek at t=" + t + "s: a waitUntil() promise rejected: " + messageOf(err));
          settled();
        });
      }
    });
  }

  // Readiness before frame 0 (each wait is bounded by the runtime).
  function onceReady(list, wait) {
    var out = [];
    for (var i = 0; i < list.length; i++) {
      try { var p = wait(list[i]); if (p) out.push(Promise.resolve(p).catch(function () {})); } catch (e) {}
    }
    return out;
  }
  function threeLoads() {
    var m = w.THREE && w.THREE.DefaultLoadingManager;
    if (!m || typeof m.itemsLoaded !== "number" || typeof m.itemsTotal !== "number" || m.itemsTotal <= m.itemsLoaded) return null;
    return new Promise(function (resolve) {
      (function poll() { if (m.itemsTotal <= m.itemsLoaded) resolve(); else env.realSetTimeout(poll, 25); })();
    });
  }
  function ready() {
    discover();
    var waits = [];
    waits = waits.concat(onceReady(registry("__hfLottie"), function (a) {
      if (!a || a.isLoaded || typeof a.addEventListener !== "function" || !isLottieWeb(a)) return null;
      return new Promise(function (resolve) { a.addEventListener("DOMLoaded", resolve); a.addEventListener("data_failed", resolve); });
    }));
    var onLoad = function (m) { return m.loaded() ? null : new Promise(function (resolve) { m.on("load", resolve); }); };
    waits = waits.concat(onceReady(registry("__hfMapbox"), onLoad), onceReady(registry("__hfMaplibre"), onLoad));
    waits = waits.concat(onceReady(registry("__hfLeaflet"), function (m) { return new Promise(function (resolve) { m.whenReady(resolve); }); }));
    waits = waits.concat(onceReady(registry("__hfGoogleMaps"), function (m) {
      return new Promise(function (resolve) { var l = m.addListener("tilesloaded", function () { l.remove(); resolve(); }); });
    }));
    waits = waits.concat(onceReady(registry("__hfD3"), function (tr) { return tr.end(); }));
    var three = threeLoads();
    if (three) waits.push(three);
    return waits.length ? Promise.all(waits) : null;
  }

  function ends() {
    discover();
    var max = 0;
    var lottie = registry("__hfLottie");
    for (var j = 0; j < lottie.length; j++) {
      try {
        var len = lottieLength(lottie[j]);
        if (len !== null) max = Math.max(max, lottieStart(lottie[j]) + len);
      } catch (e) {}
    }
    return max;
  }

  return {
    ready: ready,
    ends: ends,
    seek: function (t) {
      discover();
      seekAnime(t * 1000);
      seekLottie(t);
      return dispatchSeek(t);
    },
  };
}`;

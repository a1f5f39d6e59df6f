/**
 * HyperFrames page globals (COMPOSITION.md §3.1), created by the page runtime before any page
 * script runs, so a composition may use them without creating them first
 * (`window.__timelines["main"] = tl`, `window.__hfAnime.push(a)`, `__hyperframes.getVariables()`).
 * Whatever already exists is kept (a script injected earlier may have set it).
 *
 * | global | what Frameloom puts there |
 * |---|---|
 * | `__timelines` | `{}` (the runtime reads it at every seek; an array is normalised, §3.1) |
 * | `__hfVariables`, `__hfVariablesByComp` | `{}` |
 * | `__hyperframes` | `{ getVariables, fitTextFontSize, assetUrl }` (below; HyperFrames' `pretext` text-layout library is not there) |
 * | `__hfAnime`, `__hfLottie`, `__hfMapbox`, `__hfLeaflet`, `__hfGoogleMaps`, `__hfMaplibre`, `__hfD3` | `[]`; anime.js and Lottie entries are seeked per frame (hfAdapters.ts), the map / D3 ones are only created |
 * | `__hfThreeTime`, `__hfTypegpuTime` | `0`, then the composition time in seconds at every seek |
 * | `__player` | `{ renderSeek(t), seek(t), play(), pause(), getTime(), getDuration() }`; play/pause do nothing (time is the render's) |
 * | `__playerReady`, `__renderReady` | `false`, `true` once the runtime's ready() resolved |
 *
 * Variables contract (§2.5). Values are read when `getVariables()` is called, never cached:
 *
 * - `__hyperframes.getVariables()` → the declared defaults (`data-composition-variables` on `<html>`,
 *   then on every element that has it, in document order, as HyperFrames does; each entry's `id` →
 *   `default`) overlaid with `window.__hfVariables` as it is at call time.
 * - `__hyperframes.getVariables(runtimeId)` → that composition's declared defaults (on its
 *   `[data-composition-id="runtimeId"]` element, then on its `[data-hf-inner-root]` child) overlaid
 *   with `window.__hfVariablesByComp[runtimeId]`.
 * - Whoever supplies values (the compile stage, for `--variables` and `data-variable-values`) sets
 *   `window.__hfVariables` / `window.__hfVariablesByComp[id]` before the page scripts that read them,
 *   e.g. with a `<script>` first in `<head>`; replacing the objects is fine. Sub-composition scripts
 *   see their own instance's values when their wrapper calls `getVariables(runtimeId)`.
 * - The result is a fresh object each call; later layers win key by key.
 *
 * `fitTextFontSize(text, { maxWidth = 1600, baseFontSize = 78, minFontSize = 42, fontWeight = 900,
 * fontFamily = "Outfit", step = 2 })` → `{ fontSize, fits }`: the largest size from baseFontSize down
 * by step whose text stays on one line within maxWidth (greedy word wrap, canvas measureText), else
 * `{ fontSize: minFontSize, fits: false }` (HyperFrames' defaults and loop). `assetUrl(path)` resolves
 * against the document's base URL.
 */

/**
 * Plain ES2020 source of `function (config, player) → { markReady() }`, called by the runtime
 * (pageRuntime.ts) first thing. `player` gives `seek(t) → Promise`, `time() → s`, `duration() → s`.
 * A raw string like the runtime: no backticks or template interpolation inside.
 */
export const HF_GLOBALS_SOURCE = String.raw`function (config, player) {
  var w = window;
  function ensure(name, make) {
    try { if (w[name] === undefined || w[name] === null) w[name] = make(); } catch (e) {}
  }
  ensure("__timelines", function () { return {}; });
  ensure("__hfVariables", function () { return {}; });
  ensure("__hfVariablesByComp", function () { return {}; });
  var REGISTRIES = ["__hfAnime", "__hfLottie", "__hfMapbox", "__hfLeaflet", "__hfGoogleMaps", "__hfMaplibre", "__hfD3"];
  for (var i = 0; i < REGISTRIES.length; i++) ensure(REGISTRIES[i], function () { return []; });
  ensure("__hfThreeTime", function () { return 0; });
  ensure("__hfTypegpuTime", function () { return 0; });

  function plain(x) { return x && typeof x === "object" && !Array.isArray(x) ? x : {}; }
  function assign(target, source) {
    for (var key in source) if (Object.prototype.hasOwnProperty.call(source, key)) target[key] = source[key];
    return target;
  }
  function declaredDefaults(el) {
    var out = {};
    var raw = el && el.getAttribute ? el.getAttribute("data-composition-variables") : null;
    if (!raw) return out;
    var list;
    try { list = JSON.parse(raw); } catch (e) { return out; }
    if (!Array.isArray(list)) return out;
    for (var i = 0; i < list.length; i++) {
      var v = list[i];
      if (v && typeof v.id === "string" && Object.prototype.hasOwnProperty.call(v, "default")) out[v.id] = v["default"];
    }
    return out;
  }
  function composition(id) {
    var all = document.querySelectorAll("[data-composition-id]");
    for (var i = 0; i < all.length; i++) if (all[i].getAttribute("data-composition-id") === id) return all[i];
    return null;
  }
  function getVariables(compositionId) {
    var out = {};
    if (compositionId === undefined || compositionId === null || String(compositionId) === config.compositionId) {
      assign(out, declaredDefaults(document.documentElement));
      var declared = document.querySelectorAll("[data-composition-variables]");
      for (var i = 0; i < declared.length; i++) if (declared[i] !== document.documentElement) assign(out, declaredDefaults(declared[i]));
      return assign(out, plain(w.__hfVariables));
    }
    var id = String(compositionId);
    var host = composition(id);
    assign(out, declaredDefaults(host));
    if (host) assign(out, declaredDefaults(host.querySelector("[data-hf-inner-root]")));
    return assign(out, plain(plain(w.__hfVariablesByComp)[id]));
  }
  var measure = null;
  function lineCount(text, font, maxWidth) {
    if (!measure) measure = document.createElement("canvas").getContext("2d");
    measure.font = font;
    var lines = 0;
    var paragraphs = String(text).split("\n");
    for (var p = 0; p < paragraphs.length; p++) {
      var words = paragraphs[p].split(/\s+/).filter(function (x) { return x !== ""; });
      var line = "";
      lines += 1;
      for (var i = 0; i < words.length; i++) {
        var next = line ? line + " " + words[i] : words[i];
        if (line && measure.measureText(next).width > maxWidth) { lines += 1; line = words[i]; }
        else line = next;
        if (measure.measureText(line).width > maxWidth) lines += 1; // a word wider than the line wraps inside itself
      }
    }
    return lines;
  }
  function fitTextFontSize(text, options) {
    var o = assign({ maxWidth: 1600, baseFontSize: 78, minFontSize: 42, fontWeight: 900, fontFamily: "Outfit", step: 2 }, options || {});
    if (!(o.step > 0) || !(o.baseFontSize >= o.minFontSize)) return { fontSize: o.minFontSize, fits: false };
    for (var size = o.baseFontSize; size >= o.minFontSize; size = Math.max(o.minFontSize, size - o.step)) {
      if (lineCount(text, o.fontWeight + " " + size + "px " + o.fontFamily, o.maxWidth) <= 1) return { fontSize: size, fits: true };
      if (size === o.minFontSize) break;
    }
    return { fontSize: o.minFontSize, fits: false };
  }
  var helpers = {
    getVariables: getVariables,
    fitTextFontSize: fitTextFontSize,
    assetUrl: function (path) { return new URL(path, document.baseURI).href; },
  };
  ensure("__hyperframes", function () { return {}; });
  try {
    for (var name in helpers) if (w.__hyperframes && typeof w.__hyperframes[name] !== "function") w.__hyperframes[name] = helpers[name];
  } catch (e) {}

  ensure("__player", function () {
    return {
      renderSeek: function (t) { return player.seek(t); },
      seek: function (t) { return player.seek(t); },
      play: function () {},
      pause: function () {},
      getTime: function () { return player.time(); },
      getDuration: function () { return player.duration(); },
    };
  });
  ensure("__playerReady", function () { return false; });
  ensure("__renderReady", function () { return false; });
  return {
    markReady: function () {
      try { w.__playerReady = true; w.__renderReady = true; } catch (e) {}
    },
  };
}`;

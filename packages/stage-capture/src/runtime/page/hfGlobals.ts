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
import type { PageWindow, RuntimeConfig } from "./types.js";

/** What the globals ask of the runtime. */
export interface HfPlayer {
  seek(t: number): Promise<void>;
  time(): number;
  duration(): number;
}

type Variables = Record<string, unknown>;

const REGISTRIES = ["__hfAnime", "__hfLottie", "__hfMapbox", "__hfLeaflet", "__hfGoogleMaps", "__hfMaplibre", "__hfD3"];

function plain(x: unknown): Variables {
  return x && typeof x === "object" && !Array.isArray(x) ? (x as Variables) : {};
}

function assign(target: Variables, source: Variables): Variables {
  for (const key in source) if (Object.prototype.hasOwnProperty.call(source, key)) target[key] = source[key];
  return target;
}

/** `data-composition-variables` on `el`: each entry's id → default. */
export function declaredDefaults(el: Element | null): Variables {
  const out: Variables = {};
  const raw = el && el.getAttribute ? el.getAttribute("data-composition-variables") : null;
  if (!raw) return out;
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    return out;
  }
  if (!Array.isArray(list)) return out;
  for (const v of list) {
    if (v && typeof v.id === "string" && Object.prototype.hasOwnProperty.call(v, "default")) out[v.id] = v["default"];
  }
  return out;
}

function composition(id: string): Element | null {
  const all = document.querySelectorAll("[data-composition-id]");
  for (let i = 0; i < all.length; i++) if (all[i]!.getAttribute("data-composition-id") === id) return all[i]!;
  return null;
}

export interface FitTextOptions {
  maxWidth: number;
  baseFontSize: number;
  minFontSize: number;
  fontWeight: number | string;
  fontFamily: string;
  step: number;
}

/** Greedy word wrap: how many lines `text` takes at `maxWidth`, given a width measure. */
export function lineCount(text: string, maxWidth: number, width: (s: string) => number): number {
  let lines = 0;
  for (const paragraph of String(text).split("\n")) {
    const words = paragraph.split(/\s+/).filter((x) => x !== "");
    let line = "";
    lines += 1;
    for (const word of words) {
      const next = line ? line + " " + word : word;
      if (line && width(next) > maxWidth) {
        lines += 1;
        line = word;
      } else line = next;
      if (width(line) > maxWidth) lines += 1; // a word wider than the line wraps inside itself
    }
  }
  return lines;
}

/** HyperFrames' fitTextFontSize loop over a line counter for a CSS font string. */
export function fitFontSize(text: string, options: Partial<FitTextOptions> | undefined, lines: (text: string, font: string, maxWidth: number) => number): { fontSize: number; fits: boolean } {
  const o = assign({ maxWidth: 1600, baseFontSize: 78, minFontSize: 42, fontWeight: 900, fontFamily: "Outfit", step: 2 }, (options || {}) as Variables) as unknown as FitTextOptions;
  if (!(o.step > 0) || !(o.baseFontSize >= o.minFontSize)) return { fontSize: o.minFontSize, fits: false };
  for (let size = o.baseFontSize; size >= o.minFontSize; size = Math.max(o.minFontSize, size - o.step)) {
    if (lines(text, o.fontWeight + " " + size + "px " + o.fontFamily, o.maxWidth) <= 1) return { fontSize: size, fits: true };
    if (size === o.minFontSize) break;
  }
  return { fontSize: o.minFontSize, fits: false };
}

/** Creates the globals that are missing; returns the hook the runtime calls once ready() resolved. */
export function installHfGlobals(w: PageWindow, config: RuntimeConfig, player: HfPlayer): { markReady(): void } {
  function ensure(name: string, make: () => unknown): void {
    try {
      if (w[name] === undefined || w[name] === null) w[name] = make();
    } catch {
      // A non-writable global the page defined: it stays the page's.
    }
  }
  ensure("__timelines", () => ({}));
  ensure("__hfVariables", () => ({}));
  ensure("__hfVariablesByComp", () => ({}));
  for (const name of REGISTRIES) ensure(name, () => []);
  ensure("__hfThreeTime", () => 0);
  ensure("__hfTypegpuTime", () => 0);

  function getVariables(compositionId?: unknown): Variables {
    const out: Variables = {};
    if (compositionId === undefined || compositionId === null || String(compositionId) === config.compositionId) {
      assign(out, declaredDefaults(document.documentElement));
      const declared = document.querySelectorAll("[data-composition-variables]");
      for (let i = 0; i < declared.length; i++) if (declared[i] !== document.documentElement) assign(out, declaredDefaults(declared[i]!));
      return assign(out, plain(w.__hfVariables));
    }
    const id = String(compositionId);
    const host = composition(id);
    assign(out, declaredDefaults(host));
    if (host) assign(out, declaredDefaults(host.querySelector("[data-hf-inner-root]")));
    return assign(out, plain(plain(w.__hfVariablesByComp)[id]));
  }
  let measure: CanvasRenderingContext2D | null = null;
  function canvasLines(text: string, font: string, maxWidth: number): number {
    if (!measure) measure = document.createElement("canvas").getContext("2d");
    const ctx = measure!;
    ctx.font = font;
    return lineCount(text, maxWidth, (s) => ctx.measureText(s).width);
  }
  const helpers: Record<string, unknown> = {
    getVariables,
    fitTextFontSize: (text: string, options?: Partial<FitTextOptions>) => fitFontSize(text, options, canvasLines),
    assetUrl: (path: string) => new URL(path, document.baseURI).href,
  };
  ensure("__hyperframes", () => ({}));
  try {
    for (const name in helpers) if (w.__hyperframes && typeof w.__hyperframes[name] !== "function") w.__hyperframes[name] = helpers[name];
  } catch {
    // A frozen __hyperframes keeps what the page gave it.
  }

  ensure("__player", () => ({
    renderSeek: (t: number) => player.seek(t),
    seek: (t: number) => player.seek(t),
    play: () => {},
    pause: () => {},
    getTime: () => player.time(),
    getDuration: () => player.duration(),
  }));
  ensure("__playerReady", () => false);
  ensure("__renderReady", () => false);
  return {
    markReady() {
      try {
        w.__playerReady = true;
        w.__renderReady = true;
      } catch {
        // Non-writable: the page defined them itself.
      }
    },
  };
}

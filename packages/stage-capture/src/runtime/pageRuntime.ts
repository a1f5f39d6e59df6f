/**
 * The in-page runtime's entry point on the Node side (COMPOSITION.md §2.1, §2.2, §3). The runtime
 * itself is TypeScript in ./page (runtime.ts and the modules it installs: virtual time and rAF,
 * seeded randomness, GSAP / CSS / WAAPI seeking, clip visibility, HyperFrames globals and adapters,
 * damage tracking), bundled at build time by scripts/bundle-runtime.mjs into
 * ./generated/pageBundles.ts.
 *
 * Invariant: `pageRuntimeScript(config)` is self-contained JS for `page.evaluateOnNewDocument()`
 * (it runs before any page script); the config is embedded as JSON with "<" escaped, so the source
 * can never close a surrounding <script>. In the page: `window.__frameloom = { ready(), seek(t),
 * changedSinceLastCheck(), errors, config, time, duration, adapterTimeout, realDate }` and
 * `window.__hf = { get duration(), seek(t) }` (see page/runtime.ts, page/damage.ts).
 */
import type { Fps } from "@frameloom/shared-helpers";
import { PAGE_RUNTIME_BUNDLE } from "./generated/pageBundles.js";
import type { RuntimeConfig } from "./page/types.js";

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

/** Default per-frame wait for hf-seek waitUntil() promises (page/hfAdapters.ts). */
export const ADAPTER_WAIT_MS = 10_000;

/** Self-contained JS source for page.evaluateOnNewDocument(): runs before any page script. */
export function pageRuntimeScript(config: PageRuntimeConfig): string {
  const safe: RuntimeConfig = {
    fps: { num: config.fps.num, den: config.fps.den },
    compositionId: String(config.compositionId),
    width: config.width,
    height: config.height,
    adapterWaitMs: config.adapterWaitMs ?? ADAPTER_WAIT_MS,
    seedRandom: config.seedRandom !== false,
  };
  // JSON is valid JS; escape "<" so the string can never close a surrounding <script>.
  const json = JSON.stringify(safe).replace(/</g, "\\u003c");
  // The bundle declares its module variable inside this function, so nothing leaks into the page.
  return `(function () {\n${PAGE_RUNTIME_BUNDLE}\n__frameloomRuntimeModule.installPageRuntime(${json});\n})();`;
}

/**
 * Loads the C++ addon (build/Release/frameloom-hdr-<platform>-<arch>.node, built by `npm run build`)
 * and wraps it: one frame at a time per compositor, C++ status + message → coded FrameloomError with
 * the caller's stack.
 */
import { FrameloomError } from "@frameloom/shared-helpers";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { HdrNativeErrors } from "./errors.js";
import { invertAffine, usedRadii } from "./placement.js";
import { outputLength, type Compositor, type Layer, type ResolvedOptions } from "./types.js";

interface NativeLayer {
  kind: number;
  data: Uint8Array;
  srcWidth?: number;
  srcHeight?: number;
  transfer?: number;
  fit?: number;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  opacity?: number;
  /** Transformed / rounded layers: forward and inverse affine [a, b, c, d, e, f], used radii (placement.ts). */
  affine?: number;
  m?: number[];
  inv?: number[];
  radius?: number[];
}
interface NativeAddon {
  createCompositor(o: { width: number; height: number; transfer: number; format: number; threads: number }): unknown;
  compose(handle: unknown, layers: NativeLayer[], out: Uint8Array, cb: (status: number, message: string) => void): unknown;
  close(handle: unknown): unknown;
}

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const releaseDir = path.join(packageDir, "build", "Release");
let cached: { addon?: NativeAddon; path?: string; error?: string } | undefined;

function load(): { addon?: NativeAddon; path?: string; error?: string } {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const preferred = path.join(releaseDir, `frameloom-hdr-${process.platform}-${process.arch}.node`);
  const candidates = [preferred];
  if (existsSync(releaseDir)) {
    for (const f of readdirSync(releaseDir)) if (f.endsWith(".node")) candidates.push(path.join(releaseDir, f));
  }
  const failures: string[] = [];
  for (const candidate of new Set(candidates)) {
    try {
      cached = { addon: require(candidate) as NativeAddon, path: candidate };
      return cached;
    } catch (err) {
      failures.push(`  ${candidate}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    }
  }
  cached = {
    error: [
      `Could not load the Frameloom HDR compositing addon for ${process.platform}-${process.arch}.`,
      ...(failures.length > 0 ? ["Tried:", ...failures] : [`Nothing built in ${releaseDir}.`]),
      "Possible fixes:",
      "  - build it: `npm run build` at the repository root (or in packages/stage-hdr-native)",
      "  - install the toolchain first if that fails: `apt-get install cmake g++` (macOS: `xcode-select --install && brew install cmake`)",
      '  - or use the slow TypeScript path: createCompositor({ ..., implementation: "reference" })',
    ].join("\n"),
  };
  return cached;
}

/** Whether the addon loaded, from where, or why not (for `frameloom doctor`). */
export function nativeAddonStatus(): { loaded: boolean; path?: string; error?: string } {
  const r = load();
  return r.addon ? { loaded: true, path: r.path } : { loaded: false, error: r.error };
}

function addonOrThrow(): NativeAddon {
  const r = load();
  if (!r.addon) throw new FrameloomError(HdrNativeErrors.ADDON_UNAVAILABLE, r.error ?? "addon unavailable");
  return r.addon;
}

/** Video source transfers (native Transfer enum); the output transfer "sdr" is the sRGB curve, native 3. */
const TRANSFER = { pq: 0, hlg: 1, sdr: 2, srgb: 3 } as const;
const OUTPUT_TRANSFER = { pq: 0, hlg: 1, sdr: 3 } as const;
const FORMAT = { rgb48le: 0, yuv420p10le: 1, rgba64le: 2 } as const;
const FIT = { cover: 0, contain: 1, fill: 2 } as const;

function toNative(layer: Layer): NativeLayer {
  if (layer.kind === "dom") return { kind: 0, data: layer.rgba };
  return {
    kind: 1,
    data: layer.rgb48,
    srcWidth: layer.width,
    srcHeight: layer.height,
    transfer: TRANSFER[layer.transfer],
    fit: FIT[layer.fit ?? "fill"],
    x: layer.rect.x,
    y: layer.rect.y,
    width: layer.rect.width,
    height: layer.rect.height,
    opacity: layer.opacity ?? 1,
    ...(layer.transform || layer.radius
      ? {
          affine: 1,
          m: [...(layer.transform ?? [1, 0, 0, 1, 0, 0])],
          inv: invertAffine(layer.transform ?? [1, 0, 0, 1, 0, 0]),
          radius: usedRadii(layer.radius ?? [0, 0, 0, 0, 0, 0, 0, 0], layer.rect.width, layer.rect.height),
        }
      : {}),
  };
}

/** Frames are composed one after another; each resolves to a new Buffer (the working buffers are reused). */
export function createNativeCompositor(
  o: ResolvedOptions,
  validate: (layers: Layer[]) => void,
): Compositor {
  const addon = addonOrThrow();
  const handle = addon.createCompositor({
    width: o.width,
    height: o.height,
    transfer: OUTPUT_TRANSFER[o.transfer],
    format: FORMAT[o.output],
    threads: o.threads,
  });
  if (typeof handle === "string") throw new FrameloomError(HdrNativeErrors.COMPOSE_FAILED, `native: ${handle}`);
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const size = outputLength(o);

  const run = (layers: Layer[], callSite: Error): Promise<Buffer> =>
    new Promise<Buffer>((resolve, reject) => {
      const fail = (message: string): void => {
        const err = new FrameloomError(HdrNativeErrors.COMPOSE_FAILED, `native compositor: ${message}`);
        err.stack = `FrameloomError: ${err.message}\n${callSite.stack?.split("\n").slice(1).join("\n") ?? ""}`;
        reject(err);
      };
      if (closed) return reject(new FrameloomError(HdrNativeErrors.CLOSED, "compose() called after close()"));
      const out = Buffer.allocUnsafe(size);
      const sync = addon.compose(handle, layers.map(toNative), out, (status, message) =>
        status === 0 ? resolve(out) : fail(message),
      );
      if (typeof sync === "string") fail(sync);
    });

  return {
    implementation: "native",
    compose(layers: Layer[]): Promise<Buffer> {
      const callSite = new Error();
      if (closed) return Promise.reject(new FrameloomError(HdrNativeErrors.CLOSED, "compose() called after close()"));
      try {
        validate(layers);
      } catch (err) {
        return Promise.reject(err);
      }
      const snapshot = layers.slice();
      const result = queue.then(() => run(snapshot, callSite));
      queue = result.catch(() => undefined);
      return result;
    },
    close(): void {
      if (closed) return;
      closed = true;
      void queue.then(() => addon.close(handle));
    },
  };
}

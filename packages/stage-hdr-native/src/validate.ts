/**
 * All argument checks, with one message shape (`Expected <what> for <name> but received <actual>`), so the
 * C++ side can assume complete, valid input (it re-checks defensively and returns a status).
 */
import { invalidParameterError, is, type FrameloomError } from "@frameloom/shared-helpers";
import { availableParallelism } from "node:os";

import { HdrNativeErrors } from "./errors.js";
import type { CompositorOptions, Layer, ResolvedOptions } from "./types.js";

const MAX_SIZE = 32768;
const E = HdrNativeErrors;

const typeError = (name: string, expected: string, actual: unknown): FrameloomError =>
  invalidParameterError(name, expected, actual, E.INVALID_ARGUMENT);
const rangeError = (name: string, expected: string, actual: unknown): FrameloomError =>
  invalidParameterError(name, expected, actual, E.OUT_OF_RANGE);
const sizeError = (name: string, expected: string, actual: unknown): FrameloomError =>
  invalidParameterError(name, expected, actual, E.BUFFER_SIZE);

function dimension(name: string, v: unknown): number {
  if (!is.integer(v)) throw typeError(name, "an integer", v);
  if (!is.inRange(v, 1, MAX_SIZE)) throw rangeError(name, `an integer between 1 and ${MAX_SIZE}`, v);
  return v;
}

export function resolveOptions(options: CompositorOptions): ResolvedOptions {
  if (!is.plainObject(options)) throw typeError("options", "a plain object", options);
  const width = dimension("options.width", options.width);
  const height = dimension("options.height", options.height);
  if (!is.inArray(options.transfer, ["pq", "hlg", "sdr"] as const)) {
    throw typeError("options.transfer", 'one of "pq", "hlg", "sdr"', options.transfer);
  }
  if (!is.inArray(options.output, ["rgb48le", "yuv420p10le", "rgba64le"] as const)) {
    throw typeError("options.output", 'one of "rgb48le", "yuv420p10le", "rgba64le"', options.output);
  }
  if (options.output === "yuv420p10le") {
    if (width % 2 !== 0) throw rangeError("options.width", "an even width for yuv420p10le", width);
    if (height % 2 !== 0) throw rangeError("options.height", "an even height for yuv420p10le", height);
  }
  let threads = availableParallelism();
  if (is.defined(options.threads)) {
    if (!is.integer(options.threads)) throw typeError("options.threads", "an integer", options.threads);
    if (!is.inRange(options.threads, 1, 64)) {
      throw rangeError("options.threads", "an integer between 1 and 64", options.threads);
    }
    threads = options.threads;
  }
  if (is.defined(options.implementation) && !is.inArray(options.implementation, ["native", "reference", "auto"])) {
    throw typeError("options.implementation", 'one of "native", "reference", "auto"', options.implementation);
  }
  return { width, height, transfer: options.transfer, output: options.output, threads };
}

function finite(name: string, v: unknown): number {
  if (!is.number(v)) throw typeError(name, "a finite number", v);
  return v;
}

/** Throws the coded error for the first bad field of the first bad layer. */
export function validateLayers(layers: unknown, o: ResolvedOptions): asserts layers is Layer[] {
  if (!Array.isArray(layers)) throw typeError("layers", "an array of layers", layers);
  if (layers.length > 256) throw rangeError("layers", "at most 256 layers", layers);
  layers.forEach((layer: unknown, i) => {
    const at = `layers[${i}]`;
    if (!is.plainObject(layer)) throw typeError(at, "a layer object", layer);
    if (layer.kind === "dom") {
      if (!is.buffer(layer.rgba)) throw typeError(`${at}.rgba`, "a Buffer", layer.rgba);
      const want = o.width * o.height * 4;
      if (layer.rgba.byteLength !== want) {
        throw sizeError(`${at}.rgba`, `${want} bytes (${o.width}x${o.height} RGBA)`, layer.rgba);
      }
      return;
    }
    if (layer.kind !== "video") throw typeError(`${at}.kind`, 'one of "dom", "video"', layer.kind);
    const w = dimension(`${at}.width`, layer.width);
    const h = dimension(`${at}.height`, layer.height);
    if (!is.buffer(layer.rgb48)) throw typeError(`${at}.rgb48`, "a Buffer", layer.rgb48);
    if (layer.rgb48.byteLength !== w * h * 6) {
      throw sizeError(`${at}.rgb48`, `${w * h * 6} bytes (${w}x${h} rgb48le)`, layer.rgb48);
    }
    if (!is.inArray(layer.transfer, ["pq", "hlg", "sdr", "srgb"] as const)) {
      throw typeError(`${at}.transfer`, 'one of "pq", "hlg", "sdr", "srgb"', layer.transfer);
    }
    const rect = layer.rect;
    if (!is.plainObject(rect)) throw typeError(`${at}.rect`, "an object {x, y, width, height}", rect);
    finite(`${at}.rect.x`, rect.x);
    finite(`${at}.rect.y`, rect.y);
    const rw = finite(`${at}.rect.width`, rect.width);
    const rh = finite(`${at}.rect.height`, rect.height);
    if (!(rw > 0)) throw rangeError(`${at}.rect.width`, "a positive number", rw);
    if (!(rh > 0)) throw rangeError(`${at}.rect.height`, "a positive number", rh);
    if (is.defined(layer.opacity)) {
      const op = finite(`${at}.opacity`, layer.opacity);
      if (!is.inRange(op, 0, 1)) throw rangeError(`${at}.opacity`, "a number between 0 and 1", op);
    }
    if (is.defined(layer.fit) && !is.inArray(layer.fit, ["cover", "contain", "fill"])) {
      throw typeError(`${at}.fit`, 'one of "cover", "contain", "fill"', layer.fit);
    }
    if (is.defined(layer.transform)) {
      const m = layer.transform;
      if (!Array.isArray(m) || m.length !== 6) throw typeError(`${at}.transform`, "an array of 6 numbers [a, b, c, d, e, f]", m);
      m.forEach((v: unknown, k) => finite(`${at}.transform[${k}]`, v));
      const det = (m[0] as number) * (m[3] as number) - (m[1] as number) * (m[2] as number);
      if (!(Math.abs(det) > 1e-9) || !Number.isFinite(1 / det)) throw rangeError(`${at}.transform`, "an invertible matrix", m);
    }
    if (is.defined(layer.radius)) {
      const r = layer.radius;
      if (!Array.isArray(r) || r.length !== 8) throw typeError(`${at}.radius`, "an array of 8 numbers", r);
      r.forEach((v: unknown, k) => {
        if (!(finite(`${at}.radius[${k}]`, v) >= 0)) throw rangeError(`${at}.radius[${k}]`, "a number ≥ 0", v);
      });
    }
  });
}

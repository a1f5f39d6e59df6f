/**
 * The `composite` stage: turns layered frames (`captured.kind === "layered"`) into plain frames and hands them on as
 * `frames`. What it outputs follows the plan's `layers` (`LayerPlan`): "pq" / "hlg" → yuv420p10le (BT.2020); "sdr" →
 * rgb48le (BT.709, sRGB curve, HDR media tone-mapped, SDR video codes passed through as "srgb"); `alpha` → rgba64le
 * (straight alpha = coverage). Plain captures (stream or directory) pass through untouched.
 *
 * Invariants: media files are decoded with the plan's probe (never probed again); frames leave in index order.
 */
import {
  FrameloomError,
  abortError,
  type Frame,
  type Frames,
  type LayeredFrame,
  type LayerPlan,
  type MediaSource,
  type RenderPlan,
  type Stage,
  type StageContext,
  type StageMeta,
} from "@frameloom/shared-helpers";

import { createCompositor } from "../index.js";
import type { Compositor, Layer } from "../types.js";
import { CompositeErrors } from "./errors.js";
import { MediaFrameSource } from "./mediaDecoder.js";
import { decodePng } from "./pngDecode.js";

export interface CompositeInput {
  plan: Pick<RenderPlan, "composition" | "layers" | "media">;
  captured: Frames;
}

export interface CompositeOutput {
  frames: Frames;
  settled?: Promise<void>;
}

export const meta: StageMeta = {
  name: "composite",
  kernel: "^2.0.0",
  needs: { plan: "RenderPlan", captured: "Frames" },
  provides: { frames: "Frames" },
};

/** What the stage builds on; tests may swap the compositor factory. */
export interface CompositeHooks {
  createCompositor?: typeof createCompositor;
}

export async function runCompositeStage(input: CompositeInput, ctx: StageContext, hooks: CompositeHooks = {}): Promise<CompositeOutput> {
  const { captured } = input;
  const { composition } = input.plan;
  if (captured.kind !== "layered") return { frames: captured };
  const layered = captured.frames;
  if (!input.plan.layers) {
    throw new FrameloomError(CompositeErrors.NO_HDR_PLAN, "layered frames arrived but the render plan has no layer plan (plan.layers is null)");
  }
  const plan: LayerPlan = input.plan.layers;
  const probed = input.plan.media;
  const sdrOut = plan.output === "sdr";
  const encoding = plan.alpha ? "rgba64le" : sdrOut ? "rgb48le" : "yuv420p10le";
  const { width, height } = composition;
  const mediaById = new Map<string, MediaSource>(composition.media.map((m) => [m.id, m]));
  const signal = ctx.signal;

  let compositor: Compositor | null = null;
  const sources = new Map<string, Promise<MediaFrameSource>>();
  /** Decoded DOM layers of the previous frame, keyed by PNG Buffer identity (reused layers share the Buffer). */
  let pngCache = new Map<Buffer, Buffer>();
  let closed = false;

  const closeAll = (): void => {
    if (closed) return;
    closed = true;
    for (const p of sources.values()) p.then((s) => s.close(), () => {});
    sources.clear();
    compositor?.close();
    compositor = null;
    pngCache = new Map();
  };
  const onAbort = (): void => closeAll();
  signal.addEventListener("abort", onAbort, { once: true });

  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const settled = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  settled.catch(() => {}); // the kernel awaits it; never an unhandled rejection on its own

  const source = (id: string, index: number): Promise<MediaFrameSource> => {
    let p = sources.get(id);
    if (!p) {
      const media = mediaById.get(id);
      if (!media) {
        throw new FrameloomError(CompositeErrors.MEDIA_UNKNOWN, `frame ${index}: media layer "${id}" is not in composition.media`, {
          details: { frame: index, mediaId: id },
        });
      }
      p = MediaFrameSource.open({
        path: media.path,
        fps: composition.fps,
        mediaStart: media.mediaStart,
        transfer: media.transfer,
        toneMap: sdrOut,
        still: media.kind === "image" ? true : undefined,
        info: probed[id]?.video ?? undefined,
        signal,
      });
      sources.set(id, p);
      p.then((s) => closed && s.close(), () => {});
    }
    return p;
  };

  const buildLayers = async (frame: LayeredFrame): Promise<Layer[]> => {
    const layers: Layer[] = [];
    const nextCache = new Map<Buffer, Buffer>();
    for (const layer of frame.layers) {
      if (layer.kind === "dom") {
        let rgba = pngCache.get(layer.png) ?? nextCache.get(layer.png);
        if (!rgba) {
          const png = decodePng(layer.png);
          if (png.width !== width || png.height !== height) {
            throw new FrameloomError(
              CompositeErrors.PNG_SIZE,
              `frame ${frame.index}: DOM layer PNG is ${png.width}x${png.height}, the composition is ${width}x${height}`,
              { details: { frame: frame.index, width: png.width, height: png.height } },
            );
          }
          rgba = png.rgba;
        }
        nextCache.set(layer.png, rgba);
        layers.push({ kind: "dom", rgba });
      } else {
        const src = await source(layer.mediaId, frame.index);
        let rgb48: Buffer;
        try {
          rgb48 = await src.frameAt(layer.localTime);
        } catch (error) {
          if (signal.aborted) throw abortError(signal);
          throw error instanceof FrameloomError && error.code === CompositeErrors.MEDIA_DECODE
            ? new FrameloomError(error.code, `frame ${frame.index}: ${error.message}`, { cause: error, details: { frame: frame.index, path: src.path } })
            : error;
        }
        layers.push({
          kind: "video",
          rgb48,
          width: src.width,
          height: src.height,
          transfer: src.transfer,
          rect: layer.rect,
          opacity: layer.opacity,
          fit: layer.fit,
          ...(layer.transform ? { transform: layer.transform } : {}),
          ...(layer.radius ? { radius: layer.radius } : {}),
        });
      }
    }
    pngCache = nextCache;
    return layers;
  };

  const check = (): void => {
    if (signal.aborted) throw abortError(signal);
  };

  async function* frames(): AsyncGenerator<Frame> {
    const it = layered[Symbol.asyncIterator]();
    let pending: { index: number; data: Promise<Buffer> } | null = null;
    let finished = false;
    try {
      check();
      compositor = (hooks.createCompositor ?? createCompositor)({
        width,
        height,
        transfer: plan.output,
        output: encoding,
        implementation: plan.compositor,
      });
      for (;;) {
        // capture the next frame (and decode its layers) while the previous one composes
        const r = await it.next();
        check();
        const layers = r.done ? null : await buildLayers(r.value);
        check();
        let ready: Frame | null = null;
        if (pending) {
          ready = { index: pending.index, encoding, data: await pending.data };
          check();
          pending = null;
        }
        if (!r.done) {
          const data = compositor!.compose(layers!);
          data.catch(() => {}); // awaited later; avoid an unhandled rejection if we fail first
          pending = { index: r.value.index, data };
        }
        if (ready) yield ready;
        if (r.done) break;
      }
      finished = true;
      settle.resolve();
    } catch (error) {
      const e = signal.aborted ? abortError(signal) : error;
      settle.reject(e);
      throw e;
    } finally {
      signal.removeEventListener("abort", onAbort);
      closeAll();
      if (!finished) {
        // consumer stopped early (or we failed): stop the capture too, and settle
        try {
          await it.return?.();
        } catch {
          /* the capture's own error is reported by the capture */
        }
        if (signal.aborted) settle.reject(abortError(signal));
        else settle.resolve();
      }
    }
  }

  // Aborted before the consumer ever pulls: settle now (the generator's finally would never run).
  const onAbortSettle = (): void => settle.reject(abortError(signal));
  signal.addEventListener("abort", onAbortSettle, { once: true });
  settled.then(
    () => signal.removeEventListener("abort", onAbortSettle),
    () => signal.removeEventListener("abort", onAbortSettle),
  );

  return { frames: { kind: "stream", range: captured.range, frames: frames() }, settled };
}

export const stage: Stage<CompositeInput, CompositeOutput> = {
  meta,
  run: (input, ctx) => runCompositeStage(input, ctx),
};

/**
 * Where captured frames go: a stream (to the encoder or compositor, in index order, with
 * back-pressure) or a directory (files the encoder reads, or layer stacks read back in order).
 *
 * Invariants:
 * - `OrderedStream` yields every index of its range exactly once, in order; it is the scheduler's
 *   window (workers stay within `size` frames of the consumer); a failure reaches the consumer at its
 *   next wait, after the frames before it.
 * - Directory sinks write one file per frame (`frame_000123.jpg`, absolute index) or, for layer
 *   stacks, one PNG per DOM layer plus a manifest; a full disk is a coded error, never retried.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  FrameloomError,
  frameFileName,
  frameStem,
  type FrameRange,
  type FramesOnDisk,
  type LayerCapture,
  type LayeredFrame,
  type MediaLayerPlacement,
} from "@frameloom/shared-helpers";
import { CaptureErrors } from "../errors.js";
import type { OrderedWindow } from "./scheduler.js";

export class OrderedStream<T extends { index: number }> implements OrderedWindow {
  private readonly ready = new Map<number, T>();
  private next: number;
  private failure: unknown = null;
  private wakeConsumer: (() => void) | null = null;
  private readonly movedWaiters = new Set<() => void>();

  constructor(
    private readonly range: FrameRange,
    readonly size: number,
    private readonly onFrame?: (framesDone: number) => void,
  ) {
    this.next = range.from;
  }

  position(): number {
    return this.next;
  }

  moved(): Promise<void> {
    return new Promise((resolve) => this.movedWaiters.add(resolve));
  }

  put(item: T): void {
    this.ready.set(item.index, item);
    if (item.index === this.next) this.wake();
  }

  /** The consumer gets `error` once the frames before the failure are out (or at once when waiting). */
  fail(error: unknown): void {
    if (this.failure === null) this.failure = error;
    this.wake();
    this.wakeMoved();
  }

  private wake(): void {
    this.wakeConsumer?.();
    this.wakeConsumer = null;
  }

  private wakeMoved(): void {
    for (const w of this.movedWaiters) w();
    this.movedWaiters.clear();
  }

  async *items(): AsyncGenerator<T> {
    while (this.next < this.range.to) {
      const item = this.ready.get(this.next);
      if (item) {
        this.ready.delete(this.next);
        this.next += 1;
        this.wakeMoved();
        this.onFrame?.(this.next - this.range.from);
        yield item;
        continue;
      }
      if (this.failure !== null) throw this.failure;
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }
}

/** A file in the render's work dir; a full disk there is a coded error, not retried. */
async function writeWorkFile(file: string, data: Buffer | string): Promise<void> {
  try {
    await writeFile(file, data);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOSPC" && code !== "EDQUOT") throw error;
    throw new FrameloomError(
      CaptureErrors.DISK_FULL,
      `the disk holding the render's temp dir is full: cannot write ${file} (${code}); free space there or set TMPDIR to a larger disk`,
      { cause: error },
    );
  }
}

/** Encoded frames as numbered files, for ffmpeg to read itself. */
export class FrameDirectory {
  private constructor(private readonly described: FramesOnDisk) {}

  static async create(dir: string, encoding: "jpeg" | "png", range: FrameRange): Promise<FrameDirectory> {
    await mkdir(dir, { recursive: true });
    return new FrameDirectory({ dir, encoding, pattern: `frame_%06d.${encoding === "jpeg" ? "jpg" : "png"}`, range });
  }

  put(frame: { index: number; data: Buffer }): Promise<void> {
    return writeWorkFile(path.join(this.described.dir, frameFileName(frame.index, this.described.encoding)), frame.data);
  }

  get framesOnDisk(): FramesOnDisk {
    return this.described;
  }
}

type StoredLayer = { kind: "dom"; file: string; reused: boolean } | MediaLayerPlacement;

/** Layer stacks (HDR / layered video) on disk: PNGs plus a manifest per frame, read back in order. */
export class LayerDirectory {
  /** PNGs already written, by Buffer: a reused layer points at the earlier file (written once). */
  private readonly written = new WeakMap<Buffer, string>();

  private constructor(
    private readonly dir: string,
    private readonly range: FrameRange,
  ) {}

  static async create(dir: string, range: FrameRange): Promise<LayerDirectory> {
    await mkdir(dir, { recursive: true });
    return new LayerDirectory(dir, range);
  }

  private manifest(index: number): string {
    return path.join(this.dir, `${frameStem(index)}.json`);
  }

  async put(frame: LayeredFrame): Promise<void> {
    const stored: StoredLayer[] = [];
    for (const [k, layer] of frame.layers.entries()) {
      if (layer.kind !== "dom") {
        stored.push(layer);
        continue;
      }
      let file = this.written.get(layer.png);
      if (file === undefined) {
        file = `${frameStem(frame.index)}_${k}.png`;
        await writeWorkFile(path.join(this.dir, file), layer.png);
        this.written.set(layer.png, file);
      }
      stored.push({ kind: "dom", file, reused: layer.reused });
    }
    await writeWorkFile(this.manifest(frame.index), JSON.stringify(stored));
  }

  /** In order; a file read for the previous frame is the same Buffer again (the compositor caches by identity). */
  async *frames(): AsyncGenerator<LayeredFrame> {
    let previous = new Map<string, Buffer>();
    for (let index = this.range.from; index < this.range.to; index++) {
      const stored = JSON.parse(await readFile(this.manifest(index), "utf8")) as StoredLayer[];
      const layers: LayerCapture[] = [];
      const current = new Map<string, Buffer>();
      for (const layer of stored) {
        if (layer.kind !== "dom") {
          layers.push(layer);
          continue;
        }
        const png = previous.get(layer.file) ?? (await readFile(path.join(this.dir, layer.file)));
        current.set(layer.file, png);
        layers.push({ kind: "dom", png, reused: previous.has(layer.file) });
      }
      previous = current;
      yield { index, layers };
    }
  }
}

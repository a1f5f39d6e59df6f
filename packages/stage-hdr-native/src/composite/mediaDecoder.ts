/**
 * Decodes one HDR/SDR video (or still image) once, sequentially, with ffmpeg into raw rgb48le frames at the
 * composition fps. Signal values stay as coded in the file (PQ stays PQ, HLG stays HLG): only the Y'CbCr →
 * R'G'B' matrix (bt2020 for HDR, bt709 for SDR) and range expansion are applied. With `toneMap` (SDR renders),
 * PQ / HLG sources are tone-mapped to SDR BT.709 sRGB-coded rgb48le instead, and every source reports "srgb".
 */
import type { ChildProcess } from "node:child_process";

import {
  FrameloomError,
  MEDIA_INPUT_OPTIONS,
  SharedErrors,
  TailBuffer,
  abortError,
  errorMessage,
  findFfmpeg,
  isFrameloomError,
  killTree,
  probeVideoStream,
  signalRgbZscale,
  spawnTracked,
  toneMappedSdrZscale,
  type Fps,
  type MediaTransfer,
  type VideoStreamInfo,
} from "@frameloom/shared-helpers";

import type { SourceTransfer } from "../types.js";
import { CompositeErrors } from "./errors.js";

export interface MediaFrameSourceOptions {
  /** Absolute path of the video or image. */
  path: string;
  /** Composition frame rate: frames are produced on this grid. */
  fps: Fps;
  /** Seconds into the file where local time 0 lies (`data-media-start`). Default 0. */
  mediaStart?: number;
  /** A still image: decode one frame and hold it. Default: decided by ffprobe (single-frame image codecs). */
  still?: boolean;
  /** Transfer of the source; default from ffprobe's color_transfer. */
  transfer?: MediaTransfer;
  /**
   * For SDR output: PQ / HLG sources are tone-mapped (shared-helpers TONE_MAP_FILTER) to BT.709 with the sRGB curve, SDR sources
   * are decoded as usual; either way the frames are sRGB-coded and `transfer` reports "srgb". Default false.
   */
  toneMap?: boolean;
  /** Frames buffered ahead before ffmpeg's stdout is paused. Default 2. */
  maxBuffered?: number;
  /** The render plan's probe of the file: given, the file is not probed again. */
  info?: VideoStreamInfo;
  signal?: AbortSignal;
}


/** Largest decoded width / height: one rgb48le frame of 8192² is 384 MiB. */
const MAX_MEDIA_SIDE = 8192;

const STILL_CODECS = new Set(["png", "mjpeg", "jpegls", "webp", "tiff", "bmp", "gif", "jpeg2000", "avif", "exr", "hdr"]);

/** One ffmpeg run producing frames k0, k0+1, … */
class DecoderRun {
  readonly child: ChildProcess;
  private readonly frames: Buffer[] = [];
  private partial: Buffer | null = null;
  private filled = 0;
  private ended = false;
  private error: Error | null = null;
  private waiter: (() => void) | null = null;
  private readonly stderr = new TailBuffer(4000);
  produced = 0;

  constructor(
    command: string,
    args: string[],
    private readonly frameSize: number,
    private readonly maxBuffered: number,
    private readonly describe: string,
    signal?: AbortSignal,
  ) {
    this.child = spawnTracked(command, args, { signal, stdio: ["ignore", "pipe", "pipe"] });
    const out = this.child.stdout!;
    out.on("data", (chunk: Buffer) => this.onData(chunk));
    this.child.stderr!.on("data", (d: Buffer) => this.stderr.push(d));
    this.child.once("error", (e) => this.fail(new FrameloomError(CompositeErrors.MEDIA_DECODE, `${describe}: ffmpeg could not start: ${e.message}`, { cause: e })));
    this.child.once("close", (code, sig) => {
      if (signal?.aborted && this.error === null) this.fail(abortError(signal));
      if (code !== 0 && !this.ended && this.error === null) {
        const tail = this.stderr.toString().trim().split("\n").slice(-12).join("\n");
        this.fail(new FrameloomError(CompositeErrors.MEDIA_DECODE, `${describe}: ffmpeg exited with ${code ?? sig}:\n${tail}`, { details: { code, signal: sig } }));
        return;
      }
      this.ended = true;
      this.wake();
    });
  }

  private onData(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.partial === null) {
        this.partial = Buffer.allocUnsafe(this.frameSize);
        this.filled = 0;
      }
      const n = Math.min(this.frameSize - this.filled, chunk.length - off);
      chunk.copy(this.partial, this.filled, off, off + n);
      this.filled += n;
      off += n;
      if (this.filled === this.frameSize) {
        this.frames.push(this.partial);
        this.produced++;
        this.partial = null;
      }
    }
    if (this.frames.length >= this.maxBuffered) this.child.stdout?.pause();
    this.wake();
  }

  private fail(error: Error): void {
    if (this.error === null) this.error = error;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** The next frame, or null at the end of the stream. */
  async next(): Promise<Buffer | null> {
    for (;;) {
      if (this.error) throw this.error;
      const frame = this.frames.shift();
      if (frame) {
        if (this.frames.length < this.maxBuffered) this.child.stdout?.resume();
        return frame;
      }
      if (this.ended) return null;
      this.child.stdout?.resume();
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Wakes a pending next() with this error and kills ffmpeg. */
  kill(error: Error): void {
    this.fail(error);
    killTree(this.child);
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }
}

export class MediaFrameSource {
  readonly path: string;
  readonly width: number;
  readonly height: number;
  /** What the frames hold: the source transfer, or "srgb" when opened with `toneMap`. */
  readonly transfer: SourceTransfer;
  /** The file's own transfer. */
  readonly sourceTransfer: MediaTransfer;
  readonly toneMap: boolean;
  readonly still: boolean;
  private readonly fps: Fps;
  private readonly mediaStart: number;
  private readonly inRange: "tv" | "pc";
  /** The source is Y'CbCr (needs the matrix undone); otherwise RGB already. */
  private readonly yuv: boolean;
  private readonly maxBuffered: number;
  private readonly signal?: AbortSignal;
  private run: DecoderRun | null = null;
  /** Index (on the composition fps grid, local time) of the frame `current` holds, -1 before any. */
  private currentIndex = -1;
  private current: Buffer | null = null;
  /** The run reached its end: `current` is the last frame and is held. */
  private exhausted = false;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Number of ffmpeg processes started (tests: a backward request restarts). */
  starts = 0;

  private constructor(options: MediaFrameSourceOptions, info: { width: number; height: number; transfer: MediaTransfer; still: boolean; inRange: "tv" | "pc"; yuv: boolean }) {
    this.path = options.path;
    this.fps = options.fps;
    this.mediaStart = options.mediaStart ?? 0;
    this.maxBuffered = options.maxBuffered ?? 2;
    this.signal = options.signal;
    this.width = info.width;
    this.height = info.height;
    this.sourceTransfer = info.transfer;
    this.toneMap = options.toneMap === true;
    this.transfer = this.toneMap ? "srgb" : info.transfer;
    this.still = info.still;
    this.inRange = info.inRange;
    this.yuv = info.yuv;
  }

  /** Probes the file (size, transfer) and returns a source; ffmpeg starts on the first frameAt(). */
  static async open(options: MediaFrameSourceOptions): Promise<MediaFrameSource> {
    let info = options.info;
    try {
      info ??= await probeVideoStream(options.path, options.signal);
    } catch (error) {
      // Aborts and refused playlists keep their code; anything else is a decode failure of this file.
      if (options.signal?.aborted || isFrameloomError(error, SharedErrors.MEDIA_FORMAT_REFUSED)) throw error;
      throw new FrameloomError(CompositeErrors.MEDIA_DECODE, `cannot read media ${options.path}: ${errorMessage(error)}`, { cause: error });
    }
    if (!(info.width > 0 && info.height > 0)) {
      throw new FrameloomError(CompositeErrors.MEDIA_DECODE, `cannot read media ${options.path}: ffprobe reports size ${info.width}x${info.height}`);
    }
    if (info.width > MAX_MEDIA_SIDE || info.height > MAX_MEDIA_SIDE) {
      throw new FrameloomError(
        CompositeErrors.MEDIA_DECODE,
        `cannot decode media ${options.path}: ${info.width}x${info.height} is above the limit of ${MAX_MEDIA_SIDE} px (8K) per side`,
      );
    }
    return new MediaFrameSource(options, {
      width: info.width,
      height: info.height,
      transfer: options.transfer ?? info.transfer,
      still: options.still ?? STILL_CODECS.has(info.codec),
      inRange: info.pixelFormat.startsWith("yuvj") ? "pc" : "tv",
      yuv: info.pixelFormat.startsWith("yuv") || info.pixelFormat.startsWith("nv") || info.pixelFormat.startsWith("p0"),
    });
  }

  get frameSize(): number {
    return this.width * this.height * 6;
  }

  /** Frame index for a local time (COMPOSITION §4.1): floor(t·fps + 1e-9). */
  indexAt(localTime: number): number {
    return Math.max(0, Math.floor((localTime * this.fps.num) / this.fps.den + 1e-9));
  }

  /**
   * The rgb48le frame shown at `localTime` seconds after media start. Reads forward (frames in between are
   * dropped), holds the last frame past the end, restarts ffmpeg for a backward request. The Buffer is shared
   * with later calls that land on the same frame; do not modify it.
   */
  frameAt(localTime: number): Promise<Buffer> {
    const result = this.queue.then(() => this.frameAtNow(localTime));
    this.queue = result.catch(() => {});
    return result;
  }

  private async frameAtNow(localTime: number): Promise<Buffer> {
    if (this.closed) throw new FrameloomError(CompositeErrors.MEDIA_CLOSED, `frameAt() after close() (${this.path})`);
    const k = this.still ? 0 : this.indexAt(localTime);
    if (this.current && (k === this.currentIndex || (this.exhausted && k > this.currentIndex))) return this.current;
    if (this.current === null || k < this.currentIndex || this.run === null) {
      await this.restart(k);
    }
    while (this.currentIndex < k) {
      const frame = await this.run!.next();
      if (this.closed) throw new FrameloomError(CompositeErrors.MEDIA_CLOSED, `frameAt() after close() (${this.path})`);
      if (frame === null) {
        this.exhausted = true;
        this.stopRun();
        break;
      }
      this.current = frame;
      this.currentIndex++;
    }
    if (this.current === null) {
      throw new FrameloomError(CompositeErrors.MEDIA_DECODE, `media ${this.path} has no decodable video frame`);
    }
    return this.current;
  }

  /** Starts ffmpeg so that its first frame is index k (or, past the end, finds the last frame). */
  private async restart(k: number): Promise<void> {
    this.stopRun();
    this.current = null;
    this.exhausted = false;
    this.currentIndex = -1;
    let from = k;
    let step = Math.max(1, Math.ceil((2 * this.fps.num) / this.fps.den));
    for (;;) {
      this.startRun(from);
      const first = await this.run!.next();
      if (first !== null) {
        this.current = first;
        this.currentIndex = from;
        return;
      }
      this.stopRun();
      if (from === 0) return; // nothing decodable: frameAtNow reports it
      // asked past the end: start earlier (2 s, 8 s, 32 s, … back) so the last frame can be held
      from = Math.max(0, from - step);
      step *= 4;
    }
  }

  private startRun(k0: number): void {
    this.starts++;
    // The signal stays PQ/HLG/BT.709-coded, only the matrix and the range undone; or, for SDR output, HDR is tone-mapped.
    const st = this.sourceTransfer;
    const range = this.inRange === "tv" ? "limited" : "full";
    const scale =
      this.toneMap && st !== "sdr"
        ? `${toneMappedSdrZscale(st, this.yuv ? range : null)},format=rgb48le`
        : this.yuv
          ? `${signalRgbZscale(st, range)},format=gbrp16le,format=rgb48le`
          : "format=rgb48le";
    // Local files only: no http, no `concat:` URLs (the probe in open() already refused playlists).
    const args = ["-nostdin", "-v", "error", "-threads", "0", ...MEDIA_INPUT_OPTIONS];
    if (this.still) {
      args.push("-i", this.path, "-frames:v", "1", "-vf", scale);
    } else {
      // seek to just before the frame's time (µs, rounded down) so that frame is kept by the accurate seek
      const t = this.mediaStart + (k0 * this.fps.den) / this.fps.num;
      const seek = t > 0 ? Math.max(0, Math.floor(t * 1e6 - 1)) / 1e6 : 0;
      args.push("-ss", seek.toFixed(6), "-i", this.path, "-an", "-sn", "-vf", `fps=${this.fps.num}/${this.fps.den},${scale}`);
    }
    args.push("-f", "rawvideo", "-pix_fmt", "rgb48le", "-");
    this.run = new DecoderRun(findFfmpeg(), args, this.frameSize, this.maxBuffered, `decoding ${this.path}`, this.signal);
  }

  private stopRun(): void {
    if (this.run) {
      this.run.kill(new FrameloomError(CompositeErrors.MEDIA_CLOSED, `decoder for ${this.path} stopped`));
      this.run = null;
    }
  }

  /** Kills ffmpeg (process tree). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopRun();
    this.current = null;
  }
}

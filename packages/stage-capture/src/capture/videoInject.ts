/**
 * SDR video injection (COMPOSITION.md §4.1): each `<video>` is decoded once by ffmpeg, on the composition fps grid,
 * into JPEG frame files (q95 ⇒ `-q:v 2`, 4:4:4) in the render's work dir; per captured frame the session sets the
 * frame into the page as an `<img>` styled like the video (runtime/frameInjector.ts) and takes one screenshot, so
 * the browser applies the video's CSS (transform, filter, border-radius, clip-path, mask, blend mode) itself.
 *
 * Frame lookup is the layered path's (stage-hdr-native mediaDecoder): local time from `mediaLocalTime` (media start,
 * playback rate, loop), `k = floor(local·fps + 1e-9)`, past the end the last frame is held. The decode uses the same
 * zscale conversion (and the same tone mapping for PQ / HLG sources) so the codes match the layered render.
 * One ffmpeg per video per render, started before the browsers, writing frames in order; a frame is ready once the
 * next one exists or ffmpeg has exited. Sessions share the store.
 */
import type { ChildProcess } from "node:child_process";
import { access, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import {
  FrameloomError,
  MEDIA_INPUT_OPTIONS,
  TailBuffer,
  abortError,
  findFfmpeg,
  frameIndexAt,
  frameTime,
  killTree,
  mediaLocalTime,
  mediaWindowIn,
  signalRgbZscale,
  spawnTracked,
  toneMappedSdrZscale,
  type FrameRange,
  type Fps,
  type MediaSource,
  type ProbedMedia,
  type VideoStreamInfo,
} from "@frameloom/shared-helpers";
import { CaptureErrors } from "./errors.js";


export interface InjectedFrame {
  /** Names the frame (video id + index): the page keeps the image when it is unchanged. */
  key: string;
  /** Path of the JPEG file. */
  file: string;
}

interface Run {
  child: ChildProcess;
  /** First index this run writes. */
  from: number;
  exited: Promise<void>;
  done: boolean;
  error: FrameloomError | null;
}

class VideoFrames {
  private run: Run | null = null;
  private starting: Promise<void> | null = null;
  /** Set once the run has exited: the last index written (-1: none). */
  private last: number | null = null;
  constructor(
    readonly source: MediaSource,
    private readonly dir: string,
    private readonly fps: Fps,
    private readonly kMin: number,
    private readonly kMax: number,
    private readonly signal: AbortSignal,
    /** The plan's probe of the file (the plan stage probes every file once). */
    private readonly info: VideoStreamInfo | null = null,
  ) {}

  indexAt(t: number): number {
    const local = mediaLocalTime(this.source, t);
    return Math.max(0, frameIndexAt(local, this.fps.num / this.fps.den));
  }

  fileOf(k: number): string {
    return path.join(this.dir, `${String(k).padStart(8, "0")}.jpg`);
  }

  start(): Promise<void> {
    return (this.starting ??= this.extract());
  }

  /** Runs ffmpeg from kMin; if that lies past the end of the file, from further back (2 s, 8 s, … earlier). */
  private async extract(): Promise<void> {
    const info = this.info;
    if (!info) throw new FrameloomError(CaptureErrors.VIDEO_FRAMES, `cannot read video ${this.source.path}: the plan has no video stream for it`);
    const yuv = info.pixelFormat.startsWith("yuv") || info.pixelFormat.startsWith("nv") || info.pixelFormat.startsWith("p0");
    const range = info.pixelFormat.startsWith("yuvj") ? "full" : "limited";
    const st = this.source.transfer ?? info.transfer;
    // The compositor decoder's conversion (shared-helpers media.ts), so the codes match the layered render.
    const scale =
      st === "pq" || st === "hlg" ? toneMappedSdrZscale(st, yuv ? range : null) : yuv ? `${signalRgbZscale(st, range)},format=gbrp16le` : "format=gbrp16le";
    let from = this.kMin;
    let step = Math.max(1, Math.ceil((2 * this.fps.num) / this.fps.den));
    for (;;) {
      const produced = await this.runFrom(from, scale);
      if (produced >= 0 || from === 0) {
        this.last = produced;
        return;
      }
      from = Math.max(0, from - step);
      step *= 4;
    }
  }

  /** One ffmpeg run writing frames from..kMax; resolves with the last index written, -1 for none. */
  private runFrom(from: number, scale: string): Promise<number> {
    const t = this.source.mediaStart + (from * this.fps.den) / this.fps.num;
    const seek = t > 0 ? Math.max(0, Math.floor(t * 1e6 - 1)) / 1e6 : 0;
    const args = [
      "-nostdin", "-v", "error", "-threads", "0", ...MEDIA_INPUT_OPTIONS,
      "-ss", seek.toFixed(6), "-i", this.source.path, "-an", "-sn",
      // JFIF is BT.601 full range: say so, or swscale would use the BT.709 matrix zscale tagged the frames with.
      "-vf", `fps=${this.fps.num}/${this.fps.den},${scale},scale=out_color_matrix=bt601:out_range=full,format=yuvj444p`,
      "-frames:v", String(this.kMax - from + 1),
      "-c:v", "mjpeg", "-q:v", "2", "-f", "image2", "-start_number", String(from), path.join(this.dir, "%08d.jpg"),
    ];
    const stderr = new TailBuffer(4000);
    const child = spawnTracked(findFfmpeg(), args, { signal: this.signal, stdio: ["ignore", "ignore", "pipe"] });
    child.stderr!.on("data", (d: Buffer) => stderr.push(d));
    const run: Run = { child, from, done: false, error: null, exited: Promise.resolve() };
    this.run = run;
    run.exited = new Promise<void>((resolve) => {
      child.once("error", (e) => {
        run.error = new FrameloomError(CaptureErrors.VIDEO_FRAMES, `${this.source.path}: ffmpeg could not start: ${e.message}`, { cause: e });
        run.done = true;
        resolve();
      });
      child.once("close", (code, sig) => {
        if (this.signal.aborted) run.error = abortError(this.signal);
        else if (code !== 0 && run.error === null) {
          const tail = stderr.toString().trim().split("\n").slice(-8).join("\n");
          run.error = new FrameloomError(CaptureErrors.VIDEO_FRAMES, `extracting the frames of ${this.source.path}: ffmpeg exited with ${code ?? sig}:\n${tail}`);
        }
        run.done = true;
        resolve();
      });
    });
    return run.exited.then(async () => {
      if (run.error) throw run.error;
      let last = -1;
      for (let k = this.kMax; k >= from; k--) {
        if (await exists(this.fileOf(k))) {
          last = k;
          break;
        }
      }
      return last;
    });
  }

  /** The frame shown at composition time t, once ffmpeg has written it. */
  async frameAt(t: number): Promise<InjectedFrame> {
    const wanted = Math.min(this.indexAt(t), this.kMax);
    const extraction = this.start();
    for (;;) {
      if (this.signal.aborted) throw abortError(this.signal);
      if (this.last !== null) {
        if (this.last < 0) throw new FrameloomError(CaptureErrors.VIDEO_FRAMES, `video ${this.source.path} has no decodable frame`);
        const k = Math.min(wanted, this.last);
        return { key: `${this.source.id}:${k}`, file: this.fileOf(k) };
      }
      const run = this.run;
      if (run && !run.done && run.from <= wanted && (await exists(this.fileOf(wanted + 1)))) {
        return { key: `${this.source.id}:${wanted}`, file: this.fileOf(wanted) };
      }
      await Promise.race([extraction, delay(4)]);
    }
  }

  close(): void {
    if (this.run && !this.run.done) killTree(this.run.child);
  }
}

function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class VideoFrameStore {
  private readonly videos: Map<string, VideoFrames>;
  private cache = new Map<string, Promise<string>>();

  private constructor(videos: Map<string, VideoFrames>) {
    this.videos = videos;
  }

  /** Plans and starts one ffmpeg per video for the frames of `range`. */
  static async start(options: {
    media: MediaSource[];
    /** The plan's probes, by media id. */
    probed: Record<string, ProbedMedia>;
    fps: Fps;
    range: FrameRange;
    dir: string;
    signal: AbortSignal;
  }): Promise<VideoFrameStore> {
    const videos = new Map<string, VideoFrames>();
    let n = 0;
    const rangeStart = frameTime(options.range.from, options.fps);
    const rangeEnd = frameTime(options.range.to, options.fps);
    for (const source of options.media) {
      if (source.kind !== "video" || videos.has(source.id)) continue;
      // A clip outside its window in the whole range is hidden there: no frames to extract (a chunk's project
      // tree may not even hold its file).
      if (mediaWindowIn(source, rangeStart, rangeEnd) === null) continue;
      const dir = path.join(options.dir, `v${n++}`);
      await mkdir(dir, { recursive: true });
      const probe = new VideoFrames(source, dir, options.fps, 0, 0, options.signal);
      let kMin = Number.POSITIVE_INFINITY;
      let kMax = 0;
      for (let i = options.range.from; i < options.range.to; i++) {
        const k = probe.indexAt(frameTime(i, options.fps));
        kMin = Math.min(kMin, k);
        kMax = Math.max(kMax, k);
      }
      const info = options.probed[source.id]?.video ?? null;
      const frames = new VideoFrames(source, dir, options.fps, Number.isFinite(kMin) ? kMin : 0, kMax, options.signal, info);
      videos.set(source.id, frames);
      frames.start().catch(() => {}); // failures surface at frameAt()
    }
    return new VideoFrameStore(videos);
  }

  /** The frames of every video at composition time t, as data: URLs (read once, shared by the sessions). */
  async framesAt(t: number): Promise<{ id: string; key: string; dataUrl: () => Promise<string> }[]> {
    const out = [];
    for (const [id, video] of this.videos) {
      const frame = await video.frameAt(t);
      out.push({ id, key: frame.key, dataUrl: () => this.read(frame) });
    }
    return out;
  }

  private read(frame: InjectedFrame): Promise<string> {
    let p = this.cache.get(frame.key);
    if (!p) {
      p = readFile(frame.file).then((data) => `data:image/jpeg;base64,${data.toString("base64")}`);
      // Keep a few recent frames: sessions capture nearby frames.
      if (this.cache.size > 16) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(frame.key, p);
    }
    return p;
  }

  close(): void {
    for (const video of this.videos.values()) video.close();
    this.cache.clear();
  }
}

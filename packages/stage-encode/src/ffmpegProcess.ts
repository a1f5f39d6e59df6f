/**
 * One ffmpeg child for the encode stage: spawned in its own process group (spawnTracked), its
 * stderr kept as a tail for error messages, `-progress pipe:1` lines parsed, and a `failure`
 * promise that rejects as soon as ffmpeg exits before we said we were done, or the signal aborts.
 * A write that failed for want of space is FLM_ERR_ENCODE_DISK_FULL, even when ffmpeg exits 0.
 */
import type { ChildProcess } from "node:child_process";
import {
  FrameloomError,
  TailBuffer,
  abortError,
  killTree,
  spawnTracked,
} from "@frameloom/shared-helpers";
import { EncodeErrors } from "./errors.js";

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export interface FfmpegProcess {
  child: ChildProcess;
  /** Resolves (never rejects) when the process has exited and its pipes are closed. */
  closed: Promise<FfmpegExit>;
  /** Rejects on abort, or when ffmpeg exits before `finish()` or with a non-zero code. Never resolves. */
  failure: Promise<never>;
  /** The last `lines` lines of stderr. */
  stderrTail(lines?: number): string;
  /** Closes stdin (all frames written) and waits for a clean exit; rejects like `failure`. */
  finish(): Promise<void>;
  /** Kills the tree (if still running) and waits until it is gone. */
  kill(): Promise<void>;
  /** Writes one chunk to stdin, waiting for 'drain' when the pipe is full (back-pressure). */
  write(data: Buffer): Promise<void>;
}

export interface StartOptions {
  signal: AbortSignal;
  /** Called with each `frame=N` value ffmpeg reports on `-progress pipe:1`. */
  onFrame?: (frame: number) => void;
  /** Test hook: sees the child right after spawn. */
  onSpawn?: (child: ChildProcess) => void;
}

export function tailLines(text: string, lines = 15): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

/** The stderr line that says a write failed for want of space (ENOSPC, EDQUOT), or null. */
export function noSpaceLine(stderr: string): string | null {
  return /^.*(No space left on device|Disk quota exceeded).*$/m.exec(stderr)?.[0].trim() ?? null;
}

/** ffmpeg 5.1 exits 0 when its trailer cannot be written; the output is then truncated. */
const TRAILER_FAILED = /Error writing trailer/;

export function startFfmpeg(ffmpeg: string, args: string[], options: StartOptions): FfmpegProcess {
  const child = spawnTracked(ffmpeg, args, { signal: options.signal, stdio: ["pipe", "pipe", "pipe"] });
  const tail = new TailBuffer(8000);
  child.stderr?.on("data", (d: Buffer) => tail.push(d));
  let pending = "";
  child.stdout?.on("data", (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const m = /^frame=(\d+)/.exec(line.trim());
      if (m && options.onFrame) options.onFrame(Number(m[1]));
    }
  });
  child.stdin?.on("error", () => {
    /* EPIPE when ffmpeg dies: reported through `closed`/`failure` with the stderr tail */
  });

  const closed = new Promise<FfmpegExit>((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
    child.once("close", (code, signal) => resolve({ code, signal }));
  });

  let finishing = false;
  const stderrTail = (lines = 15) => tailLines(tail.toString(), lines);
  const failed = (exit: FfmpegExit, reason?: string): FrameloomError => {
    const how = reason ?? (exit.error
      ? `could not start (${exit.error.message})`
      : exit.signal
        ? `was killed by ${exit.signal}${finishing ? "" : " while frames were still being written"}`
        : finishing
          ? `exited with code ${exit.code}`
          : `exited early with code ${exit.code} while frames were still being written`);
    const text = stderrTail();
    const noSpace = noSpaceLine(tail.toString());
    if (noSpace) {
      return new FrameloomError(EncodeErrors.DISK_FULL, `the disk is full: ffmpeg could not write the output (${noSpace})`, {
        details: { code: exit.code, signal: exit.signal, stderrTail: text },
      });
    }
    return new FrameloomError(EncodeErrors.FFMPEG_FAILED, `ffmpeg ${how}${text ? `:\n${text}` : " (no stderr output)"}`, {
      retryable: exit.signal !== null,
      cause: exit.error,
      details: { code: exit.code, signal: exit.signal, stderrTail: text },
    });
  };

  const failure = new Promise<never>((_, reject) => {
    const onAbort = () => reject(abortError(options.signal));
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener("abort", onAbort, { once: true });
    void closed.then((exit) => {
      options.signal.removeEventListener("abort", onAbort);
      if (!finishing || exit.code !== 0) reject(failed(exit));
    });
  });
  failure.catch(() => {});
  options.onSpawn?.(child);

  return {
    child,
    closed,
    failure,
    stderrTail,
    async write(data) {
      const stdin = child.stdin;
      if (!stdin || stdin.destroyed) return failure;
      if (stdin.write(data)) return;
      await Promise.race([
        new Promise<void>((resolve) => {
          stdin.once("drain", resolve);
          void closed.then(() => stdin.off("drain", resolve));
        }),
        failure,
      ]);
    },
    async finish() {
      finishing = true;
      child.stdin?.end();
      const exit = await Promise.race([closed, failure]);
      if (options.signal.aborted) throw abortError(options.signal);
      if (exit.code !== 0 || exit.error) throw failed(exit);
      // Exit 0 is not enough: a failed write (full disk) or trailer only shows on stderr.
      if (noSpaceLine(tail.toString()) || TRAILER_FAILED.test(tail.toString())) throw failed(exit, "exited 0 but did not finish the file");
    },
    async kill() {
      killTree(child);
      await closed;
    },
  };
}

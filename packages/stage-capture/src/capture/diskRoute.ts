/**
 * Disk route: frames written as files (`frame_000123.jpg`, absolute index), `workers` browsers over
 * contiguous ranges, with adaptive retry: missing ranges are retried, once at the same worker count
 * after a crash, otherwise with half the workers. Also serves `sequential` (one worker).
 */
import { writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import {
  FrameloomError,
  frameFileName,
  runWithAdaptiveRetry,
  type CaptureSettings,
  type FrameRange,
  type FramesOnDisk,
} from "@frameloom/shared-helpers";
import type { BrowserSession } from "./browserSession.js";
import { CaptureErrors } from "./errors.js";

/** A frame file written to the render's work dir; a full disk there is a coded error, not retried. */
async function writeFrame(file: string, data: Buffer): Promise<void> {
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

export interface DiskRouteOptions {
  range: FrameRange;
  workers: number;
  dir: string;
  capture: CaptureSettings;
  openSession(worker: number, attempt: number): Promise<BrowserSession>;
  signal: AbortSignal;
  onFrame?(framesDone: number): void;
  onWorkersChanged?(workers: number, reason: string): void;
}

export async function captureToDisk(options: DiskRouteOptions): Promise<{ framesOnDisk: FramesOnDisk; workers: number }> {
  await mkdir(options.dir, { recursive: true });
  const done = new Set<number>();
  const result = await runWithAdaptiveRetry({
    range: options.range,
    workers: options.workers,
    signal: options.signal,
    isDone: (i) => done.has(i),
    onRetry: ({ workers, reason }) => options.onWorkersChanged?.(workers, reason),
    attempt: (ranges, { attempt }) =>
      Promise.allSettled(
        ranges.map(async (range, worker) => {
          const session = await options.openSession(worker, attempt - 1);
          try {
            for (let i = range.from; i < range.to; i++) {
              if (done.has(i)) continue;
              const frame = await session.captureFrame(i);
              await writeFrame(path.join(options.dir, frameFileName(i, options.capture.encoding)), frame.data);
              done.add(i);
              options.onFrame?.(done.size);
            }
          } finally {
            await session.close();
          }
        }),
      ),
  });
  return {
    framesOnDisk: {
      dir: options.dir,
      encoding: options.capture.encoding,
      pattern: `frame_%06d.${options.capture.encoding === "jpeg" ? "jpg" : "png"}`,
      range: options.range,
    },
    workers: result.workers,
  };
}

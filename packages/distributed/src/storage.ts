import { randomBytes } from "node:crypto";
import { link, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { FrameloomError, errorMessage } from "@frameloom/shared-helpers";
import { DistributedErrors } from "./errors.js";
import { chunkKey, type Chunk } from "./types.js";
import { checkChunk, checkExt, checkPlanHash } from "./validate.js";

/**
 * Where plans' segments live. Today a shared directory (a path every worker sees); the interface
 * keeps to publish/exists/paths so an S3-compatible store can implement it (temp = local file,
 * commit = conditional PUT).
 */
export interface PlanStorage {
  /** Where the segment of a chunk lives, keyed by plan hash and range. */
  segmentPath(planHash: string, chunk: Chunk, ext: string): string;
  /** True when a complete (committed, non-empty) segment exists for the chunk. */
  hasSegment(planHash: string, chunk: Chunk, ext: string): Promise<boolean>;
  /** Publishes a finished segment written at tempPath atomically; a second commit of the same chunk keeps exactly one. */
  commitSegment(tempPath: string, planHash: string, chunk: Chunk, ext: string): Promise<string>;
  /** A fresh temp path next to the final one (its directory may not exist yet), ending in `.<ext>` so encoders pick the format. */
  tempSegmentPath(planHash: string, chunk: Chunk, ext: string): string;
}

// Hard links cannot be made here: fall back to rename, still atomic (the last complete copy wins).
const NO_LINK = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "EXDEV", "ENOSYS", "EMLINK"]);

function storageError(action: string, target: string, cause: unknown): FrameloomError {
  return new FrameloomError(DistributedErrors.STORAGE_FAILED, `could not ${action} ${target}: ${errorMessage(cause)}`, {
    cause,
    retryable: true,
  });
}

/** `<root>/segments/<planHash>/<from>-<to>.<ext>`. */
export function sharedDirectoryStorage(root: string): PlanStorage {
  const base = path.resolve(root);
  const dirOf = (planHash: string) => path.join(base, "segments", checkPlanHash(planHash));
  const segmentPath = (planHash: string, chunk: Chunk, ext: string) =>
    path.join(dirOf(planHash), `${chunkKey(checkChunk(chunk))}.${checkExt(ext)}`);

  return {
    segmentPath,
    tempSegmentPath(planHash, chunk, ext) {
      // Dot-prefixed so listings of finished segments skip it; random so two workers never share one.
      const name = `.${chunkKey(checkChunk(chunk))}.${process.pid}-${randomBytes(6).toString("hex")}.tmp.${checkExt(ext)}`;
      return path.join(dirOf(planHash), name);
    },
    async hasSegment(planHash, chunk, ext) {
      const target = segmentPath(planHash, chunk, ext);
      try {
        const s = await stat(target);
        return s.isDirectory() ? (await readdir(target)).length > 0 : s.isFile() && s.size > 0;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
        throw storageError("read", target, e);
      }
    },
    async commitSegment(tempPath, planHash, chunk, ext) {
      const target = segmentPath(planHash, chunk, ext);
      // A png-sequence segment is a directory of frames: published by one rename; a second commit finds the name taken.
      if ((await stat(tempPath).catch(() => null))?.isDirectory()) {
        if ((await readdir(tempPath)).length === 0) {
          throw new FrameloomError(DistributedErrors.SEGMENT_EMPTY, `segment ${chunkKey(chunk)} at ${tempPath} is empty: the render wrote nothing`);
        }
        try {
          await mkdir(path.dirname(target), { recursive: true });
          await rename(tempPath, target);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code ?? "";
          if (code !== "ENOTEMPTY" && code !== "EEXIST") throw storageError("publish", target, e);
          await rm(tempPath, { recursive: true, force: true });
        }
        return target;
      }
      try {
        const s = await stat(tempPath);
        if (!s.isFile() || s.size === 0) {
          throw new FrameloomError(DistributedErrors.SEGMENT_EMPTY, `segment ${chunkKey(chunk)} at ${tempPath} is empty: the render wrote nothing`);
        }
        // On a shared disk another machine reads it next: make it durable before it becomes visible.
        const fh = await open(tempPath, "r");
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        await mkdir(path.dirname(target), { recursive: true });
      } catch (e) {
        if (e instanceof FrameloomError) throw e;
        throw storageError("publish", tempPath, e);
      }
      try {
        // link() never replaces an existing name: the first complete segment wins, later ones are dropped.
        await link(tempPath, target);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? "";
        if (NO_LINK.has(code)) {
          try {
            await rename(tempPath, target);
            return target;
          } catch (e2) {
            throw storageError("publish", target, e2);
          }
        }
        if (code !== "EEXIST") throw storageError("publish", target, e);
      }
      await rm(tempPath, { force: true });
      return target;
    },
  };
}

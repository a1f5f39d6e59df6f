import { FrameloomError } from "@frameloom/shared-helpers";
import { DistributedErrors } from "./errors.js";
import type { Chunk } from "./types.js";

function invalid(message: string): FrameloomError {
  return new FrameloomError(DistributedErrors.OPTIONS_INVALID, message);
}

// The plan hash names a directory and is part of BullMQ job ids (which may not contain ":").
const PLAN_HASH = /^[A-Za-z0-9_-]{1,128}$/;
const EXT = /^[A-Za-z0-9]{1,16}$/;

export function checkPlanHash(planHash: string): string {
  if (typeof planHash !== "string" || !PLAN_HASH.test(planHash)) {
    throw invalid(`plan hash must be 1-128 characters of [A-Za-z0-9_-], received ${JSON.stringify(planHash)}`);
  }
  return planHash;
}

/** Accepts `mp4` or `.mp4`; returns `mp4`. */
export function checkExt(ext: string): string {
  const bare = typeof ext === "string" ? ext.replace(/^\./, "") : ext;
  if (typeof bare !== "string" || !EXT.test(bare)) {
    throw invalid(`segment extension must be 1-16 letters or digits, received ${JSON.stringify(ext)}`);
  }
  return bare;
}

export function checkChunk(chunk: Chunk): Chunk {
  const ok = chunk && Number.isSafeInteger(chunk.from) && Number.isSafeInteger(chunk.to) && chunk.from >= 0 && chunk.to > chunk.from;
  if (!ok) throw invalid(`a chunk is a frame range [from, to) with integers 0 <= from < to, received ${JSON.stringify(chunk)}`);
  return chunk;
}

/** Chunks sorted by start; rejects empty lists and overlaps (an overlap would render frames twice). */
export function checkChunks(chunks: readonly Chunk[]): Chunk[] {
  if (!Array.isArray(chunks) || chunks.length === 0) throw invalid("expected at least one chunk");
  const sorted = chunks.map((c) => ({ from: checkChunk(c).from, to: c.to })).sort((a, b) => a.from - b.from);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].from < sorted[i - 1].to) {
      throw invalid(`chunks ${sorted[i - 1].from}-${sorted[i - 1].to} and ${sorted[i].from}-${sorted[i].to} overlap`);
    }
  }
  return sorted;
}

export function checkPositiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw invalid(`${name} must be a positive integer, received ${JSON.stringify(value)}`);
  return v;
}

export function checkNonNegativeInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 0) throw invalid(`${name} must be a non-negative integer, received ${JSON.stringify(value)}`);
  return v;
}

/** BullMQ refuses queue names with ":" (they are part of Redis keys). */
export function checkQueueName(queue: string): string {
  if (typeof queue !== "string" || !/^[A-Za-z0-9_.-]{1,100}$/.test(queue)) {
    throw invalid(`queue name must be 1-100 characters of [A-Za-z0-9_.-], received ${JSON.stringify(queue)}`);
  }
  return queue;
}

import { KEY_PREFIX } from "./redis.js";
import { chunkKey, type Chunk } from "./types.js";

// Ids are deterministic from plan hash, range and a per-plan generation. A new generation starts
// when no live flow of the plan exists, so finished or failed jobs of an earlier run (whose ids
// BullMQ would refuse to add again) never block a re-run.
export const parentJobId = (planHash: string, gen: number) => `assemble.${planHash}.${gen}`;
export const chunkJobId = (planHash: string, gen: number, chunk: Chunk) => `chunk.${planHash}.${gen}.${chunkKey(chunk)}`;

/** The chunk a child job key (`<prefix>:<queue>:chunk.<hash>.<gen>.<from>-<to>`) or id stands for. */
export function chunkOfJob(keyOrId: string): Chunk | null {
  const m = /(?:^|[:.])chunk\.[A-Za-z0-9_-]+\.\d+\.(\d+)-(\d+)$/.exec(keyOrId);
  return m ? { from: Number(m[1]), to: Number(m[2]) } : null;
}

/** The job id inside a BullMQ job key. */
export function jobIdOfKey(key: string): string {
  const i = key.lastIndexOf(":");
  return i < 0 ? key : key.slice(i + 1);
}

// Our own keys, next to BullMQ's under the same prefix and queue.
export const flowPointerKey = (queue: string, planHash: string) => `${KEY_PREFIX}:${queue}:frameloom-flow:${planHash}`;
export const generationKey = (queue: string, planHash: string) => `${KEY_PREFIX}:${queue}:frameloom-gen:${planHash}`;
export const enqueueLockKey = (queue: string, planHash: string) => `${KEY_PREFIX}:${queue}:frameloom-lock:${planHash}`;

export { DistributedErrors } from "./errors.js";
export type { AssembleJobData, Chunk, ChunkJobData, DistributedProgress, RenderChunkJob, WorkerEvent, WorkerHandlers } from "./types.js";
export { chunkKey } from "./types.js";
export { sharedDirectoryStorage, type PlanStorage } from "./storage.js";
export { startWorker, type DistributedWorker, type StartWorkerOptions } from "./worker.js";
export { runDistributed, type DistributedResult, type RunDistributedOptions } from "./client.js";
export { assertRedisReachable, DEFAULT_QUEUE, KEY_PREFIX, redactUrl } from "./redis.js";

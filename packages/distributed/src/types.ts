/** A frame range `[from, to)`: the unit one worker renders into one segment. */
export interface Chunk {
  from: number;
  to: number;
}

/** What a chunk job carries. Paths are the client's view; a worker recomputes them with its own storage. */
export interface ChunkJobData {
  planDir: string;
  planHash: string;
  chunk: Chunk;
  /** Segment container extension (`mp4`, `mov`, …), decided once by the client from the plan. */
  segmentExt: string;
  segmentPath: string;
}

export interface AssembleJobData {
  planDir: string;
  planHash: string;
  /** Every chunk of the render, ascending; `segmentPaths[i]` is the segment of `chunks[i]`. */
  chunks: Chunk[];
  segmentExt: string;
  segmentPaths: string[];
  outputPath: string;
}

export interface RenderChunkJob {
  planDir: string;
  planHash: string;
  chunk: Chunk;
  /** A temp file next to the final segment; the worker publishes it atomically once this resolves. */
  outputPath: string;
  /** 1-based attempt number (BullMQ's failed attempts + 1; a stalled restart keeps the number). */
  attempt: number;
}

export interface WorkerHandlers {
  /** Renders one chunk into `job.outputPath`; throw to fail the attempt (BullMQ retries with backoff). */
  renderChunk(job: RenderChunkJob, signal: AbortSignal): Promise<void>;
  /** Joins the segments (one per chunk, in order) into `job.outputPath`. */
  assemble(job: AssembleJobData, signal: AbortSignal): Promise<void>;
}

/** What a worker reports (for logs). */
export type WorkerEvent =
  | { type: "chunk-start"; chunk: Chunk; planHash: string; attempt: number; jobId: string }
  | { type: "chunk-done"; chunk: Chunk; planHash: string; ms: number; jobId: string }
  | { type: "chunk-reused"; chunk: Chunk; planHash: string; jobId: string }
  | { type: "chunk-failed"; chunk: Chunk; planHash: string; attempt: number; error: string; jobId: string }
  | { type: "chunk-requeued"; chunk: Chunk; planHash: string; jobId: string }
  | { type: "assemble-start"; planHash: string; outputPath: string; jobId: string }
  | { type: "assemble-done"; planHash: string; outputPath: string; ms: number; jobId: string }
  | { type: "assemble-failed"; planHash: string; error: string; jobId: string }
  | { type: "error"; error: string };

export interface DistributedProgress {
  framesDone: number;
  totalFrames: number;
  chunksDone: number;
  chunksRunning: number;
  /** Chunks that failed at least one attempt (being retried, or out of attempts). */
  chunksFailed: number;
  chunksTotal: number;
  /** Seconds left at the rate frames were rendered in this run; null until a chunk finished. */
  etaSec: number | null;
}

export function chunkKey(chunk: Chunk): string {
  return `${chunk.from}-${chunk.to}`;
}

import type { RenderConfig, RenderStatus, StageName } from "./contracts.js";

/** The kernel's record of one render. Stages never write to it: the kernel applies their results. */
export interface RenderJob {
  id: string;
  config: RenderConfig;
  status: RenderStatus;
  /** 0..1, only moves forward. */
  progress: number;
  stage: StageName | null;
  framesRendered: number;
  totalFrames: number;
  workers: number;
  /** `<stage>Ms`: wall time of each stage. */
  perfStages: Record<string, number>;
  warnings: string[];
  errorDetails?: { code: string; message: string; stage: StageName | null };
}

let counter = 0;

export function createJob(config: RenderConfig): RenderJob {
  counter += 1;
  return {
    id: `job-${Date.now().toString(36)}-${counter}`,
    config,
    status: "queued",
    progress: 0,
    stage: null,
    framesRendered: 0,
    totalFrames: 0,
    workers: 1,
    perfStages: {},
    warnings: [],
  };
}

const FINAL: ReadonlySet<RenderStatus> = new Set(["done", "failed", "cancelled"]);

/**
 * Returns the job with `patch` applied. Invariants: progress and framesRendered never go back;
 * a finished job (done/failed/cancelled) does not change status again.
 */
export function updateJobStatus(job: RenderJob, patch: Partial<Omit<RenderJob, "id" | "config">>): RenderJob {
  const next: RenderJob = { ...job, ...patch };
  if (patch.progress !== undefined) next.progress = Math.min(1, Math.max(job.progress, patch.progress));
  if (patch.framesRendered !== undefined) next.framesRendered = Math.max(job.framesRendered, patch.framesRendered);
  if (FINAL.has(job.status) && patch.status !== undefined && patch.status !== job.status) next.status = job.status;
  if (patch.perfStages) next.perfStages = { ...job.perfStages, ...patch.perfStages };
  if (patch.warnings) next.warnings = [...patch.warnings];
  return next;
}

import { describe, expect, it } from "vitest";
import { createJob, updateJobStatus } from "./job.js";
import type { RenderConfig } from "./contracts.js";

const config = { input: "/p", output: "/o.mp4" } as RenderConfig;

describe("updateJobStatus", () => {
  it("never moves progress or frames backwards", () => {
    let job = createJob(config);
    job = updateJobStatus(job, { progress: 0.5, framesRendered: 10 });
    job = updateJobStatus(job, { progress: 0.2, framesRendered: 3 });
    expect(job.progress).toBe(0.5);
    expect(job.framesRendered).toBe(10);
  });
  it("keeps a finished status and merges perfStages", () => {
    let job = updateJobStatus(createJob(config), { status: "failed", perfStages: { compileMs: 3 } });
    job = updateJobStatus(job, { status: "running", perfStages: { captureMs: 9 } });
    expect(job.status).toBe("failed");
    expect(job.perfStages).toEqual({ compileMs: 3, captureMs: 9 });
  });
});

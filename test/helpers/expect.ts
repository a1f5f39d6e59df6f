import { expect } from "vitest";
import { render } from "@frameloom/cli";
import { leftovers, liveGroups } from "./procs.js";
import type { Sandbox } from "./sandbox.js";

type Options = Parameters<typeof render>[0];

export interface Failure {
  error: Error & { code?: string; details?: Record<string, unknown> };
  ms: number;
}

/** Runs a render that must fail; returns the error and how long it took. */
export async function renderFails(options: Options): Promise<Failure> {
  const t0 = performance.now();
  try {
    const summary = await render(options);
    throw Object.assign(new Error(`render unexpectedly succeeded: ${JSON.stringify(summary)}`), { code: "UNEXPECTED_SUCCESS" });
  } catch (error) {
    return { error: error as Failure["error"], ms: performance.now() - t0 };
  }
}

/** After a failed render: no output or .partial file, no temp dir, no Chromium/ffmpeg left (by path and by process group). */
export async function expectCleanState(box: Sandbox, chromiumGroups: number[] = []): Promise<void> {
  expect(box.outFiles(), "files left in the output directory").toEqual([]);
  expect(await leftovers(box.root), "processes left that mention the sandbox").toEqual([]);
  const deadline = Date.now() + 3000;
  let groups = await liveGroups(chromiumGroups);
  while (groups.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    groups = await liveGroups(chromiumGroups);
  }
  expect(groups, "Chromium process-group members left").toEqual([]);
  expect(box.tmpLeft(), "frameloom temp dirs left").toEqual([]);
}

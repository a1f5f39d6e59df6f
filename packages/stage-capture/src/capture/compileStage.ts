/**
 * Compile stage: reads the project (COMPOSITION.md §1-§2), decides size, fps, duration and the
 * total frame count (§3.2), and the frame range to render (`--frames`).
 *
 * When the root has no `data-duration`, the page is loaded once in Chromium and its timelines'
 * duration is used (§3.2 step 2); zero is an error naming the attribute to add.
 *
 * Output: `composition` (complete: durationSec > 0, totalFrames ≥ 1) and `range` [from, to)
 * within [0, totalFrames).
 */
import {
  FrameloomError,
  frameCount,
  parseFrameRange,
  type Composition,
  type FrameRange,
  type Stage,
  type StageContext,
  type StageMeta,
} from "@frameloom/shared-helpers";
import { assertDurationLimit, compileProject } from "../compile/compileProject.js";
import { startFileServer } from "../server/fileServer.js";
import { resolveBrowser } from "./browserProvider.js";
import { BrowserSession } from "./browserSession.js";
import { CaptureErrors } from "./errors.js";

export const compileMeta: StageMeta = {
  name: "compile",
  kernel: "^2.0.0",
  needs: { config: "RenderConfig" },
  provides: { composition: "Composition", range: "FrameRange" },
};

export interface CompileStageResult {
  composition: Composition;
  range: FrameRange;
}

export async function runCompileStage(_input: unknown, ctx: StageContext): Promise<CompileStageResult> {
  const { config } = ctx;
  const project = await compileProject(config.input, { fps: config.fps, variables: config.variables, strictVariables: config.strictVariables, strict: config.strict });
  for (const warning of (project as { warnings?: string[] }).warnings ?? []) ctx.warn(warning);
  let durationSec = project.durationSec;
  if (durationSec === null) {
    durationSec = await probeDuration({ ...project, durationSec: 1, totalFrames: 1 }, ctx);
    if (!(durationSec > 0)) {
      throw new FrameloomError(
        CaptureErrors.NO_DURATION,
        `${project.entryFile}: the composition has no duration: add data-duration="<seconds>" to the root element ` +
          `(data-composition-id="${project.id}") or register a finite GSAP timeline in window.__timelines`,
      );
    }
    assertDurationLimit(durationSec, `${project.entryFile}: the page's timeline duration (${durationSec} s)`);
  }
  const totalFrames = frameCount(durationSec, project.fps);
  const composition: Composition = { ...project, durationSec, totalFrames };
  const range = config.frames ? parseFrameRange(config.frames, totalFrames) : { from: 0, to: totalFrames };
  ctx.progress({ framesDone: 0, totalFrames: range.to - range.from });
  return { composition, range };
}

async function probeDuration(composition: Composition, ctx: StageContext): Promise<number> {
  const server = await startFileServer({
    root: composition.projectDir,
    entryUrlPath: composition.entryUrlPath,
    entryHtml: composition.html,
  });
  try {
    const session = await BrowserSession.open({
      composition,
      entryUrl: server.entryUrl,
      origin: server.origin,
      capture: ctx.config.presets.requested.capture,
      strict: ctx.config.strict,
      warn: ctx.warn,
      signal: ctx.signal,
      profileDir: BrowserSession.profileDirFor(ctx.workDir, 99, 0),
      // Only the duration is read: no frame is captured, so no BeginFrame probe either.
      browser: await resolveBrowser(ctx.config.presets.requested.capture.browser ?? "auto"),
      method: "screenshot",
      reuseFrames: false,
    });
    try {
      return session.duration;
    } finally {
      await session.close();
    }
  } finally {
    await server.close();
  }
}

export const compileStage: Stage<Record<string, unknown>, CompileStageResult> = {
  meta: compileMeta,
  run: (input, ctx) => runCompileStage(input, ctx),
};

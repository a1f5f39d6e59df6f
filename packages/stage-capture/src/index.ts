export { runCaptureStage, stage, meta, chooseRoute, type CaptureStageInput, type CaptureStageResult, type CaptureStageStats } from "./capture/captureStage.js";
export { runCompileStage, compileStage, compileMeta, type CompileStageResult } from "./capture/compileStage.js";
export { BrowserSession } from "./capture/browserSession.js";
export { autoWorkers } from "./capture/workers.js";
export { CaptureErrors } from "./capture/errors.js";
export { compileProject } from "./compile/compileProject.js";
export { pageRuntimeScript } from "./runtime/pageRuntime.js";
export { startFileServer } from "./server/fileServer.js";
export { prepareLayeredMarkup } from "./compile/hdrMarkup.js";
export { LAYER_PLANNER_SOURCE } from "./runtime/layerPlanner.js";
export {
  resolveBrowser,
  findShellPackage,
  shellCacheRoot,
  unpackHeadlessShell,
  browserVersion,
  type BrowserKind,
  type ResolvedBrowser,
  type ResolveBrowserOptions,
} from "./capture/browserProvider.js";
export {
  BEGIN_FRAME_ARGS,
  FrameTicks,
  probeBeginFrame,
  probeBrowserBeginFrame,
  sendBeginFrame,
  type BeginFrameParams,
  type BeginFrameProbe,
  type BeginFrameResult,
} from "./capture/beginFrame.js";

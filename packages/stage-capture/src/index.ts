export { runCaptureStage, stage, meta, chooseRoute, type CaptureStageInput, type CaptureStageResult, type CaptureOutput } from "./capture/captureStage.js";
export { runCompileStage, compileStage, compileMeta, type CompileStageResult } from "./capture/compileStage.js";
export { BrowserSession } from "./capture/browserSession.js";
export { autoWorkers } from "./capture/workers.js";
export { CaptureErrors } from "./capture/errors.js";
export { compileProject } from "./compile/compileProject.js";
export { pageRuntimeScript } from "./runtime/pageRuntime.js";
export { startFileServer } from "./server/fileServer.js";

export { runEncodeStage, meta, stage } from "./encodeStage.js";
export type { EncodeStageInput, EncodeStageResult, EncodeContext, EncodeStageKernelInput } from "./encodeStage.js";
export { EncodeErrors, type EncodeErrorCode } from "./errors.js";
export { buildFfmpegArgs, validateSettings, type FfmpegArgsOptions, type FfmpegInput } from "./ffmpegArgs.js";

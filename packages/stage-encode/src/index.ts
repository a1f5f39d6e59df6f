export { runEncodeStage, meta, stage } from "./encodeStage.js";
export type { EncodeStageInput, EncodeStageResult, EncodeContext, EncodeStageKernelInput } from "./encodeStage.js";
export { EncodeErrors, type EncodeErrorCode } from "./errors.js";
export { buildFfmpegArgs, validateSettings, type FfmpegArgsOptions, type FfmpegInput } from "./ffmpegArgs.js";
export { assembleSegments, type AssembleInput, type AssembleResult, type AssembleSegment } from "./assemble.js";
export { muxesAudio, validateSegmentSettings, SEGMENT_X264_PARAMS, SEGMENT_X265_PARAMS } from "./ffmpegArgs.js";

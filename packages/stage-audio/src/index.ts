export { runAudioStage, meta, stage } from "./audioStage.js";
export type { AudioStageInput, AudioStageResult, AudioContext } from "./audioStage.js";
export { AudioErrors, type AudioErrorCode } from "./errors.js";
export { buildMixArgs, buildFilterGraph, atempoChain, MIX_SAMPLE_RATE, type MixOptions, type MixTrack } from "./mixArgs.js";

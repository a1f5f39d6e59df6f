import type { StageSet } from "@frameloom/kernel";
import { compileStage, stage as captureStage } from "@frameloom/stage-capture";
import { stage as planStage } from "@frameloom/stage-plan";
import { compositeStage } from "@frameloom/stage-hdr-native";
import { assembleSegments, stage as encodeStage } from "@frameloom/stage-encode";
import { stage as audioStage } from "@frameloom/stage-audio";

/**
 * The stage set the CLI wires by default; `--stage name=module` swaps one entry. `plan` probes the
 * media once and decides HDR, the output and the soundtrack; `audio` mixes the soundtrack (before
 * capture, so the encoder can mux it); `composite` passes plain captures through untouched and
 * merges layer stacks into frames.
 */
export function defaultStages(): StageSet {
  return { compile: compileStage, plan: planStage, audio: audioStage, capture: captureStage, composite: compositeStage, encode: encodeStage };
}

/** What joins the segments of a plan (distributed renders): stage-encode's stream-copy assembly. */
export const defaultAssembler: typeof assembleSegments = assembleSegments;

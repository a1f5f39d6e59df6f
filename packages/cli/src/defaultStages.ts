import type { StageSet } from "@frameloom/kernel";
import { compileStage, stage as captureStage } from "@frameloom/stage-capture";
import { compositeStage } from "@frameloom/stage-hdr-native";
import { stage as encodeStage } from "@frameloom/stage-encode";
import { stage as audioStage } from "@frameloom/stage-audio";

/**
 * The stage set the CLI wires by default; `--stage name=module` swaps one entry. `audio` mixes the
 * soundtrack (before capture, so the encoder can mux it); `composite`
 * passes SDR captures through untouched and merges HDR layer stacks into 10-bit frames.
 */
export function defaultStages(): StageSet {
  return { compile: compileStage, audio: audioStage, capture: captureStage, composite: compositeStage, encode: encodeStage };
}

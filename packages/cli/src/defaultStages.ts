import type { StageSet } from "@frameloom/kernel";
import { compileStage, stage as captureStage } from "@frameloom/stage-capture";
import { compositeStage } from "@frameloom/stage-hdr-native";
import { stage as encodeStage } from "@frameloom/stage-encode";

/**
 * The stage set the CLI wires by default; `--stage name=module` swaps one entry. `composite`
 * passes SDR captures through untouched and merges HDR layer stacks into 10-bit frames.
 */
export function defaultStages(): StageSet {
  return { compile: compileStage, capture: captureStage, composite: compositeStage, encode: encodeStage };
}

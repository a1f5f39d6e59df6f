import type { StageSet } from "@frameloom/kernel";
import { compileStage, stage as captureStage } from "@frameloom/stage-capture";
import { stage as encodeStage } from "@frameloom/stage-encode";

/** The stage set the CLI wires by default; `--stage name=module` swaps one entry. */
export function defaultStages(): StageSet {
  return { compile: compileStage, capture: captureStage, encode: encodeStage };
}

import { defineErrors } from "@frameloom/shared-helpers";

/**
 * Every error code stage-plan raises (aborts use the shared FLM_ERR_ABORTED, bad arguments the shared
 * FLM_ERR_INVALID_ARGUMENT). Never reuse a retired code.
 */
export const PlanErrors = defineErrors({
  /** An HDR source's content light could not be measured: ffprobe/ffmpeg cannot read it, or it has no decodable frame. */
  LIGHT_MEASURE: "FLM_ERR_PLAN_LIGHT_MEASURE",
  /** A video or HDR still the compositor paints is above 8K per side (the code predates the plan stage: stable). */
  MEDIA_TOO_LARGE: "FLM_ERR_COMPILE_MEDIA_TOO_LARGE",
});

export type PlanErrorCode = (typeof PlanErrors)[keyof typeof PlanErrors];

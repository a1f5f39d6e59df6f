export { stage, meta, runPlanStage, decideHdr, layeredMedia, withContentLight, MAX_MEDIA_SIDE, type PlanStageInput } from "./planStage.js";
export { measureContentLight, type LightSource } from "./contentLight.js";
export { PlanErrors } from "./errors.js";

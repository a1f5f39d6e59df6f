export { compare, DEFAULTS as COMPARE_DEFAULTS } from "./compare.js";
export { formatCompareReport } from "./report.js";
export { CompareErrors } from "./errors.js";
export { checkpointSpots } from "./checkpoints.js";
export { rmsEnvelope, bestCorrelation } from "./envelope.js";
export type * from "./types.js";

export { render, type RenderApiOptions, type RenderSummary } from "./render.js";
export { defaultStages } from "./defaultStages.js";
export { runChecks, type Check } from "./doctor.js";
export { compare, formatCompareReport, COMPARE_DEFAULTS, type CompareOptions, type CompareResult } from "@frameloom/compare";

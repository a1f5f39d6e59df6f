export { render, type RenderApiOptions, type RenderSummary } from "./render.js";
export { defaultStages } from "./defaultStages.js";
export { runChecks, type Check } from "./doctor.js";
export { compare, formatCompareReport, COMPARE_DEFAULTS, type CompareOptions, type CompareResult } from "@frameloom/compare";
export { benchmark, summarizeRuns, planCombos, median, machineInfo, BENCHMARK_ROUTES, BENCHMARK_METHODS, ProcessTreeSampler, withProcessTreeSampler, type BenchmarkOptions, type BenchmarkResult, type BenchmarkRow, type BenchmarkRun, type BenchmarkCombo, type BenchmarkRoute, type BenchmarkRenderFn, type MachineInfo, type TreeUsage } from "./benchmark.js";
export { formatBenchmarkTable, formatMarkdownTable, compareWithBaseline, type FpsComparison, type BenchmarkCaseReport } from "./benchmarkReport.js";

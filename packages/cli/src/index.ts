export { render, type RenderApiOptions, type RenderSummary } from "./render.js";
export { defaultStages } from "./defaultStages.js";
export { runChecks, type Check } from "./doctor.js";
export { compare, formatCompareReport, COMPARE_DEFAULTS, type CompareOptions, type CompareResult } from "@frameloom/compare";
export { benchmark, summarizeRuns, planCombos, median, machineInfo, BENCHMARK_ROUTES, BENCHMARK_METHODS, ProcessTreeSampler, withProcessTreeSampler, type BenchmarkOptions, type BenchmarkResult, type BenchmarkRow, type BenchmarkRun, type BenchmarkCombo, type BenchmarkRoute, type BenchmarkRenderFn, type MachineInfo, type TreeUsage } from "./benchmark.js";
export { formatBenchmarkTable, formatMarkdownTable, compareWithBaseline, type FpsComparison, type BenchmarkCaseReport } from "./benchmarkReport.js";
export { planProject, renderPlanRange, assemblePlan, storedPlanStage, DEFAULT_CHUNK_SIZE, type PlanApiOptions, type PlanResult, type RenderPlanOptions, type AssemblePlanOptions } from "./planCommands.js";
export { readPlanDir, writePlanDir, materialiseProject, chunksFor, PLAN_DIR_VERSION, type PlanManifest } from "./planDir.js";
export { renderDistributed, startRenderWorker, type DistributedRenderOptions, type DistributedSummary, type WorkerOptions } from "./distributedCommands.js";

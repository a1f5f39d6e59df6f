export { Kernel, runRender, tempOutputPath, type RenderRequest, type RenderResult } from "./kernel.js";
export { resolveStages, checkStages, KERNEL_VALUES, KERNEL_API_VERSION, satisfies, type StageSet, type StageSpec } from "./stages.js";
export { HOOK_NAMES, HookRunner, type HookName, type KernelHooks } from "./hooks.js";
export { PRESETS, FORMAT_DEFAULT_PRESET, HDR_PRESETS, HDR10_METADATA, resolvePreset, BT709, type Preset, type PresetOverrides } from "./presets.js";
export { buildRenderConfig, renderOptionsSchema, requestedPreset, isHdrPreset, type RenderOptions } from "./config.js";
export { KernelErrors } from "./errors.js";

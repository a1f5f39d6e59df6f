/**
 * Stage resolution and checking. The kernel never imports a concrete stage: a stage set maps stage
 * names to stage objects or to module specifiers (package names or file paths) resolved here, and
 * the whole set is checked before anything starts (fastify-plugin style).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import semver from "semver";
import { FrameloomError, errorMessage, type Stage, type StageValueDecls } from "@frameloom/shared-helpers";
import { KernelErrors } from "./errors.js";

/** The stage API version this kernel implements; stages declare a semver range for it in `meta.kernel`. */
export const KERNEL_API_VERSION = "2.0.0";

/** Whether `version` satisfies a stage's `meta.kernel` range (the semver package's rules). */
export function satisfies(version: string, range: string): boolean {
  return semver.validRange(range) !== null && semver.satisfies(version, range);
}

export type StageSpec = Stage<any, any> | string;
/** Ordered: stages run in insertion order. */
export type StageSet = Record<string, StageSpec>;

/** Values the kernel itself provides to every stage, with their types. */
export const KERNEL_VALUES: StageValueDecls = { config: "RenderConfig", outputPath: "OutputPath" };

const isDecls = (value: unknown): value is StageValueDecls =>
  typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((t) => typeof t === "string");

function isStage(value: unknown): value is Stage<any, any> {
  const v = value as Stage | undefined;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.run === "function" &&
    typeof v.meta === "object" &&
    typeof v.meta?.name === "string" &&
    isDecls(v.meta.needs) &&
    isDecls(v.meta.provides) &&
    (v.meta.optional === undefined || isDecls(v.meta.optional))
  );
}

async function importSpecifier(specifier: string, cwd: string): Promise<unknown> {
  const looksLikePath = specifier.startsWith(".") || specifier.startsWith("/") || /\.(c|m)?js$/.test(specifier);
  const target = looksLikePath ? pathToFileURL(path.resolve(cwd, specifier)).href : specifier;
  return import(target);
}

/** Resolves every spec to a stage object; an unresolvable one is refused by name. */
export async function resolveStages(set: StageSet, cwd = process.cwd()): Promise<Stage<any, any>[]> {
  const out: Stage<any, any>[] = [];
  for (const [name, spec] of Object.entries(set)) {
    let candidate: unknown = spec;
    if (typeof spec === "string") {
      let mod: Record<string, unknown>;
      try {
        mod = (await importSpecifier(spec, cwd)) as Record<string, unknown>;
      } catch (error) {
        throw new FrameloomError(
          KernelErrors.STAGE_UNRESOLVED,
          `stage "${name}" could not be resolved from "${spec}": ${errorMessage(error)}`,
          { cause: error },
        );
      }
      candidate = mod.stage ?? (mod.default as Record<string, unknown> | undefined)?.stage ?? mod.default;
    }
    if (!isStage(candidate)) {
      throw new FrameloomError(
        KernelErrors.STAGE_INVALID,
        `stage "${name}"${typeof spec === "string" ? ` from "${spec}"` : ""} does not export a stage ({ meta: { name, kernel, needs: {value: type}, provides: {value: type} }, run })`,
      );
    }
    if (candidate.meta.name !== name) {
      throw new FrameloomError(
        KernelErrors.STAGE_INVALID,
        `stage "${name}" resolved to a stage named "${candidate.meta.name}"; a replacement must keep the name it replaces`,
      );
    }
    out.push(candidate);
  }
  return out;
}

interface Provider {
  /** Stage name, or KERNEL for the kernel's own values. */
  by: string;
  type: string;
}

const KERNEL = "the kernel";

/** The values the kernel provides, as providers. */
const kernelProviders = () => new Map<string, Provider>(Object.entries(KERNEL_VALUES).map(([value, type]) => [value, { by: KERNEL, type }]));

const providerName = (p: Provider): string => (p.by === KERNEL ? KERNEL : `stage "${p.by}"`);

/**
 * Checks the set as a whole: unique names, kernel version ranges, exactly one provider for every
 * value (the kernel counts as the provider of its own), and that every need (and every optional
 * value that is provided) has its provider upstream with the declared type.
 */
export function checkStages(stages: Stage<any, any>[]): void {
  const providers = kernelProviders();
  const seen = new Set<string>();
  for (const stage of stages) {
    const { name, kernel, provides } = stage.meta;
    if (seen.has(name)) throw new FrameloomError(KernelErrors.STAGE_DUPLICATE, `stage "${name}" appears twice in the stage set`);
    seen.add(name);
    if (!satisfies(KERNEL_API_VERSION, kernel)) {
      throw new FrameloomError(
        KernelErrors.STAGE_VERSION,
        `stage "${name}" needs kernel ${kernel}, this kernel implements ${KERNEL_API_VERSION}`,
      );
    }
    for (const [value, type] of Object.entries(provides)) {
      const earlier = providers.get(value);
      if (earlier) {
        throw new FrameloomError(
          KernelErrors.STAGE_DUPLICATE_PROVIDER,
          `"${value}" is provided twice: by ${providerName(earlier)} (${earlier.type}) and by stage "${name}" (${type}); each value has exactly one provider`,
        );
      }
      providers.set(value, { by: name, type });
    }
  }
  const available = kernelProviders();
  for (const stage of stages) {
    const { name, needs, optional, provides } = stage.meta;
    const check = (value: string, type: string, required: boolean) => {
      const provider = available.get(value);
      if (!provider) {
        if (!required && !providers.has(value)) return;
        const later = providers.get(value);
        throw new FrameloomError(
          KernelErrors.STAGE_MISSING_PROVIDER,
          later
            ? `stage "${name}" needs "${value}", which stage "${later.by}" provides only after it; reorder the stages`
            : `stage "${name}" needs "${value}" (${type}), which no stage provides (available: ${[...available.keys()].join(", ")})`,
        );
      }
      if (provider.type !== type) {
        throw new FrameloomError(
          KernelErrors.STAGE_TYPE_MISMATCH,
          `stage "${name}" needs "${value}" as ${type}, but ${providerName(provider)} provides it as ${provider.type}`,
        );
      }
    };
    for (const [value, type] of Object.entries(needs)) check(value, type, true);
    for (const [value, type] of Object.entries(optional ?? {})) check(value, type, false);
    for (const [value, type] of Object.entries(provides)) available.set(value, { by: name, type });
  }
}

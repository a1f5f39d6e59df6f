/**
 * Stage resolution and checking. The kernel never imports a concrete stage: a stage set maps stage
 * names to stage objects or to module specifiers (package names or file paths) resolved here, and
 * the whole set is checked before anything starts (fastify-plugin style).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { FrameloomError, errorMessage, type Stage } from "@frameloom/shared-helpers";
import { KernelErrors } from "./errors.js";
import { KERNEL_API_VERSION, satisfies } from "./semver.js";

export type StageSpec = Stage<any, any> | string;
/** Ordered: stages run in insertion order. */
export type StageSet = Record<string, StageSpec>;

/** Values the kernel itself provides to every stage. */
export const KERNEL_VALUES = ["config", "outputPath"] as const;

function isStage(value: unknown): value is Stage<any, any> {
  const v = value as Stage | undefined;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.run === "function" &&
    typeof v.meta === "object" &&
    typeof v.meta?.name === "string" &&
    Array.isArray(v.meta.needs) &&
    Array.isArray(v.meta.provides)
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
        `stage "${name}"${typeof spec === "string" ? ` from "${spec}"` : ""} does not export a stage ({ meta: { name, kernel, needs, provides }, run })`,
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

/** Checks the set as a whole: unique names, kernel version ranges, and that every need has a provider upstream. */
export function checkStages(stages: Stage<any, any>[]): void {
  const available = new Set<string>(KERNEL_VALUES);
  const seen = new Set<string>();
  for (const stage of stages) {
    const { name, kernel, needs, provides } = stage.meta;
    if (seen.has(name)) throw new FrameloomError(KernelErrors.STAGE_DUPLICATE, `stage "${name}" appears twice in the stage set`);
    seen.add(name);
    if (!satisfies(KERNEL_API_VERSION, kernel)) {
      throw new FrameloomError(
        KernelErrors.STAGE_VERSION,
        `stage "${name}" needs kernel ${kernel}, this kernel implements ${KERNEL_API_VERSION}`,
      );
    }
    for (const need of needs) {
      if (!available.has(need)) {
        throw new FrameloomError(
          KernelErrors.STAGE_MISSING_PROVIDER,
          `stage "${name}" needs "${need}", which no earlier stage provides (available: ${[...available].join(", ")})`,
        );
      }
    }
    for (const value of provides) available.add(value);
  }
}

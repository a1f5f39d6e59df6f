import { FrameloomError, errorMessage, type ProgressEvent, type StageName } from "@frameloom/shared-helpers";
import { KernelErrors } from "./errors.js";

/** The closed list of kernel hooks. */
export interface KernelHooks {
  onStageStart(info: { stage: StageName }): void | Promise<void>;
  onStageEnd(info: { stage: StageName; ms: number }): void | Promise<void>;
  onProgress(event: ProgressEvent): void;
  onWarning(message: string): void;
  onClose(info: { ok: boolean; error?: unknown }): void | Promise<void>;
}
export type HookName = keyof KernelHooks;
export const HOOK_NAMES: readonly HookName[] = ["onStageStart", "onStageEnd", "onProgress", "onWarning", "onClose"];

const HOOK_TIMEOUT_MS = 10_000;

export class HookRunner {
  private readonly hooks = new Map<HookName, Function[]>();

  add<K extends HookName>(name: K, fn: KernelHooks[K]): void {
    if (!HOOK_NAMES.includes(name)) {
      throw new FrameloomError(KernelErrors.HOOK_UNKNOWN, `unknown hook "${String(name)}" (known: ${HOOK_NAMES.join(", ")})`);
    }
    if (typeof fn !== "function") {
      throw new FrameloomError(KernelErrors.HOOK_UNKNOWN, `hook "${name}" must be a function`);
    }
    this.hooks.set(name, [...(this.hooks.get(name) ?? []), fn]);
  }

  /** Runs every hook of `name` in order; a failure or a timeout names the hook and the stage. */
  async run<K extends HookName>(name: K, arg: Parameters<KernelHooks[K]>[0], stage?: StageName): Promise<void> {
    for (const fn of this.hooks.get(name) ?? []) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve(fn(arg)),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new FrameloomError(KernelErrors.HOOK_TIMEOUT, `hook ${name} (${fn.name || "anonymous"}) timed out after ${HOOK_TIMEOUT_MS} ms`)),
              HOOK_TIMEOUT_MS,
            );
          }),
        ]);
      } catch (error) {
        if (error instanceof FrameloomError && error.code === KernelErrors.HOOK_TIMEOUT) throw error;
        throw new FrameloomError(
          KernelErrors.HOOK_FAILED,
          `hook ${name} (${fn.name || "anonymous"})${stage ? ` during stage "${stage}"` : ""} failed: ${errorMessage(error)}`,
          { cause: error },
        );
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Synchronous fire-and-forget for hot paths (progress, warnings): failures are reported, not thrown. */
  emit<K extends "onProgress" | "onWarning">(name: K, arg: Parameters<KernelHooks[K]>[0]): void {
    for (const fn of this.hooks.get(name) ?? []) {
      try {
        fn(arg);
      } catch (error) {
        process.emitWarning(`frameloom hook ${name} failed: ${errorMessage(error)}`);
      }
    }
  }
}

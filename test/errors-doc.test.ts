// Every error code a package defines is listed in docs/errors.md, and each key names its code.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SharedErrors } from "@frameloom/shared-helpers";
import { KernelErrors } from "@frameloom/kernel";
import { CaptureErrors } from "@frameloom/stage-capture";
import { EncodeErrors } from "@frameloom/stage-encode";
import { CompositeErrors, HdrNativeErrors } from "@frameloom/stage-hdr-native";
import { AudioErrors } from "../packages/stage-audio/dist/index.js";
import { CompileErrors, ServerErrors } from "../packages/stage-capture/dist/compile/errors.js";
import { CliErrors } from "../packages/cli/dist/errors.js";
import { CompareErrors } from "@frameloom/compare";
import { DistributedErrors } from "@frameloom/distributed";
import { PlanErrors } from "../packages/stage-plan/dist/index.js";
import { PlanDirErrors } from "../packages/cli/dist/errors.js";

const doc = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "../docs/errors.md"), "utf8");
const maps: Record<string, Record<string, string>> = {
  shared: SharedErrors,
  kernel: KernelErrors,
  cli: CliErrors,
  compile: CompileErrors,
  server: ServerErrors,
  capture: CaptureErrors,
  encode: EncodeErrors,
  audio: AudioErrors,
  hdrNative: HdrNativeErrors,
  composite: CompositeErrors,
  compare: CompareErrors,
  plan: PlanErrors,
  planDir: PlanDirErrors,
  distributed: DistributedErrors,
};

describe("error codes", () => {
  for (const [area, codes] of Object.entries(maps)) {
    it(`${area}: each key is the code's suffix and each code is documented`, () => {
      expect(Object.keys(codes).length).toBeGreaterThan(0);
      for (const [key, code] of Object.entries(codes)) {
        expect(code.startsWith("FLM_ERR_") && code.endsWith(`_${key}`), `${key} → ${code}`).toBe(true);
        expect(doc, `${code} missing from docs/errors.md`).toContain(`\`${code}\``);
      }
    });
  }
  it("no code is defined twice", () => {
    const all = Object.values(maps).flatMap((m) => Object.values(m));
    expect(new Set(all).size).toBe(all.length);
  });
});

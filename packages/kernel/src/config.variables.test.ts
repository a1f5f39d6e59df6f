import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isFrameloomError } from "@frameloom/shared-helpers";
import { buildRenderConfig } from "./config.js";
import { KernelErrors } from "./errors.js";

const dir = mkdtempSync(path.join(tmpdir(), "flm-kernel-vars-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { input: "x", output: "o.mp4" };

function refused(options: Parameters<typeof buildRenderConfig>[0], ...parts: string[]): void {
  let error: unknown;
  try {
    buildRenderConfig(options, dir);
  } catch (e) {
    error = e;
  }
  expect(isFrameloomError(error, KernelErrors.CONFIG_INVALID), String(error)).toBe(true);
  for (const part of parts) expect((error as Error).message).toContain(part);
}

describe("render options: variables (COMPOSITION.md §2.5)", () => {
  it("absent: no variables, not strict", () => {
    const config = buildRenderConfig(base, dir);
    expect(config.variables).toBeUndefined();
    expect(config.strictVariables).toBe(false);
  });

  it("an object (Node API) or its JSON text (CLI)", () => {
    expect(buildRenderConfig({ ...base, variables: { title: "A", n: 2 } }, dir).variables).toEqual({ title: "A", n: 2 });
    expect(buildRenderConfig({ ...base, variables: '{"title":"B","font":{"name":"Inter"}}', strictVariables: true }, dir)).toMatchObject({
      variables: { title: "B", font: { name: "Inter" } },
      strictVariables: true,
    });
  });

  it("--variables-file, relative to cwd; --variables wins key by key", () => {
    writeFileSync(path.join(dir, "v.json"), JSON.stringify({ title: "file", n: 1 }));
    expect(buildRenderConfig({ ...base, variablesFile: "v.json" }, dir).variables).toEqual({ title: "file", n: 1 });
    expect(buildRenderConfig({ ...base, variablesFile: "v.json", variables: '{"n":5}' }, dir).variables).toEqual({ title: "file", n: 5 });
  });

  it("refuses what is not a JSON object, naming the option", () => {
    refused({ ...base, variables: "{nope" }, "--variables is not valid JSON");
    refused({ ...base, variables: "[1]" }, "--variables must be a JSON object", "an array");
    refused({ ...base, variables: "null" }, "--variables must be a JSON object", "null");
    refused({ ...base, variablesFile: "missing.json" }, "--variables-file", "missing.json", "cannot be read");
    writeFileSync(path.join(dir, "bad.json"), "{");
    refused({ ...base, variablesFile: "bad.json" }, "--variables-file", "bad.json", "not valid JSON");
    refused({ ...base, variables: 3 as unknown as string }, "invalid render option variables");
  });
});

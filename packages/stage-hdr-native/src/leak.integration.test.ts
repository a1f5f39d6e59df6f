// The leak lane (sharp-style): the native compose loop of scripts/leak-check.mjs under valgrind —
// every layer kind, fit, transfer and output, the error paths, and a compositor left to its finalizer.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("native addon under valgrind", () => {
  it("has no invalid access and loses no memory", async () => {
    const result = await run(
      "valgrind",
      [
        "--leak-check=full",
        "--errors-for-leak-kinds=definite",
        "--error-exitcode=1",
        `--suppressions=${path.join(root, "scripts/valgrind-node.supp")}`,
        process.execPath,
        "--expose-gc",
        path.join(root, "scripts/leak-check.mjs"),
      ],
      { cwd: root, maxBuffer: 64 * 1024 * 1024 },
    ).catch((error: { code?: number; stderr?: string; stdout?: string }) => error);
    const stderr = String(result.stderr ?? "");
    expect(stderr, "valgrind must be installed (setup installs it)").not.toMatch(/ENOENT/);
    expect(String(result.stdout)).toContain("leak-check: done");
    expect(stderr).toMatch(/ERROR SUMMARY: 0 errors/);
    expect(stderr).toMatch(/definitely lost: 0 bytes|All heap blocks were freed/);
    expect(stderr).not.toMatch(/Invalid (read|write)/);
  }, 300_000);
});

import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { assertSafeToRemove, createTempDir } from "./temp.js";

describe("temp dirs", () => {
  it("creates and removes its own dirs only", async () => {
    const dir = await createTempDir("unit");
    expect(existsSync(dir.path)).toBe(true);
    await dir.cleanup();
    expect(existsSync(dir.path)).toBe(false);
    expect(() => assertSafeToRemove("/")).toThrow(/refusing/);
    expect(() => assertSafeToRemove("/home")).toThrow(/refusing/);
    expect(() => assertSafeToRemove("/tmp")).toThrow(/refusing/);
  });
});

/**
 * Test support for the compile tests: project directories written from a file map, all under one
 * temp dir made on first use and removed by `cleanup()` (call it from `afterAll`).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export function testProjects(prefix: string) {
  let base: Promise<string> | null = null;
  let counter = 0;
  return {
    async project(files: Record<string, string | Buffer>): Promise<string> {
      base ??= mkdtemp(path.join(tmpdir(), prefix));
      const dir = path.join(await base, `p${counter++}`);
      for (const [name, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
        await writeFile(path.join(dir, name), content);
      }
      return dir;
    },
    async cleanup(): Promise<void> {
      if (base) await rm(await base, { recursive: true, force: true });
    },
  };
}

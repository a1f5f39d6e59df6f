import { defineConfig } from "vitest/config";

export default defineConfig({
  // Bundles src/runtime/page into src/runtime/generated first (scripts/bundle-runtime.mjs).
  test: { testTimeout: 180_000, hookTimeout: 180_000, fileParallelism: false, globalSetup: ["./scripts/vitest-global-setup.mjs"] },
});

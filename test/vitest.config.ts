import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.e2e.test.ts", "**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    pool: "forks",
    // Fails the run if it leaves frameloom-*, flm-* or org.chromium.Chromium.* dirs in /tmp.
    globalSetup: ["./globalSetup.ts"],
  },
});

import { describe, expect, it } from "vitest";
import { DistributedErrors } from "./index.js";

describe("DistributedErrors", () => {
  it("each key is its code's suffix, under FLM_ERR_DISTRIBUTED_", () => {
    for (const [k, code] of Object.entries(DistributedErrors)) expect(code).toBe(`FLM_ERR_DISTRIBUTED_${k}`);
  });
});

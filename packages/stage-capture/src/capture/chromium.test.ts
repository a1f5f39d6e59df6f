import { afterEach, describe, expect, it } from "vitest";
import { chromiumTmpDir } from "./chromium.js";

describe("chromiumTmpDir: where Chromium's singleton socket goes (a Unix socket path holds 107 bytes)", () => {
  const saved = process.env.TMPDIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  });
  const deep = "/tmp/" + "d".repeat(80);

  it("the render's work dir when the socket path fits", () => {
    expect(chromiumTmpDir("/tmp/frameloom-render-abc/chromium-w0")).toBe("/tmp/frameloom-render-abc");
  });
  it("TMPDIR as it is when the work dir is too deep but TMPDIR fits", () => {
    process.env.TMPDIR = "/tmp/short";
    expect(chromiumTmpDir(`${deep}/frameloom-render-abc/chromium-w0`)).toBeUndefined();
  });
  it("/tmp when TMPDIR is too deep as well (Chromium would fail to start)", () => {
    process.env.TMPDIR = deep;
    expect(chromiumTmpDir(`${deep}/frameloom-render-abc/chromium-w0`)).toBe("/tmp");
  });
});

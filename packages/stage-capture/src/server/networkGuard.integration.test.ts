import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type LaunchedChromium } from "../capture/chromium.js";
import { startFileServer, type FileServer } from "./fileServer.js";
import {
  blockedMessage,
  isAllowedUrl,
  openNetworkGuard,
  parseProxyRequestLine,
  redactUrl,
  type NetworkGuard,
} from "./networkGuard.js";

// 1x1 transparent PNG.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
const REMOTE = "http://example.invalid/x.png";
const REMOTE_TLS = "https://cdn.example.invalid/y.png";

let dir: string;
let server: FileServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "flm-guard-"));
  await writeFile(path.join(dir, "local.png"), PNG);
  const html = `<!doctype html><html><body>
    <img id="local" src="local.png">
    <img id="remote" src="${REMOTE}?token=abc">
    <img id="tls" src="${REMOTE_TLS}">
    <img id="inline" src="data:image/png;base64,${PNG.toString("base64")}">
  </body></html>`;
  server = await startFileServer({ root: dir, entryUrlPath: "index.html", entryHtml: html });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Loads the entry in a sealed browser (the guard's flags and context), as a capture session does. */
async function load(strict: boolean): Promise<{ warnings: string[]; violations: string[]; sizes: Record<string, number> }> {
  const warnings: string[] = [];
  const violations: string[] = [];
  const guard: NetworkGuard = await openNetworkGuard({
    origin: server.origin,
    strict,
    warn: (m) => warnings.push(m),
    onViolation: (target) => violations.push(target),
  });
  let chromium: LaunchedChromium | null = null;
  const work = await mkdtemp(path.join(tmpdir(), "flm-guard-work-"));
  try {
    chromium = await launchChromium({ profileDir: path.join(work, "chromium-w0-a0"), signal: new AbortController().signal, args: guard.chromiumArgs });
    const context = await chromium.browser.createBrowserContext(guard.context);
    const page = await context.newPage();
    await page.goto(server.entryUrl, { waitUntil: "load" });
    const sizes = await page.evaluate(() => {
      const out: Record<string, number> = {};
      for (const img of Array.from(document.images)) out[img.id] = img.naturalWidth;
      return out;
    });
    // The https image's CONNECT is reported after a short grace period.
    await new Promise((r) => setTimeout(r, 600));
    expect(guard.violations).toEqual(violations);
    return { warnings, violations, sizes };
  } finally {
    await chromium?.close();
    await guard.close();
    await rm(work, { recursive: true, force: true });
  }
}

describe("network guard (sealed browser)", () => {
  it("serves the file server and data:, blocks anything else at the proxy and names it once (warning only)", async () => {
    const result = await load(false);
    expect(result.sizes).toEqual({ local: 1, remote: 0, tls: 0, inline: 1 });
    expect(result.warnings).toContain(blockedMessage(`${REMOTE}?…`));
    expect(result.warnings).toContain(blockedMessage("cdn.example.invalid:443", "connection"));
    expect(result.warnings.join("\n")).not.toContain("token=abc");
    expect(new Set(result.warnings).size).toBe(result.warnings.length);
    expect(result.violations).toEqual([]);
  });

  it("records violations in strict mode", async () => {
    const result = await load(true);
    expect(result.violations).toEqual(expect.arrayContaining([`${REMOTE}?…`, "cdn.example.invalid:443"]));
    expect(result.sizes.local).toBe(1);
  });
});

describe("network guard helpers", () => {
  it("classifies URLs: the file server over http, data:, blob:, about: only", () => {
    expect(isAllowedUrl(`${server.origin}/a.png`, server.origin)).toBe(true);
    expect(isAllowedUrl("http://localhost:1/a.png", server.origin)).toBe(false);
    expect(isAllowedUrl(server.origin.replace("http:", "ws:") + "/", server.origin)).toBe(false);
    expect(isAllowedUrl("blob:http://x/1", server.origin)).toBe(true);
    expect(isAllowedUrl("about:blank", server.origin)).toBe(true);
    expect(isAllowedUrl("https://fonts.googleapis.com/css", server.origin)).toBe(false);
  });

  it("leaves query strings and fragments out of what it names", () => {
    expect(redactUrl("ws://127.0.0.1:9/socket?secret=1#x")).toBe("ws://127.0.0.1:9/socket?…");
    expect(redactUrl("https://a.example/p")).toBe("https://a.example/p");
    expect(redactUrl("data:text/html,<b>secret</b>")).toBe("data:…");
  });

  it("parses proxy request lines", () => {
    expect(parseProxyRequestLine("CONNECT 127.0.0.1:9 HTTP/1.1")).toEqual({ kind: "connect", target: "127.0.0.1:9" });
    expect(parseProxyRequestLine("GET http://a.example/x?y HTTP/1.1")).toEqual({ kind: "request", url: "http://a.example/x?y" });
    expect(parseProxyRequestLine("garbage")).toBeNull();
  });

  it("reports each target once and calls onViolation at once in strict mode", async () => {
    const seen: string[] = [];
    const warnings: string[] = [];
    const guard = await openNetworkGuard({ origin: server.origin, strict: true, warn: (m) => warnings.push(m), onViolation: (t, k) => seen.push(`${k} ${t}`) });
    try {
      guard.report("ws://127.0.0.1:9/a?x=1", "websocket");
      guard.report("ws://127.0.0.1:9/a?x=2", "websocket");
      guard.report("http://127.0.0.1:9/popup.html", "popup");
      expect(seen).toEqual(["websocket ws://127.0.0.1:9/a?…", "popup http://127.0.0.1:9/popup.html"]);
      expect(warnings).toHaveLength(2);
      expect(guard.context.proxyBypassList).toEqual(["<-loopback>", `http://${new URL(server.origin).host}`]);
      expect(guard.chromiumArgs).toContain("--proxy-bypass-list=<-loopback>");
    } finally {
      await guard.close();
    }
  });
});

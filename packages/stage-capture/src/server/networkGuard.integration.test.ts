import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumArgs, findChromium } from "@frameloom/shared-helpers";
import { startFileServer, type FileServer } from "./fileServer.js";
import { blockedMessage, guardNetwork, isAllowedUrl } from "./networkGuard.js";

// 1x1 transparent PNG.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
const REMOTE = "http://example.invalid/x.png";

let dir: string;
let server: FileServer;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "flm-guard-"));
  await writeFile(path.join(dir, "local.png"), PNG);
  const html = `<!doctype html><html><body>
    <img id="local" src="local.png">
    <img id="remote" src="${REMOTE}">
    <img id="inline" src="data:image/png;base64,${PNG.toString("base64")}">
  </body></html>`;
  server = await startFileServer({ root: dir, entryUrlPath: "index.html", entryHtml: html });
  browser = await puppeteer.launch({ executablePath: findChromium(), args: chromiumArgs(), headless: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function load(strict: boolean): Promise<{ warnings: string[]; violations: string[]; sizes: Record<string, number> }> {
  const page = await browser.newPage();
  try {
    const warnings: string[] = [];
    const guard = await guardNetwork(page, { origin: server.origin, strict, warn: (m) => warnings.push(m) });
    await page.goto(server.entryUrl, { waitUntil: "load" });
    const sizes = await page.evaluate(() => {
      const out: Record<string, number> = {};
      for (const img of Array.from(document.images)) out[img.id] = img.naturalWidth;
      return out;
    });
    return { warnings, violations: [...guard.violations], sizes };
  } finally {
    await page.close();
  }
}

describe("guardNetwork", () => {
  it("allows the origin and data:, blocks and names anything else (warning only)", async () => {
    const result = await load(false);
    expect(result.sizes).toEqual({ local: 1, remote: 0, inline: 1 });
    expect(result.warnings).toEqual([blockedMessage(REMOTE)]);
    expect(result.warnings[0]).toContain(`blocked network request to ${REMOTE}`);
    expect(result.violations).toEqual([]);
  });

  it("records violations in strict mode", async () => {
    const result = await load(true);
    expect(result.violations).toEqual([REMOTE]);
    expect(result.sizes.local).toBe(1);
  });

  it("classifies URLs", () => {
    expect(isAllowedUrl(`${server.origin}/a.png`, server.origin)).toBe(true);
    expect(isAllowedUrl("http://localhost:1/a.png", server.origin)).toBe(false);
    expect(isAllowedUrl("blob:http://x/1", server.origin)).toBe(true);
    expect(isAllowedUrl("about:blank", server.origin)).toBe(true);
    expect(isAllowedUrl("https://fonts.googleapis.com/css", server.origin)).toBe(false);
  });
});

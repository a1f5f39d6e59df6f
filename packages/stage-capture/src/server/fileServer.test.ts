import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safeSegments, startFileServer, type FileServer } from "./fileServer.js";

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Raw request: the path goes out byte for byte (fetch would normalise `..` away). */
function get(origin: string, rawPath: string, headers: Record<string, string> = {}, method = "GET"): Promise<Reply> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: rawPath, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

let base: string;
let root: string;
let server: FileServer;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), "flm-server-"));
  root = path.join(base, "project");
  await mkdir(path.join(root, "assets"), { recursive: true });
  await writeFile(path.join(base, "secret.txt"), "top secret");
  await writeFile(path.join(root, "index.html"), "ON DISK");
  await writeFile(path.join(root, "assets", "data.json"), '{"a":1}');
  await writeFile(path.join(root, "assets", "clip.mp4"), "0123456789");
  await writeFile(path.join(root, "assets", "my file.css"), "body{}");
  await symlink(path.join(base, "secret.txt"), path.join(root, "assets", "escape.txt"));
  await symlink(path.join(base), path.join(root, "up"));
  await symlink(path.join(root, "assets", "data.json"), path.join(root, "inside.json"));
  server = await startFileServer({ root, entryUrlPath: "index.html", entryHtml: "<!doctype html><p>COMPILED</p>" });
});

afterAll(async () => {
  await server?.close();
  await rm(base, { recursive: true, force: true });
});

describe("startFileServer", () => {
  it("listens on 127.0.0.1 and serves the compiled entry instead of the file", async () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.entryUrl).toBe(`${server.origin}/index.html`);
    const reply = await get(server.origin, "/index.html");
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toContain("text/html");
    expect(reply.body).toContain("COMPILED");
    expect((await get(server.origin, "/")).body).toContain("COMPILED");
    expect((await get(server.origin, "/index.html?x=1")).body).toContain("COMPILED");
  });

  it("serves files with their content types, including encoded names and in-root symlinks", async () => {
    const json = await get(server.origin, "/assets/data.json");
    expect([json.status, json.headers["content-type"], json.body]).toEqual([200, "application/json; charset=utf-8", '{"a":1}']);
    const css = await get(server.origin, "/assets/my%20file.css");
    expect([css.status, css.headers["content-type"]]).toEqual([200, "text/css; charset=utf-8"]);
    expect((await get(server.origin, "/inside.json")).body).toBe('{"a":1}');
    const mp4 = await get(server.origin, "/assets/clip.mp4", {}, "HEAD");
    expect([mp4.status, mp4.headers["content-type"], mp4.headers["content-length"]]).toEqual([200, "video/mp4", "10"]);
  });

  it("answers Range requests with 206 and 416", async () => {
    const part = await get(server.origin, "/assets/clip.mp4", { Range: "bytes=2-5" });
    expect([part.status, part.body, part.headers["content-range"], part.headers["accept-ranges"]]).toEqual([206, "2345", "bytes 2-5/10", "bytes"]);
    expect((await get(server.origin, "/assets/clip.mp4", { Range: "bytes=7-" })).body).toBe("789");
    expect((await get(server.origin, "/assets/clip.mp4", { Range: "bytes=-2" })).body).toBe("89");
    const bad = await get(server.origin, "/assets/clip.mp4", { Range: "bytes=50-60" });
    expect([bad.status, bad.headers["content-range"]]).toEqual([416, "bytes */10"]);
  });

  it.each([
    "/../secret.txt",
    "/../etc/passwd",
    "/assets/../../secret.txt",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/%2E%2E%2Fsecret.txt",
    "/assets/..%2f..%2fsecret.txt",
    "//etc/passwd",
    "/%2Fetc%2Fpasswd",
    "/assets/escape.txt",
    "/up/secret.txt",
  ])("refuses %s with 403", async (raw) => {
    const reply = await get(server.origin, raw);
    expect(reply.status).toBe(403);
    expect(reply.body).not.toContain("top secret");
  });

  it("answers 404 for missing files and directories, 405 for other methods", async () => {
    expect((await get(server.origin, "/nope.png")).status).toBe(404);
    expect((await get(server.origin, "/assets")).status).toBe(404);
    expect((await get(server.origin, "/index.html", {}, "POST")).status).toBe(405);
  });

  it("splits paths safely", () => {
    expect(safeSegments("/a/b%20c/./d.png?q=1")).toEqual(["a", "b c", "d.png"]);
    expect(safeSegments("/a/%zz")).toBeNull();
    expect(safeSegments("http://evil/x")).toBeNull();
    expect(safeSegments("/C:/windows")).toBeNull();
  });

  it("close() ends open keep-alive sockets", async () => {
    const other = await startFileServer({ root, entryUrlPath: "index.html", entryHtml: "x" });
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      const { port } = new URL(other.origin);
      http.get({ hostname: "127.0.0.1", port, path: "/index.html", agent }, (res) => {
        res.resume();
        res.on("end", () => resolve());
      }).on("error", reject);
    });
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(2000);
    agent.destroy();
  });
});

/**
 * A static file server for one project: 127.0.0.1, random port, files under `root` only
 * (traversal, encoded traversal and symlinks escaping the root → 403), Range requests (206),
 * and the compiled document served in place of the entry file.
 * Reserved paths under `/__frameloom/` never reach the project: `fonts/<slug>/<file>.woff2` serves a
 * bundled font file (compile/fonts.ts), `lib/<name>@<version>/<path>` a local npm copy of a CDN
 * script (compile/cdnScripts.ts); anything else there is 404.
 */
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import http from "node:http";
import type { Socket } from "node:net";
import path from "node:path";
import { FrameloomError } from "@frameloom/shared-helpers";
import { ServerErrors } from "../compile/errors.js";
import { libFile } from "../compile/cdnScripts.js";
import { bundledFontDir, isBundledFontFile } from "../compile/fonts.js";

export interface FileServerOptions {
  /** Directory served (the project directory). */
  root: string;
  /** Entry path relative to root, URL form (`index.html`, `scenes/a.html`). */
  entryUrlPath: string;
  /** Served instead of the entry file's bytes. */
  entryHtml: string;
}

export interface FileServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** `<origin>/<entryUrlPath>` */
  entryUrl: string;
  close(): Promise<void>;
}

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".mov": "video/quicktime",
  ".mp3": "audio/mpeg",
  ".wav": "audio/wav",
  ".m4a": "audio/mp4",
  ".aac": "audio/aac",
  ".ogg": "audio/ogg",
};

export function contentType(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/**
 * Splits the raw request path into decoded segments; null when it tries to leave the root
 * (`..` in any form, encoded separators, NUL, absolute-form or drive paths).
 */
export function safeSegments(rawUrl: string): string[] | null {
  if (!rawUrl.startsWith("/") || rawUrl.startsWith("//")) return null;
  const rawPath = rawUrl.replace(/[?#].*$/s, "");
  const segments: string[] = [];
  for (const raw of rawPath.split("/").slice(1)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === "" || segment === ".") continue;
    if (segment === ".." || /[\\/\0]/.test(segment) || /^[a-zA-Z]:/.test(segment)) return null;
    segments.push(segment);
  }
  return segments;
}

interface ByteRange {
  start: number;
  end: number;
}

/** Parses a single `bytes=` range; "unsatisfiable" when it cannot be served, null when absent/ignored. */
function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null; // multi-range or malformed: serve the whole file
  const [, from, to] = match;
  if (from === "" && to === "") return null;
  let start: number;
  let end: number;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(from);
    end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}

/** A reserved path's file (fonts, CDN libraries); null when there is none. */
function reservedFile(segments: string[], root: string): string | null {
  if (segments[0] === "fonts" && segments.length === 3) {
    const [, slug, file] = segments as [string, string, string];
    const dir = isBundledFontFile(slug, file) ? bundledFontDir(slug) : null;
    return dir ? path.join(dir, "files", file) : null;
  }
  if (segments[0] === "lib") return libFile(segments.slice(1), root);
  return null;
}

export async function startFileServer(options: FileServerOptions): Promise<FileServer> {
  let root: string;
  try {
    root = await realpath(path.resolve(options.root));
    if (!(await stat(root)).isDirectory()) throw new Error("not a directory");
  } catch (cause) {
    throw new FrameloomError(ServerErrors.ROOT_INVALID, `cannot serve ${options.root}: not a readable directory`, { cause });
  }
  const entrySegments = safeSegments(`/${options.entryUrlPath}`) ?? [];
  const entryKey = entrySegments.join("/");
  const entryBody = Buffer.from(options.entryHtml, "utf8");

  const send = (res: http.ServerResponse, status: number, message: string): void => {
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(message) });
    res.end(message);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return send(res, 405, "method not allowed");
    }
    const segments = safeSegments(req.url ?? "");
    if (segments === null) return send(res, 403, "forbidden");
    const key = segments.join("/");
    if (key === entryKey || (key === "" && entryKey !== "")) {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": entryBody.length, "Cache-Control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : entryBody);
      return;
    }
    const reserved = segments[0] === "__frameloom" ? reservedFile(segments.slice(1), root) : undefined;
    if (reserved === null) return send(res, 404, "not found");
    const candidate = reserved ?? path.join(root, ...segments);
    if (reserved === undefined && !isInside(root, candidate)) return send(res, 403, "forbidden");
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      return send(res, 404, "not found");
    }
    if (reserved === undefined && !isInside(root, real)) return send(res, 403, "forbidden");
    const info = await stat(real).catch(() => null);
    if (!info || !info.isFile()) return send(res, 404, "not found");

    const headers: http.OutgoingHttpHeaders = {
      "Content-Type": contentType(real),
      "Accept-Ranges": "bytes",
      "Cache-Control": "no-cache",
      "Last-Modified": info.mtime.toUTCString(),
    };
    const range = parseRange(req.headers.range, info.size);
    if (range === "unsatisfiable") {
      res.writeHead(416, { ...headers, "Content-Range": `bytes */${info.size}`, "Content-Length": 0 });
      res.end();
      return;
    }
    const start = range ? range.start : 0;
    const end = range ? range.end : info.size - 1;
    const length = info.size === 0 ? 0 : end - start + 1;
    if (range) headers["Content-Range"] = `bytes ${start}-${end}/${info.size}`;
    headers["Content-Length"] = length;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === "HEAD" || length === 0) {
      res.end();
      return;
    }
    const stream = createReadStream(real, { start, end });
    stream.on("error", () => res.destroy());
    res.on("close", () => stream.destroy());
    stream.pipe(res);
  };

  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, "internal error");
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (cause: Error): void =>
      reject(new FrameloomError(ServerErrors.LISTEN_FAILED, `file server could not listen on 127.0.0.1: ${cause.message}`, { cause }));
    server.once("error", onError);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", onError);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;

  let closing: Promise<void> | null = null;
  return {
    origin,
    entryUrl: `${origin}/${options.entryUrlPath}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections?.();
      });
      return closing;
    },
  };
}

/**
 * Loading sub-composition files (COMPOSITION.md §2.4 "Path resolution"): `data-composition-src` is
 * resolved from the project root at any depth; the file must lie in the project (its real path
 * too), exist, hold text, and parse. A missing, empty or unparsable file is a bad reference; the
 * compiler lists every one before failing.
 */
import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { parse } from "parse5";
import type { DefaultTreeAdapterMap } from "parse5";

export type Document = DefaultTreeAdapterMap["document"];

/** Largest sub-composition file read (32 MiB). */
export const MAX_COMPOSITION_FILE_BYTES = 32 * 1024 * 1024;

export type Loaded = { ok: true; file: string; text: string } | { ok: false; reason: string };

export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The absolute path a `data-composition-src` names (always from the project root), or why it names none. */
export function resolveCompositionSrc(src: string, projectDir: string): { ok: true; file: string } | { ok: false; reason: string } {
  const text = src.trim();
  if (text === "") return { ok: false, reason: "the attribute is empty" };
  if (/^[a-z][a-z0-9+.-]*:/i.test(text) || text.startsWith("//")) {
    return { ok: false, reason: "only project paths are loaded (not URLs); put the file in the project" };
  }
  const pathname = safeDecode(text.replace(/[?#].*$/s, "")).replace(/\\/g, "/").replace(/^\/+/, "");
  if (pathname === "") return { ok: false, reason: "names no file" };
  const file = path.resolve(projectDir, pathname);
  if (!isInside(projectDir, file)) return { ok: false, reason: `points outside the project (${file}); paths are resolved from the project root` };
  return { ok: true, file };
}

/** Reads and checks one composition file (results cached by path by the caller). */
export async function loadCompositionFile(file: string, projectDir: string): Promise<Loaded> {
  const info = await stat(file).catch(() => null);
  if (!info) return { ok: false, reason: `file not found: ${file}` };
  if (!info.isFile()) return { ok: false, reason: `not a file: ${file}` };
  const real = await realpath(file).catch(() => file);
  if (!isInside(projectDir, real)) return { ok: false, reason: `${file} resolves (through a symlink) to ${real}, outside the project` };
  if (info.size > MAX_COMPOSITION_FILE_BYTES) return { ok: false, reason: `${file} is ${info.size} bytes, over the ${MAX_COMPOSITION_FILE_BYTES}-byte limit` };
  let bytes: Buffer;
  try {
    bytes = await readFile(real);
  } catch (cause) {
    return { ok: false, reason: `cannot read ${file} (${cause instanceof Error ? cause.message : String(cause)})` };
  }
  if (bytes.toString("utf8").replace(/^\uFEFF/, "").trim() === "") return { ok: false, reason: `the file is empty: ${file}` };
  if (bytes.includes(0)) return { ok: false, reason: `unparsable: ${file} holds binary data (NUL bytes), not HTML` };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, reason: `unparsable: ${file} is not UTF-8 text` };
  }
  let cutOff: string | null = null;
  parse(text, {
    onParseError: (error) => {
      if (cutOff === null && error.code.startsWith("eof-in-")) cutOff = `${error.code} at line ${error.startLine}, column ${error.startCol}`;
    },
  });
  if (cutOff !== null) return { ok: false, reason: `unparsable: ${file} ends inside its markup (${cutOff})` };
  return { ok: true, file: real, text };
}

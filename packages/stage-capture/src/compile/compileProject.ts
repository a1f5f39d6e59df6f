/**
 * compile: reads a project (directory or .html file), wraps fragments, finds the root composition,
 * reads size / fps / duration statically (COMPOSITION.md §1, §3.2) and collects local media
 * (media.ts; timing references in timing.ts; parse5 helpers in tree.ts). Sub-compositions
 * (`data-composition-src`, `<template id="X-template">`) are inlined into one document (nested.ts,
 * §2.4) and variables resolved and applied (variables.ts, §2.5) before size, fps and duration are read;
 * a first `<script>` in `<head>` gives the page `__hfVariables`, `__hfVariablesByComp` and the
 * sub-composition script scopes (scriptScope.ts).
 */
import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { defaultTreeAdapter, html as htmlNs, parse, serialize } from "parse5";
import { FrameloomError, parseFps, type Composition, type Fps } from "@frameloom/shared-helpers";
import { CompileErrors } from "./errors.js";
import { localiseCdnScripts } from "./cdnScripts.js";
import { resolveDocumentFonts, type FontResolution } from "./fonts.js";
import { collectMedia } from "./media.js";
import { mountCompositions, type Instance } from "./nested.js";
import { preludeScript } from "./scriptScope.js";
import { ROOT_DURATION_ATTRIBUTES } from "./timingRules.js";
import { StaticTiming } from "./timing.js";
import { allElements, attr, describe, toNumber, type Element, type Node } from "./tree.js";
import { VariableIssues, resolveDocumentVariables, type VariableScope, type VariableValues } from "./variables.js";

export { attr } from "./tree.js";


export interface CompiledProject extends Omit<Composition, "durationSec" | "totalFrames"> {
  /** From root data-duration (else data-composition-duration); null when the page must be probed (§3.2 step 2). */
  durationSec: number | null;
  /** Non-fatal findings (defaulted size, unresolved references, …). */
  warnings: string[];
}

export interface CompileOptions {
  /** Overrides the root's `data-fps`. */
  fps?: Fps;
  /** Top-level variable overrides (`--variables`), over the root's declared defaults (§2.5). */
  variables?: VariableValues;
  /** Undeclared names, type mismatches and enum values outside `options` fail instead of warning. */
  strictVariables?: boolean;
  /** Unresolved font families and CDN scripts without a local copy fail instead of warning (`--strict`). */
  strict?: boolean;
  /** Receives what each font family the document names resolved to (fonts.ts). */
  onFonts?(fonts: FontResolution[]): void;
}

/** The reset a fragment gets when it is wrapped into a full document (§1). */
export const FRAGMENT_RESET =
  '*{margin:0;padding:0;box-sizing:border-box}body{overflow:hidden;background:#000;font-family:"Inter",sans-serif}';

const DEFAULT_WIDTH = 1080;
const DEFAULT_HEIGHT = 1920;
/** Largest width / height (8K per side): bigger frames would be allocated before anything could fail. */
export const MAX_SIZE = 8192;
/** Longest composition: 4 h (14 400 s; 432 000 frames at 30 fps, 3 456 000 at 240). */
export const MAX_DURATION_SEC = 4 * 60 * 60;

export async function compileProject(input: string, options: CompileOptions = {}): Promise<CompiledProject> {
  const { projectDir, entryFile } = await resolveEntry(input);
  let source: string;
  try {
    source = await readFile(entryFile, "utf8");
  } catch (cause) {
    throw new FrameloomError(CompileErrors.ENTRY_UNREADABLE, `cannot read entry file ${entryFile}`, { cause });
  }
  const warnings: string[] = [];
  const html = isFullDocument(source) ? source : wrapFragment(source);
  const document = parse(html);
  const authored = allElements(document);

  const withId = authored.filter((el) => attr(el, "data-composition-id") !== null);
  const root = withId.find((el) => attr(el, "data-root") === "true") ?? withId[0];
  if (!root) {
    throw new FrameloomError(
      CompileErrors.NO_COMPOSITION,
      `${entryFile} has no composition root: add data-composition-id="<id>" to the root element ` +
        `(with data-width, data-height and data-duration)`,
    );
  }
  const id = attr(root, "data-composition-id") ?? "";

  // Sub-compositions first: a root that mounts its content from a file takes that file's size (§2.4).
  const mounted = await mountCompositions(document, entryFile, projectDir, warnings);
  const elements = allElements(document);
  const issues = new VariableIssues(options.strictVariables ?? false, warnings);
  const entryName = path.basename(entryFile);
  const htmlElement = elements.find((el) => el.tagName === "html") ?? null;
  const variables = resolveDocumentVariables(
    elements.find((el) => el.tagName === "body") ?? document,
    root,
    [htmlElement ? attr(htmlElement, "data-composition-variables") : null, attr(root, "data-composition-variables")],
    options.variables,
    variableScopes(elements, root, mounted.instances, projectDir),
    entryName,
    issues,
  );
  issues.throwIfStrict();
  if (mounted.instances.length > 0 || Object.keys(variables.top).length > 0 || Object.keys(variables.byComp).length > 0) {
    injectPrelude(document, preludeScript(variables.top, variables.byComp, mounted.instances));
  }

  localiseCdnScripts(document, { projectDir, strict: options.strict ?? false, warnings });
  const fonts = resolveDocumentFonts(document, { projectDir, entryFile, strict: options.strict ?? false, warnings, fileOf: (el) => mounted.origin.get(el) });
  options.onFonts?.(fonts);

  const width = readSize(root, "data-width", DEFAULT_WIDTH, entryFile, warnings);
  const height = readSize(root, "data-height", DEFAULT_HEIGHT, entryFile, warnings);
  const fps = options.fps ?? readFps(root, entryFile);
  const durationSec = readDuration(root, entryFile);

  const timing = new StaticTiming(elements, warnings);
  const media = await collectMedia(elements, timing, projectDir, entryFile, {
    root,
    fileOf: (el) => mounted.origin.get(el),
  });

  return {
    id,
    projectDir,
    entryFile,
    entryUrlPath: path.relative(projectDir, entryFile).split(path.sep).map(encodeURIComponent).join("/"),
    html: serialize(document),
    width,
    height,
    fps,
    durationSec,
    media,
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Variables and the prelude

/** Compositions with their own variable values: every mounted instance, and inline hosts declaring or receiving values. */
function variableScopes(elements: Element[], root: Element, instances: Instance[], projectDir: string): VariableScope[] {
  const scopes: VariableScope[] = instances.map((i) => ({
    host: i.host,
    rid: i.rid,
    declarations: [i.htmlVariables, attr(i.innerRoot, "data-composition-variables"), attr(i.host, "data-composition-variables")],
    where: `${path.relative(projectDir, i.file) || path.basename(i.file)} (mounted as "${i.rid}")`,
  }));
  const mountedHosts = new Set(instances.map((i) => i.host));
  for (const el of elements) {
    const rid = attr(el, "data-composition-id");
    if (rid === null || el === root || mountedHosts.has(el)) continue;
    if (attr(el, "data-variable-values") === null && attr(el, "data-composition-variables") === null) continue;
    scopes.push({ host: el, rid, declarations: [attr(el, "data-composition-variables")], where: `${describe(el)} (composition "${rid}")` });
  }
  return scopes;
}

/** The prelude goes first in `<head>` (after `<meta charset>`), before any page script. */
function injectPrelude(document: Node, text: string): void {
  const head = allElements(document).find((el) => el.tagName === "head");
  if (!head) return;
  const script = defaultTreeAdapter.createElement("script", htmlNs.NS.HTML, [{ name: "data-hf-prelude", value: "" }]);
  defaultTreeAdapter.insertText(script, text);
  const charset = head.childNodes.find((n) => "tagName" in n && n.tagName === "meta" && (attr(n, "charset") !== null || /content-type/i.test(attr(n, "http-equiv") ?? "")));
  const after = charset ? head.childNodes[head.childNodes.indexOf(charset) + 1] : head.childNodes[0];
  if (after) defaultTreeAdapter.insertBefore(head, script, after);
  else defaultTreeAdapter.appendChild(head, script);
}

// ---------------------------------------------------------------------------------------------
// Entry

async function resolveEntry(input: string): Promise<{ projectDir: string; entryFile: string }> {
  const absolute = path.resolve(input);
  const info = await stat(absolute).catch(() => null);
  if (!info) {
    throw new FrameloomError(CompileErrors.ENTRY_MISSING, `composition entry not found: ${absolute} does not exist`);
  }
  let entry = absolute;
  if (info.isDirectory()) {
    entry = path.join(absolute, "index.html");
    const entryInfo = await stat(entry).catch(() => null);
    if (!entryInfo) {
      throw new FrameloomError(
        CompileErrors.ENTRY_MISSING,
        `composition entry not found: ${entry} does not exist (a project directory needs an index.html, or pass the .html file)`,
      );
    }
    if (!entryInfo.isFile()) {
      throw new FrameloomError(CompileErrors.ENTRY_NOT_FILE, `composition entry ${entry} is not a file`);
    }
  } else if (!info.isFile()) {
    throw new FrameloomError(CompileErrors.ENTRY_NOT_FILE, `composition entry ${absolute} is neither a file nor a directory`);
  }
  const entryFile = await realpath(entry);
  return { projectDir: path.dirname(entryFile), entryFile };
}

export function isFullDocument(source: string): boolean {
  const text = source.replace(/^\uFEFF/, "").replace(/^(\s*<!--[\s\S]*?-->)+/, "");
  return /^\s*(<!doctype\s+html|<html[\s>])/i.test(text);
}

function wrapFragment(fragment: string): string {
  return (
    `<!doctype html>\n<html><head><meta charset="utf-8"><style>${FRAGMENT_RESET}</style></head>` +
    `<body>\n${fragment}\n</body></html>\n`
  );
}

// ---------------------------------------------------------------------------------------------
// Root attributes

function readSize(root: Element, name: string, fallback: number, file: string, warnings: string[]): number {
  const raw = attr(root, name);
  if (raw === null) {
    warnings.push(`${file}: root has no ${name}; using ${fallback} (default 1080x1920)`);
    return fallback;
  }
  const text = raw.trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || value <= 0 || value > MAX_SIZE) {
    throw new FrameloomError(
      CompileErrors.BAD_SIZE,
      `${name}="${raw}" on the root composition in ${file} must be an integer between 1 and ${MAX_SIZE} (CSS px; the limit is 8K per side)`,
    );
  }
  return value;
}

function readFps(root: Element, file: string): Fps {
  const raw = attr(root, "data-fps");
  if (raw === null) return { num: 30, den: 1 };
  try {
    return parseFps(raw);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new FrameloomError(CompileErrors.BAD_FPS, `data-fps="${raw}" on the root composition in ${file} is invalid: ${reason}`, {
      cause,
    });
  }
}

function readDuration(root: Element, file: string): number | null {
  for (const name of ROOT_DURATION_ATTRIBUTES) {
    const raw = attr(root, name);
    if (raw === null) continue;
    const value = toNumber(raw);
    if (value === null || value <= 0) {
      throw new FrameloomError(
        CompileErrors.BAD_DURATION,
        `${name}="${raw}" on the root composition in ${file} must be a number of seconds greater than 0 ` +
          `(or remove it to infer the duration from the page)`,
      );
    }
    assertDurationLimit(value, `${name}="${raw}" on the root composition in ${file}`);
    return value;
  }
  return null;
}

/**
 * Refuses a duration over 4 h before any frame is counted or allocated (FLM_ERR_COMPILE_BAD_DURATION);
 * `what` names where it came from (the attribute, or the page's timeline when it was probed).
 */
export function assertDurationLimit(durationSec: number, what: string): void {
  if (durationSec > MAX_DURATION_SEC) {
    throw new FrameloomError(
      CompileErrors.BAD_DURATION,
      `${what} is longer than the limit of 4 h (${MAX_DURATION_SEC} s); split it into shorter compositions`,
    );
  }
}

/**
 * Composition variables (COMPOSITION.md §2.5): declarations (`data-composition-variables`), values
 * (declared defaults ⊕ overrides: `--variables` at the top level, a host's `data-variable-values`
 * per sub-composition instance; later wins) and their static application into the compiled
 * document: `data-var-text` (the element's own text nodes), `data-var-src` (`src` of
 * img/video/audio/source, safe protocols only) and a CSS custom property `--id` per scalar on each
 * composition root. Strict mode turns undeclared names, type mismatches and enum values outside
 * `options` into one error naming every problem; otherwise they are warnings and the value passes.
 */
import { defaultTreeAdapter } from "parse5";
import { FrameloomError } from "@frameloom/shared-helpers";
import { CompileErrors } from "./errors.js";
import { attr, childrenOf, isElement, setAttr, type Element, type Node } from "./tree.js";

export type VariableValues = Record<string, unknown>;

export interface VariableDeclaration {
  id: string;
  type: string;
  default?: unknown;
  options?: unknown[];
}

const TYPES = new Set(["string", "number", "color", "boolean", "enum", "font", "image"]);

/** Collects variable problems: warnings, or (strict) one error at the end listing all of them. */
export class VariableIssues {
  readonly problems: string[] = [];
  constructor(
    readonly strict: boolean,
    private readonly warnings: string[],
  ) {}
  /** A problem strict mode refuses. */
  add(message: string): void {
    this.problems.push(message);
    if (!this.strict) this.warnings.push(message);
  }
  /** A finding that is never fatal. */
  warn(message: string): void {
    this.warnings.push(message);
  }
  throwIfStrict(): void {
    if (this.strict && this.problems.length > 0) {
      throw new FrameloomError(
        CompileErrors.VARIABLES_INVALID,
        `--strict-variables: ${this.problems.length} variable problem(s): ${this.problems.join("; ")}`,
        { details: { problems: [...this.problems] } },
      );
    }
  }
}

/** Parses one `data-composition-variables` attribute (`where` names the element and file). */
export function readDeclarations(raw: string | null, where: string, issues: VariableIssues): VariableDeclaration[] {
  if (raw === null || raw.trim() === "") return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch (cause) {
    issues.add(`${where}: data-composition-variables is not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`);
    return [];
  }
  if (!Array.isArray(list)) {
    issues.add(`${where}: data-composition-variables must be a JSON array of {"id","type","default",…}`);
    return [];
  }
  const out: VariableDeclaration[] = [];
  for (const item of list) {
    if (!item || typeof item !== "object" || typeof (item as { id?: unknown }).id !== "string") {
      issues.add(`${where}: data-composition-variables entry ${JSON.stringify(item)} has no string "id"`);
      continue;
    }
    const decl = item as VariableDeclaration;
    if (!TYPES.has(decl.type)) issues.warn(`${where}: variable "${decl.id}" has unknown type ${JSON.stringify(decl.type)} (known: ${[...TYPES].join(", ")})`);
    out.push(decl);
  }
  return out;
}

/** Declarations merged by id, later lists win (`<html>` first, then the composition root). */
export function mergeDeclarations(...lists: VariableDeclaration[][]): VariableDeclaration[] {
  const byId = new Map<string, VariableDeclaration>();
  for (const list of lists) for (const d of list) byId.set(d.id, d);
  return [...byId.values()];
}

const COLOR = /^(#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})|(rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(.*\)|[a-z]+)$/i;

function optionValues(options: unknown[] | undefined): unknown[] {
  return (options ?? []).map((o) => (o && typeof o === "object" && "value" in o ? (o as { value: unknown }).value : o));
}

/** Why `value` does not fit `decl` (null when it does). */
export function typeMismatch(decl: VariableDeclaration, value: unknown): string | null {
  const got = `${value === null ? "null" : Array.isArray(value) ? "array" : typeof value} ${JSON.stringify(value)}`;
  switch (decl.type) {
    case "string":
      return typeof value === "string" ? null : `expected a string, got ${got}`;
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? null : `expected a number, got ${got}`;
    case "boolean":
      return typeof value === "boolean" ? null : `expected a boolean, got ${got}`;
    case "color":
      return typeof value === "string" && COLOR.test(value.trim()) ? null : `expected a CSS colour string, got ${got}`;
    case "enum": {
      const allowed = optionValues(decl.options);
      return allowed.some((v) => v === value) ? null : `expected one of ${JSON.stringify(allowed)}, got ${got}`;
    }
    case "font":
      return typeof value === "string" || (value !== null && typeof value === "object" && typeof (value as { name?: unknown }).name === "string")
        ? null
        : `expected a font name or {"name","source"}, got ${got}`;
    case "image":
      return typeof value === "string" || (value !== null && typeof value === "object" && typeof (value as { url?: unknown }).url === "string")
        ? null
        : `expected an image URL or {"url"}, got ${got}`;
    default:
      return null;
  }
}

/** Declared defaults ⊕ overrides, checking the overrides against the declarations (`source` names where they came from). */
export function resolveValues(
  declarations: VariableDeclaration[],
  overrides: VariableValues | undefined,
  source: string,
  issues: VariableIssues,
): VariableValues {
  const values: VariableValues = {};
  const byId = new Map(declarations.map((d) => [d.id, d]));
  for (const d of declarations) if (Object.prototype.hasOwnProperty.call(d, "default")) values[d.id] = d.default;
  for (const [id, value] of Object.entries(overrides ?? {})) {
    const decl = byId.get(id);
    if (!decl) {
      const known = declarations.map((d) => d.id);
      issues.add(`${source}: variable "${id}" is not declared (${known.length ? `declared: ${known.join(", ")}` : "nothing is declared"})`);
    } else {
      const mismatch = typeMismatch(decl, value);
      if (mismatch) issues.add(`${source}: variable "${id}" is declared as ${decl.type}: ${mismatch}`);
    }
    values[id] = value;
  }
  return values;
}

/** Parses a host's `data-variable-values` JSON object. */
export function readInstanceValues(raw: string | null, where: string, issues: VariableIssues): VariableValues | undefined {
  if (raw === null || raw.trim() === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as VariableValues;
  } catch (cause) {
    issues.add(`${where}: data-variable-values is not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`);
    return undefined;
  }
  issues.add(`${where}: data-variable-values must be a JSON object`);
  return undefined;
}

/** The text a value shows as (font → its name, image → its URL). */
export function displayValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "object") {
    const v = value as { name?: unknown; url?: unknown };
    if (typeof v.name === "string") return v.name;
    if (typeof v.url === "string") return v.url;
  }
  return null;
}

const SAFE_URL = /^(https?:|data:(image|video|audio)\/|blob:)/i;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const SRC_TAGS = new Set(["img", "video", "audio", "source"]);

/** Whether a `data-var-src` URL may be used: http(s), data:image|video|audio, blob, or a path. */
export function isSafeUrl(url: string): boolean {
  const text = url.trim().replace(/[\p{Cc}\s]+/gu, "");
  if (text === "") return false;
  return SAFE_URL.test(text) || (!SCHEME.test(text) && !text.startsWith("//"));
}

/** A CSS custom property value: `; { } < >` and newlines stripped (§2.5). */
export function cssValue(value: string): string {
  return value.replace(/[;{}<>\r\n]/g, "");
}

/** Appends `--id: value` for every scalar (and a font's name) to the element's inline style. */
export function setCustomProperties(el: Element, values: VariableValues): void {
  const decls: string[] = [];
  for (const [id, value] of Object.entries(values)) {
    if (!/^[A-Za-z0-9_-]+$/.test(id)) continue;
    let text: string | null = null;
    if (typeof value === "string") text = value;
    else if (typeof value === "number" && Number.isFinite(value)) text = String(value);
    else if (typeof value === "boolean") text = String(value);
    else if (value && typeof value === "object" && typeof (value as { name?: unknown }).name === "string") text = (value as { name: string }).name;
    if (text === null) continue;
    decls.push(`--${id}: ${cssValue(text)}`);
  }
  if (decls.length === 0) return;
  const style = (attr(el, "style") ?? "").trim();
  setAttr(el, "style", `${style}${style && !style.endsWith(";") ? ";" : ""}${style ? " " : ""}${decls.join("; ")}`);
}

/** Replaces the element's own text node(s) with `text` (child elements stay). */
function setOwnText(el: Element, text: string): void {
  if (el.tagName === "template") return;
  const texts = el.childNodes.filter((c) => c.nodeName === "#text");
  const node = defaultTreeAdapter.createTextNode(text);
  if (texts.length === 0) defaultTreeAdapter.appendChild(el, node);
  else defaultTreeAdapter.insertBefore(el, node, texts[0]!);
  for (const t of texts) defaultTreeAdapter.detachNode(t);
}

/**
 * Applies `data-var-text` / `data-var-src` below `container` (not inside nested scopes: `isScope`
 * stops the walk) with `values`; `where` names the composition for warnings.
 */
export function applyVariables(
  container: Node,
  values: VariableValues,
  where: string,
  issues: VariableIssues,
  isScope: (el: Element) => boolean,
): void {
  const visit = (node: Node): void => {
    for (const child of childrenOf(node)) {
      if (!isElement(child)) continue;
      if (isScope(child)) continue;
      applyToElement(child, values, where, issues);
      if (child.tagName !== "template") visit(child);
    }
  };
  visit(container);
}

/** `data-var-text` / `data-var-src` of one element. */
export function applyToElement(el: Element, values: VariableValues, where: string, issues: VariableIssues): void {
  const textId = attr(el, "data-var-text");
  if (textId !== null) {
    const text = Object.prototype.hasOwnProperty.call(values, textId) ? displayValue(values[textId]) : null;
    if (text === null) issues.warn(`${where}: data-var-text="${textId}" on <${el.tagName}> has no value (declare the variable with a default)`);
    else setOwnText(el, text);
  }
  const srcId = attr(el, "data-var-src");
  if (srcId !== null) {
    const url = Object.prototype.hasOwnProperty.call(values, srcId) ? displayValue(values[srcId]) : null;
    if (!SRC_TAGS.has(el.tagName)) issues.warn(`${where}: data-var-src="${srcId}" on <${el.tagName}> is ignored (only img, video, audio and source take it)`);
    else if (url === null) issues.warn(`${where}: data-var-src="${srcId}" on <${el.tagName}> has no value (declare the variable with a default)`);
    else if (!isSafeUrl(url)) issues.warn(`${where}: data-var-src="${srcId}" value ${JSON.stringify(url)} is refused (only http, https, data:image|video|audio, blob and project paths)`);
    else setAttr(el, "src", url.trim());
  }
}

/** What the compiled document's variables resolve to: the top level, and each scoped composition by runtime id. */
export interface DocumentVariables {
  top: VariableValues;
  byComp: Record<string, VariableValues>;
}

/** A composition that gets its own values: a mounted instance, or an inline host declaring or receiving values. */
export interface VariableScope {
  host: Element;
  rid: string;
  /** Declaration attributes, earliest first (a file's `<html>`, its inner root, the host). */
  declarations: (string | null)[];
  /** Names the composition in messages. */
  where: string;
}

/**
 * Resolves every composition's values, applies them to the document (text, src, custom properties)
 * and returns them for the page (`__hfVariables`, `__hfVariablesByComp`).
 */
export function resolveDocumentVariables(
  body: Node,
  root: Element,
  topDeclarations: (string | null)[],
  overrides: VariableValues | undefined,
  scopes: VariableScope[],
  entryName: string,
  issues: VariableIssues,
): DocumentVariables {
  const topDecls = mergeDeclarations(...topDeclarations.map((raw) => readDeclarations(raw, entryName, issues)));
  const top = resolveValues(topDecls, overrides, "--variables", issues);
  const byComp: Record<string, VariableValues> = {};
  const byHost = new Map<Element, { values: VariableValues; where: string }>();
  for (const scope of scopes) {
    const decls = mergeDeclarations(...scope.declarations.map((raw) => readDeclarations(raw, scope.where, issues)));
    const given = readInstanceValues(attr(scope.host, "data-variable-values"), scope.where, issues);
    const values = resolveValues(decls, given, `${scope.where} data-variable-values`, issues);
    byComp[scope.rid] = values;
    byHost.set(scope.host, { values, where: scope.where });
  }
  const visit = (node: Node, values: VariableValues, where: string): void => {
    for (const child of childrenOf(node)) {
      if (!isElement(child) || child.tagName === "template") continue;
      applyToElement(child, values, where, issues);
      const scoped = byHost.get(child);
      if (scoped) {
        setCustomProperties(child, scoped.values);
        visit(child, scoped.values, scoped.where);
      } else visit(child, values, where);
    }
  };
  setCustomProperties(root, top);
  visit(body, top, entryName);
  return { top, byComp };
}

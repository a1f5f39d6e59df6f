/** parse5 tree helpers shared by the compile modules. */
import type { DefaultTreeAdapterMap } from "parse5";

export type Node = DefaultTreeAdapterMap["node"];
export type Element = DefaultTreeAdapterMap["element"];

export function isElement(node: Node): node is Element {
  return "tagName" in node;
}

export function childrenOf(node: Node): Node[] {
  if ("content" in node && node.nodeName === "template") return (node as DefaultTreeAdapterMap["template"]).content.childNodes;
  return "childNodes" in node ? (node.childNodes as Node[]) : [];
}

export function allElements(root: Node): Element[] {
  const out: Element[] = [];
  const walk = (node: Node): void => {
    for (const child of childrenOf(node)) {
      if (isElement(child)) {
        out.push(child);
        // <template> content is inert: not part of the rendered document.
        if (child.nodeName !== "template") walk(child);
      }
    }
  };
  walk(root);
  return out;
}

export function attr(el: Element, name: string): string | null {
  const found = el.attrs.find((a) => a.name === name);
  return found ? found.value : null;
}

export function setAttr(el: Element, name: string, value: string): void {
  const found = el.attrs.find((a) => a.name === name);
  if (found) found.value = value;
  else el.attrs.push({ name, value });
}

export function parentElement(el: Element): Element | null {
  const parent = el.parentNode;
  return parent && isElement(parent as Node) ? (parent as Element) : null;
}

export function describe(el: Element): string {
  const id = attr(el, "id");
  const src = attr(el, "src");
  return `<${el.tagName}${id ? ` id="${id}"` : ""}${src ? ` src="${src}"` : ""}>`;
}

/** `Number()` after trimming; "" and "1.5s" are not numbers (§2). The page runtime applies the same rule (timingRules.ts). */
export { toNumber } from "./timingRules.js";

export function removeAttr(el: Element, name: string): void {
  el.attrs = el.attrs.filter((a) => a.name !== name);
}

/** Appends CSS declarations to the element's inline style. */
export function appendStyle(el: Element, declarations: string): void {
  const style = (attr(el, "style") ?? "").trim();
  setAttr(el, "style", style === "" ? declarations : `${style}${style.endsWith(";") ? "" : ";"} ${declarations}`);
}

/** Whether `node` is `ancestor` or lies below it. */
export function isWithin(node: Node, ancestor: Node): boolean {
  for (let n: Node | null = node; n; n = (n as { parentNode?: Node | null }).parentNode ?? null) if (n === ancestor) return true;
  return false;
}

/** The text content of an element's text children (a `<script>` or `<style>`). */
export function ownText(el: Element): string {
  return el.childNodes.map((c) => (c.nodeName === "#text" ? (c as { value: string }).value : "")).join("");
}

import { describe, expect, it } from "vitest";
import { rewriteCssUrls, scopeCss, scopeSelector, type CssScope } from "./cssScope.js";

const scope: CssScope = { scope: '[data-composition-id="card__hf1"]', fileId: "card", innerId: "croot", ids: { v: "v__hf1" } };
const S = scope.scope;

describe("scopeSelector", () => {
  it.each([
    [".title", `${S} .title`],
    ["*", `${S} *`],
    ["div > p + span ~ em", `${S} div > p + span ~ em`],
    ["html", S],
    ["body", S],
    [":root", S],
    ["html body .x", `${S} .x`],
    ["body > .x", `${S} > .x`],
    ["body.dark .x", `${S}.dark .x`],
    ['[data-composition-id="card"] .t', `${S} > [data-hf-inner-root] .t`],
    ["[data-composition-id='card']", `${S} > [data-hf-inner-root]`],
    ['[data-composition-id="other"] .t', `${S} [data-composition-id="other"] .t`],
    ["#croot > p", `${S} > [data-hf-authored-id="croot"] > p`],
    ["#v", `${S} #v__hf1`],
    ["#w", `${S} #w`],
    [".a:not(.b, .c)", `${S} .a:not(.b, .c)`],
    ['a[href="x y"]', `${S} a[href="x y"]`],
    [".md\\:flex", `${S} .md\\:flex`],
    ["li:nth-child(2n+1)", `${S} li:nth-child(2n+1)`],
    ["::selection", `${S} ::selection`],
  ])("%s", (input, expected) => {
    expect(scopeSelector(input, scope)).toBe(expected);
  });
});

describe("scopeCss", () => {
  it("scopes every selector of a list, inside grouping rules, and leaves keyframes, font-face and comments alone", () => {
    const css = `/* c { } */ html, body { margin: 0 } .a, .b > i { color: red }
@media (min-width: 10px) { .m { top: 0 } @supports (display: grid) { .g { display: grid } } }
@keyframes k { from { opacity: 0 } to { opacity: 1 } }
@font-face { font-family: X; src: url(x.woff2) }
@import "y.css";
.s::after { content: "}{" }`;
    expect(scopeCss(css, scope)).toBe(`/* c { } */ ${S}, ${S} { margin: 0 } ${S} .a, ${S} .b > i { color: red }
@media (min-width: 10px) { ${S} .m { top: 0 } @supports (display: grid) { ${S} .g { display: grid } } }
@keyframes k { from { opacity: 0 } to { opacity: 1 } }
@font-face { font-family: X; src: url(x.woff2) }
@import "y.css";
${S} .s::after { content: "}{" }`);
  });

  it("leaves nested rules inside a style rule relative to it", () => {
    expect(scopeCss(".card { color: red; & .t { top: 0 } .u { left: 0 } }", scope)).toBe(`${S} .card { color: red; & .t { top: 0 } .u { left: 0 } }`);
  });

  it("survives unterminated input", () => {
    expect(scopeCss(".a { color: red", scope)).toBe(`${S} .a { color: red}`);
  });
});

describe("rewriteCssUrls", () => {
  it("rewrites url() (quoted or not) and @import, nothing else", () => {
    const out = rewriteCssUrls(`a{background:url(a.png)} b{background:url("b c.png")} c{background:url('c.png')} @import "d.css"; e{content:"url"}`, (u) => `X/${u}`);
    expect(out).toBe(`a{background:url(X/a.png)} b{background:url("X/b c.png")} c{background:url('X/c.png')} @import "X/d.css"; e{content:"url"}`);
  });
});

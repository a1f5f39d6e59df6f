#!/usr/bin/env node
// Fails when a package imports a Frameloom package the design forbids (DESIGN.md):
// shared-helpers imports none of ours; kernel and every stage import shared-helpers only; the CLI
// may import all. Checks package.json dependencies and every import in src/.
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const allowed = (name) => {
  if (name === "shared-helpers") return new Set();
  if (name === "cli") return null; // any
  return new Set(["@frameloom/shared-helpers"]);
};
const files = (dir) =>
  readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : f.endsWith(".ts") && !f.endsWith(".test.ts") ? [p] : [];
  });
const problems = [];
for (const name of readdirSync(path.join(root, "packages"))) {
  const dir = path.join(root, "packages", name);
  const ok = allowed(name);
  if (ok === null) continue;
  const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    if (dep.startsWith("@frameloom/") && !ok.has(dep)) problems.push(`packages/${name}/package.json depends on ${dep}`);
  }
  for (const file of files(path.join(dir, "src"))) {
    for (const m of readFileSync(file, "utf8").matchAll(/from\s+["'](@frameloom\/[\w-]+)/g)) {
      if (!ok.has(m[1])) problems.push(`${path.relative(root, file)} imports ${m[1]}`);
    }
  }
}
if (problems.length) {
  console.error(`forbidden imports (see DESIGN.md):\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("imports: ok (shared-helpers imports none of ours; kernel and stages import shared-helpers only)");

#!/usr/bin/env node
// The `frameloom` command as npm links it (node_modules/.bin/frameloom, `npx frameloom`). This file
// is committed so the link exists right after `npm ci`, before anything is built; the command
// itself is dist/bin.js, made by `npm run build`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/bin.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('frameloom: not built yet: run "npm run build" in the repository first (packages/cli/dist/bin.js is missing)\n');
  process.exit(1);
}
await import(entry.href);

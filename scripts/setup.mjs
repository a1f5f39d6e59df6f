#!/usr/bin/env node
// One-step set-up for a fresh Debian/Ubuntu machine: the build toolchain (cmake, g++) for the
// HDR addon, the build itself, then `frameloom doctor --fix` for Chromium, ffmpeg and fonts.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
const step = (label, cmd, args, env = {}) => {
  process.stderr.write(`setup: ${label}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", ...env } });
  if (r.status !== 0) {
    process.stderr.write(`setup: "${label}" failed (exit ${r.status}). See the output above.\n`);
    process.exit(r.status ?? 1);
  }
};

// The addon's build, and its leak lane (valgrind runs in the tests).
const toolchain = [
  ["cmake", "cmake"],
  ["g++", "g++"],
  ["make", "make"],
  ["valgrind", "valgrind"],
  // The distributed engine's tests start their own redis-server on a free loopback port.
  ["redis-server", "redis-server"],
];
const missing = toolchain.filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg);
if (missing.length) {
  const isRoot = process.getuid?.() === 0;
  if (isRoot && has("apt-get")) {
    step("apt-get update", "apt-get", ["update", "-qq"]);
    step(`install ${missing.join(" ")}`, "apt-get", ["install", "-y", "-qq", ...missing], { DEBIAN_FRONTEND: "noninteractive" });
    // Debian's package starts a system Redis on 6379; nothing here uses it, so it is not left running.
    if (missing.includes("redis-server")) spawnSync("sh", ["-c", "service redis-server stop; systemctl disable --now redis-server"], { stdio: "ignore" });
  } else {
    process.stderr.write(`setup: missing ${missing.join(", ")}; install them (sudo apt-get install -y ${missing.join(" ")}) and run again\n`);
    process.exit(1);
  }
}
const nodedir = existsSync("/usr/include/node/node.h") ? { npm_config_nodedir: "/usr" } : {};
step("build (turbo)", "npx", ["turbo", "run", "build"], nodedir);
step("doctor --fix", process.execPath, [path.join(root, "packages/cli/dist/bin.js"), "doctor", "--fix"]);


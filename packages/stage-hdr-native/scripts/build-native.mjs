#!/usr/bin/env node
// Builds the C++ addon in <repo>/native with cmake-js into <package>/build. Offline: Node-API headers come
// from node-api-headers / node-addon-api (and npm_config_nodedir=/usr when the system has Node headers).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoDir = path.resolve(pkgDir, "../..");
const nativeDir = path.join(repoDir, "native");
const require = createRequire(path.join(pkgDir, "package.json"));

function fail(message) {
  console.error(`\n[stage-hdr-native] ${message}\n`);
  process.exit(1);
}

function onPath(cmd) {
  const r = spawnSync(cmd, ["--version"], { stdio: "ignore" });
  return !r.error && r.status === 0;
}

const missing = [];
if (!onPath("cmake")) missing.push("cmake");
const cxx = process.env.CXX || ["c++", "g++", "clang++"].find(onPath);
if (!cxx || (process.env.CXX && !onPath(process.env.CXX))) missing.push("a C++17 compiler (g++ or clang++)");
if (missing.length > 0) {
  fail(
    `cannot build the HDR addon: ${missing.join(" and ")} not found on PATH. ` +
      "Install them (Debian/Ubuntu: `apt-get install cmake g++`; macOS: `xcode-select --install && brew install cmake`) " +
      "and run `npm run build` again.",
  );
}

let cmakeJs;
try {
  cmakeJs = path.join(path.dirname(require.resolve("cmake-js/package.json")), "bin", "cmake-js");
  require.resolve("node-addon-api");
} catch {
  fail("cmake-js or node-addon-api is not installed: run `npm ci` at the repository root.");
}

const env = { ...process.env };
if (!env.npm_config_nodedir && existsSync("/usr/include/node/node.h")) env.npm_config_nodedir = "/usr";

const args = [
  cmakeJs,
  "build",
  "--directory",
  nativeDir,
  "--out",
  path.join(pkgDir, "build"),
  "--CDFLM_PLATFORM_ARCH=" + `${process.platform}-${process.arch}`,
  "--log-level",
  "warn",
];
if (process.env.FLM_SANITIZE) args.push("--CDFLM_SANITIZE=ON", "--config", "RelWithDebInfo");
const r = spawnSync(process.execPath, args, { stdio: "inherit", env, cwd: pkgDir });
if (r.error || r.status !== 0) {
  fail(
    `cmake-js failed to build ${nativeDir} (exit ${r.status ?? r.error?.message}). ` +
      "Check the compiler output above; `rm -rf packages/stage-hdr-native/build` and retry for a clean build.",
  );
}

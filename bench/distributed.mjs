#!/usr/bin/env node
// Distributed rendering (issue 10): one plan, rendered by 1, 2 and 3 local `frameloom worker`
// processes through a redis-server of its own, against a local `frameloom render` of the same
// project, all in this run. Prints wall time and speed-up per worker count, the planning overhead
// (`frameloom plan`) and the assembly overhead (the assemble job, from the workers' logs), in seconds.
// On 2 cores expect little speed-up: the point is that it scales where cores exist.
// Every worker count renders into its own storage (no segment is re-used across counts).
// Usage: node bench/distributed.mjs [--project DIR] [--chunk-size 30] [--workers 1,2,3]
// The last line printed is one JSON object.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runDistributed, sharedDirectoryStorage } from "@frameloom/distributed";
import { startRedis } from "@frameloom/distributed/testRedis";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(REPO, "packages/cli/dist/bin.js");
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const project = path.resolve(opt("--project", path.join(REPO, "examples/hello")));
const chunkSize = Number(opt("--chunk-size", "30"));
const counts = opt("--workers", "1,2,3").split(",").map(Number);

const work = mkdtempSync(path.join(tmpdir(), "frameloom-bench-distributed-"));
const children = new Set();
let redis = null;
const cleanup = async () => {
  for (const c of children) c.kill("SIGKILL");
  await redis?.stop().catch(() => {});
  rmSync(work, { recursive: true, force: true });
};
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => void cleanup().finally(() => process.exit(130)));

const seconds = (ms) => Math.round(ms / 10) / 100;
const cli = (argv) => {
  const t0 = performance.now();
  const out = execFileSync(process.execPath, [BIN, ...argv, "--json"], { stdio: ["ignore", "pipe", "inherit"] }).toString();
  return { ms: performance.now() - t0, json: JSON.parse(out.trim().split("\n").at(-1)) };
};

try {
  console.log(`distributed bench: ${project}, chunks of ${chunkSize}, workers ${counts.join("/")}; ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}`);
  redis = await startRedis({ own: true });

  const local = cli(["render", project, "-o", path.join(work, "local.mp4"), "--quiet"]);
  console.log(`local render: ${seconds(local.ms)} s (${local.json.frames} frames)`);

  const planDir = path.join(work, "plan");
  const planned = cli(["plan", project, "-o", planDir, "--chunk-size", String(chunkSize)]);
  console.log(`plan: ${seconds(planned.ms)} s wall (${planned.json.planMs} ms in the kernel), ${planned.json.chunks} chunks`);
  const manifest = JSON.parse(readFileSync(path.join(planDir, "manifest.json"), "utf8"));

  const rows = [];
  for (const n of counts) {
    const root = path.join(work, `storage-${n}`);
    const queue = `bench-${process.pid}-${n}`;
    const logs = [];
    const workers = Array.from({ length: n }, () => {
      const child = spawn(process.execPath, [BIN, "worker", "--redis", redis.url, "--storage", root, "--queue", queue], { stdio: ["ignore", "ignore", "pipe"] });
      child.stderr.on("data", (d) => logs.push(...d.toString().split("\n").filter(Boolean)));
      children.add(child);
      return child;
    });
    const t0 = performance.now();
    const result = await runDistributed({
      redisUrl: redis.url,
      queue,
      planDir,
      planHash: manifest.planHash,
      chunks: manifest.chunks,
      segmentExt: "mp4",
      storage: sharedDirectoryStorage(root),
      outputPath: path.join(root, "out.mp4"),
      totalFrames: planned.json.frames,
    });
    const wall = performance.now() - t0;
    const assembleLine = logs.find((l) => l.startsWith("worker: assemble-done"));
    const assembleSec = assembleLine ? Number(/in ([\d.]+) s/.exec(assembleLine)?.[1]) : null;
    for (const c of workers) {
      c.kill("SIGTERM");
      children.delete(c);
    }
    await Promise.all(workers.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once("exit", r)))));
    rows.push({ workers: n, wallSec: seconds(wall), chunksRendered: result.chunksRendered, assembleSec });
    console.log(`${n} worker(s): ${seconds(wall)} s for ${result.chunksRendered} chunks (assembly ${assembleSec} s)`);
  }

  const base = rows[0]?.wallSec ?? null;
  console.log("\nworkers | wall s | × 1 worker | × local render (plan included)");
  for (const r of rows) {
    const withPlan = r.wallSec + seconds(planned.ms);
    console.log(`${String(r.workers).padStart(7)} | ${r.wallSec.toFixed(2).padStart(6)} | ${(base / r.wallSec).toFixed(2).padStart(10)} | ${(seconds(local.ms) / withPlan).toFixed(2)}`);
  }
  console.log(
    JSON.stringify({
      bench: "distributed",
      project,
      frames: planned.json.frames,
      chunkSize,
      cores: cpus().length,
      localSec: seconds(local.ms),
      planSec: seconds(planned.ms),
      rows: rows.map((r) => ({ ...r, speedup: base ? Math.round((base / r.wallSec) * 100) / 100 : null })),
    }),
  );
} finally {
  await cleanup();
}

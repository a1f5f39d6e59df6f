import { spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { ProcessTreeSampler, parseProcStat, withProcessTreeSampler } from "./processTree.js";

const MB = 1024 * 1024;

describe("parseProcStat", () => {
  it("reads the fields after a command name holding spaces and parentheses", () => {
    const line =
      "4242 (Web Content (x) 2) S 4200 4242 4200 0 -1 4194560 500 0 0 0 123 45 0 0 20 0 7 0 99887 734003200 51200 18446744073709551615 0 0 0";
    expect(parseProcStat(line)).toEqual({
      pid: 4242,
      comm: "Web Content (x) 2",
      state: "S",
      ppid: 4200,
      utime: 123,
      stime: 45,
      starttime: 99887,
      rss: 51200,
    });
  });

  it("refuses truncated or malformed lines", () => {
    expect(parseProcStat("")).toBeNull();
    expect(parseProcStat("12 (x) S 1 2 3")).toBeNull();
    expect(parseProcStat("abc (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 1 1 1")).toBeNull();
  });
});

/**
 * A child that allocates `childMb`, spawns a grandchild allocating `grandMb`, both burn ~300 ms of CPU,
 * then the child prints "ready" and both sleep until killed.
 */
function spawnTree(childMb: number, grandMb: number) {
  const grand = `const b=Buffer.alloc(${grandMb}*1024*1024,1);const t=process.cpuUsage();while(process.cpuUsage(t).user<300000){}setInterval(()=>b[0]++,1000);process.stdout.write("g");`;
  const child = `
    const { spawn } = require("node:child_process");
    const b = Buffer.alloc(${childMb} * 1024 * 1024, 1);
    const t = process.cpuUsage(); while (process.cpuUsage(t).user < 300000) {}
    const g = spawn(process.execPath, ["-e", ${JSON.stringify(grand)}], { stdio: ["ignore", "pipe", "inherit"] });
    g.stdout.once("data", () => process.stdout.write("ready\\n"));
    process.on("SIGTERM", () => { g.once("exit", () => process.exit(0)); g.kill("SIGKILL"); });
    setInterval(() => b[0]++, 1000);`;
  return spawn(process.execPath, ["-e", child], { stdio: ["ignore", "pipe", "inherit"] });
}

describe.skipIf(process.platform !== "linux")("ProcessTreeSampler on real processes", () => {
  it("sums RSS and CPU over a child and a grandchild, and keeps the CPU of those that exited", async () => {
    const sampler = new ProcessTreeSampler({ intervalMs: 50 });
    sampler.start();
    const before = sampler.sample();
    const child = spawnTree(160, 100);
    try {
      await once(child.stdout!, "data");
      await sleep(300); // a few samples with both alive
      const during = sampler.sample();
      expect(during.processes).toBeGreaterThanOrEqual(before.processes + 2);
      expect(during.rssBytes - before.rssBytes).toBeGreaterThan(230 * MB);
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
    await sleep(150);
    const after = sampler.sample();
    expect(after.processes).toBe(before.processes);
    const usage = sampler.stop();
    expect(usage.supported).toBe(true);
    expect(usage.descendantsSeen).toBeGreaterThanOrEqual(2);
    expect(usage.peakRssBytes - before.rssBytes).toBeGreaterThan(230 * MB);
    expect(usage.peakProcesses).toBeGreaterThanOrEqual(before.processes + 2);
    // 2 × 300 ms burnt; a little may fall after the last sample.
    expect(usage.cpu.descendantsMs).toBeGreaterThan(500);
    expect(usage.cpu.descendantsMs).toBeLessThan(5000);
    expect(usage.cpu.totalMs).toBeCloseTo(usage.cpu.selfMs + usage.cpu.descendantsMs, 0);
  });

  it("does not count processes that existed before start() as CPU of the window", async () => {
    const busy = spawn(process.execPath, ["-e", "const t=process.cpuUsage();while(process.cpuUsage(t).user<300000){}process.stdout.write('x');setInterval(()=>{},1000)"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await once(busy.stdout!, "data");
      const { usage } = await withProcessTreeSampler(() => sleep(200), { intervalMs: 50 });
      expect(usage.descendantsSeen).toBeGreaterThanOrEqual(1);
      expect(usage.cpu.descendantsMs).toBeLessThan(150);
      expect(usage.samples).toBeGreaterThanOrEqual(3);
    } finally {
      busy.kill("SIGKILL");
      await once(busy, "exit");
    }
  });
});

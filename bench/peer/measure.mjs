// Runs one command under the CPU-time meter (bench/peer/reaper.c, or /usr/bin/time) and reads
// ffprobe / ffmpeg facts about the outputs.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";

let current = null;
let stopped = false;

/**
 * From now on no command starts; the one in flight, if any, gets SIGTERM (the reaper then kills its
 * whole tree) and is waited for (at most 15 s).
 */
export async function stopAll() {
  stopped = true;
  const child = current;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("close", resolve));
  child.kill("SIGTERM");
  await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 15000).unref())]);
}

/**
 * Runs argv with env/cwd, stdout+stderr into logFile, under `meter`, killed after timeoutS.
 * Resolves { wallS, cpuS, userS, sysS, exit, timedOut, leftover, processes }.
 */
export function measured(meter, argv, { env, cwd, logFile, timeoutS, resultFile }) {
  if (stopped) return new Promise(() => {}); // stopping: the signal handler ends the process
  rmSync(resultFile, { force: true });
  const full = meter.kind === "reaper"
    ? [meter.path, resultFile, String(timeoutS), ...argv]
    : [meter.path, "-q", "-f", "%e %U %S", "-o", resultFile, "timeout", "-k", "10", String(timeoutS), ...argv];
  const fd = openSync(logFile, "w");
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(full[0], full.slice(1), { env, cwd, stdio: ["ignore", fd, fd] });
    current = child;
    child.on("error", (e) => {
      closeSync(fd);
      reject(e);
    });
    child.on("close", (code) => {
      closeSync(fd);
      current = null;
      const jsWallS = (performance.now() - started) / 1000;
      const text = existsSync(resultFile) ? readFileSync(resultFile, "utf8").trim() : "";
      if (meter.kind === "reaper") {
        const r = text ? JSON.parse(text) : { wall_s: jsWallS, user_s: NaN, sys_s: NaN, exit: code, timed_out: false, leftover: 0, processes: 0 };
        resolve({ wallS: r.wall_s, cpuS: r.user_s + r.sys_s, userS: r.user_s, sysS: r.sys_s, exit: r.signal ? 128 + r.signal : r.exit, timedOut: r.timed_out, leftover: r.leftover, processes: r.processes });
      } else {
        const [wall, user, sys] = (text.split("\n").at(-1) ?? "").split(" ").map(Number);
        resolve({ wallS: wall || jsWallS, cpuS: user + sys, userS: user, sysS: sys, exit: code, timedOut: code === 124, leftover: null, processes: null });
      }
    });
  });
}

/** { frames, codec, pixFmt, width, height, transfer } of the first video stream, or null. */
export function probe(ffprobe, file) {
  if (!existsSync(file)) return null;
  const r = spawnSync(ffprobe, ["-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
    "stream=codec_name,pix_fmt,width,height,color_transfer,nb_read_packets", "-of", "json", file], { encoding: "utf8" });
  const s = r.status === 0 ? JSON.parse(r.stdout).streams?.[0] : null;
  if (!s) return null;
  return { frames: Number(s.nb_read_packets), codec: s.codec_name, pixFmt: s.pix_fmt, width: s.width, height: s.height, transfer: s.color_transfer ?? null };
}

/**
 * PSNR (dB, ffmpeg's psnr filter, average over all frames and the Y/U/V planes) of b against a,
 * compared in the outputs' own YUV (10-bit when either is 10-bit), timestamps rebased to 0.
 * Returns { db, minDb } (minDb: the worst frame's) or { error }.
 */
export function psnr(ffmpeg, a, b, { tenBit }) {
  const fmt = tenBit ? "yuv420p10le" : "yuv420p";
  const graph = `[0:v]setpts=PTS-STARTPTS,format=${fmt}[a];[1:v]setpts=PTS-STARTPTS,format=${fmt}[b];[a][b]psnr=shortest=1`;
  const r = spawnSync(ffmpeg, ["-hide_banner", "-nostats", "-i", a, "-i", b, "-lavfi", graph, "-an", "-f", "null", "-"], { encoding: "utf8" });
  const m = /PSNR y:\S+ u:\S+ v:\S+ average:(\S+) min:(\S+)/.exec(r.stderr);
  if (r.status !== 0 || !m) return { error: (r.stderr || "").trim().split("\n").slice(-2).join(" ").slice(0, 300) };
  const db = (s) => (s === "inf" ? Infinity : Number(s));
  return { db: db(m[1]), minDb: db(m[2]) };
}

/** Audio checks on decoded output: samples, correlation, the largest sample step (a click). */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The decoded audio of a file: mono float samples at 48 kHz. */
export async function samples(file: string): Promise<Float32Array> {
  const { stdout } = await run("ffmpeg", ["-v", "error", "-i", file, "-vn", "-ac", "1", "-ar", "48000", "-f", "f32le", "-"], {
    encoding: "buffer",
    maxBuffer: 1 << 28,
  });
  const buf = stdout as unknown as Buffer;
  return new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
}

/** Normalised correlation of two signals over their common length. */
export function correlation(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

/** The largest sample-to-sample step of `x` within [from, to) samples. */
export function maxStep(x: Float32Array, from = 1, to = x.length): number {
  let m = 0;
  for (let i = Math.max(1, Math.floor(from)); i < Math.min(Math.ceil(to), x.length); i++) m = Math.max(m, Math.abs(x[i]! - x[i - 1]!));
  return m;
}

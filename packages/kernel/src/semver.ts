/** The stage API version this kernel implements; stages declare a range for it in `meta.kernel`. */
export const KERNEL_API_VERSION = "1.0.0";

type Triple = [number, number, number];

function parse(version: string): Triple | null {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function cmp(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Minimal range check: `*`, exact `1.2.3`, `^1.2.3`, `~1.2.3`, `>=1.2.3`. Enough for stage meta. */
export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  if (!v) return false;
  const r = range.trim();
  if (r === "*" || r === "") return true;
  const op = /^(\^|~|>=)?(.*)$/.exec(r)!;
  const base = parse(op[2] ?? "");
  if (!base) return false;
  switch (op[1]) {
    case "^":
      return cmp(v, base) >= 0 && (base[0] > 0 ? v[0] === base[0] : v[0] === 0 && v[1] === base[1]);
    case "~":
      return cmp(v, base) >= 0 && v[0] === base[0] && v[1] === base[1];
    case ">=":
      return cmp(v, base) >= 0;
    default:
      return cmp(v, base) === 0;
  }
}

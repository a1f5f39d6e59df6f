/**
 * Reading a plan directory (see planDir.ts for the layout and how it is written): `readPlanDir`
 * checks versions, the manifest's shape, plan.json and the plan hash, then the files the plan
 * names; `materialiseProject` builds a worker's project tree with only what a chunk needs.
 */
import { constants as fsConstants } from "node:fs";
import { copyFile, link, mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { FrameloomError, errorMessage, mediaWindowIn, type FrameRange, type RenderPlan } from "@frameloom/shared-helpers";
import { PlanDirErrors } from "./errors.js";
import {
  HASH,
  PARALLEL,
  PLAN_DIR_VERSION,
  computePlanHash,
  eachLimit,
  frameloomVersion,
  fsReason,
  isErrno,
  isSafeUrlPath,
  planAudioPath,
  unreadable,
  writeFailed,
  type PlanManifest,
} from "./planDir.js";

async function readJson(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw unreadable(file, fsReason(err), err);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw unreadable(file, `it is not valid JSON (${errorMessage(err)})`, err);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw unreadable(file, "it is not a JSON object");
  return value as Record<string, unknown>;
}

/** The manifest's shape, checked field by field: a worker creates files from its keys. */
function manifestProblem(m: Record<string, unknown>): string | null {
  if (typeof m.planHash !== "string" || typeof m.createdAt !== "string") return "planHash or createdAt is missing";
  if (m.assets === null || typeof m.assets !== "object") return "assets is not an object";
  for (const [key, a] of Object.entries(m.assets as Record<string, { hash?: unknown; size?: unknown }>)) {
    if (!isSafeUrlPath(key)) return `asset path "${key}" is not a path inside the project`;
    const valid = typeof a?.hash === "string" && HASH.test(a.hash) && Number.isInteger(a.size) && (a.size as number) >= 0;
    if (!valid) return `asset "${key}" has no valid hash and size`;
  }
  const audio = m.audio as { hash?: unknown; durationSec?: unknown } | null | undefined;
  const audioValid = audio === null || (typeof audio?.hash === "string" && HASH.test(audio.hash) && typeof audio.durationSec === "number");
  if (!audioValid) return "audio is malformed";
  const chunks = m.chunks as { from?: unknown; to?: unknown }[];
  const isRange = (ch: { from?: unknown; to?: unknown }): boolean =>
    Number.isInteger(ch?.from) && Number.isInteger(ch?.to) && (ch.from as number) < (ch.to as number);
  if (!Array.isArray(chunks) || !chunks.every(isRange)) return "chunks is not a list of frame ranges";
  return null;
}

/** Every path plan.json names (entry, media, audio tracks), for checks against the asset table. */
function namedPaths(plan: RenderPlan): string[] {
  return [plan.composition.entryFile, ...plan.composition.media.map((m) => m.path), ...plan.audio.map((t) => t.path)];
}

/**
 * Reads a plan directory written by writePlanDir: refuses another Frameloom version
 * (FLM_ERR_PLAN_VERSION), a dir, manifest, plan.json or asset it cannot read (FLM_ERR_PLAN_UNREADABLE)
 * and contents that no longer match planHash (FLM_ERR_PLAN_HASH_MISMATCH). The plan keeps its
 * project-relative paths; materialiseProject makes them absolute.
 */
export async function readPlanDir(dir: string): Promise<{ plan: RenderPlan; manifest: PlanManifest }> {
  const root = path.resolve(dir);
  let st;
  try {
    st = await stat(root);
  } catch (err) {
    throw unreadable(root, fsReason(err), err);
  }
  if (!st.isDirectory()) throw unreadable(root, "it is not a directory");
  const raw = await readJson(path.join(root, "manifest.json"));
  // Versions first: another version's manifest may have another shape.
  if (raw.planDirVersion !== PLAN_DIR_VERSION) {
    throw new FrameloomError(
      PlanDirErrors.VERSION,
      `plan directory ${root} has layout version ${String(raw.planDirVersion)}; ` +
        `Frameloom ${frameloomVersion()} reads version ${PLAN_DIR_VERSION}: plan it again`,
      { details: { found: raw.planDirVersion, expected: PLAN_DIR_VERSION } },
    );
  }
  if (raw.frameloomVersion !== frameloomVersion()) {
    throw new FrameloomError(
      PlanDirErrors.VERSION,
      `plan directory ${root} was written by Frameloom ${String(raw.frameloomVersion)}, this is Frameloom ${frameloomVersion()}: ` +
        `render it with Frameloom ${String(raw.frameloomVersion)}, or plan it again with this one`,
      { details: { found: raw.frameloomVersion, expected: frameloomVersion() } },
    );
  }
  const problem = manifestProblem(raw);
  if (problem) throw unreadable(path.join(root, "manifest.json"), `it is not a plan manifest: ${problem}`);
  const manifest = raw as unknown as PlanManifest;
  const planFile = path.join(root, "plan.json");
  const plan = (await readJson(planFile)) as unknown as RenderPlan;
  if (computePlanHash(plan, manifest) !== manifest.planHash) {
    throw new FrameloomError(
      PlanDirErrors.HASH_MISMATCH,
      `plan directory ${root} was changed after it was written (plan.json or manifest.json no longer match its planHash): plan it again`,
      { details: { path: root } },
    );
  }
  if (plan.planVersion !== 1) {
    throw new FrameloomError(PlanDirErrors.VERSION, `${planFile} holds plan version ${String(plan.planVersion)}; this Frameloom reads version 1`);
  }
  let named: string[];
  try {
    named = namedPaths(plan);
  } catch (err) {
    throw unreadable(planFile, "it is not a render plan", err);
  }
  for (const p of named) {
    if (!Object.hasOwn(manifest.assets, p)) throw unreadable(planFile, `it names ${p}, which is not among the plan's assets`);
  }
  const checks: [string, number | null][] = Object.values(manifest.assets).map((a) => [path.join(root, "assets", a.hash), a.size]);
  if (manifest.audio) checks.push([planAudioPath(root, manifest.audio.hash), null]);
  await eachLimit(checks, PARALLEL * 4, async ([file, size]) => {
    // A stat per file: full re-hashing would read every video on every worker start.
    const s = await stat(file).catch((err: unknown) => {
      throw unreadable(file, fsReason(err), err);
    });
    if (!s.isFile()) throw unreadable(file, "it is not a regular file");
    if (size !== null && s.size !== size) throw unreadable(file, `it holds ${s.size} bytes, the manifest lists ${size}`);
  });
  return { plan, manifest };
}

/**
 * Builds, under `workDir`, the project tree one chunk renders from: every asset that is not a media
 * file, plus the media files whose window meets the chunk's frames (hard links into assets/, else
 * copies). Returns the plan with projectDir, entryFile and media paths absolute in that tree (media
 * left out have paths there too, but no file); audio tracks point at their assets in the plan dir.
 */
export async function materialiseProject(o: {
  dir: string;
  plan: RenderPlan;
  manifest: PlanManifest;
  chunk: FrameRange;
  workDir: string;
}): Promise<{ plan: RenderPlan; projectDir: string }> {
  const { plan, manifest, chunk } = o;
  const root = path.resolve(o.dir);
  const c = plan.composition;
  const whole = Number.isInteger(chunk.from) && Number.isInteger(chunk.to);
  if (!whole || chunk.from >= chunk.to || chunk.from < plan.range.from || chunk.to > plan.range.to) {
    throw new FrameloomError(
      PlanDirErrors.CHUNK_INVALID,
      `chunk [${chunk.from}, ${chunk.to}) is not a frame range inside the plan's [${plan.range.from}, ${plan.range.to})`,
    );
  }
  const asset = (key: string): { hash: string; size: number } => {
    const a = Object.hasOwn(manifest.assets, key) && isSafeUrlPath(key) ? manifest.assets[key] : undefined;
    if (!a || !HASH.test(a.hash)) throw unreadable(path.join(root, "plan.json"), `it names ${key}, which is not among the plan's assets`);
    return a;
  };
  for (const p of namedPaths(plan)) asset(p);
  const fps = c.fps.num / c.fps.den;
  const media = new Set(c.media.map((m) => m.path));
  // The chunk's last frame sits at to − 1/fps: testing up to `to` errs towards an extra file, never a missing one.
  const needed = new Set(c.media.filter((m) => mediaWindowIn(m, chunk.from / fps, chunk.to / fps) !== null).map((m) => m.path));
  const keys = Object.keys(manifest.assets).filter((k) => !media.has(k) || needed.has(k));
  for (const k of keys) asset(k);

  let tree: string;
  try {
    await mkdir(o.workDir, { recursive: true });
    tree = await mkdtemp(path.join(path.resolve(o.workDir), `project-${chunk.from}-${chunk.to}-`));
  } catch (err) {
    throw writeFailed(o.workDir, err);
  }
  const inTree = (key: string): string => path.join(tree, ...key.split("/"));
  try {
    await eachLimit(keys, PARALLEL, async (key) => {
      const src = path.join(root, "assets", asset(key).hash);
      const dest = inTree(key);
      try {
        await mkdir(path.dirname(dest), { recursive: true });
      } catch (err) {
        throw writeFailed(dest, err);
      }
      try {
        await link(src, dest);
      } catch {
        // Another filesystem, or links not allowed: copy instead (a missing source fails here too).
        await copyFile(src, dest, fsConstants.COPYFILE_FICLONE).catch((err: unknown) => {
          throw isErrno(err, "ENOENT") ? unreadable(src, `${fsReason(err)} (asset ${key})`, err) : writeFailed(dest, err);
        });
      }
    });
  } catch (err) {
    await rm(tree, { recursive: true, force: true });
    throw err;
  }
  const out: RenderPlan = structuredClone(plan);
  out.composition.projectDir = tree;
  out.composition.entryFile = inTree(c.entryFile);
  for (const m of out.composition.media) m.path = inTree(m.path);
  // Chunk renders do not mix audio: the tracks stay in the plan dir, for the assembler.
  for (const t of out.audio) t.path = path.join(root, "assets", asset(t.path).hash);
  return { plan: out, projectDir: tree };
}

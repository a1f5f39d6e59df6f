/**
 * The self-contained plan directory of a distributed render (`frameloom plan <project> -o <dir>`):
 * a render compiled and planned once, written so that any worker machine can render any frame
 * range of it without the planning machine's files.
 *
 * Layout:
 *   plan.json            the RenderPlan, its paths relative to the project root (URL form, `/`)
 *   manifest.json        PlanManifest: versions, planHash, the asset table, the mixed audio, chunks
 *   assets/<sha256>      the project's files, content-addressed (identical files stored once), read-only
 *   audio/<sha256>.m4a   the mixed soundtrack, already cut to the render's range
 *   segments/            empty; workers write their encoded segments here
 *
 * Hard constraints:
 * - plan.json never holds an absolute path of the planning machine (projectDir is ".").
 * - The directory appears whole or not at all: it is built in `<outDir>.partial-*` and renamed.
 * - An existing outDir is replaced only when it is a previous plan dir holding nothing but the
 *   layout above; anything else is refused (FLM_ERR_PLAN_OUTPUT_EXISTS) and left untouched.
 * - readPlanDir refuses another Frameloom version and a planHash that does not match the contents.
 */
import { createHash } from "node:crypto";
import { constants as fsConstants, createReadStream, readFileSync } from "node:fs";
import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
} from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import {
  FrameloomError,
  assertNotAborted,
  assertRange,
  chunkRange,
  errorMessage,
  rangeLength,
  type FrameRange,
  type RenderPlan,
} from "@frameloom/shared-helpers";
import { PlanDirErrors } from "./errors.js";

export const PLAN_DIR_VERSION = 1;

export interface PlanManifest {
  planDirVersion: 1;
  /** Version of @frameloom/cli that wrote the dir; a worker of another version refuses it. */
  frameloomVersion: string;
  /** sha256 over plan.json's canonical text, every asset (path, hash, size), the audio and the chunk list. */
  planHash: string;
  createdAt: string;
  /** URL path inside the project (e.g. "index.html", "img/a.png") → content hash (sha256 hex) and size. */
  assets: Record<string, { hash: string; size: number }>;
  /** The mixed soundtrack (already cut to the render's range), content hash, or null. */
  audio: { hash: string; durationSec: number } | null;
  chunks: FrameRange[];
}

/** What a previous plan dir may hold: only these entries, so replacing it never deletes a user's file. */
const LAYOUT = new Set(["plan.json", "manifest.json", "assets", "audio", "segments"]);
/** Parallel file copies / links: enough to keep a disk busy without exhausting file descriptors. */
export const PARALLEL = 8;
export const HASH = /^[0-9a-f]{64}$/;

let ownVersion: string | undefined;
export function frameloomVersion(): string {
  // ../package.json from both src/ (tests) and dist/ (installed): the CLI package's own manifest.
  ownVersion ??= (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
  return ownVersion;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

export function fsReason(err: unknown): string {
  switch ((err as NodeJS.ErrnoException | null)?.code) {
    case "ENOENT":
      return "it does not exist";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "EISDIR":
      return "it is a directory, not a file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    default:
      return errorMessage(err);
  }
}

export const isErrno = (err: unknown, ...codes: string[]): boolean => codes.includes((err as NodeJS.ErrnoException | null)?.code ?? "");

export function unreadable(where: string, why: string, cause?: unknown): FrameloomError {
  return new FrameloomError(PlanDirErrors.UNREADABLE, `cannot read plan directory: ${where}: ${why}`, { cause, details: { path: where } });
}

export function writeFailed(where: string, err: unknown): FrameloomError {
  return new FrameloomError(PlanDirErrors.WRITE_FAILED, `cannot write ${where}: ${fsReason(err)}`, {
    cause: err,
    details: { path: where },
  });
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** The real path of `p`, or of its deepest existing ancestor joined with the rest (outDir may not exist yet). */
async function realish(p: string): Promise<string> {
  const abs = path.resolve(p);
  try {
    return await realpath(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(await realish(parent), path.basename(abs));
  }
}

/** A manifest key a worker may create under its work dir: relative, `/`-separated, no `.`/`..` segment. */
export function isSafeUrlPath(p: string): boolean {
  return p !== "" && !p.includes("\\") && !p.includes("\0") && p.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

async function hashFile(file: string): Promise<{ hash: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  await pipeline(createReadStream(file), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      size += chunk.length;
      hash.update(chunk);
    }
  });
  return { hash: hash.digest("hex"), size };
}

/** Runs `fn` over `items`, `limit` at a time; after a failure no new item starts, and all running ones settle first. */
export async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}

export function computePlanHash(plan: unknown, m: Pick<PlanManifest, "assets" | "audio" | "chunks">): string {
  const h = createHash("sha256");
  h.update(`frameloom-plan-dir ${PLAN_DIR_VERSION}\nplan ${sha256(JSON.stringify(sortKeys(plan)))}\n`);
  for (const key of Object.keys(m.assets).sort()) h.update(`asset ${JSON.stringify(key)} ${m.assets[key]!.hash} ${m.assets[key]!.size}\n`);
  h.update(m.audio ? `audio ${m.audio.hash} ${m.audio.durationSec}\n` : "audio none\n");
  for (const c of m.chunks) h.update(`chunk ${c.from} ${c.to}\n`);
  return h.digest("hex");
}

/** Where a plan dir keeps its mixed soundtrack: `audio/<sha256>.m4a`. */
export const planAudioPath = (dir: string, hash: string): string => path.join(dir, "audio", `${hash}.m4a`);

/** Frame ranges of at most `chunkSize` frames covering `range` in order; the last one may be shorter. */
export function chunksFor(range: FrameRange, chunkSize: number): FrameRange[] {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new FrameloomError(PlanDirErrors.CHUNK_INVALID, `chunk size ${chunkSize} must be a whole number of frames, at least 1`);
  }
  assertRange(range);
  return chunkRange(range, chunkSize);
}

// ---------------------------------------------------------------------------------------------
// Writing

async function isPlanDir(dir: string): Promise<boolean> {
  try {
    const m = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as Record<string, unknown> | null;
    return typeof m?.planDirVersion === "number" && typeof m.planHash === "string";
  } catch {
    return false;
  }
}

/** What `outDir` is now; throws FLM_ERR_PLAN_OUTPUT_EXISTS for anything Frameloom may not replace. */
async function outDirState(outDir: string): Promise<"absent" | "empty" | "plan"> {
  const refuse = (why: string): FrameloomError =>
    new FrameloomError(PlanDirErrors.OUTPUT_EXISTS, `${outDir} ${why}: choose another plan directory, or empty this one`, {
      details: { path: outDir },
    });
  let entries: string[];
  try {
    // lstat: a symlink at outDir is refused, never followed and replaced.
    if (!(await lstat(outDir)).isDirectory()) throw refuse("exists and is not a directory");
    entries = await readdir(outDir);
  } catch (err) {
    if (err instanceof FrameloomError) throw err;
    if (isErrno(err, "ENOENT")) return "absent";
    throw writeFailed(outDir, err);
  }
  if (entries.length === 0) return "empty";
  const previous = entries.includes("manifest.json") && (await isPlanDir(outDir));
  const foreign = entries.filter((e) => !LAYOUT.has(e)).sort();
  if (previous && foreign.length === 0) return "plan";
  const list = previous ? foreign : entries.sort();
  const shown = list.slice(0, 3).join(", ") + (list.length > 3 ? ", …" : "");
  throw refuse(
    previous ? `is a plan directory that also holds other files (${shown})` : `exists and is not a Frameloom plan directory (it holds ${shown})`,
  );
}

/** Moves the finished `partial` to `outDir`, replacing a previous plan dir there (kept until the new one is in place). */
async function install(partial: string, outDir: string): Promise<void> {
  const state = await outDirState(outDir);
  try {
    // rmdir fails (ENOTEMPTY) when something was written into the empty dir meanwhile: nothing is lost.
    if (state === "empty") await rmdir(outDir);
    if (state !== "plan") return await rename(partial, outDir);
    // The previous plan dir moves aside into a fresh `.old-*` dir and is removed only once the new one is in place.
    const old = await mkdtemp(`${outDir}.old-`);
    try {
      await rename(outDir, path.join(old, "plan"));
    } catch (err) {
      await rm(old, { recursive: true, force: true });
      throw err;
    }
    try {
      await rename(partial, outDir);
    } catch (err) {
      await rename(path.join(old, "plan"), outDir);
      await rm(old, { recursive: true, force: true });
      throw err;
    }
    await rm(old, { recursive: true, force: true });
  } catch (err) {
    if (isErrno(err, "ENOTEMPTY", "EEXIST")) {
      throw new FrameloomError(PlanDirErrors.OUTPUT_EXISTS, `${outDir} was written to while the plan was being made: nothing replaced`, {
        cause: err,
      });
    }
    throw writeFailed(outDir, err);
  }
}

/**
 * Every regular file of the project (URL path → real path), sorted by path: dot-files and dot-dirs,
 * node_modules, other plan dirs and whatever `skip` names are left out; symlinks are followed only
 * when they resolve inside the project (a plan carries no file the project does not hold).
 */
async function projectFiles(root: string, skip: (real: string) => boolean, signal?: AbortSignal): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const visit = async (dir: string, prefix: string, ancestors: ReadonlySet<string>): Promise<void> => {
    assertNotAborted(signal);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new FrameloomError(PlanDirErrors.SOURCE_UNREADABLE, `cannot list ${dir} of the project: ${fsReason(err)}`, { cause: err });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      let real = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        try {
          real = await realpath(real);
        } catch {
          continue; // dangling link: nothing to carry
        }
        if (!isInside(root, real)) continue;
      } else if (!entry.isDirectory() && !entry.isFile()) continue;
      if (skip(real)) continue;
      const st = await stat(real).catch(() => null); // vanished since the listing: nothing to carry
      const urlPath = prefix + entry.name;
      if (st?.isDirectory()) {
        // ancestors: a link to a parent directory would recurse forever
        if (ancestors.has(real) || (await isPlanDir(real))) continue;
        await visit(real, `${urlPath}/`, new Set([...ancestors, real]));
      } else if (st?.isFile()) found.set(urlPath, real);
    }
  };
  await visit(root, "", new Set([root]));
  return found;
}

/** `file`'s URL path inside the project; FLM_ERR_PLAN_OUTSIDE_PROJECT when a worker could not have it. */
async function projectPath(projectDir: string, root: string, file: string, what: string): Promise<string> {
  for (const [base, p] of [
    [projectDir, path.resolve(file)],
    [root, await realish(file)],
  ] as const) {
    const rel = path.relative(base, p);
    if (rel !== "" && isInside(base, p)) return rel.split(path.sep).join("/");
  }
  throw new FrameloomError(
    PlanDirErrors.OUTSIDE_PROJECT,
    `${what} ${file} lies outside the project ${projectDir}: a worker would not have it; copy it into the project`,
    { details: { path: file } },
  );
}

/** Copies `src` into `dir` under `name(hash)`; hashes the copy, so the stored bytes are the ones named. */
async function store(src: string, dir: string, name: (hash: string) => string): Promise<{ hash: string; size: number }> {
  const cannotRead = (why: string, cause?: unknown): FrameloomError =>
    new FrameloomError(PlanDirErrors.SOURCE_UNREADABLE, `cannot read ${src}: ${why}`, { cause, details: { path: src } });
  let st;
  try {
    st = await stat(src);
  } catch (err) {
    throw cannotRead(fsReason(err), err);
  }
  if (!st.isFile()) throw cannotRead("it is not a regular file");
  const tmp = await mkdtemp(path.join(dir, ".incoming-"));
  try {
    const copy = path.join(tmp, "file");
    // A copy (a reflink where the filesystem has them), never a hard link: editing the project in
    // place later must not change a planned asset under its hash.
    await copyFile(src, copy, fsConstants.COPYFILE_FICLONE);
    const { hash, size } = await hashFile(copy);
    await chmod(copy, 0o444);
    // Identical content under the same name: replacing an earlier copy is harmless (that is the dedup).
    await rename(copy, path.join(dir, name(hash)));
    return { hash, size };
  } catch (err) {
    throw writeFailed(`${dir} (copying ${src})`, err);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Writes the plan directory for `plan` at `outDir` (see the header). `audioPath` is the mixed
 * soundtrack, already cut to `plan.range`; `audioDurationSec` defaults to the range's length.
 * `exclude` names further absolute paths to leave out of the assets (e.g. the render output).
 */
export async function writePlanDir(o: {
  plan: RenderPlan;
  audioPath: string | null;
  audioDurationSec?: number;
  chunkSize: number;
  outDir: string;
  exclude?: string[];
  signal?: AbortSignal;
}): Promise<{ dir: string; manifest: PlanManifest }> {
  const { plan, signal } = o;
  if (plan.planVersion !== 1) {
    const found = String(plan.planVersion);
    throw new FrameloomError(PlanDirErrors.VERSION, `plan version ${found} cannot be written; this Frameloom writes version 1`);
  }
  const chunks = chunksFor(plan.range, o.chunkSize);
  assertNotAborted(signal);
  const outDir = path.resolve(o.outDir);
  await outDirState(outDir); // refuse before any work; checked again at the swap
  const c = plan.composition;
  let root: string;
  try {
    root = await realpath(c.projectDir);
  } catch (err) {
    throw new FrameloomError(PlanDirErrors.SOURCE_UNREADABLE, `cannot read the project ${c.projectDir}: ${fsReason(err)}`, { cause: err });
  }
  const outReal = await realish(outDir);
  const excluded = await Promise.all((o.exclude ?? []).map(realish));
  const skip = (real: string): boolean =>
    isInside(outReal, real) ||
    real.startsWith(`${outReal}.partial-`) ||
    real.startsWith(`${outReal}.old-`) ||
    excluded.some((x) => isInside(x, real));

  try {
    await mkdir(path.dirname(outDir), { recursive: true });
  } catch (err) {
    throw writeFailed(path.dirname(outDir), err);
  }
  let partial: string;
  try {
    partial = await mkdtemp(`${outDir}.partial-`);
  } catch (err) {
    throw writeFailed(outDir, err);
  }
  try {
    const files = await projectFiles(root, skip, signal);
    // The files the plan names are carried even where the walk leaves their folder out (a dot-dir).
    const stored: RenderPlan = structuredClone(plan);
    const named = async (file: string, what: string): Promise<string> => {
      const key = await projectPath(c.projectDir, root, file, what);
      if (!files.has(key)) files.set(key, await realish(file));
      return key;
    };
    stored.composition.projectDir = ".";
    stored.composition.entryFile = await named(c.entryFile, "the entry file");
    for (const m of stored.composition.media) m.path = await named(m.path, `${m.kind} "${m.id}"`);
    for (const t of stored.audio) t.path = await named(t.path, `audio track "${t.id}"`);

    for (const sub of ["assets", "audio", "segments"]) await mkdir(path.join(partial, sub));
    const assets: PlanManifest["assets"] = {};
    await eachLimit([...files], PARALLEL, async ([key, file]) => {
      assertNotAborted(signal);
      assets[key] = await store(file, path.join(partial, "assets"), (hash) => hash);
    });
    assertNotAborted(signal);
    let audio: PlanManifest["audio"] = null;
    if (o.audioPath !== null) {
      const { hash } = await store(o.audioPath, path.join(partial, "audio"), (h) => path.basename(planAudioPath(partial, h)));
      audio = { hash, durationSec: o.audioDurationSec ?? (rangeLength(plan.range) * c.fps.den) / c.fps.num };
    }
    const sortedAssets = Object.fromEntries(Object.keys(assets).sort().map((k) => [k, assets[k]!]));
    const canonicalPlan = sortKeys(JSON.parse(JSON.stringify(stored)));
    const manifest: PlanManifest = {
      planDirVersion: PLAN_DIR_VERSION,
      frameloomVersion: frameloomVersion(),
      planHash: computePlanHash(canonicalPlan, { assets: sortedAssets, audio, chunks }),
      createdAt: new Date().toISOString(),
      assets: sortedAssets,
      audio,
      chunks,
    };
    await writeFile(path.join(partial, "plan.json"), `${JSON.stringify(canonicalPlan, null, 2)}\n`);
    await writeFile(path.join(partial, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    assertNotAborted(signal);
    await install(partial, outDir);
    return { dir: outDir, manifest };
  } finally {
    // After a successful install the partial name no longer exists; after a failure it is ours to remove.
    await rm(partial, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Reading (a worker)

export { materialiseProject, readPlanDir } from "./planDirRead.js";

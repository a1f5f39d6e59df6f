/**
 * The regression suite's quick subset (fixtures tagged "quick", test/fixtures/README.md), through the
 * runner library: every quick fixture renders, meets its expectations and matches its golden. And the
 * net can fail: a wrong expectation fails on a fresh render, another fixture's golden (same size,
 * frame count and rate) fails the comparison, a bad meta.json is refused naming file and field.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// The runner is plain ESM JavaScript (node runs it directly); these are the parts this test uses.
interface ExpectationResult {
  index: number;
  label: string;
  ok: boolean;
  detail: string;
}
interface CompareResultLike {
  pass: boolean;
  failures: string[];
  video: { minPsnr: number; meanPsnr: number; failedCheckpoints: number } | null;
}
interface Fixture {
  name: string;
  dir: string;
  metaFile: string;
  meta: { tags: string[]; minPsnr: number; expectations: Record<string, unknown>[] };
}
interface FixtureResult {
  name: string;
  pass: boolean;
  failures: string[];
  expectations: ExpectationResult[];
  compare: CompareResultLike | null;
  ms: number;
}
interface FixturesLib {
  loadFixtures(options?: { only?: string[]; quick?: boolean }): Promise<Fixture[]>;
  validateMeta(raw: unknown, file: string, dirName: string): unknown;
}
interface RunnerLib {
  runFixture(fx: Fixture, options?: { inspect?: (output: string) => Promise<void> }): Promise<FixtureResult>;
  goldenPath(fx: Fixture): string;
  compareOptions(fx: Fixture): Record<string, number>;
  loadCompare(): Promise<(a: string, b: string, options?: object) => Promise<CompareResultLike>>;
}
interface ExpectationsLib {
  checkExpectations(output: string, expectations: Record<string, unknown>[]): Promise<ExpectationResult[]>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(path.join(here, "regression", file)).href)) as T;
const { loadFixtures, validateMeta } = await load<FixturesLib>("fixtures.mjs");
const { runFixture, goldenPath, compareOptions, loadCompare } = await load<RunnerLib>("runner.mjs");
const { checkExpectations } = await load<ExpectationsLib>("expectations.mjs");

const quick = await loadFixtures({ quick: true });
/** The fixture the failure checks run on, and one with the same structure (320×180, 60 frames, 30 fps, draft) but other content. */
const PROBE = "clip-window";
const OTHER = "clip-frame-boundary";

describe("regression: quick subset", () => {
  const tempDirs: string[] = [];
  afterAll(() => {
    // Every render's temp dir (mkdtemp under os.tmpdir()) is gone once its fixture is done.
    expect(tempDirs.filter((d) => existsSync(d))).toEqual([]);
  });

  it("has quick fixtures, the probe pair among them", () => {
    expect(quick.length).toBeGreaterThanOrEqual(6);
    expect(quick.map((f) => f.name)).toContain(PROBE);
    expect(quick.map((f) => f.name)).toContain(OTHER);
  });

  for (const fx of quick) {
    if (fx.name === PROBE) continue;
    it(`${fx.name}: expectations hold and the render matches the golden`, async () => {
      const r = await runFixture(fx, { inspect: async (output) => void tempDirs.push(path.dirname(output)) });
      expect(r.failures, `${fx.name}`).toEqual([]);
      expect(r.pass).toBe(true);
      expect(r.expectations.length).toBe(fx.meta.expectations.length);
      expect(r.compare?.pass).toBe(true);
    });
  }

  it(`${PROBE}: passes, and the same render fails a wrong expectation and another fixture's golden`, async () => {
    const [fx] = quick.filter((f) => f.name === PROBE);
    const [other] = quick.filter((f) => f.name === OTHER);
    let wrong: ExpectationResult[] = [];
    let againstOther: CompareResultLike | null = null;
    let againstOwn: CompareResultLike | null = null;
    const r = await runFixture(fx!, {
      async inspect(output) {
        tempDirs.push(path.dirname(output));
        // #a (white) is visible on frame 30 and hidden on frame 29: claim the opposite, and a frame too few.
        wrong = await checkExpectations(output, [
          { frame: 30, x: 40, y: 40, rgb: "#000000" },
          { frame: 29, x: 40, y: 40, rgb: "#ffffff", tolerance: 24 },
          { frames: 59 },
          { audio: { from: 0, to: 1 }, minDb: -20 },
        ]);
        const compare = await loadCompare();
        againstOther = await compare(goldenPath(other!), output, compareOptions(fx!));
        againstOwn = await compare(goldenPath(fx!), output, compareOptions(fx!));
      },
    });
    expect(r.failures).toEqual([]);
    expect(wrong.map((e) => e.ok)).toEqual([false, false, false, false]);
    expect(wrong[0]!.detail).toMatch(/rgb \d+,\d+,\d+ vs 0,0,0/);
    expect(wrong[2]!.detail).toMatch(/frames=60 \(want 59\)/);
    expect(againstOwn!.pass).toBe(true);
    expect(againstOther!.pass, "the other fixture's golden has other content").toBe(false);
    expect(againstOther!.video!.failedCheckpoints).toBeGreaterThan(0);
    expect(againstOther!.video!.minPsnr).toBeLessThan(fx!.meta.minPsnr);
  });

  it("refuses a meta.json with a bad field, naming the file and the field", () => {
    const [fx] = quick;
    const good = { name: "x", description: "d", tags: [], minPsnr: 40, maxFrameFailures: 0, minAudioCorrelation: 0.9, maxAudioLagWindows: 5, renderConfig: {}, expectations: [{ frames: 1 }] };
    const file = path.join(fx!.dir, "meta.json");
    expect(() => validateMeta(good, file, "x")).not.toThrow();
    expect(() => validateMeta({ ...good, minPsnr: "40" }, file, "x")).toThrow(/test\/fixtures\/.+\/meta\.json: field "minPsnr"/);
    expect(() => validateMeta({ ...good, renderConfig: { fsp: 30 } }, file, "x")).toThrow(/field "renderConfig\.fsp" is not a known field/);
    expect(() => validateMeta({ ...good, expectations: [{ frame: 1, x: 0, y: 0 }] }, file, "x")).toThrow(/expectations\[0\]: a pixel expectation needs/);
    expect(() => validateMeta({ ...good, expectations: [] }, file, "x")).toThrow(/field "expectations" must be a non-empty array/);
  });
});

import { existsSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isFrameloomError } from "@frameloom/shared-helpers";
import { assertRedisReachable, DistributedErrors, runDistributed, sharedDirectoryStorage, startWorker } from "./index.js";
import { startRedis } from "./testRedis.js";

/** A port nothing listens on (bound, read, released). */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function failure(p: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const t = Date.now();
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  return { error, ms: Date.now() - t };
}

describe("Redis reachability", () => {
  it("nothing listening: assertRedisReachable, runDistributed and startWorker fail fast naming the URL", async () => {
    const url = `redis://127.0.0.1:${await deadPort()}`;
    const storage = sharedDirectoryStorage(tmpdir());
    const attempts = [
      () => assertRedisReachable(url),
      () => runDistributed({ redisUrl: url, planDir: "/p", planHash: "abc", chunks: [{ from: 0, to: 10 }], segmentExt: "mp4", storage, outputPath: "/o.mp4", totalFrames: 10 }),
      () => startWorker({ redisUrl: url, storage, handlers: { renderChunk: async () => {}, assemble: async () => {} } }),
    ];
    for (const attempt of attempts) {
      const { error, ms } = await failure(attempt());
      expect(isFrameloomError(error, DistributedErrors.REDIS_UNREACHABLE), String(error)).toBe(true);
      expect((error as Error).message).toContain(url);
      expect(ms).toBeLessThan(5000);
    }
  });

  it("a server that accepts and never answers: the error comes at the timeout (5 s by default), password hidden", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const short = await failure(assertRedisReachable(`redis://:hunter2@127.0.0.1:${port}`, 400));
      expect(isFrameloomError(short.error, DistributedErrors.REDIS_UNREACHABLE)).toBe(true);
      expect((short.error as Error).message).toContain(`127.0.0.1:${port}`);
      expect((short.error as Error).message).not.toContain("hunter2");
      expect(short.ms).toBeGreaterThanOrEqual(350);
      expect(short.ms).toBeLessThan(2000);
      const byDefault = await failure(assertRedisReachable(`redis://127.0.0.1:${port}`));
      expect(isFrameloomError(byDefault.error, DistributedErrors.REDIS_UNREACHABLE)).toBe(true);
      expect(byDefault.ms).toBeGreaterThanOrEqual(4500);
      expect(byDefault.ms).toBeLessThan(6000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it("a URL that is not redis:// is refused before connecting", async () => {
    await expect(assertRedisReachable("http://127.0.0.1:6379")).rejects.toMatchObject({ code: DistributedErrors.OPTIONS_INVALID });
  });
});

describe("startRedis (test helper)", () => {
  it("answers PING until stopped; stop removes its server and temp dir", async () => {
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith("frameloom-redis-")));
    const redis = await startRedis();
    await assertRedisReachable(redis.url, 2000);
    const mine = readdirSync(tmpdir()).filter((n) => n.startsWith("frameloom-redis-") && !before.has(n));
    await redis.stop();
    if (redis.shared) return expect(redis.url).toBe(process.env.FRAMELOOM_TEST_REDIS_URL);
    expect(mine).toHaveLength(1);
    expect(existsSync(`${tmpdir()}/${mine[0]}`)).toBe(false);
    await expect(assertRedisReachable(redis.url, 1000)).rejects.toMatchObject({ code: DistributedErrors.REDIS_UNREACHABLE });
  });
});

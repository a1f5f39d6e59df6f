import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { FrameloomError, TailBuffer, createTempDir, killTree, spawnTracked } from "@frameloom/shared-helpers";
import { DistributedErrors } from "./errors.js";
import { assertRedisReachable } from "./redis.js";

/**
 * A Redis for tests: its own redis-server on 127.0.0.1 and a free port, no persistence, in a temp
 * dir. When FRAMELOOM_TEST_REDIS_URL is set (CI starts one for the whole run) that server is used
 * and stop() leaves it running; tests then keep apart by using their own queue names.
 */
export interface TestRedis {
  url: string;
  port: number;
  /** True when this is the server named by FRAMELOOM_TEST_REDIS_URL (not ours to stop). */
  shared: boolean;
  stop(): Promise<void>;
}

function findRedisServer(): string {
  const fromEnv = process.env.REDIS_SERVER;
  if (fromEnv) return fromEnv;
  for (const dir of [...(process.env.PATH ?? "").split(path.delimiter), "/usr/bin", "/usr/local/bin", "/usr/sbin"]) {
    if (dir && existsSync(path.join(dir, "redis-server"))) return path.join(dir, "redis-server");
  }
  throw new FrameloomError(
    DistributedErrors.TEST_REDIS_START,
    "redis-server not found (REDIS_SERVER, PATH, /usr/bin): install it (apt-get install -y redis-server) or set FRAMELOOM_TEST_REDIS_URL",
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket: true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let text = "";
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => {
      text += d.toString();
      if (text.includes("\r\n")) finish(text.startsWith("+PONG"));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startOwn(bin: string): Promise<TestRedis> {
  const dir = await createTempDir("redis");
  try {
    const port = await freePort();
    const child = spawnTracked(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir.path], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = new TailBuffer(4000);
    child.stdout?.on("data", (d: Buffer) => output.push(d));
    child.stderr?.on("data", (d: Buffer) => output.push(d));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    let startError: Error | undefined;
    child.once("error", (e) => {
      startError = e;
    });
    const deadline = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (startError || child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        killTree(child);
        await exited;
        throw new FrameloomError(
          DistributedErrors.TEST_REDIS_START,
          `redis-server (${bin}) did not answer on 127.0.0.1:${port}: ${startError?.message ?? output.toString().trim().split("\n").slice(-5).join("\n")}`,
        );
      }
      await sleep(25);
    }
    let stopped: Promise<void> | undefined;
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      shared: false,
      stop() {
        stopped ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) {
            killTree(child, "SIGTERM");
            const timer = setTimeout(() => killTree(child), 5000);
            await exited;
            clearTimeout(timer);
          }
          await dir.cleanup();
        })();
        return stopped;
      },
    };
  } catch (e) {
    await dir.cleanup();
    throw e;
  }
}

/** `own: true` always starts a private server (for tests that stop it mid-run). */
export async function startRedis(options: { own?: boolean } = {}): Promise<TestRedis> {
  const shared = process.env.FRAMELOOM_TEST_REDIS_URL;
  if (shared && !options.own) {
    await assertRedisReachable(shared);
    return { url: shared, port: Number(new URL(shared).port || 6379), shared: true, stop: async () => {} };
  }
  const bin = findRedisServer();
  // The free port can be taken between probe and bind: try a few.
  let last: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      return await startOwn(bin);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

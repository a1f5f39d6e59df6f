import { Redis } from "ioredis";
import { FrameloomError, errorMessage } from "@frameloom/shared-helpers";
import { DistributedErrors } from "./errors.js";

/** BullMQ key prefix: every key this package writes starts with it, so a shared Redis shows whose keys they are. */
export const KEY_PREFIX = "frameloom";
export const DEFAULT_QUEUE = "frameloom-render";

/** The URL with any password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

export function checkRedisUrl(url: string): string {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== "redis:" && u.protocol !== "rediss:")) {
    throw new FrameloomError(DistributedErrors.OPTIONS_INVALID, `Redis URL must look like redis://host:port (or rediss://), received ${JSON.stringify(url)}`);
  }
  return url;
}

function unreachable(url: string, timeoutMs: number, reason: string, cause?: unknown): FrameloomError {
  return new FrameloomError(
    DistributedErrors.REDIS_UNREACHABLE,
    `Redis at ${redactUrl(url)} is not reachable (${reason}); start it or point --redis at a running one`,
    { cause, retryable: true, details: { url: redactUrl(url), timeoutMs } },
  );
}

/**
 * Connects, PINGs, disconnects. ioredis retries forever by default, so this one connection has no
 * retries and no offline queue, and the whole check is bounded by `timeoutMs`.
 */
export async function assertRedisReachable(url: string, timeoutMs = 5000): Promise<void> {
  checkRedisUrl(url);
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: unknown;
  // Errors also arrive as events; without a listener ioredis prints them.
  client.on("error", (e: unknown) => {
    lastError = e;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unreachable(url, timeoutMs, `no answer within ${timeoutMs} ms${lastError ? `: ${errorMessage(lastError)}` : ""}`, lastError)), timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        const pong = await client.ping();
        if (pong !== "PONG") throw new Error(`PING answered ${JSON.stringify(pong)}`);
      })(),
      timeout,
    ]);
  } catch (e) {
    if (e instanceof FrameloomError) throw e;
    throw unreachable(url, timeoutMs, errorMessage(e), e);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** Closes a BullMQ object, and force-disconnects it when a graceful close takes longer than `ms` (Redis gone). */
export async function closeWithin(target: { close(): Promise<void>; disconnect?(): Promise<void> }, ms = 3000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    target.close().then(
      () => false,
      () => false,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), ms);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) await target.disconnect?.().catch(() => {});
}

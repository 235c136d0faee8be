/**
 * @file One Redis connection (ioredis, loaded on use) for BullMQ's queues
 * and workers. The first connection is awaited with a time limit, so a
 * wrong URL or a Redis that is down fails the command at once with a clear
 * error instead of retrying silently; once up, ioredis reconnects by itself
 * (a worker outlives a Redis restart).
 */
import type { Redis } from 'ioredis';
import { optionRangeError, perceptualError } from '../errors.js';

/** How long the first connection may take. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Options of connectRedis. */
export interface RedisConnectOptions {
  /** Time limit of the first connection in ms. */
  readonly connectTimeoutMs?: number;
  /** Called with each connection error after the first connection (ioredis retries them). */
  readonly onError?: (error: Error) => void;
}

/** The URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.href;
  } catch {
    return url;
  }
}

/**
 * Connects to `url` (`redis://[[user]:password@]host[:port][/db]` or `rediss://` for TLS).
 * BullMQ needs `maxRetriesPerRequest: null` on a worker's connection, so commands wait
 * through a reconnect rather than fail.
 * @throws RangeError E_OPTIONS for a URL that is not redis:// or rediss://;
 *   PerceptualError E_IO when Redis cannot be reached in time
 */
export async function connectRedis(url: string, options: RedisConnectOptions = {}): Promise<Redis> {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') throw optionRangeError('--redis', 'a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379)', redactRedisUrl(url));
  const { Redis: RedisClient } = await import('ioredis');
  const redis = new RedisClient(url, { lazyConnect: true, maxRetriesPerRequest: null, enableReadyCheck: true });
  const limit = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let first: Error | undefined;
  const onFirstError = (error: Error): void => {
    first ??= error;
  };
  redis.on('error', onFirstError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(first ?? new Error(`no answer within ${limit} ms`)), limit);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      redis.connect().catch((error: Error) => {
        clearTimeout(timer);
        reject(first ?? error);
      });
    });
  } catch (error) {
    redis.disconnect();
    throw perceptualError('E_IO', `Cannot connect to Redis at ${redactRedisUrl(url)}: ${(error as Error).message}. Start Redis or check --redis.`, error);
  }
  redis.off('error', onFirstError);
  // Without a listener ioredis prints every reconnect error itself.
  redis.on('error', options.onError ?? (() => {}));
  return redis;
}

/**
 * @file What the `perceptual queue` subcommands share: --redis (or
 * $PERCEPTUAL_REDIS_URL) and --queue.
 */
import type { Command } from 'commander';
import { DEFAULT_QUEUE_NAME } from '../queue/image-job.js';
import type { CommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';

/** The environment variable read when --redis is absent. */
export const REDIS_URL_ENV_VAR = 'PERCEPTUAL_REDIS_URL';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Options of every queue subcommand. */
export interface QueueOptions extends CommonOptions {
  redis?: string;
  queue: string;
}

/** Adds --redis and --queue. */
export function withQueueOptions(command: Command): Command {
  // Not a commander default: --help would print a password from the environment.
  return command
    .option('--redis <url>', `Redis URL, redis://[:password@]host[:port][/db] or rediss:// (default: $${REDIS_URL_ENV_VAR}, else ${DEFAULT_REDIS_URL})`)
    .option('--queue <name>', 'BullMQ queue name', DEFAULT_QUEUE_NAME);
}

/** --redis, else the environment, else Redis on this machine. */
export function redisUrl(context: CliContext, options: QueueOptions): string {
  return options.redis ?? context.env[REDIS_URL_ENV_VAR] ?? DEFAULT_REDIS_URL;
}

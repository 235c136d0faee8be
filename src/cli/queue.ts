/**
 * @file `perceptual queue add|worker|status`: batch jobs spread over
 * processes and machines through a BullMQ queue on Redis (src/queue).
 * `add` and `worker` have their own files; `status` prints the job counts,
 * the running jobs and the failed ones with their error.
 */
import { Command } from 'commander';
import { optionRangeError } from '../errors.js';
import { commandAction, parseInteger, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';
import { addCommand } from './queue-add.js';
import { type QueueOptions, redisUrl, withQueueOptions } from './queue-options.js';
import { type QueueWorkerDependencies, workerCommand } from './queue-worker.js';

interface StatusOptions extends QueueOptions {
  json?: boolean;
  limit: number;
}

/** The `queue` command and its subcommands. */
export function queueCommand(context: CliContext, dependencies: QueueWorkerDependencies = {}): Command {
  return new Command('queue')
    .description('Batch jobs across processes and machines through a BullMQ queue on Redis: add images, run workers, watch progress and failures.')
    .addCommand(addCommand(context))
    .addCommand(workerCommand(context, dependencies))
    .addCommand(statusCommand(context));
}

function statusCommand(context: CliContext): Command {
  const command = new Command('status')
    .description('Show the queue: jobs waiting, active, delayed, completed and failed, the workers connected, the running jobs and the failed ones with their error.')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'running and failed jobs listed (the newest)', parseInteger, 20);
  return withCommonOptions(withQueueOptions(command)).action(
    commandAction(context, async (output: Output, options: StatusOptions) => {
      if (!(Number.isInteger(options.limit) && options.limit >= 0)) throw optionRangeError('--limit', 'an integer >= 0', options.limit);
      const { connectRedis, redactRedisUrl } = await import('../queue/redis-connection.js');
      const { readQueueStatus } = await import('../queue/queue-status.js');
      const url = redisUrl(context, options);
      const connection = await connectRedis(url);
      try {
        const status = await readQueueStatus(connection, options.queue, { limit: options.limit });
        if (options.json) {
          output.result(JSON.stringify(status, null, 2));
          return;
        }
        const { counts } = status;
        output.result(`queue '${status.queue}' at ${redactRedisUrl(url)}: ${status.workers ?? '?'} worker${status.workers === 1 ? '' : 's'}`);
        output.result(`waiting ${counts.waiting}  active ${counts.active}  delayed ${counts.delayed}  completed ${counts.completed}  failed ${counts.failed}`);
        for (const job of status.active) output.result(`active ${job.id} ${job.progress}% ${job.input ?? ''}${job.worker ? ` (${job.worker})` : ''}`);
        for (const job of status.failed) output.result(`failed ${job.id} ${job.input ?? ''} after ${job.attemptsMade} tr${job.attemptsMade === 1 ? 'y' : 'ies'}: ${job.error}`);
      } finally {
        connection.disconnect();
      }
    }),
  );
}

/**
 * @file `perceptual queue worker`: takes jobs from the queue (src/queue) and
 * runs each through the same pipeline as `stylize`/`upscale` (batch-run.ts
 * openPool and transformFile: the wasm worker pool, or in-process with
 * --workers 0), one pool per model it meets, until SIGINT/SIGTERM, which
 * let the running jobs finish.
 */
import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { optionRangeError } from '../errors.js';
import { jobNameOf } from '../queue/image-job.js';
import type { InferencePool } from '../serve/pool-types.js';
import { resolveModel } from '../weights/model-registry.js';
import { openPool, transformFile } from './batch-run.js';
import { commandAction, parseInteger, waitForStopSignal, webGpuInProcess, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';
import { type QueueOptions, redisUrl, withQueueOptions } from './queue-options.js';
import { styleFinish } from './stylize.js';

interface WorkerOptions extends QueueOptions {
  workers?: number;
  inProcess?: boolean;
  concurrency?: number;
  lockDuration?: number;
  stalledInterval?: number;
  maxStalled?: number;
}

/** What the worker needs from the outside; tests replace `waitForStop`. */
export interface QueueWorkerDependencies {
  /** Resolves when the worker should stop (default: SIGINT or SIGTERM). */
  waitForStop?: () => Promise<void>;
}

/** The `queue worker` command. */
export function workerCommand(context: CliContext, dependencies: QueueWorkerDependencies = {}): Command {
  const command = new Command('worker')
    .description('Take jobs from the queue and run them (each through the worker pool, like `stylize`) until SIGINT/SIGTERM, which let the running jobs finish. Run one per machine (or container); a job whose worker dies is taken over by another.')
    .option('--workers <n>', 'wasm worker threads per model; 0 runs in this process on --backend (default: one per core; in-process with --backend webgpu)', parseInteger)
    .option('--in-process', 'run in this process (same as --workers 0)')
    .option('--concurrency <n>', 'jobs in progress at once (default: workers + 1, so one decodes while the others run; 2 in-process)', parseInteger)
    .option('--lock-duration <ms>', 'how long a job stays claimed by a worker that stopped renewing its claim (default 30000): a dead worker\'s job returns to the queue after about this; keep it well above this process\'s longest event-loop pause (in-process inference, an overloaded machine), or live jobs are taken over too', parseInteger)
    .option('--stalled-interval <ms>', 'how often to look for jobs of dead workers (default 30000)', parseInteger)
    .option('--max-stalled <n>', 'times a job may be taken over before it fails (default 1)', parseInteger);
  return withCommonOptions(withQueueOptions(command)).action(
    commandAction(context, async (output: Output, options: WorkerOptions) => {
      const atLeast = (name: string, value: number | undefined, min: number): void => {
        if (value !== undefined && !(Number.isInteger(value) && value >= min)) throw optionRangeError(name, `an integer >= ${min}`, value);
      };
      atLeast('--workers', options.workers, 0);
      atLeast('--concurrency', options.concurrency, 1);
      atLeast('--lock-duration', options.lockDuration, 100);
      atLeast('--stalled-interval', options.stalledInterval, 100);
      atLeast('--max-stalled', options.maxStalled, 0);
      if (options.inProcess && options.workers !== undefined && options.workers !== 0) throw optionRangeError('--workers', '0 or absent with --in-process (they conflict)', options.workers);
      const workers = options.inProcess || webGpuInProcess(context, options) ? 0 : (options.workers ?? availableParallelism());
      const concurrency = options.concurrency ?? (workers === 0 ? 2 : workers + 1);
      const { connectRedis, redactRedisUrl } = await import('../queue/redis-connection.js');
      const { startQueueWorker } = await import('../queue/queue-worker.js');
      const url = redisUrl(context, options);
      let connectionDown = false;
      const connection = await connectRedis(url, {
        onError: (error) => {
          if (!connectionDown) output.info(`Redis connection lost (${error.message}); reconnecting`);
          connectionDown = true;
        },
      });
      connection.on('ready', () => {
        if (connectionDown) output.info('Redis connection back');
        connectionDown = false;
      });
      // One pool per (task, model); every job of that model shares it.
      const pools = new Map<string, Promise<InferencePool>>();
      const poolFor = (task: 'style' | 'sr', modelPath: string): Promise<InferencePool> => {
        const key = `${task}\0${modelPath}`;
        let pool = pools.get(key);
        if (pool === undefined) {
          pool = openPool(context, output, { name: jobNameOf(task), task, inputs: [], options: { output: '', ...(options.backend !== undefined ? { backend: options.backend } : {}) }, modelPath, maxQueue: concurrency }, workers);
          pools.set(key, pool);
          pool.catch(() => pools.delete(key));
        }
        return pool;
      };
      const worker = await startQueueWorker({
        connection,
        queue: options.queue,
        concurrency,
        ...(options.lockDuration !== undefined ? { lockDurationMs: options.lockDuration } : {}),
        ...(options.stalledInterval !== undefined ? { stalledIntervalMs: options.stalledInterval } : {}),
        ...(options.maxStalled !== undefined ? { maxStalledCount: options.maxStalled } : {}),
        process: async (data, job) => {
          const pool = await poolFor(data.task, await resolveModel(data.model));
          const finish = data.task === 'style' ? await styleFinish(data) : undefined;
          const { result } = await transformFile(pool, {
            input: data.input,
            target: { path: data.output, format: data.format },
            quality: data.quality,
            ...(data.maxSize !== undefined ? { maxSize: data.maxSize } : {}),
            ...(data.maxPixels !== undefined ? { maxPixels: data.maxPixels } : {}),
            ...(finish ? { finish } : {}),
            run: {
              ...(data.tile !== undefined ? { tile: data.tile } : {}),
              ...(data.overlap !== undefined ? { overlap: data.overlap } : {}),
              onProgress: ({ done, total }) => job.progress(done, total),
            },
            onWarning: (message) => output.info(`job ${job.id}: ${message}`),
          });
          return { output: data.output, width: result.width, height: result.height };
        },
        onEvent: (event) => {
          if (event.kind === 'completed') {
            output.result(event.result.output);
            output.info(`done ${event.id}: ${event.data.input} -> ${event.result.output} (${event.result.width}x${event.result.height}, ${(event.ms / 1000).toFixed(2)} s)`);
          } else if (event.kind === 'failed') {
            output.info(`failed ${event.id}${event.input ? ` ${event.input}` : ''} (try ${event.attempt} of ${event.attempts}${event.final ? ', final' : ', will retry'}): ${event.error}`);
          } else if (event.kind === 'stalled') {
            output.info(`requeued ${event.id}: its worker stopped renewing its lock (died or hung); the job is back in the queue for any worker`);
          } else if (!connectionDown) {
            output.info(`worker error: ${event.error.message}`);
          }
        },
      });
      output.info(`ready: worker ${worker.name} on '${options.queue}' at ${redactRedisUrl(url)} (${concurrency} job${concurrency === 1 ? '' : 's'} at a time, ${workers === 0 ? 'in-process' : `${workers} wasm worker${workers === 1 ? '' : 's'} per model`})`);
      await (dependencies.waitForStop ?? waitForStopSignal)();
      output.info('stopping: letting the running jobs finish');
      try {
        await worker.close();
        await Promise.allSettled([...pools.values()].map(async (pool) => (await pool).close()));
      } finally {
        connection.disconnect();
      }
      output.info('stopped');
    }),
  );
}

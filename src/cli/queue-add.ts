/**
 * @file `perceptual queue add IN... -o DIR`: expands files, folders and
 * globs like `stylize` (batch-inputs.ts), plans each output the same way
 * (batch-run.ts planOutputs: mirrored names, never over an input) and
 * enqueues one job per image (src/queue) with absolute paths, so workers
 * need the same file system (a shared volume), not the same working folder.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { optionRangeError, perceptualError } from '../errors.js';
import { IMAGE_JOB_VERSION, type ImageJobData, jobNameOf } from '../queue/image-job.js';
import { bundledModels, defaultModel, resolveModel } from '../weights/model-registry.js';
import { checkOptions, DEFAULT_QUALITY, type ImageCommandOptions, planOutputs, withImageJobOptions } from './batch-run.js';
import { expandInputs } from './batch-inputs.js';
import { commandAction, parseInteger, parseNumber, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import { exitCodeFor } from './errors-to-exit.js';
import type { Output } from './output.js';
import { type QueueOptions, redisUrl, withQueueOptions } from './queue-options.js';
import { readModelArch } from './serve.js';
import { styleFinish } from './stylize.js';

interface AddOptions extends QueueOptions, Omit<ImageCommandOptions, 'workers' | 'inProcess'> {
  task?: 'style' | 'sr';
  strength?: number;
  preserveColor?: boolean;
  attempts?: number;
  backoff?: number;
  keepCompleted?: number;
}

/** The `queue add` command. */
export function addCommand(context: CliContext): Command {
  const command = new Command('add')
    .description('Enqueue one job per image (files, folders or quoted globs); workers write the outputs into -o, mirroring the inputs\' relative names. Paths are stored absolute: workers must see the same files.')
    .argument('<in...>', 'input images: files, folders (searched recursively for images) or globs ("shots/**/*.jpg")')
    .requiredOption('-o, --output <dir>', 'output folder')
    .option('--model <name|file|dir>', 'a bundled model\'s name (each worker resolves it in its own installation) or a model file / ml5 folder; its task (style or SR) picks the job (default: the bundled default of --task)')
    .addOption(new Option('--task <task>', 'style or sr: which default model without --model; checked against --model').choices(['style', 'sr']));
  withImageJobOptions(command)
    .option('--strength <s>', 'style: blend with the input, 0..1 (default 1)', parseNumber)
    .option('--preserve-color', 'style: keep the input\'s colours')
    .option('--attempts <n>', 'tries per job before it lands in the failed set (default 3)', parseInteger)
    .option('--backoff <ms>', 'delay before the first retry, doubled at each next one (default 1000)', parseInteger)
    .option('--keep-completed <n>', 'completed jobs kept in Redis for `queue status` (the newest; default 10000)', parseInteger);
  return withCommonOptions(withQueueOptions(command)).action(
    commandAction(context, async (output: Output, options: AddOptions, inputs: string[]) => {
      checkOptions(options);
      const { task, model } = await jobModel(options);
      if (task === 'sr' && (options.strength !== undefined || options.preserveColor)) {
        throw optionRangeError('--strength/--preserve-color', 'absent for a super-resolution model (they apply to style)', options.strength ?? '--preserve-color');
      }
      await styleFinish(options); // checks --strength
      const folder = resolve(options.output);
      const folderInfo = await stat(folder).catch(() => undefined);
      if (folderInfo !== undefined && !folderInfo.isDirectory()) throw optionRangeError('--output', 'a folder (it is an existing file)', options.output);
      const { inputs: found, problems } = await expandInputs(inputs, { exclude: folder });
      const { IMAGE_EXTENSIONS } = await import('../data/image-io.js');
      const planned = planOutputs(found, folder, options.format, jobNameOf(task), IMAGE_EXTENSIONS);
      const refused = [...problems.map((p) => ({ name: p.argument, error: perceptualError('E_IO', `${p.message}. Check the path or pattern.`) })), ...planned.flatMap((p) => (p.problem ? [{ name: p.input.path, error: p.problem }] : []))];
      const jobs: ImageJobData[] = planned
        .filter((p) => p.problem === undefined)
        .map((p) => ({
          version: IMAGE_JOB_VERSION,
          task,
          input: resolve(p.input.path),
          output: resolve(p.target.path),
          format: p.target.format,
          quality: options.quality ?? DEFAULT_QUALITY,
          model,
          ...(options.strength !== undefined ? { strength: options.strength } : {}),
          ...(options.preserveColor ? { preserveColor: true } : {}),
          ...(options.tile !== undefined ? { tile: options.tile } : {}),
          ...(options.overlap !== undefined ? { overlap: options.overlap } : {}),
          ...(options.maxSize !== undefined ? { maxSize: options.maxSize } : {}),
          ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
        }));
      if (jobs.length === 0) {
        throw perceptualError('E_IO', `No job to enqueue: ${refused.map((r) => `${r.name}: ${r.error.message}`).join('; ')}.`);
      }
      const { connectRedis, redactRedisUrl } = await import('../queue/redis-connection.js');
      const { enqueueImageJobs } = await import('../queue/enqueue.js');
      const url = redisUrl(context, options);
      const connection = await connectRedis(url);
      try {
        const ids = await enqueueImageJobs(connection, jobs, {
          queue: options.queue,
          ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
          ...(options.backoff !== undefined ? { backoffMs: options.backoff } : {}),
          ...(options.keepCompleted !== undefined ? { keepCompleted: options.keepCompleted } : {}),
        });
        ids.forEach((id, index) => output.result(`${id}\t${jobs[index]!.input}\t${jobs[index]!.output}`));
        output.info(`queued ${ids.length} ${jobNameOf(task)} job${ids.length === 1 ? '' : 's'} (model ${model}) on '${options.queue}' at ${redactRedisUrl(url)}`);
      } finally {
        connection.disconnect();
      }
      if (refused.length > 0) {
        output.info(`${refused.length} not queued:`);
        for (const r of refused) output.info(`  ${r.name}: ${r.error.message}`);
        context.exitCode = exitCodeFor(refused[0]!.error);
      }
    }),
  );
}

/**
 * The job's task and model as stored: a bundled model by its name (each worker resolves it),
 * anything else as an absolute path; the task from the model file.
 */
async function jobModel(options: AddOptions): Promise<{ task: 'style' | 'sr'; model: string }> {
  let task: 'style' | 'sr';
  let model: string;
  if (options.model === undefined) {
    task = options.task ?? 'style';
    model = (await defaultModel(task)).name;
  } else {
    const path = await resolveModel(options.model);
    const bundled = (await bundledModels()).find((m) => m.file === path);
    if (bundled !== undefined) {
      task = bundled.task;
      model = bundled.name;
    } else {
      const info = await stat(path).catch((error: unknown) => {
        throw perceptualError('E_IO', `Cannot open the model ${path}: ${(error as Error).message}. Check the --model path.`, error);
      });
      // An ml5 checkpoint folder is a style network.
      const arch = info.isDirectory() ? null : ((await readModelArch(path)) as { task?: unknown } | null);
      task = arch?.task === 'sr' ? 'sr' : 'style';
      model = resolve(path);
    }
    if (options.task !== undefined && options.task !== task) throw optionRangeError('--task', `${task}, the task of the model ${options.model} (or absent)`, options.task);
  }
  return { task, model };
}

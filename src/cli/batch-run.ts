/**
 * @file The engine shared by `perceptual stylize` and `perceptual upscale`:
 * options common to both, input expansion (batch-inputs.ts), the inference
 * pool (wasm worker threads, src/serve/pool.node.ts, or this process,
 * src/serve/in-process-pool.ts), per-file decode -> --max-size -> network
 * -> command-specific finishing -> atomic encode and write, progress, and
 * the failure summary.
 *
 * Two modes:
 * - one input file (no folder, no glob): `-o` is the output file (or a
 *   folder to write into); any failure is thrown, as before batches existed;
 * - otherwise `-o` is a folder that mirrors the inputs' relative names;
 *   a failing file is reported and the run goes on; at the end the failures
 *   are listed and the exit code is the first failure's (errors-to-exit.ts).
 * No output path may be an input's (checked with links resolved).
 *
 * The queue worker (src/cli/queue.ts) runs each job through the same pool
 * opener, output planning and per-file pipeline (openPool, planOutputs,
 * transformFile).
 */
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, extname, join, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { type Command, Option } from 'commander';
import { writeFileAtomic } from '../atomic-write.js';
import { DEFAULT_MAX_PIXELS } from '../data/image-limits.js';
import type { ImageFormat } from '../data/image-io.js';
import { errorCode, optionRangeError, perceptualError } from '../errors.js';
import { firstLine } from '../first-line.js';
import { downscaleRgb } from '../infer/rgb-image.js';
import type { RgbImage } from '../pixels.js';
import { checkInteger, integerAtLeast } from '../validate.js';
import type { ImageCodec } from '../serve/image-codec.js';
import type { InferencePool, RunOptions } from '../serve/pool-types.js';
import { type BatchInput, expandInputs, hasGlobMagic, realPathOf } from './batch-inputs.js';
import { type CommonOptions, chooseBackend, parseInteger, webGpuInProcess } from './command-helpers.js';
import type { CliContext } from './context.js';
import { exitCodeFor } from './errors-to-exit.js';
import type { Output } from './output.js';
import { createProgress } from './progress.js';

/** Options both image commands take (commander's camelCase names). */
export interface ImageCommandOptions extends CommonOptions {
  output: string;
  model?: string;
  workers?: number;
  inProcess?: boolean;
  tile?: number;
  overlap?: number;
  format?: ImageFormat;
  quality?: number;
  maxSize?: number;
  maxPixels?: number;
}

/** What a command hands to runImageCommand. */
export interface ImageCommandSpec {
  readonly name: 'stylize' | 'upscale';
  /** The model task the command accepts. */
  readonly task: 'style' | 'sr';
  readonly inputs: readonly string[];
  readonly options: ImageCommandOptions;
  readonly modelPath: string;
  /** Further checks of the opened pool (upscale: --scale); throw to refuse. */
  readonly checkPool?: (pool: InferencePool) => void;
  /** Turns (input after --max-size, network output) into what is written (stylize: --preserve-color, --strength). */
  readonly finish?: FinishImage;
  /** Jobs the pool lets wait beyond the running ones (default: the pool's). */
  readonly maxQueue?: number;
}

/** Turns (input after --max-size, network output) into what is written. */
export type FinishImage = (input: RgbImage, result: RgbImage) => RgbImage;

/** Where one output goes. */
export interface Target {
  readonly path: string;
  readonly format: ImageFormat;
}

/** One file through the pool: read, --max-size, network, finish, atomic write. */
export interface FileJob {
  readonly input: string;
  readonly target: Target;
  readonly quality: number;
  readonly maxSize?: number;
  readonly maxPixels?: number;
  readonly finish?: FinishImage;
  readonly run?: RunOptions;
  /** Decoder warnings (EXIF, 16-bit input). */
  readonly onWarning?: (message: string) => void;
}

/** A planned output of a folder run: the input, its target, and why it must not run (it would overwrite an input or another output). */
export interface PlannedOutput {
  readonly input: BatchInput;
  readonly target: Target;
  readonly problem?: Error;
}

/** The output extension of each format. */
export const FORMAT_EXTENSIONS: Readonly<Record<ImageFormat, string>> = Object.freeze({ png: '.png', jpeg: '.jpg', webp: '.webp' });

/** JPEG/WebP quality without --quality. */
export const DEFAULT_QUALITY = 90;

/** Adds the options of ImageCommandOptions after `-o` and `--model`. */
export function withImageOptions(command: Command): Command {
  return withImageJobOptions(
    command
      .option('--workers <n>', 'wasm worker threads; 0 runs in this process on --backend (default: in-process for one file or --backend webgpu, else one per core); one file with n > 1: the workers share the image by row bands', parseInteger)
      .option('--in-process', 'run in this process (same as --workers 0)'),
  );
}

/** The options that describe each image's job (tiling, output format, size limits), without those of the pool. */
export function withImageJobOptions(command: Command): Command {
  return command
    .option('--tile <px>', 'tile edge in input pixels: larger images are tiled seamlessly (default: style images up to 512x512 run whole, larger ones use 320; SR 512/scale)', parseInteger)
    .option('--overlap <px>', 'context per tile side in input pixels (default: the network\'s receptive radius)', parseInteger)
    .addOption(new Option('--format <format>', 'output format (default: from the -o extension, or the input\'s; else png)').choices(['png', 'jpeg', 'webp']))
    .option('--quality <q>', `JPEG/WebP quality 1..100 (default ${DEFAULT_QUALITY})`, parseInteger)
    .option('--max-size <px>', 'downsize an input whose long side exceeds this before inference', parseInteger)
    .option('--max-pixels <n>', `largest input (width x height) decoded (default ${DEFAULT_MAX_PIXELS}, 16383x16383)`, parseInteger);
}

/**
 * Runs a stylize/upscale command (see the file comment).
 * @throws RangeError E_OPTIONS for bad options or an output onto the input (one file); as the pool for the model;
 *   in one-file mode, whatever reading, inference or writing throws
 */
export async function runImageCommand(context: CliContext, output: Output, spec: ImageCommandSpec): Promise<void> {
  const started = performance.now();
  const { options } = spec;
  checkOptions(options);
  const first = spec.inputs[0]!;
  const single = spec.inputs.length === 1 && !hasGlobMagic(first) && !(await isDirectory(first));
  const workers = options.inProcess || webGpuInProcess(context, options) ? 0 : (options.workers ?? (single ? 0 : availableParallelism()));
  // Loaded on use, so `--help` and other commands start without sharp.
  const { formatForPath, IMAGE_EXTENSIONS } = await import('../data/image-io.js');
  const quality = options.quality ?? DEFAULT_QUALITY;
  const fileJob = (input: string, target: Target): FileJob => ({
    input,
    target,
    quality,
    ...(options.maxSize !== undefined ? { maxSize: options.maxSize } : {}),
    ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
    ...(spec.finish ? { finish: spec.finish } : {}),
    onWarning: (message) => output.info(message),
  });

  if (single) {
    const intoFolder = options.output.endsWith('/') || options.output.endsWith(sep) || (await isDirectory(options.output));
    const target = intoFolder ? planTarget(basename(first), options.output, options.format, IMAGE_EXTENSIONS) : { path: options.output, format: options.format ?? formatForPath(options.output) };
    if (realPathOf(first) === realPathOf(target.path)) {
      throw optionRangeError('--output', `a different file from the input '${first}' (${spec.name} never overwrites its input)`, target.path);
    }
    const pool = await openPool(context, output, spec, workers, true);
    const loaded = performance.now();
    try {
      const { result, transformMs } = await transformFile(pool, fileJob(first, target));
      output.info(
        `wrote ${target.path} (${result.width}x${result.height} ${target.format}) in ${seconds(performance.now() - started)} ` +
          `(model load ${seconds(loaded - started)}, transform ${seconds(transformMs)})`,
      );
    } finally {
      await pool.close();
    }
    return;
  }

  const folder = options.output;
  const folderInfo = await stat(folder).catch(() => undefined);
  if (folderInfo !== undefined && !folderInfo.isDirectory()) {
    throw optionRangeError('--output', 'a folder when the inputs are several files, a folder or a glob (it is an existing file)', folder);
  }
  const { inputs, problems } = await expandInputs(spec.inputs, { exclude: folder });
  if (inputs.length === 0) {
    throw perceptualError('E_IO', `No input images: ${problems.map((p) => p.message).join('; ')}. Check the paths and patterns (quote globs).`);
  }
  const jobs = planOutputs(inputs, folder, options.format, spec.name, IMAGE_EXTENSIONS);

  const failures: Array<{ order: number; name: string; error: unknown }> = problems.map((p, order) => ({
    order: order - problems.length,
    name: p.argument,
    error: perceptualError('E_IO', `${p.message}. Check the path or pattern.`),
  }));
  const total = jobs.length;
  let done = 0;
  let written = 0;
  const progress = context.isTTY ? createProgress(context, { label: spec.name }) : undefined;
  // A line per file without a terminal (logs, CI); the bar alone on one.
  const finished = (line: string): void => {
    done += 1;
    if (progress) progress.update(done, total);
    else output.info(`[${done}/${total}] ${line}`);
  };
  const pool = jobs.some((job) => job.problem === undefined) ? await openPool(context, output, spec, workers) : undefined;
  try {
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let index = next++; index < jobs.length; index = next++) {
        const job = jobs[index]!;
        const began = performance.now();
        try {
          if (job.problem !== undefined) throw job.problem;
          const { result } = await transformFile(pool!, fileJob(job.input.path, job.target));
          written += 1;
          output.result(job.target.path);
          finished(`${job.input.path} -> ${job.target.path} (${result.width}x${result.height}, ${seconds(performance.now() - began)})`);
        } catch (error) {
          failures.push({ order: index, name: job.input.path, error });
          finished(`failed ${job.input.path}: ${oneLine(error)}`);
        }
      }
    };
    // One job per worker plus one decoding ahead; in-process, one running and one decoding.
    const lanes = Math.min(jobs.length, workers === 0 ? 2 : workers + 1);
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    progress?.stop();
    await pool?.close();
  }
  output.info(`${spec.name}: wrote ${written} of ${total + problems.length} to ${folder} in ${seconds(performance.now() - started)}`);
  if (failures.length > 0) {
    failures.sort((a, b) => a.order - b.order);
    output.info(`${failures.length} failed:`);
    for (const failure of failures) {
      output.info(`  ${failure.name}: ${oneLine(failure.error)}`);
      if (failure.error instanceof Error && failure.error.stack) output.debug(failure.error.stack);
    }
    context.exitCode = exitCodeFor(failures[0]!.error);
  }
}

/**
 * The output of the input named `relative` (its name below the argument's root) in `folder`:
 * the same relative name, with the extension of `format` when one is given or the input's own
 * is not an image format.
 * @param extensions image-io's IMAGE_EXTENSIONS (passed in: image-io loads on use)
 */
export function planTarget(relative: string, folder: string, format: ImageFormat | undefined, extensions: Readonly<Record<string, ImageFormat>>): Target {
  const ext = extname(relative);
  const own = extensions[ext.toLowerCase()];
  const chosen = format ?? own ?? 'png';
  const outExt = format === undefined && own !== undefined ? ext : FORMAT_EXTENSIONS[chosen];
  return { path: join(folder, ...`${relative.slice(0, relative.length - ext.length)}${outExt}`.split('/')), format: chosen };
}

/**
 * Plans every output of a folder run first, so an input is protected from any job's output,
 * not only its own, and two inputs never share an output (case-insensitively).
 */
export function planOutputs(
  inputs: readonly BatchInput[],
  folder: string,
  format: ImageFormat | undefined,
  name: string,
  extensions: Readonly<Record<string, ImageFormat>>,
): PlannedOutput[] {
  const inputPaths = new Map(inputs.map((input) => [input.real, input.path]));
  const claimed = new Map<string, string>();
  return inputs.map((input) => {
    const target = planTarget(input.relative, folder, format, extensions);
    const real = realPathOf(target.path);
    const victim = inputPaths.get(real);
    const twin = claimed.get(real.toLowerCase());
    if (victim !== undefined) {
      return { input, target, problem: optionRangeError('--output', `a folder where no output lands on an input ('${target.path}' is the input '${victim}'; ${name} never overwrites inputs: choose another folder or --format)`, folder) };
    }
    if (twin !== undefined) {
      return { input, target, problem: optionRangeError('--output', `a folder where each input gets its own output ('${target.path}' is also the output of '${twin}'; rename one input or run them separately)`, folder) };
    }
    claimed.set(real.toLowerCase(), input.path);
    return { input, target };
  });
}

/**
 * Runs one file through `pool`: decode (up to maxPixels), --max-size, the network, `finish`,
 * then an atomic encode and write.
 * @returns what was written and how long the network took
 * @throws PerceptualError E_IO when the input cannot be read or the output written; as the decoder and the pool
 */
export async function transformFile(pool: InferencePool, job: FileJob): Promise<{ result: RgbImage; transformMs: number }> {
  const { decodeRgbImage } = await import('../data/image-io.js');
  const { sharpCodec } = await import('../serve/image-codec.node.js');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(job.input);
  } catch (error) {
    throw perceptualError('E_IO', `Cannot read image file '${job.input}': ${firstLine(error)}. Check the path.`, error);
  }
  const decoded = await decodeRgbImage(bytes, job.input, {
    ...(job.maxPixels !== undefined ? { maxPixels: job.maxPixels } : {}),
    ...(job.onWarning ? { onWarning: job.onWarning } : {}),
  });
  const input = prepare(decoded, job.maxSize);
  const ran = performance.now();
  const raw = await pool.run(input, job.run);
  const result = job.finish ? job.finish(input, raw) : raw;
  const transformMs = performance.now() - ran;
  await writeRgb(job.target.path, result, job.target.format, job.quality, sharpCodec);
  return { result, transformMs };
}

/** Checks the options both image commands (and `queue add`) share. */
export function checkOptions(options: Omit<ImageCommandOptions, 'output'>): void {
  for (const [name, value, min] of [['--workers', options.workers, 0], ['--max-size', options.maxSize, 1], ['--max-pixels', options.maxPixels, 1]] as const) {
    if (value !== undefined) integerAtLeast(value, name, min);
  }
  if (options.inProcess && options.workers !== undefined && options.workers !== 0) {
    throw optionRangeError('--workers', '0 or absent with --in-process (they conflict)', options.workers);
  }
  if (options.quality !== undefined) checkInteger(options.quality, '--quality', 1, 100);
}

/**
 * Loads the model into an in-process pool (workers 0), a worker pool, or for
 * one image on several workers the single-image pool (row bands), and checks its task.
 */
export async function openPool(context: CliContext, output: Output, spec: ImageCommandSpec, workers: number, single = false): Promise<InferencePool> {
  const { options, modelPath } = spec;
  const tiling = { ...(options.tile !== undefined ? { tile: options.tile } : {}), ...(options.overlap !== undefined ? { overlap: options.overlap } : {}) };
  let pool: InferencePool;
  if (workers === 0) {
    await chooseBackend(context, output, options.backend, 'infer');
    const { loadTransformModel } = await import('../weights/load-transform-model.js');
    const { createInProcessPool } = await import('../serve/in-process-pool.js');
    const model = await loadTransformModel(modelPath);
    try {
      checkTask(spec, model.arch.task, model.arch.task === 'sr' ? model.arch.scale : 1);
      pool = await createInProcessPool({ model, ...tiling, ...(spec.maxQueue !== undefined ? { maxQueue: spec.maxQueue } : {}) });
    } catch (error) {
      // The pool owns the params only once created.
      tf.dispose(Object.values(model.params));
      throw error;
    }
    output.info(`model: ${modelPath} (${model.arch.task}${model.provenance.source ? `, ${model.provenance.source}` : ''})`);
  } else {
    if (options.backend !== undefined && options.backend !== 'wasm') {
      output.info(`note: --backend ${options.backend} applies in-process only (--workers 0); the workers run wasm`);
    }
    // No per-job time limit: a CLI run may take as long as the image needs.
    const poolOptions = { model: modelPath, workers, timeoutMs: 0, ...tiling, ...(spec.maxQueue !== undefined ? { maxQueue: spec.maxQueue } : {}) };
    if (single && workers > 1) {
      const { createSingleImagePool } = await import('../serve/single-image-pool.node.js');
      pool = await createSingleImagePool(poolOptions);
    } else {
      const { createPool } = await import('../serve/pool.node.js');
      pool = await createPool(poolOptions);
    }
    try {
      checkTask(spec, pool.task, pool.scale);
    } catch (error) {
      await pool.close();
      throw error;
    }
    output.info(`model: ${modelPath} (${pool.task}, ${workers} wasm worker${workers === 1 ? '' : 's'})`);
  }
  try {
    spec.checkPool?.(pool);
  } catch (error) {
    await pool.close();
    throw error;
  }
  return pool;
}

function checkTask(spec: ImageCommandSpec, task: 'style' | 'sr', scale: number): void {
  if (task === spec.task) return;
  const actual = task === 'sr' ? `a x${scale} super-resolution model` : 'a style model';
  const wanted = spec.task === 'sr' ? 'a super-resolution model (`perceptual stylize` runs style models)' : 'a style model (`perceptual upscale` runs super-resolution models)';
  throw optionRangeError('--model', wanted, `${spec.modelPath}: ${actual}`);
}

function prepare(image: RgbImage, maxSize: number | undefined): RgbImage {
  return maxSize === undefined ? image : downscaleRgb(image, maxSize);
}

async function writeRgb(path: string, image: RgbImage, format: ImageFormat, quality: number, codec: ImageCodec): Promise<void> {
  const bytes = await codec.encode(image, { format, quality });
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    throw perceptualError('E_IO', `Cannot write image file '${path}': ${firstLine(error)}. Check that the folder is writable.`, error);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** `E_CODE: first line of the message`. */
function oneLine(error: unknown): string {
  const code = errorCode(error);
  return `${code ? `${code}: ` : ''}${firstLine(error)}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

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
import { downscaleRgb, type RgbImage } from '../infer/rgb-image.js';
import type { ImageCodec } from '../serve/image-codec.js';
import type { InferencePool } from '../serve/pool-types.js';
import { type BatchInput, expandInputs, hasGlobMagic, realPathOf } from './batch-inputs.js';
import { type CommonOptions, chooseBackend, parseInteger } from './command-helpers.js';
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
  readonly finish?: (input: RgbImage, result: RgbImage) => RgbImage;
}

/** The output extension of each format. */
export const FORMAT_EXTENSIONS: Readonly<Record<ImageFormat, string>> = Object.freeze({ png: '.png', jpeg: '.jpg', webp: '.webp' });

const DEFAULT_QUALITY = 90;

/** Adds the options of ImageCommandOptions after `-o` and `--model`. */
export function withImageOptions(command: Command): Command {
  return command
    .option('--workers <n>', 'wasm worker threads; 0 runs in this process on --backend (default: in-process for one file, else one per core); one file with n > 1: the workers share the image by row bands', parseInteger)
    .option('--in-process', 'run in this process (same as --workers 0)')
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
  const workers = options.inProcess ? 0 : (options.workers ?? (single ? 0 : availableParallelism()));
  // Loaded on use, so `--help` and other commands start without sharp.
  const { decodeRgbImage, formatForPath, IMAGE_EXTENSIONS } = await import('../data/image-io.js');
  const { sharpCodec } = await import('../serve/image-codec.node.js');
  const plan = (input: Pick<BatchInput, 'relative'>, folder: string): Target => {
    const ext = extname(input.relative);
    const own = IMAGE_EXTENSIONS[ext.toLowerCase()];
    const format = options.format ?? own ?? 'png';
    const outExt = options.format === undefined && own !== undefined ? ext : FORMAT_EXTENSIONS[format];
    return { path: join(folder, ...`${input.relative.slice(0, input.relative.length - ext.length)}${outExt}`.split('/')), format };
  };
  const quality = options.quality ?? DEFAULT_QUALITY;
  const readRgb = async (path: string): Promise<RgbImage> => {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw perceptualError('E_IO', `Cannot read image file '${path}': ${firstLine(error)}. Check the path.`, error);
    }
    return decodeRgbImage(bytes, path, { ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}), onWarning: (message) => output.info(message) });
  };

  if (single) {
    const intoFolder = options.output.endsWith('/') || options.output.endsWith(sep) || (await isDirectory(options.output));
    const target = intoFolder ? plan({ relative: basename(first) }, options.output) : { path: options.output, format: options.format ?? formatForPath(options.output) };
    if (realPathOf(first) === realPathOf(target.path)) {
      throw optionRangeError('--output', `a different file from the input '${first}' (${spec.name} never overwrites its input)`, target.path);
    }
    const pool = await openPool(context, output, spec, workers, true);
    const loaded = performance.now();
    try {
      const input = prepare(await readRgb(first), options.maxSize);
      const ran = performance.now();
      const raw = await pool.run(input);
      const result = spec.finish ? spec.finish(input, raw) : raw;
      const transformed = performance.now();
      await writeRgb(target.path, result, target.format, quality, sharpCodec);
      output.info(
        `wrote ${target.path} (${result.width}x${result.height} ${target.format}) in ${seconds(performance.now() - started)} ` +
          `(model load ${seconds(loaded - started)}, transform ${seconds(transformed - ran)})`,
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
  // Plan every output first, so an input is protected from any job's output, not only its own.
  const inputPaths = new Map(inputs.map((input) => [input.real, input.path]));
  const claimed = new Map<string, string>();
  const jobs = inputs.map((input) => {
    const target = plan(input, folder);
    const real = realPathOf(target.path);
    let problem: Error | undefined;
    const victim = inputPaths.get(real);
    const twin = claimed.get(real.toLowerCase());
    if (victim !== undefined) {
      problem = optionRangeError('--output', `a folder where no output lands on an input ('${target.path}' is the input '${victim}'; ${spec.name} never overwrites inputs: choose another folder or --format)`, folder);
    } else if (twin !== undefined) {
      problem = optionRangeError('--output', `a folder where each input gets its own output ('${target.path}' is also the output of '${twin}'; rename one input or run them separately)`, folder);
    } else {
      claimed.set(real.toLowerCase(), input.path);
    }
    return { input, target, problem };
  });

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
          const input = prepare(await readRgb(job.input.path), options.maxSize);
          const raw = await pool!.run(input);
          const result = spec.finish ? spec.finish(input, raw) : raw;
          await writeRgb(job.target.path, result, job.target.format, quality, sharpCodec);
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

interface Target {
  readonly path: string;
  readonly format: ImageFormat;
}

function checkOptions(options: ImageCommandOptions): void {
  const atLeast = (name: string, value: number | undefined, min: number): void => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) throw optionRangeError(name, `an integer >= ${min}`, value);
  };
  atLeast('--workers', options.workers, 0);
  atLeast('--max-size', options.maxSize, 1);
  atLeast('--max-pixels', options.maxPixels, 1);
  if (options.inProcess && options.workers !== undefined && options.workers !== 0) {
    throw optionRangeError('--workers', '0 or absent with --in-process (they conflict)', options.workers);
  }
  if (options.quality !== undefined && !(Number.isInteger(options.quality) && options.quality >= 1 && options.quality <= 100)) {
    throw optionRangeError('--quality', 'an integer from 1 to 100', options.quality);
  }
}

/**
 * Loads the model into an in-process pool (workers 0), a worker pool, or for
 * one image on several workers the single-image pool (row bands), and checks its task.
 */
async function openPool(context: CliContext, output: Output, spec: ImageCommandSpec, workers: number, single = false): Promise<InferencePool> {
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
      pool = await createInProcessPool({ model, ...tiling });
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
    const poolOptions = { model: modelPath, workers, timeoutMs: 0, ...tiling };
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

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** `E_CODE: first line of the message`. */
function oneLine(error: unknown): string {
  const code = errorCode(error);
  return `${code ? `${code}: ` : ''}${firstLine(error)}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

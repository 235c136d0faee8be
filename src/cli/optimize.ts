/**
 * @file `perceptual optimize style|sr`: the optimisation-based baseline of
 * Johnson et al. 2016 (their Table 1): Gatys et al.'s style transfer, and
 * super-resolution by feature inversion, minimising the same losses as
 * `perceptual train` (same flags, same defaults, same loss networks) over
 * the pixels of one image with L-BFGS or Adam.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { Command, Option } from 'commander';
import { DEFAULT_MAX_PIXELS } from '../data/image-limits.js';
import { optionTypeError } from '../errors.js';
import type { ImageBatch } from '../index.js';
import { type CommonOptions, chooseBackend, commandAction, parseInteger, parseNumber, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import { addLossOptions, type LossCliOptions, loadCliLossNetwork, toLossOptions } from './loss-options.js';
import type { Output } from './output.js';
import { createProgress } from './progress.js';

type Task = 'style' | 'sr';

interface OptimizeCliOptions extends CommonOptions, LossCliOptions {
  output?: string;
  content?: string;
  style?: string;
  target?: string;
  scale?: number;
  init?: 'content' | 'noise';
  optimizer?: 'lbfgs' | 'adam';
  iterations: number;
  lr?: number;
  bounds?: 'none' | 'clip' | 'sigmoid';
  lineSearch?: 'strong-wolfe' | 'none';
  memory?: number;
  imageSize?: number;
  styleSize?: number;
  seed: number;
  snapshotEvery?: number;
  snapshotDir?: string;
  maxPixels?: number;
}

function subcommand(context: CliContext, task: Task): Command {
  const command = new Command(task).description(task === 'style'
    ? 'Style transfer by optimisation (Gatys et al.): minimise the joint perceptual loss over the pixels of one image.'
    : 'Super-resolution by feature inversion: degrade --target, upsample bicubically, minimise feature loss to its features + TV.');
  if (task === 'style') {
    command
      .option('--content <image>', 'the content image')
      .option('--style <image>', 'the style image')
      .addOption(new Option('--init <from>', 'start from the content image or white noise').choices(['content', 'noise']).default('content'))
      .option('--image-size <px>', 'resize the content image so its long side is this (default: as is)', parseInteger)
      .option('--style-size <px>', 'long side of the style image for its Grams (default: the content\'s long side)', parseInteger);
  } else {
    command
      .option('--target <image>', 'the high-resolution image (cropped to a multiple of --scale)')
      .addOption(new Option('--scale <f>', 'upscaling factor').choices(['2', '4', '8']).default(4).argParser(Number));
  }
  command
    .option('-o, --output <file>', 'output image (.png, .jpg, .webp)')
    .addOption(new Option('--optimizer <name>', 'optimiser').choices(['lbfgs', 'adam']).default('lbfgs'))
    .option('--iterations <n>', 'iterations (L-BFGS: accepted steps; Adam: steps)', parseInteger, 100)
    .option('--lr <lr>', 'L-BFGS: initial trial step (default 1); Adam: step size (default 0.02)', parseNumber)
    .addOption(new Option('--bounds <mode>', 'keeping pixels in [0, 1]: none (clamp at the end), clip (Adam only), sigmoid (default: none for lbfgs, clip for adam)').choices(['none', 'clip', 'sigmoid']))
    .addOption(new Option('--line-search <rule>', 'L-BFGS step rule').choices(['strong-wolfe', 'none']).default('strong-wolfe'))
    .option('--memory <m>', 'L-BFGS correction pairs (default 10)', parseInteger)
    .option('--seed <n>', 'seed of the noise start and of random loss weights', parseInteger, 0)
    .option('--snapshot-every <n>', 'write the current image every n iterations (needs --snapshot-dir)', parseInteger)
    .option('--snapshot-dir <dir>', 'folder for snapshots (iter-000010.png, ...)')
    .option('--max-pixels <n>', `largest input image (width x height) decoded (default ${DEFAULT_MAX_PIXELS}, 16383x16383)`, parseInteger);
  addLossOptions(command, task === 'style');
  return withCommonOptions(command).action(commandAction(context, (output: Output, options: OptimizeCliOptions) => run(context, output, task, options)));
}

async function run(context: CliContext, output: Output, task: Task, o: OptimizeCliOptions): Promise<void> {
  if (o.output === undefined) throw optionTypeError('--output', 'the path of the image to write', o.output);
  if (o.snapshotEvery !== undefined && o.snapshotDir === undefined) throw optionTypeError('--snapshot-dir', 'a folder when --snapshot-every is given', o.snapshotDir);
  const { optimizeSr, optimizeStyle, readImage, resolvePerceptualLossOptions, writeImage } = await import('../index.js');
  const { formatForPath } = await import('../data/image-io.js');
  const { TASK_DEFAULTS } = await import('../train/train-options.js');
  const { loadStyleImage } = await import('../train/run-inputs.js');
  formatForPath(o.output); // fail on a bad extension before the work
  const runtime = await chooseBackend(context, output, o.backend, 'train');
  const lossOptions = await toLossOptions(o, TASK_DEFAULTS[task].loss);
  const network = await loadCliLossNetwork(o, lossOptions, o.seed);
  const owned: tf.Tensor[] = [];
  const progress = createProgress(context, { label: `optimize ${task}` });
  try {
    const loss = resolvePerceptualLossOptions(lossOptions, network.taps);
    output.info(`loss network: ${network.name} (${network.source})`);
    if (o.snapshotDir !== undefined) await mkdir(o.snapshotDir, { recursive: true });
    const options = {
      optimizer: o.optimizer, iterations: o.iterations, lr: o.lr, bounds: o.bounds,
      lbfgs: { lineSearch: o.lineSearch, ...(o.memory !== undefined ? { memory: o.memory } : {}) },
      snapshotEvery: o.snapshotEvery ?? 0,
      onSnapshot: async (iteration: number, image: ImageBatch) => writeImage(join(o.snapshotDir!, `iter-${String(iteration).padStart(6, '0')}.png`), image),
      onProgress: (p: { iteration: number; total: number }) => progress.update(p.iteration, p.total),
    };
    const limits = { ...(o.maxPixels !== undefined ? { maxPixels: o.maxPixels } : {}), onWarning: (message: string) => output.info(message) };
    const decode = async (path: string, size: number | undefined): Promise<ImageBatch> => {
      const image = size === undefined ? await readImage(path, limits) : await loadStyleImage(path, size, limits).then((b) => tf.tensor4d(b.data, [...b.shape]));
      owned.push(image);
      return image;
    };
    const started = performance.now();
    let result;
    if (task === 'style') {
      if (o.content === undefined) throw optionTypeError('--content', 'the path of the content image', o.content);
      if (o.style === undefined) throw optionTypeError('--style', 'the path of the style image', o.style);
      const content = await decode(o.content, o.imageSize);
      const style = await decode(o.style, o.styleSize ?? Math.max(content.shape[1], content.shape[2]));
      result = await optimizeStyle(network, loss, { content, style, init: o.init, seed: o.seed }, options);
    } else {
      if (o.target === undefined) throw optionTypeError('--target', 'the path of the high-resolution image', o.target);
      const target = await decode(o.target, undefined);
      result = await optimizeSr(network, loss, target, o.scale ?? 4, options);
      owned.push(result.bicubic, result.target);
    }
    owned.push(result.image);
    progress.stop();
    const seconds = (performance.now() - started) / 1000;
    await writeImage(o.output, result.image);
    const [h, w] = [result.image.shape[1], result.image.shape[2]];
    output.info(`optimized ${w}x${h} on ${runtime.backend} with ${o.optimizer}: ${result.iterations} iterations, ${result.evaluations} evaluations in ${seconds.toFixed(1)} s (${(seconds / Math.max(1, result.iterations)).toFixed(3)} s/iteration), stopped: ${result.reason}`);
    output.info(`loss ${result.history[0]!.toPrecision(5)} -> ${result.history[result.history.length - 1]!.toPrecision(5)}; written image: ${JSON.stringify(result.terms)}`);
    output.result(o.output);
  } finally {
    progress.stop();
    tf.dispose(owned);
    network.dispose();
  }
}

/** The `optimize` command with its `style` and `sr` subcommands. */
export function optimizeCommand(context: CliContext): Command {
  return new Command('optimize')
    .description('The optimisation baseline: style transfer (Gatys et al.) or SR by feature inversion, over one image\'s pixels with L-BFGS or Adam.')
    .addCommand(subcommand(context, 'style'))
    .addCommand(subcommand(context, 'sr'));
}

/**
 * @file `perceptual compare A B`: the perceptual distance between a target
 * image A and a generated image B of the same size, under a VGG loss network
 * (SPEC section 3): every feature and style term, the pixel loss, the total
 * variation of B and their weighted sum.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { DEFAULT_MAX_PIXELS } from '../data/image-limits.js';
import { perceptualError } from '../errors.js';
// Pure layer tables (no tensors), so `--help` still starts without the networks.
import { vggMinimumSize } from '../networks/vgg-layers.js';
import type { ImageBatch, LossNetwork, PerceptualLossNumbers } from '../index.js';
import {
  type CommonOptions,
  chooseBackend,
  commandAction,
  parseInteger,
  withCommonOptions,
} from './command-helpers.js';
import type { CliContext } from './context.js';
import { addVggJudgeOptions, checkSeedOrWeights, type VggJudgeCliOptions } from './loss-options.js';
import type { Output } from './output.js';

interface CompareOptions extends CommonOptions, VggJudgeCliOptions {
  json?: boolean;
  maxPixels?: number;
}

/** The `compare` command. */
export function compareCommand(context: CliContext): Command {
  const command = new Command('compare')
    .description('Perceptual distance between a target image A and a generated image B of the same size: feature (content) loss per layer, style loss per layer, pixel loss, total variation of B, and their weighted sum (SPEC section 3).')
    .argument('<a>', 'target image (content and style reference)')
    .argument('<b>', 'generated image (the one being judged)')
    .option('--json', 'print {"feature":{...},"style":{...},"pixel":n,"tv":n,"total":n} on stdout', false)
    .option('--max-pixels <n>', `largest image (width x height) decoded (default ${DEFAULT_MAX_PIXELS}, 16383x16383)`, parseInteger);
  return withCommonOptions(addVggJudgeOptions(command, true)).action(
    commandAction(context, async (output: Output, options: CompareOptions, a: string, b: string) => {
      checkSeedOrWeights(options);
      const weights = options.seed === undefined ? (options.weights ?? (await cachedWeights(options.network, context.env))) : undefined;
      await chooseBackend(context, output, options.backend, 'infer');
      const numbers = await compareImages(output, a, b, { ...options, weights });
      if (options.json) {
        output.result(JSON.stringify({ feature: numbers.feature, style: numbers.style, pixel: numbers.pixel, tv: numbers.tv, total: numbers.total }));
      } else {
        output.result(formatTable(numbers, options));
      }
    }),
  );
}

async function compareImages(output: Output, a: string, b: string, options: CompareOptions): Promise<PerceptualLossNumbers> {
  // Loaded on use, so `--help` and other commands start without sharp and the networks.
  const { DEFAULT_PERCEPTUAL_LOSS_OPTIONS, disposeTerms, loadLossNetwork, perceptualLoss, readImage, resolvePerceptualLossOptions, styleTargets, termsToNumbersAsync } = await import('../index.js');
  const images: ImageBatch[] = [];
  let network: LossNetwork | undefined;
  try {
    const limits = { ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}), onWarning: (message: string) => output.info(message) };
    images.push(await readImage(a, limits));
    images.push(await readImage(b, limits));
    const [target, generated] = images as [ImageBatch, ImageBatch];
    if (target.shape[1] !== generated.shape[1] || target.shape[2] !== generated.shape[2]) {
      throw perceptualError(
        'E_TENSOR_SHAPE',
        `Images must be the same size: A '${a}' is ${target.shape[2]}x${target.shape[1]}, B '${b}' is ${generated.shape[2]}x${generated.shape[1]} (width x height). Resize or crop one to match the other.`,
      );
    }
    // Build the network only as deep as the deepest requested tap (SPEC section 2).
    const taps = [...(options.contentLayers ?? DEFAULT_PERCEPTUAL_LOSS_OPTIONS.contentLayers), ...(options.styleLayers ?? DEFAULT_PERCEPTUAL_LOSS_OPTIONS.styleLayers)];
    checkLargeEnough(options.network, taps, target.shape, a, b);
    const net: LossNetwork = await loadLossNetwork({ network: options.network, weights: options.weights, seed: options.seed, taps });
    network = net;
    output.info(`loss network: ${net.name} from ${net.source}`);
    const resolved = resolvePerceptualLossOptions(
      {
        contentLayers: options.contentLayers,
        styleLayers: options.styleLayers,
        contentWeight: options.contentWeight,
        styleWeight: options.styleWeight,
        pixelWeight: options.pixelWeight,
        tvWeight: options.tvWeight,
        tvPower: options.tvPower === undefined ? undefined : (Number(options.tvPower) as 1 | 2),
      },
      net.taps,
    );
    const grams = styleTargets(net, target, resolved.styleLayers);
    try {
      const terms = perceptualLoss(net, resolved, { generated, content: target, styleGrams: grams, computeUnweighted: true });
      try {
        return await termsToNumbersAsync(terms);
      } finally {
        disposeTerms(terms);
      }
    } finally {
      tf.dispose(Object.values(grams));
    }
  } finally {
    tf.dispose(images);
    network?.dispose();
  }
}

/**
 * Refuses images too small for the deepest tap: its max pools would leave the
 * feature maps empty (NaN losses on CPU, "memory access out of bounds" on WASM).
 * Unknown taps are left to loadLossNetwork, which lists the layers.
 * @throws PerceptualError E_TENSOR_SHAPE naming the minimum, the tap and both files
 */
function checkLargeEnough(
  network: 'vgg16' | 'vgg19',
  taps: readonly string[],
  shape: readonly number[],
  a: string,
  b: string,
): void {
  let deepest: { tap: string; size: number } | undefined;
  for (const tap of taps) {
    const size = vggMinimumSize(network, tap);
    if (size !== undefined && size > (deepest?.size ?? 0)) deepest = { tap, size };
  }
  const [, height, width] = shape as [number, number, number, number];
  if (deepest === undefined || (height >= deepest.size && width >= deepest.size)) return;
  throw perceptualError(
    'E_TENSOR_SHAPE',
    `Images must be at least ${deepest.size}x${deepest.size} pixels for the ${network} loss network at ${deepest.tap} (each 2x2 max pool before it halves the size), but A '${a}' and B '${b}' are ${width}x${height}. ` +
      `Compare larger images, or choose shallower --content-layers/--style-layers (relu3_3 needs 4x4, relu2_2 2x2).`,
  );
}

/** The cached download for `network`, or an error saying how to get it. */
async function cachedWeights(network: 'vgg16' | 'vgg19', env: CliContext['env']): Promise<string> {
  const { cachedVggWeightsPath, defaultCacheDir } = await import('../index.js');
  const path = cachedVggWeightsPath(network, defaultCacheDir(env));
  if (!existsSync(path)) {
    throw perceptualError(
      'E_IO',
      `No ${network} weights given and none cached at '${path}'. Run \`perceptual weights fetch ${network}\` or pass --weights FILE (or --seed N for random weights, for testing only).`,
    );
  }
  return path;
}

function formatTable(numbers: PerceptualLossNumbers, options: CompareOptions): string {
  const rows: [string, number | null][] = [
    ...Object.entries(numbers.feature).map(([layer, value]): [string, number] => [`feature ${layer}`, value]),
    ...Object.entries(numbers.style).map(([layer, value]): [string, number] => [`style   ${layer}`, value]),
    ['pixel', numbers.pixel],
    [`tv (power ${options.tvPower ?? 2}, of B)`, numbers.tv],
    ['total (weighted)', numbers.total],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value === null ? '-' : value.toPrecision(6)}`).join('\n');
}

/**
 * @file Shared by the style training benchmarks that measure the same step
 * (train-profile, train-workers): style network width --width with --blocks
 * residual blocks at --size, VGG-16 with seeded random weights, the default
 * style loss. Built in one place so that their figures stay comparable.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initParams, Random, resolvePerceptualLossOptions, resolveStyleArch, styleTargets } from '../src/index.js';
import { loadRunLossNetwork } from '../src/train/run-inputs.js';
import { type ResolvedTrainOptions, resolveTrainOptions } from '../src/train/train-options.js';
import type { GradientContext } from '../src/train/train-step.js';
import { argument } from './bench-args.js';

/** The step's command-line options. */
export interface StyleStepArguments {
  readonly size: number;
  readonly width: number;
  readonly blocks: number;
  readonly backend: string;
}

/** Reads --size (128), --width (1), --blocks (5) and --backend (wasm). */
export function styleStepArguments(): StyleStepArguments {
  return {
    size: Number(argument('size', '128')),
    width: Number(argument('width', '1')),
    blocks: Number(argument('blocks', '5')),
    backend: argument('backend', 'wasm'),
  };
}

/** The trainable side of a step: its resolved train options, arch and freshly initialised variables. */
export interface StyleStepModel {
  readonly options: ResolvedTrainOptions;
  readonly arch: GradientContext['arch'];
  readonly variables: Record<string, tf.Variable>;
}

/**
 * Train options for batches of `batchSize` split over `workers` threads (the
 * data-parallel trainer reads them), and the style network's variables
 * (seed 0) named under `scope`, which must differ between live sets since
 * tfjs variable names are global.
 */
export function styleStepModel(step: StyleStepArguments, batchSize: number, scope: string, workers?: number): StyleStepModel {
  const archOptions = { width: step.width, residualBlocks: step.blocks };
  const options = resolveTrainOptions({
    task: 'style', data: 'unused', out: 'unused.safetensors', style: 'unused.png', imageSize: step.size, batchSize,
    arch: archOptions, lossNetwork: 'vgg16', lossWeights: 'random', seed: 0, workers,
  });
  const arch = resolveStyleArch(archOptions);
  const initial = initParams(arch, 0);
  const variables = Object.fromEntries(Object.entries(initial).map(([k, v]) => [k, tf.variable(v, true, `${scope}/${k}`)]));
  tf.dispose(Object.values(initial));
  return { options, arch, variables };
}

/** The loss side of a step taken in this thread; `dispose` releases the network and the Gram targets, not `style`. */
export interface StyleStepLoss extends Pick<GradientContext, 'network' | 'loss'> {
  readonly styleGrams: NonNullable<GradientContext['styleGrams']>;
  dispose(): void;
}

/** Loads the loss network `options` names and computes the style targets of `style` (1 x size x size x 3). */
export async function styleStepLoss(options: ResolvedTrainOptions, style: tf.Tensor4D): Promise<StyleStepLoss> {
  const network = await loadRunLossNetwork(options);
  const loss = resolvePerceptualLossOptions(options.loss, network.taps);
  const styleGrams = styleTargets(network, style, loss.styleLayers);
  return {
    network,
    loss,
    styleGrams,
    dispose() {
      tf.dispose(Object.values(styleGrams));
      network.dispose();
    },
  };
}

/** `count` images of `size` x `size` x 3 uniform random pixels in [0, 1), NHWC. */
export function randomPixels(random: Random, count: number, size: number): Float32Array {
  return Float32Array.from({ length: count * size * size * 3 }, () => random.next());
}

/**
 * @file The loss flags of `perceptual optimize` and `perceptual train`:
 * registering them, turning them into `PerceptualLossOptions`, and loading
 * the loss network they name.
 */
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { optionRangeError, perceptualError } from '../errors.js';
import type { LossNetwork, PerceptualLossOptions } from '../index.js';
import { parseInteger, parseList, parseNonNegative } from './command-helpers.js';

/** The parsed loss flags. */
export interface LossCliOptions {
  contentLayers?: string[];
  styleLayers?: string[];
  contentWeight?: number;
  styleWeight?: number;
  pixelWeight?: number;
  tvWeight?: number;
  tvPower?: number;
  styleNormalization?: 'none' | 'target';
  layerWeights?: string;
  lossNetwork?: string;
  lossWeights?: string;
  weights?: string;
  lossPreprocess?: 'identity' | '255' | 'minus-one-one';
  lossTaps?: string[];
}

/** Adds the loss flags to `command`; `style` adds --style-layers and --style-weight. */
export function addLossOptions(command: Command, style: boolean): Command {
  command
    .option('--content-layers <taps>', 'feature (content) loss taps, comma-separated', parseList)
    .option('--content-weight <w>', 'feature loss weight', parseNonNegative)
    .option('--pixel-weight <w>', 'pixel loss weight', parseNonNegative)
    .option('--tv-weight <w>', 'total variation weight', parseNonNegative)
    .addOption(new Option('--tv-power <p>', 'total variation exponent').choices(['1', '2']).argParser(Number))
    .option('--layer-weights <file>', 'JSON {"content": {tap: w}, "style": {tap: w}} of per-layer weights')
    .option('--loss-network <name|dir>', 'vgg16, vgg19, or a folder with a tfjs layers model (model.json)', 'vgg16')
    .option('--weights <file>', 'VGG weights (torchvision safetensors or Keras h5), or "random" for seeded random weights (benchmarks); default: the file `perceptual weights fetch` cached')
    .option('--loss-weights <file>', 'the same as --weights')
    .addOption(new Option('--loss-preprocess <p>', 'input scaling of a layers loss network').choices(['identity', '255', 'minus-one-one']))
    .option('--loss-taps <layers>', 'for a layers loss network: the layer names to expose as taps (default: every content and style layer)', parseList);
  if (style) {
    command
      .option('--style-layers <taps>', 'style loss taps, comma-separated', parseList)
      .option('--style-weight <w>', 'style loss weight', parseNonNegative)
      .addOption(new Option('--style-normalization <n>', "target: weigh each style layer by 1 / ||Gram of the style image||^2 (relative error; one set of layer weights fits every style); none: the paper's plain sum").choices(['none', 'target']));
  }
  return command;
}

/**
 * The loss options the flags ask for, merged over `defaults` (the task's training defaults).
 * @throws PerceptualError E_IO when --layer-weights cannot be read or parsed.
 */
export async function toLossOptions(o: LossCliOptions, defaults: PerceptualLossOptions): Promise<PerceptualLossOptions> {
  const loss: PerceptualLossOptions = { ...defaults };
  if (o.contentLayers) loss.contentLayers = o.contentLayers;
  if (o.styleLayers) loss.styleLayers = o.styleLayers;
  if (o.contentWeight !== undefined) loss.contentWeight = o.contentWeight;
  if (o.styleWeight !== undefined) loss.styleWeight = o.styleWeight;
  if (o.pixelWeight !== undefined) loss.pixelWeight = o.pixelWeight;
  if (o.tvWeight !== undefined) loss.tvWeight = o.tvWeight;
  if (o.tvPower !== undefined) loss.tvPower = o.tvPower as 1 | 2;
  if (o.styleNormalization !== undefined) loss.styleNormalization = o.styleNormalization;
  if (o.layerWeights !== undefined) {
    let parsed: { content?: Record<string, number>; style?: Record<string, number> };
    try {
      parsed = JSON.parse(await readFile(o.layerWeights, 'utf8'));
    } catch (error) {
      throw perceptualError('E_IO', `Cannot read --layer-weights ${o.layerWeights}: ${(error as Error).message}. Pass a JSON file like {"style": {"relu1_2": 1}}.`, error);
    }
    if (parsed.content) loss.contentLayerWeights = parsed.content;
    if (parsed.style) loss.styleLayerWeights = parsed.style;
  }
  return loss;
}

/**
 * Loads the loss network the flags name, exposing the taps `loss` uses
 * (`--weights random` gives seeded random VGG weights, for benchmarks).
 * @throws as loadNamedLossNetwork
 */
export async function loadCliLossNetwork(o: LossCliOptions, loss: PerceptualLossOptions, seed: number): Promise<LossNetwork> {
  const { loadNamedLossNetwork } = await import('../train/run-inputs.js');
  const network = o.lossNetwork ?? 'vgg16';
  // VGG is built only as deep as the loss's deepest layer. A layers model exposes every layer unless
  // --loss-taps narrows it (as `train` does), so a wrong layer name is refused by
  // resolvePerceptualLossOptions under its own flag, listing the model's layers.
  const vgg = network === 'vgg16' || network === 'vgg19';
  return loadNamedLossNetwork({
    network, weights: lossWeightsFlag(o), seed,
    taps: o.lossTaps ?? (vgg ? lossLayers(loss) : undefined), preprocess: o.lossPreprocess,
  });
}

/** The loss network weights the flags name: --weights, else its alias --loss-weights. */
export function lossWeightsFlag(o: LossCliOptions): string | undefined {
  return o.weights ?? o.lossWeights;
}

/** Every content and style layer of `loss`, each once (the default --loss-taps). */
export function lossLayers(loss: PerceptualLossOptions): string[] {
  return [...new Set([...(loss.contentLayers ?? []), ...(loss.styleLayers ?? [])])];
}

/** The flags of the commands that judge images under a VGG network (`compare`, `eval style`). */
export interface VggJudgeCliOptions
  extends Pick<LossCliOptions, 'weights' | 'contentLayers' | 'styleLayers' | 'contentWeight' | 'styleWeight' | 'pixelWeight' | 'tvWeight'> {
  network: 'vgg16' | 'vgg19';
  seed?: number;
  tvPower?: '1' | '2';
}

/**
 * Adds the VGG judging flags (network, weights or seed, layers, weights of
 * each term; defaults are DEFAULT_PERCEPTUAL_LOSS_OPTIONS'). `pixel` adds
 * --pixel-weight and --tv-power.
 */
export function addVggJudgeOptions(command: Command, pixel: boolean): Command {
  command
    .addOption(new Option('--network <name>', 'loss network').choices(['vgg16', 'vgg19']).default('vgg16'))
    .option('--weights <file>', 'VGG weights: torchvision safetensors or Keras notop .h5 (the format decides preprocessing). Default: the cached download (`perceptual weights fetch`)')
    .option('--seed <n>', 'use RANDOM VGG weights from this seed: for testing only, the numbers mean nothing perceptually', parseInteger)
    .option('--content-layers <list>', 'comma-separated taps for the feature (content) loss (default relu2_2)', parseList)
    .option('--style-layers <list>', 'comma-separated taps for the style loss (default relu1_2,relu2_2,relu3_3,relu4_3)', parseList)
    .option('--content-weight <w>', 'weight of the feature loss in the total (default 1)', parseNonNegative)
    .option('--style-weight <w>', 'weight of the style loss in the total (default 3)', parseNonNegative);
  if (pixel) command.option('--pixel-weight <w>', 'weight of the pixel loss in the total (default 0)', parseNonNegative);
  command.option('--tv-weight <w>', 'weight of the total variation in the total (default 0.01)', parseNonNegative);
  if (pixel) command.addOption(new Option('--tv-power <p>', 'exponent of the total variation').choices(['1', '2']));
  return command;
}

/** @throws RangeError E_OPTIONS when both --seed and --weights are given. */
export function checkSeedOrWeights(options: Pick<VggJudgeCliOptions, 'seed' | 'weights'>): void {
  if (options.seed !== undefined && options.weights !== undefined) {
    throw optionRangeError('--seed', 'left out when --weights is given (random weights are for testing only)', options.seed);
  }
}

/**
 * @file The loss flags of `perceptual optimize` and `perceptual train`:
 * registering them, turning them into `PerceptualLossOptions`, and loading
 * the loss network they name.
 */
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { perceptualError } from '../errors.js';
import type { PerceptualLossOptions } from '../losses/perceptual-options.js';
import type { LossNetwork } from '../types.js';
import { parseList, parseNonNegative } from './command-helpers.js';

/** The parsed loss flags. */
export interface LossCliOptions {
  contentLayers?: string[];
  styleLayers?: string[];
  contentWeight?: number;
  styleWeight?: number;
  pixelWeight?: number;
  tvWeight?: number;
  tvPower?: number;
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
      .option('--style-weight <w>', 'style loss weight', parseNonNegative);
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
  return loadNamedLossNetwork({
    network: o.lossNetwork ?? 'vgg16', weights: lossWeightsFlag(o), seed,
    taps: o.lossTaps ?? lossLayers(loss), preprocess: o.lossPreprocess,
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

/**
 * @file Default loss layers and weights per loss network. VGG's are the
 * paper's (TASK_DEFAULTS); a tfjs layers model has its own layer names and
 * feature scales, so its defaults are measured for it. The offline loss
 * network of this project is ml5's darknettiny ImageNet classifier; its
 * recipe was settled by the controlled runs in bench/RESULTS-style-recipe.md.
 */
import { basename, dirname } from 'node:path';
import type { PerceptualLossOptions } from '../losses/perceptual-options.js';
import type { TrainTask } from './train-options.js';

/**
 * darknettiny (16 convs; BN + LeakyReLU 0.1; max-pools after taps 1, 2, 6, 10):
 * - style: content at `leaky_re_lu_4` (1/4 resolution, the analogue of
 *   VGG relu3_3): `leaky_re_lu_2` pins colours as well as structure, so the
 *   style could not recolour the photo. Style at the seven taps from full to
 *   1/16 resolution, each relative to its target Gram
 *   (`styleNormalization: 'target'`): the squeeze layers' Grams are dominated
 *   by their channel means, so the style image and a photo differ by only
 *   5-30 % there, against 40-290 % at the 128-512-channel expand layers.
 *   The two full- and half-resolution taps weigh 10: they carry the palette.
 * - sr and distill: the feature loss at `leaky_re_lu_2` (as VGG relu2_2).
 */
const DARKNETTINY: Readonly<Record<TrainTask, PerceptualLossOptions>> = Object.freeze({
  style: {
    contentLayers: ['leaky_re_lu_4'],
    contentWeight: 15,
    styleLayers: ['leaky_re_lu_1', 'leaky_re_lu_2', 'leaky_re_lu_4', 'leaky_re_lu_6', 'leaky_re_lu_8', 'leaky_re_lu_10', 'leaky_re_lu_12'],
    styleLayerWeights: { leaky_re_lu_1: 10, leaky_re_lu_2: 10 },
    styleNormalization: 'target',
    styleWeight: 3,
    tvWeight: 20,
    tvPower: 2,
  },
  sr: { contentLayers: ['leaky_re_lu_2'], contentWeight: 1, styleLayers: [], styleWeight: 0, pixelWeight: 50, tvWeight: 0.1, tvPower: 2 },
  distill: { contentLayers: ['leaky_re_lu_2'], contentWeight: 1, styleLayers: [], styleWeight: 0, pixelWeight: 100, tvWeight: 0, tvPower: 2 },
});

/**
 * The default loss of `task` when training against `lossNetwork`, or null
 * when the network has no recipe here (VGG: TASK_DEFAULTS apply). A layers
 * model is recognised by its folder name (`.../darknettiny` or
 * `.../darknettiny/model.json`).
 */
export function lossRecipe(task: TrainTask, lossNetwork: string): PerceptualLossOptions | null {
  const folder = basename(lossNetwork) === 'model.json' ? basename(dirname(lossNetwork)) : basename(lossNetwork);
  return folder === 'darknettiny' ? DARKNETTINY[task] : null;
}

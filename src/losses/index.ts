/** @file The losses of SPEC section 3 and the joint perceptual loss built from them. */
export { featureLoss } from './feature.js';
export { gramMatrix } from './gram.js';
export { styleLoss, styleLossOverLayers } from './style.js';
export { pixelLoss } from './pixel.js';
export { totalVariationLoss, type TotalVariationOptions } from './total-variation.js';
export {
  DEFAULT_PERCEPTUAL_LOSS_OPTIONS,
  resolvePerceptualLossOptions,
  type PerceptualLossOptions,
  type ResolvedPerceptualLossOptions,
} from './perceptual-options.js';
export {
  disposeTerms,
  perceptualLoss,
  styleTargets,
  termsToNumbers,
  termsToNumbersAsync,
  type PerceptualLossInputs,
  type PerceptualLossNumbers,
  type PerceptualLossTerms,
} from './perceptual.js';

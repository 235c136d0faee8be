/**
 * @file Looking up a named parameter, with an error that names it.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { perceptualError } from '../../errors.js';
import type { Params } from '../../types.js';

/**
 * `params[name]`, or a clear error.
 * @throws PerceptualError E_WEIGHTS_MISMATCH naming the missing parameter
 */
export function param(params: Params, name: string): Tensor {
  const value = params[name];
  if (value === undefined) {
    throw perceptualError('E_WEIGHTS_MISMATCH', `The parameter '${name}' is missing from the model. Load or initialise parameters for this architecture (initParams / loadModel).`);
  }
  return value;
}

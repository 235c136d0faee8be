/**
 * @file Runs a network expressed as a list of named steps, either inside one
 * `tidy` (what `tf.variableGrads` needs for training) or "lean": each step in
 * its own `tidy`, and its input disposed as soon as it has run, so only about
 * two layers' activations are alive at once (large-image inference).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';

/** One layer (or block) of a transform network. */
export interface NetworkStep {
  /** `c1`, `d1`, `res0`, `u1`, `out` (pre-activation), `output` ([0, 1]). */
  readonly name: string;
  /**
   * @param x the previous step's output
   * @param input the network's input (for global skips); never disposed by a step
   * @returns a new tensor; caller disposes.
   */
  run(x: Tensor4D, input: Tensor4D): Tensor4D;
}

/** How to run the steps. */
export interface RunStepsOptions {
  /** Dispose each step's input once the next has run (no gradients through the result). Default false. */
  readonly lean?: boolean;
  /** Stop after the step of this name and return its output (for inspection and tests). */
  readonly until?: string;
}

/**
 * Runs `steps` on `x` in order. `x` itself is never disposed.
 * @returns the last (or `until`) step's output; caller disposes.
 * @throws RangeError if `until` names no step (a programming error, not a user option).
 */
export function runSteps(steps: readonly NetworkStep[], x: Tensor4D, options: RunStepsOptions = {}): Tensor4D {
  const { lean = false, until } = options;
  if (until !== undefined && !steps.some((step) => step.name === until)) {
    throw new RangeError(`runSteps: no step named '${until}' (steps: ${steps.map((step) => step.name).join(', ')})`);
  }
  if (!lean) {
    return tf.tidy(() => {
      let current = x;
      for (const step of steps) {
        current = step.run(current, x);
        if (step.name === until) break;
      }
      return current === x ? tf.clone(x) : current;
    });
  }
  let current = x;
  try {
    for (const step of steps) {
      const input = current;
      current = tf.tidy(() => step.run(input, x));
      if (input !== x) input.dispose();
      if (step.name === until) break;
    }
  } catch (error) {
    if (current !== x) current.dispose();
    throw error;
  }
  return current === x ? tf.clone(x) : current;
}

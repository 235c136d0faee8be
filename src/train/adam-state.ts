/**
 * @file Saving and restoring tf.train.adam's state (first and second
 * moments, iteration count) through its public getWeights/setWeights, plus
 * the one private detail setWeights gets only approximately right: the
 * running powers beta^t used for bias correction. A straight run builds them
 * by repeated float32 multiplication, setWeights by `pow`; we rebuild them
 * the straight run's way, so a resumed run is bitwise identical on CPU.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Variable } from '@tensorflow/tfjs-core';
import type { CheckpointData } from './checkpoint.js';

/** Adam's defaults in tf.train.adam (beta1 0.9, beta2 0.999). */
const BETA1 = 0.9;
const BETA2 = 0.999;

/**
 * Reads the optimizer state keyed by parameter name.
 * @param names the trainable parameter names in the order their variables were passed to the optimizer
 */
export async function snapshotAdam(optimizer: tf.Optimizer, names: readonly string[]): Promise<Pick<CheckpointData, 'adamIterations' | 'adamM' | 'adamV'>> {
  const weights = await optimizer.getWeights();
  const [iter, ...moments] = weights;
  const adamIterations = (await iter!.tensor.data())[0]!;
  iter!.tensor.dispose(); // saveIterations creates a fresh scalar
  const adamM: Record<string, Float32Array> = {};
  const adamV: Record<string, Float32Array> = {};
  const count = moments.length / 2;
  for (let i = 0; i < count; i++) {
    adamM[names[i]!] = (await moments[i]!.tensor.data()) as Float32Array;
    adamV[names[i]!] = (await moments[count + i]!.tensor.data()) as Float32Array;
  }
  return { adamIterations, adamM, adamV };
}

/** sequential float32 product b * b * ... (t + 1 factors), as Adam's accBeta after t steps. */
function runningPower(beta: number, steps: number): number {
  const b = Math.fround(beta);
  let acc = b;
  for (let i = 0; i < steps; i++) acc = Math.fround(acc * b);
  return acc;
}

/** Restores the optimizer state saved by snapshotAdam onto fresh variables (same names, same order). */
export async function restoreAdam(optimizer: tf.Optimizer, variables: Readonly<Record<string, Variable>>, checkpoint: CheckpointData): Promise<void> {
  const names = Object.keys(variables).filter((name) => checkpoint.adamM[name] !== undefined);
  if (names.length === 0) return;
  const tensors = [
    { name: 'iter', tensor: tf.scalar(checkpoint.adamIterations, 'int32') },
    ...names.map((n) => ({ name: `${variables[n]!.name}/m`, tensor: tf.tensor(checkpoint.adamM[n]!, variables[n]!.shape) })),
    ...names.map((n) => ({ name: `${variables[n]!.name}/v`, tensor: tf.tensor(checkpoint.adamV[n]!, variables[n]!.shape) })),
  ];
  try {
    await optimizer.setWeights(tensors);
  } finally {
    tf.dispose(tensors.map((t) => t.tensor)); // the optimizer's variables share the data and hold their own reference
  }
  const internal = optimizer as unknown as { accBeta1?: Variable; accBeta2?: Variable };
  if (internal.accBeta1 && internal.accBeta2) {
    tf.tidy(() => {
      internal.accBeta1!.assign(tf.scalar(runningPower(BETA1, checkpoint.adamIterations)));
      internal.accBeta2!.assign(tf.scalar(runningPower(BETA2, checkpoint.adamIterations)));
    });
  }
}

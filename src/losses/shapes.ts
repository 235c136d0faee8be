/**
 * @file Internal shape checks shared by the losses (not exported from the
 * barrel). Shapes are static in tfjs, so these checks cost nothing on device
 * and are safe inside `tf.variableGrads`.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tensorShapeError } from '../errors.js';

/**
 * Checks that `tensor` is a float tensor of the given rank.
 * @throws PerceptualError E_TENSOR_SHAPE naming `argument` and `op`.
 */
export function assertRank(tensor: Tensor, rank: number, argument: string, op: string, what: string): void {
  if (tensor.rank !== rank) throw tensorShapeError(argument, op, what, tensor.shape);
  if (tensor.dtype !== 'float32') {
    throw tensorShapeError(argument, op, `${what} of dtype float32 (got ${tensor.dtype}; cast it with tf.cast(x, 'float32'))`, tensor.shape);
  }
}

/**
 * Checks that `target` has the shape of `reference`, except that its batch
 * (first) dimension may be 1, in which case it is broadcast over the batch.
 * @throws PerceptualError E_TENSOR_SHAPE naming both arguments.
 */
export function assertBatchBroadcastable(reference: Tensor, target: Tensor, referenceName: string, targetName: string, op: string): void {
  const [batch, ...rest] = reference.shape;
  const [targetBatch, ...targetRest] = target.shape;
  const sameRest = rest.length === targetRest.length && rest.every((size, i) => size === targetRest[i]);
  if (!sameRest || (targetBatch !== batch && targetBatch !== 1)) {
    throw tensorShapeError(
      targetName,
      op,
      `[${batch === 1 ? '1' : `${batch} or 1`},${rest.join(',')}] to match '${referenceName}' (a batch of 1 is broadcast)`,
      target.shape,
    );
  }
}

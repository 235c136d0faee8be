/**
 * @file Preview images of a fixed validation set during training: one PNG
 * per preview step, each row an input beside the network's output (SR
 * inputs are enlarged with nearest-neighbour so rows line up).
 */
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { writeImage } from '../data/image-io.js';
import { transform } from '../networks/transform.js';
import type { ImageBatch, TransformModel } from '../types.js';

/** The file a preview of `step` is written to. */
export function previewPath(runDir: string, step: number): string {
  return join(runDir, 'previews', `step-${String(step).padStart(8, '0')}.png`);
}

/**
 * Runs the model on the validation inputs and writes the grid.
 * @param inputs float32 NHWC in [0, 1] (not disposed)
 * @returns the path written
 */
export async function writePreview(runDir: string, step: number, model: TransformModel, inputs: ImageBatch): Promise<string> {
  const grid = tf.tidy(() => {
    const outputs = transform(model, inputs);
    const [, h, w] = outputs.shape;
    const shown = inputs.shape[1] === h && inputs.shape[2] === w ? inputs : tf.image.resizeNearestNeighbor(inputs, [h, w]);
    const rows = tf.concat([shown, outputs], 2); // B x H x 2W x 3
    const [b] = rows.shape;
    return tf.reshape(rows, [1, b * h, 2 * w, 3]) as tf.Tensor4D;
  });
  const path = previewPath(runDir, step);
  try {
    await writeImage(path, grid, { format: 'png' });
  } finally {
    grid.dispose();
  }
  return path;
}

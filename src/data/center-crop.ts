/**
 * @file Fixed validation crops for training previews: the centre square of
 * each image, resized so that its short side equals the crop size.
 */
import { loadSharp } from './sharp.js';
import { perceptualError } from '../errors.js';
import type { PlainBatch } from './sr-degradation.js';

/**
 * Decodes the centre `size` x `size` crop of each image (short side resized to `size`).
 * @returns float32 NHWC [paths.length, size, size, 3] in [0, 1]
 * @throws PerceptualError E_IMAGE_DECODE naming the file that cannot be read
 */
export async function loadCenterCrops(paths: readonly string[], size: number): Promise<PlainBatch> {
  const per = size * size * 3;
  const data = new Float32Array(paths.length * per);
  for (const [i, path] of paths.entries()) {
    let raw: Buffer;
    try {
      raw = await (await loadSharp())(path).resize(size, size, { fit: 'cover', position: 'centre' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
    } catch (error) {
      throw perceptualError('E_IMAGE_DECODE', `Cannot decode ${path}: ${(error as Error).message}. Use a readable JPEG, PNG or WebP file.`, error);
    }
    for (let k = 0; k < per; k++) data[i * per + k] = raw[k]! / 255;
  }
  return { shape: [paths.length, size, size, 3], data };
}

/**
 * @file Reading an evaluation folder: its image files (sorted by name), a
 * partner file matched by name in another folder, and decoding to the plain
 * HWC float images the metrics take.
 */
import { readdir } from 'node:fs/promises';
import { extname, join, parse } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { perceptualError } from '../errors.js';
import { firstLine } from '../first-line.js';
import { readImage } from '../data/image-io.js';
import type { FloatImage } from '../pixels.js';

/** Extensions taken as images in evaluation folders. */
export const EVAL_IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.tif', '.tiff']);

/**
 * The image file names in `dir`, sorted.
 * @throws PerceptualError E_IO when the folder cannot be read, E_DATASET when it holds no image.
 */
export async function listImages(dir: string, what: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw perceptualError('E_IO', `Cannot read the ${what} folder '${dir}': ${firstLine(error)}. Check the path.`, error);
  }
  const images = names.filter((n) => EVAL_IMAGE_EXTENSIONS.includes(extname(n).toLowerCase())).sort();
  if (images.length === 0) {
    throw perceptualError('E_DATASET', `The ${what} folder '${dir}' holds no image (${EVAL_IMAGE_EXTENSIONS.join(', ')}). Point it at a folder of images.`);
  }
  return images;
}

/**
 * The file of `names` matching `name`: the same name, else the same stem with another image extension.
 * @throws PerceptualError E_DATASET when there is none.
 */
export function matchByName(name: string, names: readonly string[], dir: string, what: string): string {
  if (names.includes(name)) return name;
  const stem = parse(name).name;
  const other = names.find((n) => parse(n).name === stem);
  if (other === undefined) {
    throw perceptualError('E_DATASET', `No ${what} image for '${name}' in '${dir}' (files are matched by name). Give every image a partner of the same name.`);
  }
  return other;
}

/**
 * Decodes an image file to a plain HWC float image in [0, 1] (3 channels).
 * @throws PerceptualError E_IO / E_IMAGE_DECODE as readImage.
 */
export async function readFloatImage(dir: string, name: string): Promise<FloatImage> {
  const tensor = await readImage(join(dir, name));
  try {
    const [, height, width] = tensor.shape;
    return { width, height, channels: 3, data: (await tensor.data()) as Float32Array };
  } finally {
    tf.dispose(tensor);
  }
}

/**
 * @file Loads a transform network from whatever the user points at: a
 * perceptual `.safetensors` model file (SPEC section 5) or an ml5
 * checkpoint directory (SPEC section 6).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { perceptualError } from '../errors.js';
import type { TransformModel } from '../types.js';
import { importMl5Checkpoint } from './ml5-checkpoint.js';
import { loadModel } from './model-file.node.js';

/**
 * A model file, or a directory holding `manifest.json` (ml5 checkpoint).
 * @returns the model; caller disposes its params.
 * @throws PerceptualError E_IO when the path does not exist or is a directory
 *   without manifest.json; otherwise as loadModel / importMl5Checkpoint
 */
export async function loadTransformModel(path: string): Promise<TransformModel> {
  const info = await stat(path).catch((error: unknown) => {
    throw perceptualError('E_IO', `Cannot open the model ${path}: ${(error as Error).message}. Pass a .safetensors model file or an ml5 checkpoint directory.`, error);
  });
  if (!info.isDirectory()) return loadModel(path);
  const manifest = join(path, 'manifest.json');
  const hasManifest = await stat(manifest).then((s) => s.isFile(), () => false);
  if (!hasManifest) {
    throw perceptualError('E_IO', `${path} is a directory without manifest.json, so it is neither a model file nor an ml5 checkpoint. Pass a .safetensors model file or an ml5 checkpoint directory.`);
  }
  return importMl5Checkpoint(path);
}

/**
 * @file Importer for an ml5 style-transfer checkpoint directory on disk
 * (SPEC section 6): node:fs around readMl5Checkpoint, which holds the format
 * and its checks (read-ml5-checkpoint.ts; fetch-ml5-checkpoint.ts reads the
 * same format from a URL in browsers).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TransformModel } from '../types.js';
import { readMl5Checkpoint } from './read-ml5-checkpoint.js';

export { ML5_STYLE_ARCH, ML5_VARIABLE_ROLES, ml5VariableName } from './read-ml5-checkpoint.js';

/**
 * Reads an ml5 checkpoint directory into a model with arch ML5_STYLE_ARCH.
 * Every file's size must be 4 prod(shape) and every shape must match the table.
 * @returns the model; caller disposes its params.
 * @throws PerceptualError E_IO (unreadable file), E_WEIGHTS_FORMAT (bad
 *   manifest, wrong file size) or E_WEIGHTS_MISMATCH (wrong shape), naming the variable and file
 * @example
 * const model = await importMl5Checkpoint('ml5-style/wave');
 */
export function importMl5Checkpoint(dir: string): Promise<TransformModel> {
  return readMl5Checkpoint({
    location: dir,
    where: (name) => join(dir, name),
    read: (name) => readFile(join(dir, name)),
    readErrorCode: 'E_IO',
  });
}

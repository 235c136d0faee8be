/**
 * @file Parsing of the deeplearn.js / ml5 style-transfer checkpoints (SPEC
 * section 6; the layout and variable table are in
 * ../shared/data/ml5-style/FORMAT.md): `manifest.json` maps `Variable`,
 * `Variable_1` ... `Variable_47` to `{filename, shape}`, each file raw
 * little-endian float32. Variables are mapped to layers BY INDEX (a JSON key
 * sort would give Variable_1, Variable_10, ...): each layer is a kernel, then
 * its instance-norm shift (beta), then its scale (gamma).
 *
 * Where the files come from is a parameter ({@link Ml5CheckpointFiles}), so
 * the same checks run on a directory (ml5-checkpoint.ts, node:fs) and on a
 * folder URL (fetch-ml5-checkpoint.ts, browsers): this file imports no `node:`
 * module.
 */
import * as tf from '@tensorflow/tfjs-core';
import { perceptualError } from '../errors.js';
import { resolveStyleArch } from '../networks/arch.js';
import { styleParamSpecs } from '../networks/style-network.js';
import type { Params, StyleArch, TransformModel } from '../types.js';

/** The arch every ml5 checkpoint has: width 1, 5 residual blocks, transposed upsampling. */
export const ML5_STYLE_ARCH: StyleArch = resolveStyleArch({ variant: 'ml5' });

/** The layers in checkpoint order; each owns three consecutive variables. */
const ML5_LAYERS: readonly (readonly [kernel: string, norm: string])[] = [
  ['c1.kernel', 'c1.norm'],
  ['d1.kernel', 'd1.norm'],
  ['d2.kernel', 'd2.norm'],
  ...[0, 1, 2, 3, 4].flatMap((k) => [
    [`res${k}.conv1.kernel`, `res${k}.norm1`] as const,
    [`res${k}.conv2.kernel`, `res${k}.norm2`] as const,
  ]),
  ['u1.kernel', 'u1.norm'],
  ['u2.kernel', 'u2.norm'],
  ['out.kernel', 'out.norm'],
];

/**
 * Our parameter name for each checkpoint variable index 0..47 (FORMAT.md
 * section 2): kernel, IN shift (`.beta`), IN scale (`.gamma`).
 */
export const ML5_VARIABLE_ROLES: readonly string[] = Object.freeze(
  ML5_LAYERS.flatMap(([kernel, norm]) => [kernel, `${norm}.beta`, `${norm}.gamma`]),
);

/** The manifest's file name inside a checkpoint folder. */
export const ML5_MANIFEST = 'manifest.json';

/** `Variable` for 0, `Variable_<i>` after (TensorFlow's default names in creation order). */
export function ml5VariableName(index: number): string {
  return index === 0 ? 'Variable' : `Variable_${index}`;
}

/** Where a checkpoint's files come from: a directory, a folder URL, a test's map. */
export interface Ml5CheckpointFiles {
  /** The checkpoint folder (a path or URL): the model's provenance `source`. */
  readonly location: string;
  /** Where the file `name` of the checkpoint is (a path or URL), for messages. */
  where(name: string): string;
  /** The bytes of the file `name` (the manifest or a variable file); rejects when it cannot be read. */
  read(name: string): Promise<Uint8Array>;
  /** The code of a failed `read`: E_IO for files, E_DOWNLOAD for URLs. */
  readonly readErrorCode: 'E_IO' | 'E_DOWNLOAD';
}

interface ManifestEntry {
  filename: string;
  shape: number[];
}

/**
 * A variable's file name must name a file of the checkpoint folder itself:
 * no separator, no `.`/`..` (checked without node:path, for browsers).
 */
function isPlainFileName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && !/[/\\]/.test(name);
}

/**
 * Reads an ml5 checkpoint into a model with arch ML5_STYLE_ARCH. Every
 * file's size must be 4 prod(shape) and every shape must match the table.
 * @returns the model; caller disposes its params (float32 tensors).
 * @throws PerceptualError `files.readErrorCode` (unreadable file), E_WEIGHTS_FORMAT (bad
 *   manifest, wrong file size) or E_WEIGHTS_MISMATCH (wrong shape), naming the variable and file
 */
export async function readMl5Checkpoint(files: Ml5CheckpointFiles): Promise<TransformModel> {
  const manifestPath = files.where(ML5_MANIFEST);
  const fix = 'Use an unmodified ml5/deeplearn.js style-transfer checkpoint directory.';
  let manifest: Record<string, ManifestEntry>;
  let text: string;
  try {
    text = new TextDecoder().decode(await files.read(ML5_MANIFEST));
  } catch (error) {
    throw perceptualError(files.readErrorCode, `Cannot read the ml5 manifest ${manifestPath}: ${(error as Error).message}. ${fix}`, error);
  }
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw perceptualError('E_WEIGHTS_FORMAT', `Cannot read the ml5 manifest ${manifestPath}: ${(error as Error).message}. ${fix}`, error);
  }
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    throw perceptualError('E_WEIGHTS_FORMAT', `${manifestPath} is not a JSON object of variables. ${fix}`);
  }
  const expected = new Map(styleParamSpecs(ML5_STYLE_ARCH).map((spec) => [spec.name, spec.shape]));
  // The whole manifest is checked before any file is read, then every file is read at once
  // (48 requests in flight, not one after another, when the checkpoint is a URL).
  const entries = ML5_VARIABLE_ROLES.map((role, index) => {
    const variable = ml5VariableName(index);
    const entry = manifest[variable];
    const where = `${manifestPath}: variable '${variable}' (${role})`;
    if (entry === undefined) throw perceptualError('E_WEIGHTS_FORMAT', `${where} is missing. ${fix}`);
    const { filename, shape } = entry;
    // A filename must stay inside the checkpoint folder.
    if (!isPlainFileName(filename)) {
      throw perceptualError('E_WEIGHTS_FORMAT', `${where} has an invalid filename ${JSON.stringify(filename)}. ${fix}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw perceptualError('E_WEIGHTS_FORMAT', `${where} has an invalid shape ${JSON.stringify(shape)}. ${fix}`);
    }
    const want = expected.get(role)!;
    if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `${where} has shape [${shape.join(',')}], expected [${want.join(',')}]. ${fix}`);
    }
    return { variable, role, filename, shape, file: files.where(filename) };
  });
  // allSettled, so the error reported is the first failing variable in index order, whichever failed first in time.
  const reads = await Promise.allSettled(entries.map(({ filename }) => files.read(filename)));
  const contents = reads.map((read, index) => {
    if (read.status === 'fulfilled') return read.value;
    const { file, variable } = entries[index]!;
    throw perceptualError(files.readErrorCode, `Cannot read ${file} (variable '${variable}'): ${(read.reason as Error).message}. ${fix}`, read.reason);
  });
  const tensors: Params = {};
  try {
    entries.forEach(({ variable, role, shape, file }, index) => {
      const bytes = contents[index]!;
      const count = shape.reduce((a, b) => a * b, 1);
      if (bytes.byteLength !== 4 * count) {
        throw perceptualError('E_WEIGHTS_FORMAT', `${file} (variable '${variable}', ${role}) is ${bytes.byteLength} bytes, expected 4 x ${count} = ${4 * count} float32 bytes. ${fix}`);
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = view.getFloat32(4 * i, true);
      tensors[role] = tf.tensor(values, shape, 'float32');
    });
  } catch (error) {
    for (const tensor of Object.values(tensors)) tensor.dispose();
    throw error;
  }
  // paramSpecs order, so serializeModel and friends see the usual layout.
  const params: Params = {};
  for (const name of expected.keys()) params[name] = tensors[name]!;
  return {
    arch: ML5_STYLE_ARCH,
    params,
    provenance: { trained_with: 'ml5/deeplearn.js (lengstrom/fast-style-transfer)', source: files.location },
  };
}

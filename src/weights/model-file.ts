/**
 * @file Model files (SPEC section 5): one `.safetensors` with `__metadata__`
 * `format` = `perceptual-model`, `version`, `task`, `arch` (JSON) and
 * provenance (`trained_with`, `loss_network`, `source`); tensors F32 or F16,
 * named and shaped as transformParamSpecs(arch). `parseModel` and
 * `serializeModel` use no `node:fs`, so browsers can use them; `saveModel`
 * and `loadModel` add the file system.
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionRangeError, perceptualError } from '../errors.js';
import { parseArch } from '../networks/arch.js';
import { transformParamSpecs } from '../networks/transform.js';
import type { ModelProvenance, Params, TransformModel } from '../types.js';
import { parseSafetensors, serializeSafetensors, type SafetensorsInput } from './safetensors.js';

/** The `format` metadata value that marks a perceptual model file. */
export const MODEL_FORMAT = 'perceptual-model';
/** The model file version this code writes; parseModel accepts these. */
export const MODEL_VERSION = '1';
const SUPPORTED_VERSIONS: readonly string[] = [MODEL_VERSION];
const PROVENANCE_KEYS = ['trained_with', 'loss_network', 'source'] as const;

/** Options of serializeModel / saveModel. */
export interface SerializeModelOptions {
  /** Storage type: F32 (default, exact) or F16 (half the size, ~3 significant digits). */
  readonly dtype?: 'F32' | 'F16';
}

/**
 * Encodes a model as safetensors bytes, tensors in paramSpecs order.
 * @throws RangeError E_OPTIONS for an unknown dtype; PerceptualError
 *   E_WEIGHTS_MISMATCH when a parameter is missing or misshapen
 */
export function serializeModel(model: TransformModel, options: SerializeModelOptions = {}): Uint8Array {
  const dtype = options.dtype ?? 'F32';
  if (dtype !== 'F32' && dtype !== 'F16') throw optionRangeError('options.dtype', "'F32' or 'F16'", dtype);
  const tensors: Record<string, SafetensorsInput> = {};
  for (const spec of transformParamSpecs(model.arch)) {
    const tensor = model.params[spec.name];
    if (tensor === undefined) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `serializeModel: parameter '${spec.name}' is missing. Pass the full parameter set of this arch.`);
    }
    if (!sameShape(tensor.shape, spec.shape)) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `serializeModel: parameter '${spec.name}' has shape [${tensor.shape.join(',')}], expected [${spec.shape.join(',')}]. Pass parameters made for this arch.`);
    }
    tensors[spec.name] = { shape: spec.shape, data: tensor.dataSync() as Float32Array };
  }
  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    task: model.arch.task,
    arch: JSON.stringify(model.arch),
  };
  for (const key of PROVENANCE_KEYS) {
    const value = model.provenance[key];
    if (value !== undefined) metadata[key] = value;
  }
  return serializeSafetensors(tensors, { dtype, metadata });
}

/**
 * Decodes and validates a model file: metadata, then every tensor's name,
 * dtype (F32/F16) and shape against the arch, in paramSpecs order.
 * @param source the file name, for messages
 * @returns the model; its params are new float32 tensors the caller disposes.
 * @throws PerceptualError E_WEIGHTS_FORMAT (not safetensors), E_MODEL_FORMAT
 *   (bad metadata) or E_WEIGHTS_MISMATCH (tensors), naming the first problem
 */
export function parseModel(bytes: Uint8Array, source: string): TransformModel {
  const file = parseSafetensors(bytes, source);
  const meta = file.metadata;
  const badMeta = (problem: string): never => {
    throw perceptualError('E_MODEL_FORMAT', `${source}: ${problem}. Save the model with perceptual (or import it) to get a valid model file.`);
  };
  if (meta.format !== MODEL_FORMAT) badMeta(`metadata 'format' is ${JSON.stringify(meta.format)}, expected "${MODEL_FORMAT}" (not a perceptual model file)`);
  if (meta.version === undefined || !SUPPORTED_VERSIONS.includes(meta.version)) {
    badMeta(`metadata 'version' is ${JSON.stringify(meta.version)}; this version of perceptual reads ${SUPPORTED_VERSIONS.map((v) => `"${v}"`).join(', ')}`);
  }
  if (meta.task !== 'style' && meta.task !== 'sr') badMeta(`metadata 'task' is ${JSON.stringify(meta.task)}, expected "style" or "sr"`);
  if (meta.arch === undefined) badMeta("metadata 'arch' is missing");
  const arch = parseArch(meta.arch!, source);
  if (arch.task !== meta.task) badMeta(`metadata 'task' is "${meta.task}" but 'arch' describes a "${arch.task}" network`);

  const mismatch = (problem: string): never => {
    throw perceptualError('E_WEIGHTS_MISMATCH', `${source}: ${problem}. The file does not match its own arch; re-export it.`);
  };
  const specs = transformParamSpecs(arch);
  for (const spec of specs) {
    const entry = file.tensors.get(spec.name);
    if (entry === undefined) mismatch(`tensor '${spec.name}' is missing`);
    if (entry!.dtype !== 'F32' && entry!.dtype !== 'F16') mismatch(`tensor '${spec.name}' has dtype ${entry!.dtype}, expected F32 or F16`);
    if (!sameShape(entry!.shape, spec.shape)) mismatch(`tensor '${spec.name}' has shape [${entry!.shape.join(',')}], expected [${spec.shape.join(',')}]`);
  }
  const expected = new Set(specs.map((spec) => spec.name));
  for (const name of file.tensors.keys()) {
    if (!expected.has(name)) mismatch(`tensor '${name}' is unexpected for this arch`);
  }
  const params: Params = {};
  for (const spec of specs) params[spec.name] = tf.tensor(file.tensors.get(spec.name)!.data, [...spec.shape], 'float32');
  const provenance: ModelProvenance = {};
  for (const key of PROVENANCE_KEYS) if (meta[key] !== undefined) provenance[key] = meta[key];
  return { arch, params, provenance };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

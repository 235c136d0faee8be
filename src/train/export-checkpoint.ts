/**
 * @file A model file from any checkpoint of a run (`perceptual train export`):
 * training keeps checkpoints so that a run can be judged by its previews and
 * the best step shipped, or a long run used before it ends, without
 * resuming it to write its final model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { perceptualError } from '../errors.js';
import type { Params } from '../types.js';
import { saveModel } from '../weights/model-file.node.js';
import { listCheckpoints, parseCheckpoint } from './checkpoint.js';
import { readRunConfig } from './run-dir.js';
import { runArch, runProvenance } from './run-model.js';

export interface ExportCheckpointOptions {
  /** Where the model goes (.safetensors). */
  readonly out: string;
  /** The checkpoint's step; default: the newest. */
  readonly step?: number;
  /** Storage type of the model file (default F16, as training writes). */
  readonly dtype?: 'F16' | 'F32';
}

/**
 * Writes the model of one checkpoint of `runDir` to `options.out` (atomically).
 * @returns the step exported
 * @throws PerceptualError E_CHECKPOINT when the run has no such checkpoint (naming the steps it has) or it is corrupt
 */
export async function exportCheckpoint(runDir: string, options: ExportCheckpointOptions): Promise<{ step: number; path: string }> {
  const config = await readRunConfig(runDir);
  const all = await listCheckpoints(runDir);
  const chosen = options.step === undefined ? all[0] : all.find((c) => c.step === options.step);
  if (chosen === undefined) {
    if (all.length === 0) throw perceptualError('E_CHECKPOINT', `${runDir} has no checkpoints yet. A run writes one every --checkpoint-every steps and when it is stopped.`);
    const have = all.map((c) => c.step).reverse().join(', ');
    throw perceptualError('E_CHECKPOINT', `${runDir} has no checkpoint of step ${options.step} (it has steps ${have}). Pick one of those with --step.`);
  }
  const checkpoint = parseCheckpoint(await readFile(chosen.path), chosen.path);
  const params: Params = {};
  try {
    for (const [name, { shape, data }] of Object.entries(checkpoint.params)) params[name] = tf.tensor(data, [...shape]);
    const provenance = runProvenance(config.options, config.options.lossNetwork, checkpoint.step);
    await saveModel(options.out, { arch: runArch(config.options), params, provenance }, { dtype: options.dtype ?? 'F16' });
  } finally {
    tf.dispose(Object.values(params));
  }
  return { step: checkpoint.step, path: options.out };
}

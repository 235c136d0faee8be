/**
 * @file Training checkpoints: one safetensors file per checkpoint
 * (`checkpoints/checkpoint-<step>.safetensors`) holding the transform
 * parameters (`param.<name>`), the Adam moments (`adam.m.<name>`,
 * `adam.v.<name>`) and, in `__metadata__.checkpoint`, the step, the Adam
 * iteration count, the dataset position and a SHA-256 of the tensor bytes.
 * Written with writeFileAtomic, so a crash leaves the previous file or the
 * new one, never half of one; on load a file that fails to parse or whose
 * hash differs is reported and the previous checkpoint is used.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { perceptualError } from '../errors.js';
import type { DatasetState } from '../data/dataset.js';
import { parseSafetensors, serializeSafetensors } from '../weights/safetensors.js';

/** Everything a checkpoint restores, as plain arrays. */
export interface CheckpointData {
  readonly step: number;
  /** Adam's iteration counter (equals step unless the run was restarted). */
  readonly adamIterations: number;
  readonly dataset: DatasetState;
  /** Parameter name -> shape and values, in paramSpecs order. */
  readonly params: Readonly<Record<string, { shape: readonly number[]; data: Float32Array }>>;
  /** Adam first and second moments keyed by parameter name (absent before the first step). */
  readonly adamM: Readonly<Record<string, Float32Array>>;
  readonly adamV: Readonly<Record<string, Float32Array>>;
}

const FOLDER = 'checkpoints';
const PATTERN = /^checkpoint-(\d+)\.safetensors$/;

/** The file a checkpoint of `step` is written to. */
export function checkpointPath(runDir: string, step: number): string {
  return join(runDir, FOLDER, `checkpoint-${String(step).padStart(8, '0')}.safetensors`);
}

function digest(tensors: Record<string, { data: Float32Array }>): string {
  const hash = createHash('sha256');
  for (const [name, tensor] of Object.entries(tensors)) {
    hash.update(name);
    hash.update(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  }
  return hash.digest('hex');
}

/** Serialises a checkpoint (F32, so resume is exact). */
export function serializeCheckpoint(checkpoint: CheckpointData): Uint8Array {
  const tensors: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
  for (const [name, p] of Object.entries(checkpoint.params)) tensors[`param.${name}`] = p;
  for (const [name, m] of Object.entries(checkpoint.adamM)) tensors[`adam.m.${name}`] = { shape: checkpoint.params[name]!.shape, data: m };
  for (const [name, v] of Object.entries(checkpoint.adamV)) tensors[`adam.v.${name}`] = { shape: checkpoint.params[name]!.shape, data: v };
  const meta = { step: checkpoint.step, adamIterations: checkpoint.adamIterations, dataset: checkpoint.dataset, sha256: digest(tensors) };
  return serializeSafetensors(tensors, { dtype: 'F32', metadata: { format: 'perceptual-checkpoint', checkpoint: JSON.stringify(meta) } });
}

/**
 * Parses and verifies a checkpoint file.
 * @throws PerceptualError E_CHECKPOINT naming the file and what is wrong
 */
export function parseCheckpoint(bytes: Uint8Array, source: string): CheckpointData {
  let file;
  try {
    file = parseSafetensors(bytes, source);
  } catch (error) {
    throw perceptualError('E_CHECKPOINT', `Checkpoint ${source} is corrupt: ${(error as Error).message}`, error);
  }
  if (file.metadata.format !== 'perceptual-checkpoint' || file.metadata.checkpoint === undefined) {
    throw perceptualError('E_CHECKPOINT', `Checkpoint ${source} is not a perceptual checkpoint (metadata.format is ${JSON.stringify(file.metadata.format)}). Point --resume at a run directory written by perceptual train.`);
  }
  const meta = JSON.parse(file.metadata.checkpoint) as { step: number; adamIterations: number; dataset: DatasetState; sha256: string };
  const params: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
  const adamM: Record<string, Float32Array> = {};
  const adamV: Record<string, Float32Array> = {};
  const ordered: Record<string, { data: Float32Array }> = {};
  for (const [key, entry] of file.tensors) {
    ordered[key] = entry;
    if (key.startsWith('param.')) params[key.slice(6)] = { shape: entry.shape, data: entry.data };
    else if (key.startsWith('adam.m.')) adamM[key.slice(7)] = entry.data;
    else if (key.startsWith('adam.v.')) adamV[key.slice(7)] = entry.data;
  }
  if (digest(ordered) !== meta.sha256) {
    throw perceptualError('E_CHECKPOINT', `Checkpoint ${source} is corrupt: its tensor bytes do not match the SHA-256 recorded when it was written.`);
  }
  return { step: meta.step, adamIterations: meta.adamIterations, dataset: meta.dataset, params, adamM, adamV };
}

/** Checkpoint files of a run, newest first: `{ step, path }`. */
export async function listCheckpoints(runDir: string): Promise<{ step: number; path: string }[]> {
  let names: string[];
  try {
    names = await readdir(join(runDir, FOLDER));
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, match: PATTERN.exec(name) }))
    .filter((e) => e.match !== null)
    .map((e) => ({ step: Number(e.match![1]), path: join(runDir, FOLDER, e.name) }))
    .sort((a, b) => b.step - a.step);
}

/**
 * Writes a checkpoint atomically and deletes all but the newest `keep`.
 * @returns the path written
 */
export async function saveCheckpoint(runDir: string, checkpoint: CheckpointData, keep: number): Promise<string> {
  const path = checkpointPath(runDir, checkpoint.step);
  await writeFileAtomic(path, serializeCheckpoint(checkpoint));
  const all = await listCheckpoints(runDir);
  for (const old of all.slice(Math.max(1, keep))) await rm(old.path, { force: true });
  return path;
}

/**
 * Loads the newest checkpoint that verifies; each corrupt one is reported
 * through `warn` and skipped for the one before it.
 * @returns the checkpoint and its path, or null when the run has none
 * @throws PerceptualError E_CHECKPOINT when checkpoints exist but none verifies
 */
export async function loadLatestCheckpoint(runDir: string, warn: (message: string) => void): Promise<{ checkpoint: CheckpointData; path: string } | null> {
  const all = await listCheckpoints(runDir);
  const problems: string[] = [];
  for (const { path } of all) {
    try {
      return { checkpoint: parseCheckpoint(await readFile(path), path), path };
    } catch (error) {
      problems.push((error as Error).message);
      warn(`warning: ${(error as Error).message} Falling back to the previous checkpoint.`);
    }
  }
  if (all.length > 0) {
    throw perceptualError('E_CHECKPOINT', `No usable checkpoint in ${join(runDir, FOLDER)}: ${problems.join(' ')} Start a new run without --resume.`);
  }
  return null;
}

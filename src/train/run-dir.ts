/**
 * @file The files of a run directory besides checkpoints: `config.json`
 * (the resolved options, so `--resume` rebuilds the same run) and
 * `log.jsonl` (one JSON object per step: every loss component, the learning
 * rate, step time and images/s).
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { perceptualError } from '../errors.js';
import type { PerceptualLossNumbers } from '../losses/perceptual.js';
import type { ResolvedTrainOptions } from './train-options.js';

/** One line of log.jsonl. */
export interface TrainLogEntry {
  readonly step: number;
  readonly epoch: number;
  readonly lr: number;
  readonly loss: PerceptualLossNumbers;
  readonly stepMs: number;
  readonly imagesPerSec: number;
  readonly time: string;
}

/** What config.json holds. */
export interface RunConfig {
  readonly format: 'perceptual-run';
  readonly version: 1;
  readonly options: ResolvedTrainOptions;
  readonly created: string;
}

export const CONFIG_FILE = 'config.json';
export const LOG_FILE = 'log.jsonl';

/** Writes config.json atomically; a resumed run passes the `created` time it started with. */
export async function writeRunConfig(runDir: string, options: ResolvedTrainOptions, created = new Date().toISOString()): Promise<void> {
  const config: RunConfig = { format: 'perceptual-run', version: 1, options, created };
  await writeFileAtomic(join(runDir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * Reads config.json of a run directory.
 * @throws PerceptualError E_CHECKPOINT when it is missing or not a run config
 */
export async function readRunConfig(runDir: string): Promise<RunConfig> {
  const path = join(runDir, CONFIG_FILE);
  let config: RunConfig;
  try {
    config = JSON.parse(await readFile(path, 'utf8')) as RunConfig;
  } catch (error) {
    throw perceptualError('E_CHECKPOINT', `Cannot read ${path} (${(error as Error).message}). --resume needs a run directory written by perceptual train.`, error);
  }
  if (config.format !== 'perceptual-run' || typeof config.options !== 'object') {
    throw perceptualError('E_CHECKPOINT', `${path} is not a perceptual run config. --resume needs a run directory written by perceptual train.`);
  }
  // Options added after a run was written take the value that run used.
  return { ...config, options: { ...ADDED_OPTIONS, ...config.options } };
}

/** Resolved options that config.json files of older versions lack, with the behaviour those versions had. */
const ADDED_OPTIONS: Partial<ResolvedTrainOptions> = Object.freeze({ degradation: 'blur-bicubic', init: null, teacher: null, teacherMargin: 0, lossBorder: 'zero', workers: 1 });

/** Appends one entry to log.jsonl. */
export async function appendLog(runDir: string, entry: TrainLogEntry): Promise<void> {
  await appendFile(join(runDir, LOG_FILE), `${JSON.stringify(entry)}\n`);
}

/**
 * Drops log lines after `step` (they belong to steps a resumed run redoes),
 * rewriting the file atomically.
 */
export async function truncateLog(runDir: string, step: number): Promise<void> {
  const path = join(runDir, LOG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return;
  }
  const kept = text.split('\n').filter((line) => {
    if (line.trim() === '') return false;
    try {
      return (JSON.parse(line) as TrainLogEntry).step <= step;
    } catch {
      return false; // a line cut short by a crash
    }
  });
  await writeFileAtomic(path, kept.map((line) => `${line}\n`).join(''));
}

/** Reads log.jsonl back (for tests and reports). */
export async function readLog(runDir: string): Promise<TrainLogEntry[]> {
  const text = await readFile(join(runDir, LOG_FILE), 'utf8');
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as TrainLogEntry);
}

/**
 * @file What every command shares: the --backend and --verbose options, the
 * action wrapper that turns a thrown error into a printed message and an
 * exit code, backend selection with its reason printed, number parsers
 * for option values, and the wait for a stop signal of the long-running
 * commands.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { packageRoot } from '../package-root.js';
import { optionRangeError } from '../errors.js';
import { BACKEND_ENV_VAR, BACKEND_ORDER, type Runtime, selectBackend } from '../runtime/index.js';
import { numberFromText } from '../validate.js';
import type { CliContext } from './context.js';
import { exitCodeFor } from './errors-to-exit.js';
import { createOutput, type Output } from './output.js';

/** Options every command accepts. */
export interface CommonOptions {
  backend?: string;
  verbose?: boolean;
}

/** Adds --backend and --verbose to `command`. */
export function withCommonOptions(command: Command): Command {
  return command
    .option('--backend <name>', `tfjs backend: ${BACKEND_ORDER.join(', ')} (default: the first that loads; env PERCEPTUAL_BACKEND)`)
    .option('--verbose', 'print stacks and extra detail', false);
}

/**
 * Wraps a command's action: creates its Output, runs it, and on failure
 * prints the error (stack only with --verbose) and sets `context.exitCode`.
 * Errors never escape, so one failing command cannot crash a test runner.
 */
export function commandAction<A extends unknown[], O extends CommonOptions>(
  context: CliContext,
  run: (output: Output, options: O, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...raw: unknown[]) => {
    // commander passes (...arguments, options, command).
    const options = raw[raw.length - 2] as O;
    const args = raw.slice(0, -2) as A;
    const output = createOutput(context, { verbose: options.verbose });
    try {
      await run(output, options, ...args);
    } catch (error) {
      output.error(error);
      context.exitCode = exitCodeFor(error);
    }
  };
}

/**
 * Selects the backend and prints which one and why (stderr), plus what was
 * rejected before it.
 * @throws PerceptualError E_BACKEND_UNAVAILABLE, RangeError E_OPTIONS for an unknown name.
 */
export async function chooseBackend(
  context: CliContext,
  output: Output,
  backend: string | undefined,
  purpose: 'train' | 'infer',
): Promise<Runtime> {
  const runtime = await selectBackend({ backend, purpose, env: context.env });
  output.info(`backend: ${runtime.backend} (${runtime.reason})`);
  for (const attempt of runtime.rejected) output.debug(`  not ${attempt.backend}: ${attempt.reason}`);
  return runtime;
}

/**
 * Whether an image command must run in this process because the backend
 * asked for (--backend, else PERCEPTUAL_BACKEND) is webgpu: the worker
 * threads run WASM, and one process holds the GPU device for every image.
 * @throws RangeError E_OPTIONS naming --workers when it asks for worker threads with webgpu
 */
export function webGpuInProcess(context: CliContext, options: { readonly backend?: string | undefined; readonly workers?: number | undefined }): boolean {
  const fromEnv = context.env[BACKEND_ENV_VAR] || undefined;
  if ((options.backend ?? fromEnv) !== 'webgpu') return false;
  if (options.workers !== undefined && options.workers !== 0) {
    const source = options.backend !== undefined ? '--backend webgpu' : `${BACKEND_ENV_VAR}=webgpu`;
    throw optionRangeError(
      '--workers',
      `0 or absent with ${source} (worker threads run WASM; WebGPU runs in this process, which holds the GPU for every image). Drop --workers to run on WebGPU, or use --backend wasm for worker threads`,
      options.workers,
    );
  }
  return true;
}

/** Commander parser for a finite number option. */
export function parseNumber(value: string): number {
  const number = numberFromText(value);
  if (!Number.isFinite(number)) throw new InvalidArgumentError(`expected a number (received "${value}").`);
  return number;
}

/** Commander parser for a non-negative number option (loss weights). */
export function parseNonNegative(value: string): number {
  const number = parseNumber(value);
  if (number < 0) throw new InvalidArgumentError(`expected a number >= 0 (received "${value}").`);
  return number;
}

/** Commander parser for an integer option. */
export function parseInteger(value: string): number {
  const number = parseNumber(value);
  if (!Number.isInteger(number)) throw new InvalidArgumentError(`expected an integer (received "${value}").`);
  return number;
}

/** Commander parser for a comma-separated list (`relu1_2,relu2_2`). */
export function parseList(value: string): string[] {
  const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (items.length === 0) throw new InvalidArgumentError(`expected a comma-separated list (received "${value}").`);
  return items;
}

/** The package version from package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Resolves on the first SIGINT or SIGTERM and removes both listeners, so a
 * long-running command (`serve`, `queue worker`) can close what it holds
 * before the process ends.
 */
export function waitForStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/**
 * @file Helpers for CLI suites: run `perceptual` in-process and capture what
 * it printed, and temporary folders with small test images.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `argv` (after the program name) in this process. */
export async function cli(argv: readonly string[], options: { isTTY?: boolean; env?: Record<string, string | undefined> } = {}): Promise<CliRun> {
  const context = memoryContext(options);
  const code = await runCli(argv, context);
  return { code, stdout: context.out(), stderr: context.err() };
}

/** A fresh temporary folder and its remover. */
export async function tempDir(prefix: string): Promise<{ dir: string; path: (name: string) => string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `perceptual-${prefix}-`));
  return { dir, path: (name) => join(dir, name), remove: () => rm(dir, { recursive: true, force: true }) };
}

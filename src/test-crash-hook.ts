/**
 * @file A test hook that the Node worker entries (workers/infer.node.ts,
 * band.node.ts, train.node.ts) call as a task starts, read from the
 * environment as tests cannot reach into a thread: when the file named by
 * PERCEPTUAL_TEST_WORKER_CRASH exists, the worker exits mid-job; content
 * `once` deletes the file first, so only one worker crashes. Kept in src, not
 * workers/, so that workers/ holds only entry scripts.
 */
import { existsSync, readFileSync, unlinkSync } from 'node:fs';

/** The environment variable naming the crash file. */
export const TEST_CRASH_ENV_VAR = 'PERCEPTUAL_TEST_WORKER_CRASH';

/** Exits this worker (code 70) when the crash file exists. */
export function crashHook(): void {
  const file = process.env[TEST_CRASH_ENV_VAR];
  if (!file || !existsSync(file)) return;
  if (readFileSync(file, 'utf8').trim() === 'once') unlinkSync(file);
  process.exit(70);
}

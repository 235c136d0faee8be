/**
 * @file Crash-retry-once, shared by the runners whose workers can die: the
 * worker pool (per region), the band runner and the browser stylizer (per
 * job). Work whose worker died runs once more, on a replaced worker; a second
 * death fails with E_WORKER_CRASHED naming what was running. Platform-neutral.
 */
import { workerCrashedError } from './pool-errors.js';

/** Options of {@link retryOnceOnCrash}. */
export interface CrashRetryOptions {
  /** What was running, for the message: "a 24x24 region of the style model wave.safetensors". */
  readonly what: string;
  /** Whether `error` means that the worker died; any other error is the work's own and is rethrown. */
  readonly isCrash: (error: unknown) => boolean;
  /** Once this has aborted, a crash is not retried (the job is over) and its error is rethrown as is. */
  readonly signal?: AbortSignal;
  /** Called for each crash, before the retry or the failure (to count worker restarts). */
  readonly onCrash?: (error: unknown) => void;
}

/**
 * Runs `attempt`, and once more if its worker died (the attempt replaces the dead worker).
 * @throws PerceptualError E_WORKER_CRASHED (the second crash as `cause`) when both attempts crash;
 *   else the attempt's own error
 */
export async function retryOnceOnCrash<T>(attempt: () => Promise<T>, options: CrashRetryOptions): Promise<T> {
  let crash: unknown;
  for (let tries = 0; tries < 2; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (options.signal?.aborted || !options.isCrash(error)) throw error;
      options.onCrash?.(error);
      crash = error;
    }
  }
  throw workerCrashedError(options.what, crash);
}

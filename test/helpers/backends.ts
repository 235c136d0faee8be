/**
 * @file Test helpers: activate a backend through src/runtime, and list the
 * backends every cross-backend suite should run on here.
 */
import { selectBackend } from '../../src/runtime/index.js';
import type { BackendName } from '../../src/runtime/index.js';

/** The backends that suites rerun on (those that load without native packages). */
export const TEST_BACKENDS: readonly BackendName[] = ['cpu', 'wasm'];

/** Activates `backend` (through the runtime, so gradients are registered). */
export async function useBackend(backend: BackendName): Promise<void> {
  await selectBackend({ backend });
}

/**
 * @file Test helpers: activate a backend through src/runtime, and list the
 * backends every cross-backend suite should run on here.
 */
import { BACKEND_ORDER, type BackendName, selectBackend } from '../../src/runtime/index.js';
import { CANDIDATES } from '../../src/runtime/candidates.node.js';

/**
 * GPU backends have their own parity suites with GPU tolerances
 * (test/runtime/webgpu-parity.test.ts), and webgpu cannot read tensors
 * synchronously in Node, which these suites do; probing webgpu would also
 * start Dawn in every test process.
 */
const GPU_BACKENDS: ReadonlySet<BackendName> = new Set(['node-gpu', 'webgpu']);

/**
 * The CPU backends whose probe says they can run here, cheapest first
 * (tfjs-backend-cpu, the plain-JavaScript reference, then tfjs-backend-wasm,
 * then native tfjs-node when it is installed). Each one left out is printed
 * as a SKIP line, so a broken install shows in the test output instead of
 * silently shrinking what the suites cover.
 */
async function availableTestBackends(): Promise<readonly BackendName[]> {
  const names: BackendName[] = [];
  for (const name of [...BACKEND_ORDER].reverse()) {
    if (GPU_BACKENDS.has(name)) continue;
    const probe = await CANDIDATES[name].probe();
    if (probe.available) names.push(name);
    else console.log(`SKIP backend ${name} in cross-backend suites: ${probe.reason}`);
  }
  return Object.freeze(names);
}

/** The backends that cross-backend suites rerun on (see availableTestBackends); always includes 'cpu'. */
export const TEST_BACKENDS: readonly BackendName[] = await availableTestBackends();
if (!TEST_BACKENDS.includes('cpu')) throw new Error(`test backends: tfjs-backend-cpu, the reference backend, cannot load here (${TEST_BACKENDS.join(', ') || 'none'} can)`);

/** Activates `backend` (through the runtime, so gradients are registered). */
export async function useBackend(backend: BackendName): Promise<void> {
  await selectBackend({ backend });
}

/**
 * @file The `webgpu` backend candidate for Node: tfjs-backend-webgpu on
 * Dawn's WebGPU for Node (the optional `webgpu` package; its native binary
 * ships inside the npm package, so installing it downloads nothing more).
 * WebGPU reaches the GPU through Vulkan (Linux), Metal (macOS) or D3D12
 * (Windows), with no CUDA or cuDNN version to match.
 *
 * The probe asks Dawn for an adapter (once per process) to name it; a
 * software adapter is refused unless the backend is forced (webgpu-adapter.ts).
 *
 * tfjs-backend-webgpu reads a tensor synchronously (`dataSync`) only through
 * an OffscreenCanvas, which Node lacks, so code that reads that way cannot
 * run on it here: the backend's `readSync` says so in a PerceptualError
 * instead of a ReferenceError. Training and inference (src/infer/infer-region.ts)
 * read with `data()`.
 */
import { platform } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { perceptualError } from '../errors.js';
import type { CandidateOptions, NodeCandidate, ProbeResult } from './candidates.node.js';
import { findVulkanDrivers, CHROMIUM_SWIFTSHADER_ICD } from './vulkan-drivers.node.js';
import { ADAPTER_OPTIONS, adapterFacts, adapterLabel, adapterVerdict, type GpuLike, registerWebGpuBackend, type WebGpuAdapterFacts, type WebGpuBackendClass } from './webgpu-adapter.js';

/** The npm package of Dawn's Node binding. */
export const DAWN_PACKAGE = 'webgpu';
const TFJS_WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

/** What the one adapter lookup of this process found. */
type AdapterLookup = { readonly gpu: GpuLike; readonly facts: WebGpuAdapterFacts } | { readonly error: string };

let lookup: Promise<AdapterLookup> | undefined;

/** Asks Dawn for an adapter, once per process (the Dawn instance lives as long as the process). */
function lookUpAdapter(): Promise<AdapterLookup> {
  lookup ??= (async (): Promise<AdapterLookup> => {
    try {
      const dawn = (await import(DAWN_PACKAGE)) as { create(flags: string[]): GpuLike };
      const gpu = dawn.create([]);
      const adapter = await gpu.requestAdapter(ADAPTER_OPTIONS);
      if (adapter === null) {
        const hint = platform() === 'linux' ? ' (a Vulkan driver manifest exists, but Dawn could not use it: is libvulkan.so.1 installed, and does the driver support Vulkan 1.1?)' : '';
        return { error: `Dawn found no WebGPU adapter${hint}` };
      }
      return { gpu, facts: adapterFacts(adapter) };
    } catch (error) {
      return { error: `Dawn (${DAWN_PACKAGE}) failed to start: ${(error as Error).message.split('\n')[0]}` };
    }
  })();
  return lookup;
}

/** Why WebGPU cannot be tried before asking Dawn, or undefined. */
function prerequisitesMissing(versionOf: (name: string) => string | undefined): string | undefined {
  const dawn = versionOf(DAWN_PACKAGE);
  if (dawn === undefined) return `${DAWN_PACKAGE} (Dawn's WebGPU for Node) is not installed (it is optional: npm install ${DAWN_PACKAGE})`;
  const tfjsWebgpu = versionOf(TFJS_WEBGPU_PACKAGE);
  if (tfjsWebgpu === undefined) return `${TFJS_WEBGPU_PACKAGE} is not installed (npm install ${TFJS_WEBGPU_PACKAGE}@${tf.version_core})`;
  if (tfjsWebgpu !== tf.version_core) return `${TFJS_WEBGPU_PACKAGE} ${tfjsWebgpu} does not match tfjs-core ${tf.version_core} (npm install ${TFJS_WEBGPU_PACKAGE}@${tf.version_core})`;
  if (platform() === 'linux') {
    // Dawn reads the loader's variables from this process's own environment.
    const drivers = findVulkanDrivers(process.env);
    if (drivers.manifests.length === 0) {
      const where = process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES ? `${drivers.searched.join(', ')} (from VK_DRIVER_FILES / VK_ICD_FILENAMES)` : '/etc/vulkan/icd.d, /usr/share/vulkan/icd.d or the loader\'s other folders';
      return (
        `no Vulkan driver installed (no manifest in ${where}); a GPU's Vulkan driver installs one. ` +
        `For the software adapter: VK_ICD_FILENAMES=${CHROMIUM_SWIFTSHADER_ICD} (Debian's chromium) and --backend webgpu`
      );
    }
  }
  return undefined;
}

/** The adapter Dawn offers here (null when WebGPU cannot be tried), and why. Asks Dawn at most once per process. */
export async function describeNodeWebGpu(versionOf: (name: string) => string | undefined): Promise<{ adapter: WebGpuAdapterFacts | null; reason: string }> {
  const missing = prerequisitesMissing(versionOf);
  if (missing !== undefined) return { adapter: null, reason: missing };
  const found = await lookUpAdapter();
  return 'error' in found ? { adapter: null, reason: found.error } : { adapter: found.facts, reason: adapterVerdict(found.facts, false).reason };
}

/** Turns the ReferenceError of tfjs-backend-webgpu's canvas read-back into an explanation. */
function explainSyncReads(backend: tf.KernelBackend): tf.KernelBackend {
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: object) => {
    try {
      return readSync(dataId);
    } catch (error) {
      if (!(error instanceof ReferenceError) || typeof OffscreenCanvas !== 'undefined') throw error;
      throw perceptualError(
        'E_BACKEND_UNAVAILABLE',
        'The webgpu backend cannot read a tensor synchronously in Node (dataSync: tfjs-backend-webgpu reads back through an OffscreenCanvas, which Node lacks). ' +
          'Use --backend wasm (or node) for this command, or read tensors with await tensor.data().',
        error,
      );
    }
  };
  return backend;
}

/** Makes navigator.gpu and the GPU* constants global, as tfjs-backend-webgpu expects of a browser. */
function installGlobals(gpu: GpuLike, globals: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(globals)) if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  const scope = globalThis as { navigator?: object };
  if (scope.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else if (!('gpu' in scope.navigator)) Object.defineProperty(scope.navigator, 'gpu', { value: gpu, configurable: true });
}

/** The Node `webgpu` candidate; `versionOf` reads installed package versions (candidates.node.ts). */
export function makeWebGpuNodeCandidate(versionOf: (name: string) => string | undefined): NodeCandidate {
  const check = async (options: CandidateOptions): Promise<ProbeResult & { gpu?: GpuLike; facts?: WebGpuAdapterFacts }> => {
    const missing = prerequisitesMissing(versionOf);
    if (missing !== undefined) return { available: false, reason: missing };
    const found = await lookUpAdapter();
    if ('error' in found) return { available: false, reason: found.error };
    const verdict = adapterVerdict(found.facts, options.forced === true);
    return { available: verdict.usable, reason: `${verdict.reason}; Dawn ${versionOf(DAWN_PACKAGE)}`, gpu: found.gpu, facts: found.facts };
  };
  return {
    name: 'webgpu',
    packageName: DAWN_PACKAGE,
    async probe(options: CandidateOptions = {}): Promise<ProbeResult> {
      const { available, reason } = await check(options);
      return { available, reason };
    },
    async load(options: CandidateOptions = {}) {
      const found = await check(options);
      if (!found.available || found.gpu === undefined || found.facts === undefined) throw new Error(found.reason);
      const { globals } = (await import(DAWN_PACKAGE)) as { globals: Record<string, unknown> };
      installGlobals(found.gpu, globals);
      const { WebGPUBackend } = (await import(TFJS_WEBGPU_PACKAGE)) as unknown as { WebGPUBackend: WebGpuBackendClass };
      registerWebGpuBackend(WebGPUBackend, found.gpu, explainSyncReads);
      const facts = found.facts;
      return {
        tfBackend: 'webgpu',
        details: {
          adapter: adapterLabel(facts),
          vendor: facts.vendor,
          architecture: facts.architecture,
          description: facts.description,
          software: facts.software,
          dawn: versionOf(DAWN_PACKAGE) ?? 'unknown',
          version: versionOf(TFJS_WEBGPU_PACKAGE) ?? 'unknown',
        },
      };
    },
  };
}

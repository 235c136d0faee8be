/**
 * @file The `webgpu` backend candidate for browsers and Web Workers:
 * tfjs-backend-webgpu on `navigator.gpu`. The probe only sees whether the
 * API exists (asking for an adapter is asynchronous); `load` asks for the
 * adapter and refuses a software one (SwiftShader, which Chromium offers
 * where the GPU is blocklisted or disabled) unless the backend is forced.
 * No `node:` import and no `process`: the worker bundles this file.
 */
import type { BrowserCandidate, BrowserLoadOptions } from './candidates.browser.js';
import { ADAPTER_OPTIONS, adapterFacts, adapterLabel, adapterVerdict, type GpuLike, registerWebGpuBackend, type WebGpuBackendClass } from './webgpu-adapter.js';

function navigatorGpu(): GpuLike | undefined {
  return (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu ?? undefined;
}

/** The browser `webgpu` candidate. */
export const WEBGPU_BROWSER_CANDIDATE: BrowserCandidate = {
  name: 'webgpu',
  packageName: '@tensorflow/tfjs-backend-webgpu',
  probe() {
    return navigatorGpu() === undefined
      ? { available: false, reason: 'this browser has no WebGPU (navigator.gpu is missing; it exists only in secure contexts, https or localhost, of browsers with WebGPU)' }
      : { available: true, reason: 'navigator.gpu is present (the adapter is checked when loading)' };
  },
  async load(options: BrowserLoadOptions = {}) {
    const gpu = navigatorGpu();
    if (gpu === undefined) throw new Error(this.probe(options).reason);
    const adapter = await gpu.requestAdapter(ADAPTER_OPTIONS);
    if (adapter === null) throw new Error('navigator.gpu.requestAdapter() found no adapter (the GPU is disabled or blocklisted in this browser)');
    const facts = adapterFacts(adapter);
    const verdict = adapterVerdict(facts, options.forced === true);
    if (!verdict.usable) throw new Error(verdict.reason);
    // Registers its own factory when navigator.gpu exists; replaced by one on this adapter.
    const { WebGPUBackend } = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as { WebGPUBackend: WebGpuBackendClass };
    registerWebGpuBackend(WebGPUBackend, gpu);
    return {
      tfBackend: 'webgpu',
      details: { adapter: adapterLabel(facts), vendor: facts.vendor, architecture: facts.architecture, description: facts.description, software: facts.software, reason: verdict.reason },
    };
  },
};

/**
 * @file What the `webgpu` candidates (Node through Dawn, browsers through
 * `navigator.gpu`) share: the adapter's facts, whether it is a software
 * rasteriser, the verdict on using it, and the registration of
 * tfjs-backend-webgpu on a chosen adapter. No `node:` import and no
 * `process`: the browser worker bundles this file.
 *
 * A software adapter (SwiftShader, lavapipe/llvmpipe, WARP, or any adapter
 * the implementation reports as a fallback adapter) runs the shaders on the
 * CPU, far slower than tfjs-backend-wasm, so it is used only when the
 * backend is forced; tests use it because it is the only adapter a machine
 * without a GPU has.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The WebGPU adapter information perceptual reads (the spec's GPUAdapterInfo, all optional). */
export interface GpuAdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}

/** The part of a GPUAdapter perceptual uses (structural, so no WebGPU type package is needed). */
export interface GpuAdapterLike {
  readonly info?: GpuAdapterInfoLike;
  /** Older implementations put it on the adapter instead of `info`. */
  readonly isFallbackAdapter?: boolean;
  readonly features: { has(name: string): boolean };
  readonly limits: object;
  requestDevice(descriptor?: object): Promise<unknown>;
}

/** The part of `navigator.gpu` (or Dawn's `create()`) perceptual uses. */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

/** What an adapter is, as `perceptual doctor` and Runtime.details show it. */
export interface WebGpuAdapterFacts {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** The implementation reports it as a fallback adapter (a CPU implementation, in practice). */
  readonly fallback: boolean;
  /** A CPU rasteriser: a fallback adapter, or a known software driver by name. */
  readonly software: boolean;
}

/** Names of software Vulkan/D3D drivers as they appear in adapter info. */
const SOFTWARE_DRIVER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b|\bcpu\b/i;

/** The adapter options both candidates request: the discrete GPU where there are two. */
export const ADAPTER_OPTIONS = Object.freeze({ powerPreference: 'high-performance' } as const);

/** The facts of `adapter`, strings empty where the implementation gives none. */
export function adapterFacts(adapter: GpuAdapterLike): WebGpuAdapterFacts {
  const info = adapter.info ?? {};
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const device = info.device ?? '';
  const description = info.description ?? '';
  const fallback = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  const software = fallback || SOFTWARE_DRIVER.test([vendor, architecture, device, description].join(' '));
  return { vendor, architecture, device, description, fallback, software };
}

/** One line naming the adapter: `nvidia ampere (NVIDIA GeForce RTX 3080)`, `google swiftshader (SwiftShader driver 5.0.0)`. */
export function adapterLabel(facts: WebGpuAdapterFacts): string {
  const name = [facts.vendor, facts.architecture].filter((s) => s !== '').join(' ') || 'unnamed adapter';
  const detail = facts.description || facts.device;
  return detail !== '' && detail !== name ? `${name} (${detail})` : name;
}

/**
 * Whether `facts`' adapter may back the `webgpu` backend, and why (not).
 * @param forced the user named the backend (--backend webgpu): a software adapter is then accepted
 */
export function adapterVerdict(facts: WebGpuAdapterFacts, forced: boolean): { usable: boolean; reason: string } {
  const label = adapterLabel(facts);
  if (!facts.software) return { usable: true, reason: `adapter ${label}` };
  const kind = facts.fallback ? 'software (fallback) adapter' : 'software adapter';
  if (forced) return { usable: true, reason: `${kind} ${label}, used because the backend was forced` };
  return { usable: false, reason: `only a ${kind}: ${label}; it runs on the CPU, slower than wasm, so it is used only when forced (--backend webgpu)` };
}

/** The constructor tfjs-backend-webgpu exports. */
export type WebGpuBackendClass = new (device: never, adapterInfo?: never) => tf.KernelBackend;

const MARK = Symbol.for('perceptual.webgpuBackendFactory');

/**
 * Registers tfjs's `webgpu` backend on an adapter from `gpu`, in place of the
 * factory tfjs-backend-webgpu registers by itself where `navigator.gpu`
 * exists (which asks for its own adapter and fails without one). The device
 * gets the adapter's limits and features as tfjs-backend-webgpu's own
 * factory asks for them (base.ts), so large tensors fit. Idempotent.
 * @param adapt wraps the backend once created (Node patches its synchronous read)
 */
export function registerWebGpuBackend(
  WebGPUBackend: WebGpuBackendClass,
  gpu: GpuLike,
  adapt: (backend: tf.KernelBackend) => tf.KernelBackend = (backend) => backend,
): void {
  const existing = tf.findBackendFactory('webgpu') as (((...args: unknown[]) => unknown) & { [MARK]?: true }) | null;
  if (existing?.[MARK]) return;
  if (existing !== null) tf.removeBackend('webgpu');
  const factory = Object.assign(
    async () => {
      // A fresh adapter: an adapter gives out one device, and tfjs may re-create the backend.
      const adapter = await gpu.requestAdapter(ADAPTER_OPTIONS);
      if (adapter === null) throw new Error('the WebGPU adapter is gone (requestAdapter returned null)');
      const limits = adapter.limits as Record<string, number>;
      const requiredFeatures = ['timestamp-query', 'bgra8unorm-storage'].filter((name) => adapter.features.has(name));
      const device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
          maxBufferSize: limits.maxBufferSize,
          maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
        },
      });
      return adapt(new WebGPUBackend(device as never, adapter.info as never));
    },
    { [MARK]: true as const },
  );
  // Priority 3 as tfjs-backend-webgpu's own; selection always names the backend anyway.
  tf.registerBackend('webgpu', factory, 3);
}

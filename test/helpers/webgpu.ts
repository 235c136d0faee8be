/**
 * @file Test helpers for the `webgpu` backend: whether it can run here (Dawn's
 * `webgpu` package and a Vulkan driver, which on a machine without a GPU is
 * Chromium's SwiftShader), activating it, and comparing host arrays.
 */
import { existsSync } from 'node:fs';
import { platform } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { packageVersionOf } from '../../src/runtime/candidates.node.js';
import { selectBackend, type Runtime } from '../../src/runtime/index.js';
import { CHROMIUM_SWIFTSHADER_ICD, findVulkanDrivers } from '../../src/runtime/vulkan-drivers.node.js';

/** Where Debian-like systems keep libvulkan.so.1 (the Vulkan loader Dawn opens). */
const LIBRARY_FOLDERS = ['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib'];

/**
 * Why the webgpu backend cannot run here (for a SKIP line), from files alone:
 * no `webgpu` package, or on Linux no Vulkan loader, or neither a Vulkan
 * driver nor Chromium's SwiftShader. Undefined when useWebGpu should work.
 */
export function webGpuSkipReason(): string | undefined {
  if (packageVersionOf('webgpu') === undefined) return 'the optional package webgpu (Dawn) is not installed';
  if (platform() !== 'linux') return undefined;
  if (!LIBRARY_FOLDERS.some((folder) => existsSync(join(folder, 'libvulkan.so.1')))) return 'libvulkan.so.1 (the Vulkan loader) is missing (apt-get install -y --no-install-recommends libvulkan1)';
  if (findVulkanDrivers(process.env).manifests.length === 0 && !existsSync(CHROMIUM_SWIFTSHADER_ICD)) {
    return `no Vulkan driver and no ${CHROMIUM_SWIFTSHADER_ICD} (apt-get install -y --no-install-recommends chromium)`;
  }
  return undefined;
}

/**
 * Points the Vulkan loader at Chromium's SwiftShader when no other driver is
 * installed and activates the `webgpu` backend (forced: a software adapter is
 * accepted). Returns webGpuSkipReason instead where it cannot run.
 * @throws PerceptualError E_BACKEND_UNAVAILABLE when it should run but does not
 */
export async function useWebGpu(): Promise<{ runtime: Runtime } | { skip: string }> {
  const skip = webGpuSkipReason();
  if (skip !== undefined) return { skip };
  restore ??= { backend: tf.getBackend(), icd: process.env.VK_ICD_FILENAMES, navigator: 'navigator' in globalThis };
  // Read by the Vulkan loader when Dawn starts, which is after this line.
  if (platform() === 'linux' && findVulkanDrivers(process.env).manifests.length === 0) process.env.VK_ICD_FILENAMES = CHROMIUM_SWIFTSHADER_ICD;
  return { runtime: await selectBackend({ backend: 'webgpu', purpose: 'train' }) };
}

let restore: { backend: string; icd: string | undefined; navigator: boolean } | undefined;

/**
 * Undoes useWebGpu for the test files that run after it in the same process:
 * the backend active before, no webgpu backend (its device is freed), no
 * VK_ICD_FILENAMES and no `navigator` where there were none.
 */
export async function releaseWebGpu(): Promise<void> {
  if (restore === undefined) return;
  if (tf.findBackend(restore.backend) !== null) await tf.setBackend(restore.backend);
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  if (restore.icd === undefined) delete process.env.VK_ICD_FILENAMES;
  else process.env.VK_ICD_FILENAMES = restore.icd;
  if (!restore.navigator) delete (globalThis as { navigator?: unknown }).navigator;
  restore = undefined;
}

/** max |a - b| / max |b| (0 for two zero arrays): the relative error of a whole tensor. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** max |v| over `values` (0 when empty): the scale of a whole tensor. */
export function scaleOf(values: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < values.length; i++) scale = Math.max(scale, Math.abs(values[i]!));
  return scale;
}

/** The values of each tensor of `record`, read with data() (GPU backends), then disposes them. */
export async function readAll(record: Readonly<Record<string, tf.Tensor>>): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [name, tensor] of Object.entries(record)) out[name] = (await tensor.data()) as Float32Array;
  tf.dispose(Object.values(record));
  return out;
}

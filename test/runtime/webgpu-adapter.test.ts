/**
 * The WebGPU adapter policy without a GPU: which adapters count as software
 * (never chosen unless forced), the explained verdict, the backend factory's
 * device request, and the Vulkan driver search that keeps Dawn from starting
 * (and printing native warnings) where no driver is installed.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findVulkanDrivers } from '../../src/runtime/vulkan-drivers.node.js';
import { adapterFacts, adapterLabel, adapterVerdict, type GpuAdapterLike, registerWebGpuBackend, type WebGpuBackendClass } from '../../src/runtime/webgpu-adapter.js';

function adapter(info: GpuAdapterLike['info'], extra: Partial<GpuAdapterLike> = {}): GpuAdapterLike {
  return { info, features: new Set<string>(), limits: {}, requestDevice: async () => ({}), ...extra };
}

test('SwiftShader (a fallback adapter), llvmpipe and WARP are software; a discrete GPU is not', () => {
  const swiftshader = adapterFacts(adapter({ vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true }));
  assert.equal([swiftshader.fallback, swiftshader.software], [true, true]);
  assert.is(adapterLabel(swiftshader), 'google swiftshader (SwiftShader driver 5.0.0)');
  // Mesa's lavapipe reports no fallback flag: its name gives it away.
  assert.is(adapterFacts(adapter({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).software, true);
  assert.is(adapterFacts(adapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' })).software, true);
  // Older implementations flag it on the adapter itself.
  assert.is(adapterFacts(adapter({ vendor: 'x' }, { isFallbackAdapter: true })).fallback, true);
  const nvidia = adapterFacts(adapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' }));
  assert.equal([nvidia.fallback, nvidia.software], [false, false]);
  assert.is(adapterLabel(nvidia), 'nvidia hopper (NVIDIA H200)');
  assert.is(adapterLabel(adapterFacts(adapter(undefined))), 'unnamed adapter');
});

test('a software adapter is refused unless forced, and the reason names it; a hardware one is used', () => {
  const software = adapterFacts(adapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true }));
  const refused = adapterVerdict(software, false);
  assert.is(refused.usable, false);
  assert.match(refused.reason, /^only a software \(fallback\) adapter: google swiftshader \(SwiftShader driver 5\.0\.0\); .*only when forced \(--backend webgpu\)$/);
  const forced = adapterVerdict(software, true);
  assert.is(forced.usable, true);
  assert.match(forced.reason, /used because the backend was forced/);
  assert.equal(adapterVerdict(adapterFacts(adapter({ vendor: 'amd', architecture: 'rdna-3' })), false), { usable: true, reason: 'adapter amd rdna-3' });
});

test("the backend factory replaces tfjs-backend-webgpu's own and asks for the adapter's limits and features", async () => {
  tf.registerBackend('webgpu', () => { throw new Error('the stock factory must not run'); }, 3);
  const requested: object[] = [];
  const limits = { maxComputeWorkgroupStorageSize: 32768, maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 31, maxComputeWorkgroupSizeX: 256, maxComputeInvocationsPerWorkgroup: 256, maxBindGroups: 4 };
  const gpu = {
    requestAdapter: async () => adapter({ vendor: 'nvidia' }, { features: new Set(['timestamp-query', 'shader-f16']), limits, requestDevice: async (descriptor?: object) => (requested.push(descriptor!), { id: 'device' }) }),
  };
  const created: unknown[] = [];
  const Backend = class {
    constructor(device: unknown, info: unknown) {
      created.push([device, info]);
    }
  } as unknown as WebGpuBackendClass;
  try {
    registerWebGpuBackend(Backend, gpu, (backend) => Object.assign(backend, { adapted: true }));
    registerWebGpuBackend(Backend, gpu); // idempotent: the first registration stays
    const backend = (await tf.findBackendFactory('webgpu')!()) as unknown as { adapted?: boolean };
    assert.is(backend.adapted, true);
    assert.equal(created, [[{ id: 'device' }, { vendor: 'nvidia' }]]);
    const { maxBindGroups: _, ...wanted } = limits;
    assert.equal(requested, [{ requiredFeatures: ['timestamp-query'], requiredLimits: wanted }]);
  } finally {
    tf.removeBackend('webgpu');
  }
});

test('Vulkan drivers: VK_ICD_FILENAMES replaces the search, VK_ADD_DRIVER_FILES adds, XDG data folders are searched', async () => {
  const work = await mkdtemp(join(tmpdir(), 'perceptual-vulkan-'));
  try {
    const icd = join(work, 'data', 'vulkan', 'icd.d');
    await mkdir(icd, { recursive: true });
    await writeFile(join(icd, 'gpu_icd.json'), '{}');
    await writeFile(join(icd, 'README'), 'not a manifest');
    const extra = join(work, 'extra_icd.json');
    await writeFile(extra, '{}');
    const xdg = { XDG_DATA_DIRS: join(work, 'data'), XDG_CONFIG_DIRS: join(work, 'none'), HOME: join(work, 'home') };
    // The system's own folders (/etc/vulkan/icd.d) are searched too, so other manifests may be found here.
    const found = findVulkanDrivers(xdg).manifests;
    assert.ok(found.includes(join(icd, 'gpu_icd.json')) && !found.some((path) => path.endsWith('README')), found.join(' '));
    assert.equal(findVulkanDrivers({ ...xdg, VK_ICD_FILENAMES: extra }).manifests, [extra]);
    assert.equal(findVulkanDrivers({ ...xdg, VK_DRIVER_FILES: join(work, 'missing.json'), VK_ICD_FILENAMES: extra }).manifests, [], 'VK_DRIVER_FILES wins over VK_ICD_FILENAMES');
    assert.equal(findVulkanDrivers({ ...xdg, VK_ADD_DRIVER_FILES: extra }).manifests, [...found, extra]);
    const none = findVulkanDrivers({ XDG_DATA_DIRS: join(work, 'nothing'), XDG_CONFIG_DIRS: join(work, 'none'), HOME: join(work, 'home') });
    assert.ok(none.searched.includes(join(work, 'nothing', 'vulkan', 'icd.d')), none.searched.join(' '));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test.run();

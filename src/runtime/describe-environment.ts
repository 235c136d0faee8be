/**
 * @file Facts about this machine and its tfjs backends for `perceptual doctor`,
 * gathered without activating any backend: probes, versions, WASM features
 * and binaries, CUDA visibility, the WebGPU adapter, and what `selectBackend`
 * would choose for training and for inference.
 */
import { existsSync, readdirSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_ENV_VAR, BACKEND_ORDER, type BackendName, type Purpose, WASM_PATH_ENV_VAR } from './backends.js';
import { CANDIDATES, type CandidateOptions, cudaGpuVisible, packageVersionOf, WASM_BINARIES, wasmBinaryDirectory, wasmBinaryPath } from './candidates.node.js';
import { type BackendAttempt, currentRuntime, planBackend, type Runtime } from './select-backend.js';
import { describeSimdKernels } from './kernels/simd-kernels.js';
import { wasmSimdSupported, wasmSupported, wasmThreadsSupported } from './wasm-features.js';
import type { WebGpuAdapterFacts } from './webgpu-adapter.js';
import { describeNodeWebGpu } from './webgpu-candidate.node.js';

/** What `selectBackend` would pick for one purpose. */
export interface BackendPlan {
  /** The backend, or null when none is available or the options are invalid. */
  readonly backend: BackendName | null;
  readonly reason: string;
  readonly rejected: readonly BackendAttempt[];
}

/** A plain, JSON-serialisable description of the environment. */
export interface EnvironmentInfo {
  readonly node: string;
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  readonly cpus: { readonly count: number; readonly model: string };
  readonly memory: { readonly totalBytes: number; readonly freeBytes: number };
  /** Installed versions (null when not installed). */
  readonly versions: Readonly<Record<string, string | null>>;
  /** Each backend in preference order, with its probe's answer. */
  readonly backends: ReadonlyArray<{ readonly name: BackendName; readonly package: string; readonly available: boolean; readonly reason: string }>;
  /** What selectBackend would choose (from probes; nothing activated). */
  readonly choice: Readonly<Record<Purpose, BackendPlan>>;
  /** The backend already active in this process through selectBackend, if any. */
  readonly active: Runtime | null;
  readonly wasm: {
    readonly supported: boolean;
    readonly simd: boolean;
    /** Whether the engine could run WASM threads. */
    readonly threadsSupported: boolean;
    /** Threads one WASM backend instance uses (always 1: cores are used by worker pools). */
    readonly threadsUsed: number;
    readonly binaryDirectory: string | null;
    /** The binary that would load (SIMD or plain) and whether it exists (null for a URL). */
    readonly binary: { readonly path: string; readonly exists: boolean | null } | null;
    readonly binaries: Readonly<Record<string, { readonly path: string; readonly exists: boolean }>>;
    /** perceptual's own SIMD kernels (wasm/README.md): embedded binary, whether this engine compiles it, state here. */
    readonly kernels: ReturnType<typeof describeSimdKernels>;
  };
  readonly cuda: { readonly gpuVisible: boolean; readonly devices: number; readonly cudaVisibleDevices: string | null };
  /** The WebGPU adapter Dawn offers (null when none, or when WebGPU cannot be tried), and why it is or is not used. */
  readonly webgpu: { readonly adapter: WebGpuAdapterFacts | null; readonly reason: string };
  /** The environment variables perceptual reads (null when unset). */
  readonly env: Readonly<Record<string, string | null>>;
}

const VERSION_PACKAGES = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
] as const;

function countNvidiaDevices(): number {
  try {
    return readdirSync('/dev').filter((name) => /^nvidia\d+$/.test(name)).length;
  } catch {
    return 0;
  }
}

async function planFor(purpose: Purpose, options: DescribeEnvironmentOptions): Promise<BackendPlan> {
  try {
    const plan = await planBackend({ ...options, purpose });
    return { backend: plan.backend ?? null, reason: plan.reason, rejected: plan.rejected };
  } catch (error) {
    return { backend: null, reason: (error as Error).message, rejected: [] };
  }
}

/** Options of {@link describeEnvironment}; as for selectBackend. */
export interface DescribeEnvironmentOptions {
  /** A forced backend, as `--backend` would pass it. */
  readonly backend?: string;
  readonly wasmPath?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Describes Node, the machine, and every backend, without activating any.
 * Never throws for a broken backend: problems become `reason` strings.
 * @example
 *   console.log(formatEnvironment(await describeEnvironment()));
 */
export async function describeEnvironment(options: DescribeEnvironmentOptions = {}): Promise<EnvironmentInfo> {
  const env = options.env ?? process.env;
  const candidateOptions: CandidateOptions = { wasmPath: options.wasmPath, env };
  const cpuList = cpus();
  const versions: Record<string, string | null> = {};
  for (const name of VERSION_PACKAGES) versions[name] = packageVersionOf(name) ?? null;
  versions['@tensorflow/tfjs-core'] ??= tf.version_core;

  const backends = [];
  for (const name of BACKEND_ORDER) {
    const candidate = CANDIDATES[name];
    const probe = await candidate.probe(candidateOptions);
    backends.push({ name, package: candidate.packageName, available: probe.available, reason: probe.reason });
  }

  let binaryDirectory: string | null = null;
  let binary: EnvironmentInfo['wasm']['binary'] = null;
  const binaries: Record<string, { path: string; exists: boolean }> = {};
  try {
    binaryDirectory = wasmBinaryDirectory(candidateOptions);
    const found = wasmBinaryPath(candidateOptions);
    binary = { path: found.path, exists: found.exists ?? null };
    if (found.exists !== undefined) {
      for (const [kind, file] of Object.entries(WASM_BINARIES)) {
        const path = join(binaryDirectory, file);
        binaries[kind] = { path, exists: existsSync(path) };
      }
    }
  } catch {
    // tfjs-backend-wasm is not installed and no override is set: the wasm probe says so.
  }

  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: { count: cpuList.length, model: cpuList[0]?.model.trim() ?? 'unknown' },
    memory: { totalBytes: totalmem(), freeBytes: freemem() },
    versions,
    backends,
    choice: { train: await planFor('train', options), infer: await planFor('infer', options) },
    active: currentRuntime() ?? null,
    wasm: {
      supported: wasmSupported(),
      simd: wasmSimdSupported(),
      threadsSupported: wasmThreadsSupported(),
      threadsUsed: 1,
      binaryDirectory,
      binary,
      binaries,
      kernels: describeSimdKernels(),
    },
    cuda: { gpuVisible: cudaGpuVisible(env), devices: countNvidiaDevices(), cudaVisibleDevices: env.CUDA_VISIBLE_DEVICES ?? null },
    webgpu: await describeNodeWebGpu(packageVersionOf),
    env: { [BACKEND_ENV_VAR]: env[BACKEND_ENV_VAR] ?? null, [WASM_PATH_ENV_VAR]: env[WASM_PATH_ENV_VAR] ?? null },
  };
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** Formats {@link describeEnvironment}'s result for people, one fact per line. */
export function formatEnvironment(info: EnvironmentInfo): string {
  const lines = [
    `Node ${info.node} on ${info.platform} ${info.arch}`,
    `CPU: ${info.cpus.count} x ${info.cpus.model}; memory ${gib(info.memory.totalBytes)} (${gib(info.memory.freeBytes)} free)`,
    `tfjs: ${Object.entries(info.versions)
      .map(([name, version]) => `${name.replace('@tensorflow/', '')} ${version ?? '-'}`)
      .join(', ')}`,
    'backends:',
    ...info.backends.map((b) => `  ${b.available ? 'yes' : 'no '} ${b.name.padEnd(8)} ${b.reason}`),
  ];
  for (const purpose of ['train', 'infer'] as const) {
    const plan = info.choice[purpose];
    lines.push(`${purpose}: ${plan.backend ?? 'none'} (${plan.reason})`);
  }
  if (info.active !== null) lines.push(`active: ${info.active.backend} (${info.active.reason})`);
  const w = info.wasm;
  lines.push(
    `wasm: ${w.supported ? 'supported' : 'unsupported'}, SIMD ${w.simd ? 'yes' : 'no'}, ` +
      `threads ${w.threadsSupported ? 'supported' : 'unsupported'} by the engine, ${w.threadsUsed} used per worker (cores via worker pools)`,
  );
  lines.push(`wasm binary: ${w.binary === null ? 'unknown' : `${w.binary.path}${w.binary.exists === false ? ' (MISSING)' : ''}`}`);
  lines.push(
    `perceptual SIMD kernels: ${w.kernels.bytes} bytes, sha256 ${w.kernels.sha256.slice(0, 12)}, ` +
      `${w.kernels.compiles ? 'this engine compiles them' : 'this engine CANNOT compile them (stock kernels run instead)'}; ${w.kernels.status}`,
  );
  lines.push(`CUDA GPU: ${info.cuda.gpuVisible ? `visible (${info.cuda.devices} device${info.cuda.devices === 1 ? '' : 's'})` : 'not visible'}` +
    (info.cuda.cudaVisibleDevices !== null ? `, CUDA_VISIBLE_DEVICES=${info.cuda.cudaVisibleDevices}` : ''));
  lines.push(`WebGPU: ${info.webgpu.reason}`);
  for (const [name, value] of Object.entries(info.env)) lines.push(`${name}: ${value ?? '(unset)'}`);
  return lines.join('\n');
}

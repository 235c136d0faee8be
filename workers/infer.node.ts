/**
 * @file Piscina worker entry (Node, WASM-SIMD): activates the wasm backend
 * once, loads each model once (cached by the file hash the pool computed),
 * runs one region (a tile or a whole image) per task through src/infer, and
 * returns the pixels as a transferred buffer (no copy back to the pool).
 *
 * Failures of the work itself come back as `{ ok: false, error }` values, so
 * the pool can tell them from a crashed or terminated worker (a rejection).
 * The messages are src/serve/worker-protocol.ts's.
 */
import { threadId } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { inferRegion, type RegionResult } from '../src/infer/infer-region.js';
import { selectBackend } from '../src/runtime/index.js';
import type { WorkerReply, WorkerTask } from '../src/serve/worker-protocol.js';
import { crashHook } from '../src/test-crash-hook.js';
import type { TransformModel } from '../src/types.js';
import { loadTransformModel } from '../src/weights/load-transform-model.js';

/** The wasm backend's heap size: it only grows, to the peak working set of the largest region run so far. */
function wasmBytes(): number {
  const wasm = (tf.backend() as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return wasm?.HEAPU8?.buffer.byteLength ?? 0;
}

const models = new Map<string, Promise<TransformModel>>();
let backend: Promise<string> | undefined;

/** Runs one task; see WorkerTask. Never throws for a failure of the work (see the file comment). */
export default async function runTask(task: WorkerTask): Promise<WorkerReply> {
  try {
    // WASM-SIMD is the inference backend in workers (SPEC: one runtime per thread); PERCEPTUAL_BACKEND may force another.
    backend ??= selectBackend({ purpose: 'infer', backend: process.env.PERCEPTUAL_BACKEND || 'wasm' }).then((runtime) => runtime.backend);
    const name = await backend;
    let model = models.get(task.hash);
    if (model === undefined) {
      model = loadTransformModel(task.model);
      models.set(task.hash, model);
      model.catch(() => models.delete(task.hash));
    }
    const loaded = await model;
    if (task.kind === 'describe') return { ok: true, arch: loaded.arch, backend: name };
    crashHook();
    const raw = await inferRegion(loaded, task.request);
    // Only a buffer that holds exactly these pixels can be moved.
    const whole = raw.data.byteOffset === 0 && raw.data.byteLength === raw.data.buffer.byteLength;
    const result: RegionResult = whole ? raw : { ...raw, data: raw.data.slice() };
    const reply: WorkerReply = { ok: true, arch: loaded.arch, backend: name, result, memory: { threadId, wasmBytes: wasmBytes() } };
    // Move the pixels back instead of cloning them.
    return move({ [transferableSymbol]: [result.data.buffer], [valueSymbol]: reply } as never) as unknown as WorkerReply;
  } catch (error) {
    const e = error as { name?: string; code?: string; message?: string };
    return { ok: false, error: { name: e.name ?? 'Error', ...(typeof e.code === 'string' ? { code: e.code } : {}), message: e.message ?? String(error) } };
  }
}

/**
 * @file The edge worker of examples/edge/worker.ts (same models and
 * binaries) with what bench/edge-limits.bench.ts reads added to every
 * response: `X-Wasm-Heap-Bytes`, the size of tfjs-backend-wasm's memory
 * after the request (a WebAssembly memory never shrinks, so this is the
 * peak so far), and in Deno `X-Js-Peak-Bytes`: the largest heap used plus
 * external (ArrayBuffer) bytes of `Deno.memoryUsage()`, sampled whenever
 * the thread is free during the request (between tiles) and after it; with
 * `--v8-flags=--expose-gc` each sample follows a full collection a tick
 * earlier, so it counts live memory and at most one tile's garbage. Built by the benchmark; not for deployment.
 */
/// <reference path="../examples/edge/modules.d.ts" />
import * as tf from '@tensorflow/tfjs-core';
import tfjsSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
import kernels from '../wasm/perceptual-kernels.wasm';
import laMuse from '../models/la_muse.safetensors';
import wave from '../models/wave.safetensors';
import srX4 from '../models/sr-x4.safetensors';
import { simdKernelsStatus } from '../src/runtime/kernels/simd-kernels.js';
import { createEdgeWorker } from '../src/serve/edge-service.js';

declare const Deno: { memoryUsage(): { heapUsed: number; external: number } } | undefined;

// Limits raised so sizes past the defaults can be measured.
const worker = createEdgeWorker({ models: { la_muse: laMuse, wave, 'sr-x4': srX4 }, wasm: { tfjsSimd, kernels }, maxPixels: 8192 * 8192, maxBodyBytes: 256 * 1024 * 1024 });

export default {
  async fetch(request: Request): Promise<Response> {
    let jsPeak = 0;
    const gc = (globalThis as { gc?: () => void }).gc;
    let collected = false;
    // With gc: collect in one tick and read in the next, once V8's background sweeper has
    // released the dead ArrayBuffers (a read right after gc() still counts them).
    const sample = () => {
      if (typeof Deno === 'undefined') return;
      if (gc !== undefined && !collected) {
        gc();
        collected = true;
        return;
      }
      collected = false;
      const usage = Deno.memoryUsage();
      jsPeak = Math.max(jsPeak, usage.heapUsed + usage.external);
    };
    const sampler = setInterval(sample, 1);
    const response = await worker.fetch(request);
    const body = await response.arrayBuffer();
    clearInterval(sampler);
    sample();
    await new Promise((resolve) => setTimeout(resolve, 1));
    sample();
    const headers = new Headers(response.headers);
    const backend = tf.findBackend('wasm') as { wasm?: { asm?: { memory?: WebAssembly.Memory } } } | null;
    const memory = backend?.wasm?.asm?.memory;
    if (memory !== undefined) headers.set('X-Wasm-Heap-Bytes', String(memory.buffer.byteLength));
    if (jsPeak > 0) headers.set('X-Js-Peak-Bytes', String(jsPeak));
    headers.set('X-Simd-Kernels', simdKernelsStatus());
    return new Response(body, { status: response.status, headers });
  },
};

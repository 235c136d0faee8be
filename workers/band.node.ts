/**
 * @file Worker entry of a banded run (src/serve/band-runner.node.ts): selects
 * the backend (WASM-SIMD unless PERCEPTUAL_BACKEND says otherwise), loads the
 * style model once, then runs its band of each run through the forward pass
 * of src/infer/band-forward.ts and posts the output rows back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { bandForward, loadBandModel, type BandModel } from '../src/infer/band-forward.js';
import { selectBackend } from '../src/runtime/index.js';
import type { BandReply, BandTask } from '../src/serve/worker-protocol.js';
import { crashHook } from '../src/test-crash-hook.js';

const { model: modelPath, index } = workerData as { model: string; index: number };
const port = parentPort!;

function failure(error: unknown): BandReply {
  return { ok: false, message: (error as Error).message ?? String(error), ...(typeof (error as { code?: unknown }).code === 'string' ? { code: (error as { code: string }).code } : {}) };
}

async function main(): Promise<void> {
  let model: BandModel;
  try {
    await selectBackend({ purpose: 'infer', backend: process.env.PERCEPTUAL_BACKEND || 'wasm' });
    model = await loadBandModel(modelPath);
    port.postMessage({ ok: true, arch: model.arch } satisfies BandReply);
  } catch (error) {
    port.postMessage(failure(error));
    return;
  }
  port.on('message', ({ band, exchange }: BandTask) => {
    let reply: BandReply;
    try {
      crashHook();
      reply = { ok: true, band: bandForward(model, band, exchange, index) };
    } catch (error) {
      reply = failure(error);
    }
    port.postMessage(reply, reply.ok && reply.band ? [reply.band.data.buffer as ArrayBuffer] : []);
  });
}

void main();

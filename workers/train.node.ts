/**
 * @file Worker entry of data-parallel training (src/train/data-parallel.node.ts):
 * activates its own backend (WASM-SIMD unless PERCEPTUAL_BACKEND says
 * otherwise, so each worker has its own heap), loads the loss network and
 * style targets once (src/train/data-parallel-worker.ts), then computes the
 * gradients of its part of each batch into shared memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../src/runtime/index.js';
import { sendableError, startTrainWorker, type TrainWorker, type TrainWorkerData, type TrainWorkerReply, type TrainWorkerTask } from '../src/train/data-parallel-worker.js';
import { crashHook } from '../src/test-crash-hook.js';

const port = parentPort!;

async function main(): Promise<void> {
  let worker: TrainWorker;
  try {
    await selectBackend({ purpose: 'train', backend: process.env.PERCEPTUAL_BACKEND || 'wasm' });
    worker = await startTrainWorker(workerData as TrainWorkerData);
  } catch (error) {
    port.postMessage({ kind: 'error', error: sendableError(error) } satisfies TrainWorkerReply);
    return;
  }
  port.postMessage({ kind: 'ready', network: worker.network } satisfies TrainWorkerReply);
  // The main thread sends the next task only after every reply to the last one, so tasks never overlap.
  port.on('message', (task: TrainWorkerTask) => {
    const run = async (): Promise<TrainWorkerReply> => {
      crashHook();
      return { kind: 'step', ...(await worker.step(task)) };
    };
    run().then(
      (reply) => port.postMessage(reply),
      (error: unknown) => port.postMessage({ kind: 'error', error: sendableError(error) } satisfies TrainWorkerReply),
    );
  });
}

void main();

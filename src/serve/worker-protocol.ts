/**
 * @file The messages between the Node inference pools and their worker
 * threads: the piscina pool (pool.node.ts) and workers/infer.node.ts, the
 * band runner (band-runner.node.ts) and workers/band.node.ts. Both sides
 * import them from here, so src never imports a worker entry.
 */
import type { RegionRequest, RegionResult } from '../infer/infer-region.js';
import type { RgbImage } from '../pixels.js';
import type { StyleArch, TransformArch } from '../types.js';
import type { BandExchange } from './band-exchange.js';

/** A task the pool sends to workers/infer.node.ts. */
export type WorkerTask =
  | { readonly kind: 'describe'; readonly model: string; readonly hash: string }
  | { readonly kind: 'run'; readonly model: string; readonly hash: string; readonly request: RegionRequest };

/**
 * What a pool task returns. Failures of the work itself are `{ ok: false }`
 * values, so the pool can tell them from a crashed or terminated worker (a rejection).
 */
export type WorkerReply =
  | {
      readonly ok: true;
      readonly arch: TransformArch;
      readonly backend: string;
      readonly result?: RegionResult;
      /** The worker's thread id (the pool retires a worker by it) and its wasm heap size in bytes (0 on other backends). */
      readonly memory?: { readonly threadId: number; readonly wasmBytes: number };
    }
  | { readonly ok: false; readonly error: { readonly name: string; readonly code?: string; readonly message: string } };

/** A banded run, as sent to workers/band.node.ts: this worker's rows of the (padded) image and the exchange of the run. */
export interface BandTask {
  readonly band: RgbImage;
  readonly exchange: BandExchange;
}

/** A band worker's answer: the output rows of the band, or why it failed. Loading answers with the architecture. */
export type BandReply =
  | { readonly ok: true; readonly band?: RgbImage; readonly arch?: StyleArch }
  | { readonly ok: false; readonly message: string; readonly code?: string };

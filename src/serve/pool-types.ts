/**
 * @file The inference pool's public types: one `InferencePool` interface
 * behind the Node (piscina) and, later, browser (comlink) implementations.
 */
import type { RgbImage } from '../pixels.js';
import type { ProgressCallback } from '../infer/run-tiled.js';

/** Options of createPool. */
export interface PoolOptions {
  /** A `.safetensors` model file or an ml5 checkpoint directory. */
  readonly model: string;
  /** Worker threads. Default `os.availableParallelism()`. */
  readonly workers?: number;
  /** Jobs that may wait (beyond those running, one per worker) before run() rejects with E_QUEUE_FULL. Default 4 x workers. */
  readonly maxQueue?: number;
  /** Per-job time limit in ms, queueing included; 0 for none. Default 300000. */
  readonly timeoutMs?: number;
  /** Owned tile edge in input pixels; larger images are tiled. Default: style images up to 512x512 run whole, larger ones in 320-pixel tiles; SR 512 / scale. */
  readonly tile?: number;
  /** Context per tile side in input pixels. Default: the network's receptive radius. */
  readonly overlap?: number;
}

/** Options of one run. */
export interface RunOptions {
  readonly signal?: AbortSignal;
  /** Overrides PoolOptions.timeoutMs for this job. */
  readonly timeoutMs?: number;
  readonly tile?: number;
  readonly overlap?: number;
  /** Called as the job's regions finish (tiles of a large image; one for a whole image). */
  readonly onProgress?: ProgressCallback;
}

/** Counters of a pool, for health endpoints. */
export interface PoolStats {
  /** Jobs waiting for a slot. */
  readonly queued: number;
  /** Jobs running (each may spread tiles over every worker). */
  readonly running: number;
  /** Live worker threads. */
  readonly workers: number;
  readonly completed: number;
  readonly failed: number;
  /** Workers replaced since the pool started: crashes, and heaps retired after a large statistics pass. */
  readonly restarts: number;
}

/** A pool of inference workers serving one model. */
export interface InferencePool {
  readonly task: 'style' | 'sr';
  /** Output size / input size (1 for style). */
  readonly scale: number;
  /**
   * Runs the model on one image (tiled when large). The image is not modified or detached.
   * @throws PerceptualError E_QUEUE_FULL, E_WORKER_CRASHED; AbortError E_ABORTED on abort or timeout;
   *   RangeError E_OPTIONS for a bad image or options
   */
  run(image: RgbImage, options?: RunOptions): Promise<RgbImage>;
  /** Rejects queued jobs, waits for running ones, stops the workers. */
  close(): Promise<void>;
  readonly stats: PoolStats;
}

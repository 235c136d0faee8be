/**
 * @file Calls another registered kernel of the same backend from inside a
 * kernel, the way tfjs-backend-wasm's own composite kernels call
 * `transpose(...)` directly:
 * through the backend, not the engine, so nothing is taped and every
 * intermediate `TensorInfo` is the caller's to free with `disposeData`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { perceptualError } from '../../errors.js';

/**
 * Runs kernel `kernelName` of backend `backendName` (the tfjs name, e.g.
 * 'wasm') on `inputs` and returns its single output (caller disposes with
 * `backend.disposeData(out.dataId)`).
 * @throws PerceptualError E_BACKEND_UNAVAILABLE when the kernel is not registered.
 */
export function runBackendKernel(
  backendName: string,
  kernelName: string,
  backend: object,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(kernelName, backendName);
  if (kernel === undefined || kernel === null) {
    throw perceptualError(
      'E_BACKEND_UNAVAILABLE',
      `The kernel '${kernelName}' is not registered for backend '${backendName}'. Activate that backend through selectBackend().`,
    );
  }
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  return Array.isArray(out) ? (out[0] as tf.TensorInfo) : out;
}

/**
 * Collects intermediate TensorInfos and frees them together; `keep` marks the
 * one that is returned. Kernels use one per call, freed in `finally`.
 */
export class Intermediates {
  private readonly infos: tf.TensorInfo[] = [];
  private readonly backend: tf.KernelBackend;
  /** @param backend the `backend` a kernel function receives. */
  constructor(backend: object) {
    this.backend = backend as tf.KernelBackend;
  }

  /** Remembers `info` for disposal and returns it. */
  add(info: tf.TensorInfo): tf.TensorInfo {
    this.infos.push(info);
    return info;
  }

  /** Frees every remembered TensorInfo except `keep`. */
  dispose(keep?: tf.TensorInfo): void {
    for (const info of this.infos) {
      if (info !== keep) this.backend.disposeData(info.dataId);
    }
    this.infos.length = 0;
  }
}

/**
 * @file The scaled tanh output activations of the style and SR networks
 * (SPEC section 4), computed through the logistic function:
 * 0.5 + 0.5 tanh(o) = sigmoid(2 o) exactly, and on the wasm backend `Sigmoid`
 * runs on XNNPACK's SIMD kernel while `Tanh` is a scalar loop over every
 * output pixel (bench/RESULTS-distill.md, the real-time student's profile).
 */
import * as tf from '@tensorflow/tfjs-core';

/** 0.5 + 0.5 tanh(o): the pre-activation o mapped into (0, 1). Caller disposes. */
export function unitTanh<T extends tf.Tensor>(o: T): T {
  return tf.tidy(() => tf.sigmoid(tf.mul(o, 2))) as T;
}

/** 0.5 tanh(o), in (-0.5, 0.5): a residual added onto an upsampled image. Caller disposes. */
export function halfTanh<T extends tf.Tensor>(o: T): T {
  return tf.tidy(() => tf.sub(unitTanh(o), 0.5)) as T;
}

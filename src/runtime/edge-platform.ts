/**
 * @file tfjs-core's `Platform` (fetch, clock, text coding, typed-array test)
 * on web-standard globals, for runtimes tfjs-core recognises as neither a
 * browser nor Node: Deno once its Node-style `process` global is bundled
 * away (examples/edge/build.mjs), and any other WinterCG runtime. tfjs-core
 * sets a platform only for those two, and without one every tensor creation
 * fails (`platform.isTypedArray` of undefined).
 */
import * as tf from '@tensorflow/tfjs-core';

/** The platform (the same members as tfjs-core's browser platform, without its window tricks). */
export const EDGE_PLATFORM: tf.Platform = Object.freeze({
  fetch: (path: string, init?: RequestInit) => fetch(path, init),
  now: () => performance.now(),
  encode(text: string, encoding: string): Uint8Array {
    if (encoding !== 'utf-8' && encoding !== 'utf8') throw new Error(`The edge platform encodes only utf-8, not ${encoding}`);
    return new TextEncoder().encode(text);
  },
  decode: (bytes: Uint8Array, encoding: string) => new TextDecoder(encoding).decode(bytes),
  isTypedArray: (a: unknown): a is Float32Array | Int32Array | Uint8Array | Uint8ClampedArray =>
    a instanceof Float32Array || a instanceof Int32Array || a instanceof Uint8Array || a instanceof Uint8ClampedArray,
});

/** Installs {@link EDGE_PLATFORM} unless tfjs-core already chose one (browser, Node). @returns the platform name in use */
export function ensureTfPlatform(): string {
  if (tf.env().platform == null) tf.setPlatform('edge', EDGE_PLATFORM);
  return tf.env().platformName;
}

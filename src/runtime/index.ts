/** @file Public surface of the runtime: choosing and describing a backend. */
export * from './backends.js';
export * from './select-backend.js';
export { cudaGpuVisible, wasmBinaryDirectory } from './candidates.node.js';

/** @file Public surface of the runtime: choosing and describing a backend. */
export * from './backends.js';
export * from './select-backend.js';
export { CANDIDATES, cudaGpuVisible, type CandidateOptions, type ProbeResult, WASM_BINARIES, wasmBinaryDirectory, wasmBinaryPath } from './candidates.node.js';
export { wasmSimdSupported, wasmSupported, wasmThreadsSupported } from './wasm-features.js';
export { describeEnvironment, formatEnvironment, type EnvironmentInfo } from './describe-environment.js';

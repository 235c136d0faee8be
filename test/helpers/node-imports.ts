/**
 * @file What a browser bundle must not contain: an import of a Node module.
 * Module specifiers only: tfjs-backend-wasm's emscripten glue carries a
 * `require("worker_threads")` inside the source text of its (unused, threaded)
 * pthread worker, guarded by ENVIRONMENT_IS_NODE; that string is not an import.
 */
export const NODE_IMPORT = /\bfrom\s*["']node:|\bimport\s*\(\s*["']node:|\brequire\s*\(\s*["']node:/;

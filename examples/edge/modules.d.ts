/** What the non-JavaScript imports of worker.ts are, as build.mjs bundles them. */

/** workerd: a compiled module (a CompiledWasm module); Deno: the file's bytes (esbuild's binary loader). */
declare module '*.wasm' {
  const binary: WebAssembly.Module | Uint8Array;
  export default binary;
}

/** workerd: an ArrayBuffer (a Data module); Deno: the file's bytes. */
declare module '*.safetensors' {
  const bytes: ArrayBuffer | Uint8Array;
  export default bytes;
}

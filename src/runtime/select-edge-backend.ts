/**
 * @file Activates tfjs-backend-wasm in edge runtimes from `.wasm` binaries
 * the host hands over. Cloudflare's workerd refuses to compile WebAssembly
 * from bytes at run time (`WebAssembly.compile`, `instantiate(bytes)` and
 * `new WebAssembly.Module` throw there): a worker gets `.wasm` files only as
 * modules compiled when it is deployed. So tfjs-backend-wasm's own loader (a
 * fetch of the binary, then `instantiate(bytes)`) cannot run, and this file
 * re-registers the `wasm` backend with a factory that hands the emscripten
 * glue a compiled module through its `instantiateWasm` hook. Runtimes that
 * do compile bytes (Deno) may pass bytes instead, compiled here, so every
 * runtime takes the same path. One thread: edge runtimes have no worker
 * threads. No `node:` import and no `process`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionTypeError, perceptualError } from '../errors.js';
import { firstLine } from '../first-line.js';
import { ensureTfPlatform } from './edge-platform.js';
import { registerKernels } from './kernels/register-kernels.js';
import { simdKernelsStatus, useCompiledSimdKernels } from './kernels/simd-kernels.js';
import type { Runtime } from './select-backend.js';
import { wasmSimdSupported } from './wasm-features.js';

/** A `.wasm` file as a compiled module, or as bytes where the runtime compiles at run time (Deno, browsers, Node). */
export type WasmBinary = WebAssembly.Module | Uint8Array | ArrayBuffer;

/** The `.wasm` files inference needs. */
export interface EdgeWasmBinaries {
  /** tfjs-backend-wasm's `tfjs-backend-wasm-simd.wasm` (every current edge runtime has SIMD). */
  readonly tfjsSimd: WasmBinary;
  /** tfjs-backend-wasm's `tfjs-backend-wasm.wasm`, used only where the engine lacks SIMD. */
  readonly tfjs?: WasmBinary;
  /**
   * perceptual's `wasm/perceptual-kernels.wasm` (Winograd convs, fused
   * instance norm). Without it the embedded copy is compiled, which workerd
   * refuses: there the stock tfjs kernels run instead.
   */
  readonly kernels?: WasmBinary;
}

/** What this file calls on tfjs-backend-wasm's emscripten glue (its bundled types leave `cwrap` out). */
interface EmscriptenGlue {
  cwrap(name: string, returns: 'number' | null, args: 'number'[]): (...args: number[]) => unknown;
  tfjs?: Record<string, (...args: number[]) => unknown>;
}
type GlueFactory = (config: {
  instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void): object;
  onAbort(message: string): void;
}) => Promise<EmscriptenGlue>;

/** tfjs-backend-wasm's priority for its `wasm` backend (base.ts), kept so tfjs's own ordering is unchanged. */
const WASM_PRIORITY = 2;

let selected: Promise<Runtime> | undefined;

/**
 * Registers and activates the `wasm` backend from the given binaries (once
 * per realm: later calls return the first call's runtime).
 * @example
 * import tfjsSimd from './tfjs-backend-wasm-simd.wasm'; // workerd: a compiled module
 * const runtime = await selectEdgeBackend({ tfjsSimd });
 * @throws TypeError E_OPTIONS when a binary is neither a WebAssembly.Module nor bytes;
 *   PerceptualError E_BACKEND_UNAVAILABLE when bytes cannot be compiled here (workerd), the engine lacks SIMD
 *   and no plain binary was given, or the module does not start
 */
export function selectEdgeBackend(binaries: EdgeWasmBinaries): Promise<Runtime> {
  if (binaries === null || typeof binaries !== 'object') throw optionTypeError('wasm', 'an object { tfjsSimd, kernels? }', binaries);
  for (const key of ['tfjsSimd', 'tfjs', 'kernels'] as const) {
    const binary = binaries[key];
    if (binary === undefined && key !== 'tfjsSimd') continue;
    if (!(binary instanceof WebAssembly.Module) && !(binary instanceof Uint8Array) && !(binary instanceof ArrayBuffer)) {
      throw optionTypeError(`wasm.${key}`, 'a compiled WebAssembly.Module (workerd: import the .wasm file) or the file\'s bytes (where the runtime compiles them)', binary);
    }
  }
  selected ??= activate(binaries).catch((error: unknown) => {
    selected = undefined;
    throw error;
  });
  return selected;
}

/** `binary` compiled (a module is returned as it is). */
async function compile(binary: WasmBinary, name: string): Promise<WebAssembly.Module> {
  if (binary instanceof WebAssembly.Module) return binary;
  try {
    return await WebAssembly.compile(binary as BufferSource);
  } catch (error) {
    throw perceptualError(
      'E_BACKEND_UNAVAILABLE',
      `Cannot compile ${name} from its bytes here (${firstLine(error)}). Runtimes such as Cloudflare workerd compile WebAssembly only when the worker is deployed: import the .wasm file as a module and pass that.`,
      error,
    );
  }
}

async function activate(binaries: EdgeWasmBinaries): Promise<Runtime> {
  const platform = ensureTfPlatform();
  const simd = wasmSimdSupported();
  const binary = simd ? binaries.tfjsSimd : binaries.tfjs;
  if (binary === undefined) {
    throw perceptualError('E_BACKEND_UNAVAILABLE', 'This engine has no WebAssembly SIMD and no plain tfjs-backend-wasm.wasm was given. Pass wasm.tfjs as well.');
  }
  const module = await compile(binary, simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm');
  if (binaries.kernels !== undefined) useCompiledSimdKernels(await compile(binaries.kernels, 'perceptual-kernels.wasm'));
  // The package import registers the wasm kernels (and its own fetch-based factory, replaced below).
  const [{ BackendWasm, version_wasm: version }, glue] = await Promise.all([
    import('@tensorflow/tfjs-backend-wasm'),
    import('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js'),
  ]);
  // A CommonJS module: its export is the namespace's default under ESM and bundlers alike.
  const wasmFactory = ((glue as { default?: unknown }).default ?? glue) as GlueFactory;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (tf.findBackendFactory('wasm') !== null) tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      let aborted: ((reason: unknown) => void) | undefined;
      const failed = new Promise<never>((_, reject) => {
        aborted = reject;
      });
      const wasm = await Promise.race([
        wasmFactory({
          // Emscripten calls this instead of fetching and compiling the binary itself.
          instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
            WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module), (error: unknown) => aborted?.(error));
            return {};
          },
          onAbort: (message: string) => aborted?.(new Error(`tfjs-backend-wasm aborted while starting: ${message}`)),
        }),
        failed,
      ]);
      // What tfjs-backend-wasm's own init() adds to the module (backend_wasm.ts).
      wasm.tfjs = {
        init: wasm.cwrap('init', null, []),
        initWithThreadsCount: wasm.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: wasm.cwrap('get_threads_count', 'number', []),
        registerTensor: wasm.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: wasm.cwrap('dispose_data', null, ['number']),
        dispose: wasm.cwrap('dispose', null, []),
      };
      return new BackendWasm(wasm as unknown as ConstructorParameters<typeof BackendWasm>[0]);
    },
    WASM_PRIORITY,
  );
  registerKernels('wasm');
  if (!(await tf.setBackend('wasm'))) {
    throw perceptualError('E_BACKEND_UNAVAILABLE', 'tfjs-backend-wasm did not start from the given module (see the error tfjs logged above). Check that wasm.tfjsSimd is tfjs-backend-wasm-simd.wasm of the installed tfjs-backend-wasm version.');
  }
  await tf.ready();
  return Object.freeze({
    backend: 'wasm',
    tfBackend: 'wasm',
    purpose: 'infer',
    reason: 'edge runtime: tfjs-backend-wasm from the given binaries',
    rejected: [],
    details: { simd, threads: 1, version, platform, simdKernels: simdKernelsStatus() },
  });
}

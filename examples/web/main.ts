/**
 * @file The example page: pick an image and a model, see the stylised result
 * beside the input. Query parameters: `wasm` (URL prefix of the .wasm files,
 * default `./wasm/`), `backend` (`wasm` or `cpu`), `model` (default model URL).
 * `#status[data-state]` goes starting, ready, loading, running, done or error.
 */
// The client alone: the barrel would pull tfjs into the page bundle (only the worker needs it).
import { type BrowserStylizer, createBrowserStylizer } from '../../src/browser/stylizer-client.js';

const params = new URLSearchParams(location.search);
const imageInput = document.querySelector<HTMLInputElement>('#image')!;
const modelSelect = document.querySelector<HTMLSelectElement>('#model')!;
const modelFile = document.querySelector<HTMLInputElement>('#model-file')!;
const status = document.querySelector<HTMLParagraphElement>('#status')!;
const inputCanvas = document.querySelector<HTMLCanvasElement>('#input')!;
const outputCanvas = document.querySelector<HTMLCanvasElement>('#output')!;

let backendLine = '';
let image: ImageData | undefined;
let modelReady: Promise<unknown> | undefined;
let generation = 0;

function setStatus(state: string, text: string): void {
  status.dataset.state = state;
  status.textContent = backendLine ? `${text} (${backendLine})` : text;
}

function draw(canvas: HTMLCanvasElement, pixels: ImageData): void {
  canvas.width = pixels.width;
  canvas.height = pixels.height;
  canvas.getContext('2d')!.putImageData(pixels, 0, 0);
}

async function decode(file: File): Promise<ImageData> {
  // No colour-space conversion or premultiplication: the network sees the file's bytes.
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

async function run(stylizer: BrowserStylizer): Promise<void> {
  if (image === undefined || modelReady === undefined) return;
  const mine = ++generation;
  try {
    await modelReady;
    if (mine !== generation) return;
    setStatus('running', 'Stylising…');
    const { image: result, milliseconds } = await stylizer.stylize(image);
    if (mine !== generation) return;
    draw(outputCanvas, result);
    setStatus('done', `Done in ${milliseconds.toFixed(0)} ms: ${result.width}x${result.height}`);
  } catch (error) {
    if (mine === generation) setStatus('error', `Error: ${(error as Error).message}`);
  }
}

function loadModel(stylizer: BrowserStylizer, source: string | File): void {
  setStatus('loading', `Loading ${typeof source === 'string' ? source : source.name}…`);
  modelReady = stylizer.loadModel(source, typeof source === 'string' ? undefined : source.name);
  modelReady.then(
    (info) => {
      const { arch, parameters } = info as { arch: { task: string }; parameters: number };
      if (image === undefined) setStatus('ready', `Model ready (${arch.task}, ${parameters} parameters): pick an image`);
    },
    (error: unknown) => setStatus('error', `Error: ${(error as Error).message}`),
  );
  void run(stylizer);
}

async function main(): Promise<void> {
  const defaultModel = params.get('model');
  if (defaultModel !== null) modelSelect.options[0]!.value = defaultModel;
  const backend = params.get('backend');
  const stylizer = await createBrowserStylizer({
    workerUrl: new URL('./worker.js', import.meta.url),
    wasmPath: params.get('wasm') ?? new URL('./wasm/', import.meta.url).href,
    ...(backend === 'wasm' || backend === 'cpu' ? { backend } : {}),
  });
  // For the browser console and test/browser/e2e.test.ts.
  (globalThis as { perceptualStylizer?: BrowserStylizer }).perceptualStylizer = stylizer;
  const { runtime } = stylizer;
  backendLine = `backend ${runtime.backend}${runtime.details.simd === true ? ' SIMD' : ''}`;
  status.dataset.backend = runtime.backend;
  status.dataset.simd = String(runtime.details.simd === true);

  loadModel(stylizer, modelSelect.value);
  modelSelect.addEventListener('change', () => {
    const upload = modelSelect.value === 'upload';
    modelFile.hidden = !upload;
    if (!upload) loadModel(stylizer, modelSelect.value);
    else if (modelFile.files?.[0]) loadModel(stylizer, modelFile.files[0]);
  });
  modelFile.addEventListener('change', () => {
    const file = modelFile.files?.[0];
    if (file) loadModel(stylizer, file);
  });
  imageInput.addEventListener('change', async () => {
    const file = imageInput.files?.[0];
    if (!file) return;
    try {
      image = await decode(file);
      draw(inputCanvas, image);
      await run(stylizer);
    } catch (error) {
      setStatus('error', `Error: cannot read ${file.name}: ${(error as Error).message}`);
    }
  });
}

main().catch((error: unknown) => setStatus('error', `Error: ${(error as Error).message}`));

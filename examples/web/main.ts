/**
 * @file The example page: pick a style from the gallery (or super-resolution,
 * or your own model: a .safetensors file or an ml5 checkpoint URL), give it
 * an image (file, drop, paste), watch the progress, cancel, adjust strength
 * and colours, download the PNG.
 *
 * Query parameters: `wasm` (URL prefix of the .wasm files, default
 * `./wasm/`), `backend` (`webgpu`, `wasm` or `cpu`), `model` (a model URL loaded first
 * instead of the registry's default style). `#status[data-state]` goes
 * starting, ready, loading, running, then done, cancelled or error.
 *
 * One job at a time: a new image or model supersedes the running job
 * (aborting it), so what is shown always belongs to the current choice.
 */
// The client alone: the barrel would pull tfjs into the page bundle (only the worker needs it).
import type { ModelInfo } from '../../src/browser/protocol.js';
import { type BrowserStylizer, createBrowserStylizer } from '../../src/browser/stylizer-client.js';
import { adjustResult } from './adjust-result.js';
import { downloadPng } from './download-png.js';
import { fetchModelIndex, type GalleryView, type ModelIndex, type PageModel, renderGallery } from './gallery.js';
import { decodeImage, listenForImages } from './image-input.js';

/** What runs: a gallery style, the bundled SR model, or the user's own model. */
type Choice = { readonly kind: 'gallery' | 'sr'; readonly model: PageModel } | { readonly kind: 'custom'; readonly label: string; readonly source: string | File };

const params = new URLSearchParams(location.search);
const $ = <T extends Element>(selector: string): T => document.querySelector<T>(selector)!;
const status = $<HTMLParagraphElement>('#status');
const galleryBox = $<HTMLElement>('#gallery');
const modeSr = $<HTMLInputElement>('#mode-sr');
const strength = $<HTMLInputElement>('#strength');
const strengthValue = $<HTMLOutputElement>('#strength-value');
const preserve = $<HTMLInputElement>('#preserve');
const cancelButton = $<HTMLButtonElement>('#cancel');
const downloadButton = $<HTMLButtonElement>('#download');
const progress = $<HTMLProgressElement>('#progress');
const inputCanvas = $<HTMLCanvasElement>('#input');
const outputCanvas = $<HTMLCanvasElement>('#output');
const outputCaption = $<HTMLElement>('#output-caption');

let backendLine = '';
let stylizer: BrowserStylizer;
let gallery: GalleryView;
let index: ModelIndex = { styles: [], defaultStyle: undefined, sr: undefined };
let styleChoice: Choice | undefined; // what Style mode returns to
let customChoice: Choice | undefined; // what the "your model" card returns to
let loaded: { readonly choice: Choice; readonly ready: Promise<ModelInfo> } | undefined;
let input: { readonly image: ImageData; readonly stem: string } | undefined;
let result: { readonly image: ImageData; readonly task: 'style' | 'sr'; readonly choice: Choice } | undefined;
let running: AbortController | undefined;
let generation = 0;

function setStatus(state: string, text: string): void {
  status.dataset.state = state;
  status.textContent = backendLine ? `${text} (${backendLine})` : text;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function draw(canvas: HTMLCanvasElement, pixels: ImageData | null): void {
  canvas.width = pixels?.width ?? 0;
  canvas.height = pixels?.height ?? 0;
  if (pixels === null) return;
  canvas.getContext('2d')!.putImageData(pixels, 0, 0);
  // Both canvases show at one width, so an SR result sits beside its input enlarged: show enlarged
  // pixels as the blocks they are, and let the browser smooth only when it shrinks an image.
  canvas.style.imageRendering = pixels.width < canvas.clientWidth ? 'pixelated' : 'auto';
}

function label(choice: Choice): string {
  return choice.kind === 'custom' ? choice.label : choice.model.name;
}

/** Shows the current result with the strength and colour settings (a style result the input's size only). */
function showResult(): void {
  strengthValue.textContent = `${Math.round(Number(strength.value) * 100)}%`;
  const adjustable = result?.task === 'style' && input !== undefined && result.image.width === input.image.width && result.image.height === input.image.height;
  strength.disabled = preserve.disabled = !adjustable && result !== undefined;
  downloadButton.disabled = result === undefined;
  if (result === undefined || input === undefined) {
    draw(outputCanvas, null);
    outputCaption.textContent = 'Result';
    return;
  }
  draw(outputCanvas, adjustable ? adjustResult(input.image, result.image, { strength: Number(strength.value), preserveColors: preserve.checked }) : result.image);
  outputCaption.textContent = `Result: ${label(result.choice)}, ${result.image.width}x${result.image.height}`;
}

/** Drops the running job and the shown result: they belong to a previous image or model. */
function supersede(): void {
  generation++;
  running?.abort(new Error('superseded by a newer choice'));
  running = undefined;
  result = undefined;
  showResult();
}

async function run(): Promise<void> {
  if (input === undefined || loaded === undefined) return;
  const mine = ++generation;
  const { choice, ready } = loaded;
  const { image } = input;
  const controller = new AbortController();
  running = controller;
  cancelButton.disabled = false;
  progress.hidden = false;
  progress.removeAttribute('value'); // indeterminate until tiles report
  try {
    const info = await ready;
    if (mine !== generation) return;
    setStatus('running', `${info.arch.task === 'sr' ? 'Upscaling' : 'Stylising'} with ${label(choice)}…`);
    const onProgress = ({ done, total }: { done: number; total: number }): void => {
      // A whole-image run reports 1 of 1 at the end: the bar stays indeterminate while it runs.
      if (mine !== generation || total <= 1) return;
      progress.max = total;
      progress.value = done;
    };
    const { image: out, milliseconds } = await stylizer.stylize(image, { signal: controller.signal, onProgress });
    if (mine !== generation) return;
    result = { image: out, task: info.arch.task, choice };
    showResult();
    if (result.task === 'style') gallery.setThumbnail(choice.kind === 'gallery' ? choice.model.name : null, outputCanvas);
    setStatus('done', `Done in ${milliseconds.toFixed(0)} ms: ${out.width}x${out.height} with ${label(choice)}`);
  } catch (error) {
    if (mine !== generation) return;
    if ((error as Error).name === 'AbortError') setStatus('cancelled', 'Cancelled. Choose a model or an image to run again.');
    else setStatus('error', `Error: ${message(error)}`);
  } finally {
    if (mine === generation) {
      running = undefined;
      cancelButton.disabled = true;
      progress.hidden = true;
    }
  }
}

function choose(choice: Choice): void {
  supersede();
  if (choice.kind !== 'sr') styleChoice = choice;
  if (choice.kind === 'custom') customChoice = choice;
  gallery.select(choice.kind === 'gallery' ? { name: choice.model.name } : choice.kind === 'custom' ? { custom: choice.label } : null);
  galleryBox.setAttribute('aria-disabled', String(choice.kind === 'sr'));
  (choice.kind === 'sr' ? modeSr : $<HTMLInputElement>('input[name=mode][value=style]')).checked = true;
  setStatus('loading', `Loading ${label(choice)}…`);
  const source = choice.kind === 'custom' ? choice.source : choice.model.url;
  const ready = stylizer.loadModel(source, typeof source === 'string' ? undefined : source.name);
  loaded = { choice, ready };
  ready.then(
    (info) => {
      if (loaded?.ready !== ready || input !== undefined) return;
      setStatus('ready', `${label(choice)} ready (${info.arch.task}, ${info.parameters} parameters): drop, paste or choose an image`);
    },
    (error: unknown) => {
      if (loaded?.ready === ready) setStatus('error', `Error: ${message(error)}`);
    },
  );
  void run();
}

async function takeImage(file: File): Promise<void> {
  try {
    const image = await decodeImage(file);
    supersede();
    input = { image, stem: file.name.replace(/\.[^.]*$/, '') || 'image' };
    draw(inputCanvas, image);
    gallery.clearThumbnails();
    await run();
  } catch (error) {
    setStatus('error', `Error: cannot read ${file.name || 'the image'}: ${message(error)}. Use a PNG, JPEG or WebP file.`);
  }
}

/** An ml5 checkpoint is a folder: the worker recognises its URL by the trailing slash (or manifest.json). */
function ml5FolderUrl(text: string): string {
  const url = new URL(text, location.href);
  if (!url.pathname.endsWith('/') && !url.pathname.endsWith('/manifest.json')) url.pathname += '/';
  return url.href;
}

function wireControls(): void {
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name=mode]')) {
    radio.addEventListener('change', () => {
      if (radio.value === 'sr' && index.sr) choose({ kind: 'sr', model: index.sr });
      else if (radio.value === 'style' && styleChoice) choose(styleChoice);
    });
  }
  const modelFile = $<HTMLInputElement>('#model-file');
  modelFile.addEventListener('change', () => {
    const file = modelFile.files?.[0];
    if (file) choose({ kind: 'custom', label: file.name, source: file });
  });
  $<HTMLFormElement>('#ml5-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $<HTMLInputElement>('#ml5-url').value.trim();
    if (text === '') return;
    try {
      const url = ml5FolderUrl(text);
      choose({ kind: 'custom', label: `ml5 ${url}`, source: url });
    } catch (error) {
      setStatus('error', `Error: ${JSON.stringify(text)} is not a URL (${message(error)}). Enter the URL of a folder holding manifest.json.`);
    }
  });
  listenForImages($<HTMLInputElement>('#image'), $<HTMLElement>('#drop'), (file) => void takeImage(file));
  strength.addEventListener('input', showResult);
  preserve.addEventListener('change', showResult);
  cancelButton.addEventListener('click', () => running?.abort(new Error('cancelled by the user')));
  downloadButton.addEventListener('click', () => {
    if (result === undefined || input === undefined) return;
    const name = `${input.stem}-${label(result.choice).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60)}.png`;
    downloadPng(outputCanvas, name).catch((error: unknown) => setStatus('error', `Error: ${message(error)}`));
  });
}

async function main(): Promise<void> {
  const indexed = fetchModelIndex(new URL('./models/index.json', import.meta.url)).catch((error: unknown) => error as Error);
  const backend = params.get('backend');
  stylizer = await createBrowserStylizer({
    workerUrl: new URL('./worker.js', import.meta.url),
    wasmPath: params.get('wasm') ?? new URL('./wasm/', import.meta.url).href,
    ...(backend === 'webgpu' || backend === 'wasm' || backend === 'cpu' ? { backend } : {}),
  });
  // For the browser console and test/browser/e2e.test.ts.
  (globalThis as { perceptualStylizer?: BrowserStylizer }).perceptualStylizer = stylizer;
  const { runtime } = stylizer;
  backendLine = `backend ${runtime.backend}${runtime.details.simd === true ? ' SIMD' : ''}`;
  status.dataset.backend = runtime.backend;
  status.dataset.simd = String(runtime.details.simd === true);

  const found = await indexed;
  if (!(found instanceof Error)) index = found;
  gallery = renderGallery(galleryBox, index.styles, (model) => {
    if (model !== null) choose({ kind: 'gallery', model });
    else if (customChoice !== undefined) choose(customChoice);
  });
  modeSr.disabled = index.sr === undefined;
  $<HTMLElement>('#sr-name').textContent = index.sr ? `(${index.sr.name})` : '(no SR model bundled)';
  wireControls();
  showResult();
  const first = params.get('model');
  if (first !== null) choose({ kind: 'custom', label: first, source: first });
  else if (index.defaultStyle) choose({ kind: 'gallery', model: index.defaultStyle });
  else setStatus('error', `Error: no bundled style model: ${found instanceof Error ? found.message : 'models/index.json lists none'}`);
}

main().catch((error: unknown) => setStatus('error', `Error: ${message(error)}`));

/**
 * @file `perceptual stylize IN -o OUT`: runs a transform network on one image
 * in this process and writes the result atomically. (Batches and the worker
 * pool go through `perceptual serve`.)
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { Command, Option } from 'commander';
import type { ImageFormat } from '../data/image-io.js';
import { optionRangeError, perceptualError } from '../errors.js';
import { type CommonOptions, chooseBackend, commandAction, packageRoot, parseInteger, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';

/** Where the bundled starter model lives, relative to the package root. */
export const STARTER_MODEL = 'models/starter-style.safetensors';

interface StylizeOptions extends CommonOptions {
  output: string;
  model?: string;
  format?: ImageFormat;
  quality?: number;
}

/** The `stylize` command. */
export function stylizeCommand(context: CliContext): Command {
  const command = new Command('stylize')
    .description('Apply a trained transform network to one image and write the result (atomically; never over the input).')
    .argument('<in>', 'input image (PNG, JPEG, WebP, AVIF, TIFF, GIF)')
    .requiredOption('-o, --output <file>', 'output image; the format follows the extension (.png, .jpg, .webp) unless --format is given')
    .option('--model <file|dir>', `a perceptual .safetensors model, or an ml5/deeplearn.js checkpoint folder (default: the bundled ${STARTER_MODEL})`)
    .addOption(new Option('--format <format>', 'output format').choices(['png', 'jpeg', 'webp']))
    .option('--quality <q>', 'JPEG/WebP quality 1..100 (default 90)', parseInteger);
  return withCommonOptions(command).action(
    commandAction(context, async (output: Output, options: StylizeOptions, input: string) => {
      const started = performance.now();
      // Loaded on use, so `--help` and other commands start without sharp and the networks.
      const { formatForPath, readImage, writeImage } = await import('../data/image-io.js');
      const { transform } = await import('../networks/transform.js');
      const { loadTransformModel } = await import('../weights/load-transform-model.js');
      if (samePath(input, options.output)) {
        throw optionRangeError('--output', `a different file from the input '${input}' (stylize never overwrites its input)`, options.output);
      }
      const format = options.format ?? formatForPath(options.output);
      const modelPath = options.model ?? defaultModel();
      await chooseBackend(context, output, options.backend, 'infer');
      const model = await loadTransformModel(modelPath);
      const loaded = performance.now();
      output.info(`model: ${modelPath} (${model.arch.task}${model.provenance.source ? `, ${model.provenance.source}` : ''})`);
      const image = await readImage(input);
      let result: tf.Tensor4D | undefined;
      try {
        const ran = performance.now();
        // Lean forward: only about two layers' activations alive at a time (inference only).
        result = transform(model, image, { lean: true });
        await result.data(); // wait for the backend, so the timing below is honest
        const transformed = performance.now();
        await writeImage(options.output, result, { format, quality: options.quality });
        const [, height, width] = result.shape;
        output.info(
          `wrote ${options.output} (${width}x${height} ${format}) in ${seconds(performance.now() - started)} ` +
            `(model load ${seconds(loaded - started)}, transform ${seconds(transformed - ran)})`,
        );
      } finally {
        tf.dispose([image, ...(result ? [result] : []), ...Object.values(model.params)]);
      }
    }),
  );
}

function defaultModel(): string {
  const path = join(packageRoot(), STARTER_MODEL);
  if (!existsSync(path)) {
    throw perceptualError('E_IO', `The bundled starter model is missing ('${path}'). Pass --model FILE (a .safetensors model or an ml5 checkpoint folder), or reinstall the package.`);
  }
  return path;
}

/** Whether `a` and `b` name the same file (following links; `b` may not exist yet). */
function samePath(a: string, b: string): boolean {
  const real = (path: string): string => {
    if (existsSync(path)) return realpathSync(path);
    const dir = dirname(resolve(path));
    return join(existsSync(dir) ? realpathSync(dir) : dir, basename(path));
  };
  return real(a) === real(b);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * @file `perceptual stylize IN... -o OUT`: runs a style transform network on
 * image files, folders or globs, through the worker pool or in this process
 * (batch-run.ts), optionally keeping the input's colours (--preserve-color,
 * luminance-only transfer, Gatys et al. 2016) and blending with the input
 * (--strength). One input file with `-o FILE` writes that file; anything
 * else writes into the folder `-o`. Outputs are written atomically and never
 * over an input.
 */
import { Command } from 'commander';
import type { RgbImage } from '../pixels.js';
import { checkNumber } from '../validate.js';
import { resolveModel } from '../weights/model-registry.js';
import { type FinishImage, type ImageCommandOptions, runImageCommand, withImageOptions } from './batch-run.js';
import { commandAction, parseNumber, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';

interface StylizeOptions extends ImageCommandOptions {
  strength?: number;
  preserveColor?: boolean;
}

/**
 * What --preserve-color and --strength do to a stylisation (also applied by the queue
 * worker); undefined when neither changes it.
 * @throws RangeError E_OPTIONS for a strength outside 0..1
 */
export async function styleFinish(options: { readonly strength?: number | undefined; readonly preserveColor?: boolean | undefined }): Promise<FinishImage | undefined> {
  const strength = checkNumber(options.strength ?? 1, '--strength', 'a number from 0 to 1', 0, 1);
  const preserve = options.preserveColor ?? false;
  if (!preserve && strength === 1) return undefined;
  const { blend } = await import('../infer/blend.js');
  const { preserveColor } = await import('../infer/preserve-color.js');
  // Colour first (it needs the pure stylisation's luminance), then the blend with the input.
  return (input: RgbImage, result: RgbImage): RgbImage => {
    const coloured = preserve ? preserveColor(input, result) : result;
    return strength < 1 ? blend(input, coloured, strength) : coloured;
  };
}

/** The `stylize` command. */
export function stylizeCommand(context: CliContext): Command {
  const command = new Command('stylize')
    .description('Apply a trained style network to images (files, folders or quoted globs) and write the results (atomically; never over an input).')
    .argument('<in...>', 'input images: files, folders (searched recursively for images) or globs ("shots/**/*.jpg")')
    .requiredOption('-o, --output <path>', 'output file for one input file (format from its extension unless --format); else a folder mirroring the inputs\' relative names')
    .option('--model <name|file|dir>', 'a bundled model\'s name (`perceptual models` lists them), a perceptual .safetensors style model, or an ml5/deeplearn.js checkpoint folder; an existing path wins over a name (default: the bundled default style model)');
  withImageOptions(command)
    .option('--strength <s>', 'blend with the input: 0 keeps the input, 1 the full stylisation (default 1)', parseNumber)
    .option('--preserve-color', 'keep the input\'s colours: take only the luminance of the stylisation (Gatys et al. 2016)');
  return withCommonOptions(command).action(
    commandAction(context, async (output: Output, options: StylizeOptions, inputs: string[]) => {
      const finish = await styleFinish(options);
      await runImageCommand(context, output, {
        name: 'stylize',
        task: 'style',
        inputs,
        options,
        modelPath: await resolveModel(options.model, { task: 'style' }),
        ...(finish ? { finish } : {}),
      });
    }),
  );
}

/**
 * @file `perceptual upscale IN... [--model SR_MODEL] -o OUT`: runs a
 * super-resolution network (Johnson et al. 2016, section 3.2) on image
 * files, folders or globs, through the worker pool or in this process
 * (batch-run.ts). The scale is the model's; `--scale` only asserts it.
 * Without --model it runs the bundled default SR model (models/index.json).
 * One input file with `-o FILE` writes that file; anything else writes into
 * the folder `-o`. Outputs are written atomically and never over an input.
 */
import { Command } from 'commander';
import { optionRangeError } from '../errors.js';
import { resolveModel } from '../weights/model-registry.js';
import { type ImageCommandOptions, runImageCommand, withImageOptions } from './batch-run.js';
import { commandAction, parseInteger, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';

interface UpscaleOptions extends ImageCommandOptions {
  scale?: number;
}

/** The `upscale` command. */
export function upscaleCommand(context: CliContext): Command {
  const command = new Command('upscale')
    .description('Upscale images (files, folders or quoted globs) with a super-resolution network and write the results (atomically; never over an input).')
    .argument('<in...>', 'input images: files, folders (searched recursively for images) or globs ("shots/**/*.jpg")')
    .requiredOption('-o, --output <path>', 'output file for one input file (format from its extension unless --format); else a folder mirroring the inputs\' relative names')
    .option('--model <name|file>', 'a bundled model\'s name (`perceptual models` lists them) or a perceptual .safetensors super-resolution model (x2, x4 or x8); an existing path wins over a name (default: the bundled default SR model)')
    .option('--scale <n>', 'the expected scale: fails unless the model has it (the model fixes the scale)', parseInteger);
  withImageOptions(command);
  return withCommonOptions(command).action(
    commandAction(context, async (output: Output, options: UpscaleOptions, inputs: string[]) => {
      const modelPath = await resolveModel(options.model, { task: 'sr' });
      await runImageCommand(context, output, {
        name: 'upscale',
        task: 'sr',
        inputs,
        options,
        modelPath,
        checkPool: (pool) => {
          if (options.scale !== undefined && options.scale !== pool.scale) {
            throw optionRangeError('--scale', `${pool.scale}, the scale of the model ${modelPath} (or absent)`, options.scale);
          }
        },
      });
    }),
  );
}

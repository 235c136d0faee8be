/**
 * @file `perceptual models [--json]`: the bundled models of the registry
 * (models/index.json, src/weights/model-registry.ts) with their task, file
 * size, default marker, description and file path. `--model NAME` in
 * `stylize`, `upscale` and `serve` takes these names.
 */
import { stat } from 'node:fs/promises';
import { Command } from 'commander';
import { perceptualError } from '../errors.js';
import { type BundledModel, bundledModels } from '../weights/model-registry.js';
import { type CommonOptions, commandAction, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';

interface ModelsOptions extends CommonOptions {
  json?: boolean;
}

/** A listed model: the registry entry and its file's size. */
export interface ListedModel extends BundledModel {
  readonly bytes: number;
}

/** The `models` command. */
export function modelsCommand(context: CliContext): Command {
  const command = new Command('models')
    .description('List the bundled models: name (for --model NAME), task, size, default marker, description and file.')
    .option('--json', 'print a JSON array of {name, task, default, bytes, description, file} on stdout', false);
  // --backend is accepted like everywhere, though listing runs no network.
  return withCommonOptions(command).action(
    commandAction(context, async (output: Output, options: ModelsOptions) => {
      const listed: ListedModel[] = [];
      for (const model of await bundledModels()) {
        const info = await stat(model.file).catch((error: unknown) => {
          throw perceptualError('E_IO', `The registry lists '${model.name}', but its file ${model.file} cannot be read: ${(error as Error).message}. Reinstall perceptual, or fix models/index.json.`, error);
        });
        listed.push({ ...model, bytes: info.size });
      }
      if (options.json) {
        output.result(JSON.stringify(listed.map(({ name, task, default: isDefault, bytes, description, file }) => ({ name, task, default: isDefault, bytes, description, file })), null, 2));
        return;
      }
      output.result(formatModels(listed));
      output.info('Run one with --model NAME (stylize, upscale, serve); the default of each task runs without --model.');
    }),
  );
}

/** The text table: one line per model, its file on the next. */
export function formatModels(models: readonly ListedModel[]): string {
  const rows = [['NAME', 'TASK', 'BYTES', 'DEFAULT', 'DESCRIPTION'], ...models.map((m) => [m.name, m.task, String(m.bytes), m.default ? 'yes' : '', m.description])];
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => row.map((cell, column) => (column < 4 ? cell.padEnd(widths[column]!) : cell)).join('  ');
  const lines = [line(rows[0]!)];
  models.forEach((model, index) => lines.push(line(rows[index + 1]!), `  ${model.file}`));
  return lines.join('\n');
}

/**
 * @file The `perceptual` command line: builds the commander program from one
 * factory per command file and runs it. `bin/perceptual.js` imports the
 * compiled file; tests call `buildProgram`/`runCli` in-process with a
 * memory context.
 *
 * To add a command, import its factory and add it to COMMANDS.
 *
 * Command files import library code with `await import()` when their
 * action runs, so `--help` stays quick; only what building the commands and
 * checking their options needs (errors, the model registry, backend names)
 * is imported statically, from its own module. Commands whose work dwarfs
 * loading the whole library (compare, eval, optimize, serve, train) take it
 * through the public entry (src/index.ts), as any caller would; the light
 * ones (weights, export, convert, and stylize/upscale/queue worker through
 * batch-run.ts) import the modules they use directly, since loading the
 * entry, which loads every module, would be a good part of their run.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { packageVersion } from './command-helpers.js';
import { compareCommand } from './compare.js';
import { convertCommand } from './convert.js';
import { type CliContext, processContext } from './context.js';
import { doctorCommand } from './doctor.js';
import { EXIT_CODES, EXIT_CODES_HELP } from './errors-to-exit.js';
import { optimizeCommand } from './optimize.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { modelsCommand } from './models.js';
import { queueCommand } from './queue.js';
import { serveCommand } from './serve.js';
import { stylizeCommand } from './stylize.js';
import { trainCommand } from './train.js';
import { upscaleCommand } from './upscale.js';
import { weightsCommand } from './weights.js';

/** A command file exports a factory taking the context (or a ready Command). */
export type CommandFactory = ((context: CliContext) => Command) | Command;

/** Every command, in the order `--help` lists them. */
const COMMANDS: readonly CommandFactory[] = [
  doctorCommand,
  compareCommand,
  stylizeCommand,
  upscaleCommand,
  modelsCommand,
  serveCommand,
  queueCommand,
  weightsCommand,
  trainCommand,
  exportCommand,
  convertCommand,
  evalCommand,
  optimizeCommand,
];

/**
 * Builds the program with every command; output goes to `context`, and
 * commander never calls `process.exit` (runCli maps its errors to exit codes).
 */
export function buildProgram(context: CliContext = processContext()): Command {
  const program = new Command('perceptual')
    .description('Image transformation networks trained with perceptual losses (Johnson et al. 2016): style transfer and super-resolution on any tfjs backend.')
    .version(packageVersion(), '-V, --version')
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nEnvironment: PERCEPTUAL_BACKEND forces a backend (like --backend).`)
    .showHelpAfterError('(add --help for usage)');
  for (const entry of COMMANDS) program.addCommand(typeof entry === 'function' ? entry(context) : entry);
  configureRecursively(program, context);
  return program;
}

function configureRecursively(command: Command, context: CliContext): void {
  command.exitOverride().configureOutput({
    writeOut: (text) => context.stdout.write(text),
    writeErr: (text) => context.stderr.write(text),
  });
  for (const sub of command.commands) configureRecursively(sub, context);
}

/**
 * Runs the CLI on `argv` (the arguments after the program name) and returns
 * the exit code (see EXIT_CODES_HELP); never throws and never exits.
 */
export async function runCli(argv: readonly string[], context: CliContext = processContext()): Promise<number> {
  const program = buildProgram(context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are successes; anything else is a usage error.
      return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    context.stderr.write(`perceptual: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT_CODES.internal;
  }
  return context.exitCode;
}

/** True when this module is the process entry (run directly or through bin/perceptual.js). */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    const real = realpathSync(entry);
    return real === fileURLToPath(import.meta.url) || /[\\/]bin[\\/]perceptual\.js$/.test(real);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await runCli(process.argv.slice(2));
}

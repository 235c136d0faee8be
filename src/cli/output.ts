/**
 * @file Printing for commands: results to stdout, everything else to
 * stderr, errors as one line (code and message, then each cause) and the
 * stack only under --verbose.
 */
import { errorCode } from '../errors.js';
import { firstLine } from '../first-line.js';
import type { CliContext } from './context.js';

/** What a command prints through. */
export interface Output {
  /** A result line on stdout (what scripts parse). */
  result(text: string): void;
  /** A message line on stderr. */
  info(text: string): void;
  /** A message line on stderr, only under --verbose. */
  debug(text: string): void;
  /** An error on stderr: `perceptual: E_CODE: message`, causes, stack under --verbose. */
  error(error: unknown): void;
}

/** An `Output` writing to `context`'s streams. */
export function createOutput(context: CliContext, options: { verbose?: boolean } = {}): Output {
  const verbose = options.verbose ?? false;
  const line = (sink: CliContext['stdout'], text: string) => sink.write(text.endsWith('\n') ? text : `${text}\n`);
  return {
    result: (text) => line(context.stdout, text),
    info: (text) => line(context.stderr, text),
    debug: (text) => {
      if (verbose) line(context.stderr, text);
    },
    error: (error) => line(context.stderr, formatError(error, verbose)),
  };
}

/** `perceptual: E_CODE: message` plus causes; with `verbose`, the stack of each. */
export function formatError(error: unknown, verbose = false): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    const code = errorCode(current) ?? (current as { code?: unknown }).code;
    const message = current instanceof Error ? current.message : String(current);
    const prefix = depth === 0 ? 'perceptual: ' : '  caused by: ';
    lines.push(`${prefix}${typeof code === 'string' ? `${code}: ` : ''}${message}`);
    if (verbose && current instanceof Error && current.stack) {
      lines.push(...current.stack.split('\n').slice(1).map((l) => `    ${l.trim()}`));
    }
    // A cause repeated in the message adds nothing except under --verbose.
    const cause: unknown = current instanceof Error ? current.cause : undefined;
    if (!verbose && cause instanceof Error && message.includes(firstLine(cause))) break;
    current = cause;
  }
  if (!verbose) lines.push('(run with --verbose for the stack)');
  return lines.join('\n');
}

/**
 * @file What a command may touch of the process: its output streams, whether
 * stderr is a terminal, the environment and an exit code. Tests pass their
 * own to run commands in-process and read what they printed.
 */

/** A stream-like sink for text. */
export interface TextSink {
  write(text: string): unknown;
}

/** The process as commands see it. */
export interface CliContext {
  /** Results (JSON, paths, tables): what scripts read. */
  readonly stdout: TextSink;
  /** Messages, progress, the chosen backend, errors. */
  readonly stderr: TextSink;
  /** Whether stderr is a terminal (progress bars), else plain progress lines. */
  readonly isTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Set by a command that fails; `runCli` returns it. */
  exitCode: number;
}

/** The real process: stdout, stderr, `process.env`. */
export function processContext(): CliContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    exitCode: 0,
  };
}

/** A context that records output in strings (for tests). */
export function memoryContext(options: { isTTY?: boolean; env?: Record<string, string | undefined> } = {}): CliContext & {
  readonly out: () => string;
  readonly err: () => string;
} {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    isTTY: options.isTTY ?? false,
    env: options.env ?? {},
    exitCode: 0,
    out: () => out,
    err: () => err,
  };
}

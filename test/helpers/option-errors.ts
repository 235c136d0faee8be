/**
 * Assertions on the project's errors: a synchronous throw of E_OPTIONS of a
 * given class and message, the rejection a promise must end in, and a
 * rejection with a given code and message.
 */
import * as assert from 'uvu/assert';

export type Coded = Error & { code?: string };

/** `run` throws an E_OPTIONS error of class `kind` whose message is `message` (a string: exactly). */
export function throwsOption(run: () => unknown, kind: typeof TypeError | typeof RangeError, message: RegExp | string): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) assert.unreachable('expected a throw');
  assert.instance(thrown, kind);
  assert.is((thrown as Coded).code, 'E_OPTIONS');
  if (typeof message === 'string') assert.is((thrown as Error).message, message);
  else assert.match((thrown as Error).message, message);
}

/** The error `run` rejects with; fails the test when it resolves. */
export async function rejection(run: () => Promise<unknown>): Promise<Coded> {
  try {
    await run();
  } catch (error) {
    return error as Coded;
  }
  return assert.unreachable('expected a rejection') as never;
}

/** `promise` rejects with an error whose `code` is `code` and whose message matches `pattern`. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  const error = await rejection(() => promise);
  assert.is(error.code, code, error.message);
  assert.match(error.message, pattern);
}

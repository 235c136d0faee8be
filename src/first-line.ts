/**
 * @file The first line of an error's message, for quoting a cause inside a
 * one-line message of our own: sharp, libvips, HDF5 and Node append lines
 * of detail (stacks, diagnostics) that belong in `cause`, not in the text a
 * user reads.
 */

/** The first line of `error.message`, or of `String(error)` for what is not an Error (`''` for an empty message). */
export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/**
 * @file Atomic file output: write a temporary file beside the target, fsync
 * it, then rename over the target, so a reader never sees half a file and a
 * crash leaves either the old file or the new one.
 *
 * A process killed between creating its temporary file and the rename (Ctrl-C
 * twice, SIGKILL, the OOM killer) leaves that file behind, often empty. Each
 * temporary name carries its writer's host and pid, so the first write into a
 * folder removes the ones whose writer is gone: same host, pid no longer
 * running. A file from another host (a shared folder) is left alone, since its
 * pid means nothing here.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/** This machine in temporary names: a short hash, so any hostname makes a plain file name. */
const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** `.<target>.<host>-<pid>.<random>.tmp`; the random part makes every write's name unique. */
const TEMPORARY = /^\.(.+)\.([0-9a-f]{8})-(\d+)\.[0-9a-f]{8}\.tmp$/;

/** The temporary path used for `target` (same folder, so rename is atomic); unique per call. */
export function temporaryPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${HOST}-${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Folders this process has already cleaned: one listing per folder, not one per write (batch outputs hold thousands of files). */
const swept = new Set<string>();

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files in `folder` left by writers on this host that
 * no longer run. Never throws: cleaning up is not worth failing a write for.
 * @returns the names removed
 */
export async function removeStaleTemporaries(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMPORARY.exec(name);
    if (match === null || match[2] !== HOST) continue;
    const pid = Number(match[3]);
    if (pid === process.pid || isRunning(pid)) continue;
    try {
      await rm(join(folder, name), { force: true });
      removed.push(name);
    } catch {
      // Not ours to remove (permissions): leave it.
    }
  }
  return removed;
}

/**
 * Writes `data` to `target` atomically (temp file, fsync, rename). The first
 * write into a folder also removes temporary files that dead writers left there.
 * @throws the underlying fs error; the temporary file is removed on failure.
 */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const folder = dirname(target);
  await mkdir(folder, { recursive: true });
  const key = resolve(folder);
  if (!swept.has(key)) {
    swept.add(key);
    await removeStaleTemporaries(folder);
  }
  const temporary = temporaryPathFor(target);
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    // The write's own error is what matters; a failed removal must not replace it.
    await rm(temporary, { force: true }).catch(() => {});
    throw error;
  }
}

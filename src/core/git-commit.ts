/**
 * The git commit Layerlab runs from, recorded with every run (RunProvenance.gitCommit).
 * Read from the files, never by running git: a packaged app has no checkout and
 * gets null.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The commit of the checkout Layerlab runs from (two folders up from src/core or out/main), or null. */
export function appGitCommit(): string | null {
  return gitCommitOf(fileURLToPath(new URL('../../', import.meta.url)));
}

const HASH = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * The commit checked out in `folder` (a git working tree), read from .git/HEAD and
 * the ref it names (loose, or in packed-refs) without running git; null when the
 * folder is no checkout or anything cannot be read. A .git file (a worktree or
 * submodule: "gitdir: …") is followed, and a worktree's shared refs found through
 * its commondir.
 */
export function gitCommitOf(folder: string): string | null {
  try {
    const gitDir = gitDirOf(folder);
    if (!gitDir) return null;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (HASH.test(head)) return head; // detached
    const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
    if (!ref || ref.split('/').includes('..')) return null;
    const dirs = [gitDir];
    const common = readOptional(join(gitDir, 'commondir'))?.trim();
    if (common) dirs.push(isAbsolute(common) ? common : resolve(gitDir, common));
    for (const dir of dirs) {
      const loose = readOptional(join(dir, ref))?.trim();
      if (loose && HASH.test(loose)) return loose;
    }
    for (const dir of dirs) {
      const packed = readOptional(join(dir, 'packed-refs'));
      if (!packed) continue;
      for (const line of packed.split('\n')) {
        const [hash, name] = line.trim().split(/\s+/);
        if (name === ref && HASH.test(hash)) return hash;
      }
    }
    return null;
  } catch {
    return null;
  }
}

function gitDirOf(folder: string): string | null {
  const dotGit = join(folder, '.git');
  const stat = statSync(dotGit, { throwIfNoEntry: false });
  if (!stat) return null;
  if (stat.isDirectory()) return dotGit;
  const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
  if (!pointer) return null;
  return isAbsolute(pointer) ? pointer : resolve(folder, pointer);
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

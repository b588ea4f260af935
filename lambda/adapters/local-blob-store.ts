import { createHash, randomUUID } from "node:crypto";
import type { Dirent } from "node:fs";
import { link, mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { BlobStore, StoredBlob } from "../core/ports.js";

/** Names starting with this are the store's own temp and lock files; keys may not use it. */
const RESERVED_NAME_PREFIX = ".~";

export interface LocalBlobStoreOptions {
  /** How long `putIfMatch` waits for another writer's lock before giving up. */
  lockTimeoutMs?: number;
}

/**
 * `BlobStore` over a folder, for offline runs and the demo. Key `a/b/c.json` is file `<root>/a/b/c.json`.
 *
 * The etag is the SHA-256 of the file's bytes, so it changes exactly when the content does.
 * Atomicity relies on POSIX primitives that hold across processes on one machine:
 * - `putIfAbsent` writes a private temp file, then `link()`s it to the key; `link` never replaces an
 *   existing name and fails with EEXIST, so one creator wins and readers never see a partial file.
 * - `putIfMatch` takes a per-key lock file opened with `wx` (O_CREAT|O_EXCL), compares the etag, then
 *   `rename()`s a temp file over the key, which readers observe as old-or-new, never half-written.
 *   `putIfAbsent` needs no lock: it only succeeds while the key is absent, and `putIfMatch` only
 *   writes keys that exist. A writer that dies holding the lock leaves `.~lock-<name>` behind; later
 *   writers time out with an error naming it rather than guessing it is stale.
 */
export class LocalBlobStore implements BlobStore {
  readonly root: string;
  private readonly lockTimeoutMs: number;

  constructor(root: string, options: LocalBlobStoreOptions = {}) {
    this.root = resolve(root);
    this.lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  }

  async get(key: string): Promise<StoredBlob | undefined> {
    const bytes = await readIfPresent(this.pathOf(key));
    return bytes === undefined ? undefined : { body: bytes.toString("utf8"), etag: sha256Hex(bytes) };
  }

  async putIfAbsent(key: string, body: string): Promise<boolean> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = await writeTempBeside(target, body);
    try {
      await link(temp, target);
      return true;
    } catch (error) {
      if (errorCode(error) === "EEXIST") return false;
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
  }

  async putIfMatch(key: string, body: string, etag: string): Promise<boolean> {
    const target = this.pathOf(key);
    // A key missing now cannot match (a deleted key is recreated only with putIfAbsent); this also
    // guarantees the folder for the lock file exists.
    if ((await readIfPresent(target)) === undefined) return false;
    const release = await this.acquireLock(target);
    try {
      const current = await readIfPresent(target);
      if (current === undefined || sha256Hex(current) !== etag) return false;
      await replaceAtomically(target, body);
      return true;
    } finally {
      await release();
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const folderPart = prefix.slice(0, prefix.lastIndexOf("/") + 1);
    const start = folderPart === "" ? this.root : this.pathOf(folderPart.slice(0, -1));
    const keys = await walkKeys(start, folderPart);
    return keys.filter((key) => key.startsWith(prefix)).sort(compareUtf8);
  }

  /** The file for `key`; the empty key names the store's root folder (used in restore commands). */
  locate(key: string): string {
    return key === "" ? this.root : this.pathOf(key);
  }

  private pathOf(key: string): string {
    return join(this.root, ...validKeySegments(key));
  }

  private async acquireLock(target: string): Promise<() => Promise<void>> {
    const lockPath = join(dirname(target), `${RESERVED_NAME_PREFIX}lock-${basename(target)}`);
    const deadline = Date.now() + this.lockTimeoutMs;
    for (;;) {
      try {
        const handle = await open(lockPath, "wx");
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        return () => rm(lockPath, { force: true });
      } catch (error) {
        if (errorCode(error) !== "EEXIST") throw error;
        if (Date.now() >= deadline) {
          throw new Error(
            `Timed out after ${this.lockTimeoutMs} ms waiting for lock ${lockPath}; remove it if no writer is running`,
          );
        }
        await sleep(5 + Math.random() * 20);
      }
    }
  }
}

/** The path segments of a key, refusing anything that could escape the root or collide with our files. */
function validKeySegments(key: string): string[] {
  if (key === "" || key.includes("\0") || key.includes("\\")) throw invalidKey(key);
  const segments = key.split("/");
  for (const segment of segments) {
    if (segment === "" || segment === "." || segment === ".." || segment.startsWith(RESERVED_NAME_PREFIX)) {
      throw invalidKey(key);
    }
  }
  return segments;
}

function invalidKey(key: string): Error {
  return new Error(
    `Invalid blob key ${JSON.stringify(key)}: keys are non-empty "/"-separated segments, none empty, ".", ".." or starting with "${RESERVED_NAME_PREFIX}"`,
  );
}

/**
 * The file's bytes, or undefined when the key is no object: missing, or a folder, or below a file
 * (`a/b` when `a` is a file) — the ways a key can be absent on a file system.
 */
async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return undefined;
    throw error;
  }
}

/** A fully written and flushed temp file in the target's folder, so `link`/`rename` stay on one file system. */
async function writeTempBeside(target: string, body: string): Promise<string> {
  const temp = join(dirname(target), `${RESERVED_NAME_PREFIX}tmp-${process.pid}-${randomUUID()}`);
  const handle = await open(temp, "wx");
  try {
    await handle.writeFile(body, "utf8");
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  return temp;
}

async function replaceAtomically(target: string, body: string): Promise<void> {
  const temp = await writeTempBeside(target, body);
  try {
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Every file below `folder` as a key (`keyPrefix` + relative path), skipping our temp and lock files. */
async function walkKeys(folder: string, keyPrefix: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw error;
  }
  const keys: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(RESERVED_NAME_PREFIX)) continue;
    if (entry.isDirectory()) {
      keys.push(...(await walkKeys(join(folder, entry.name), `${keyPrefix}${entry.name}/`)));
    } else if (entry.isFile()) {
      keys.push(keyPrefix + entry.name);
    }
  }
  return keys;
}

export function sha256Hex(content: string | Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** JavaScript's default sort compares UTF-16 units, which differs from byte order above U+FFFF. */
function compareUtf8(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left, "utf8"), Buffer.from(right, "utf8"));
}

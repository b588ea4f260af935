/**
 * A `BlobStore` in memory with S3's conditional-write semantics: `analyze` and the demo run the
 * classifier's own pipeline on it, so that they judge, order and file writes exactly as the Lambda
 * does in S3. Pure: no SDK, no file system.
 *
 * Built to be asked the same questions once per write of a long export: the keys are kept sorted
 * (a listing is a binary search and a slice, not a sort of every key), a listing is the same
 * array until a key under its prefix is created or removed, and an object's etag is computed when
 * it is written, not each time it is read.
 */
import { createHash } from "node:crypto";
import type { BlobStore, StoredBlob } from "./ports.js";

function etagOf(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}

/** The first index of sorted `keys` whose key is not below `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MemoryBlobStore implements BlobStore {
  readonly stableListings = true;
  private readonly objects = new Map<string, StoredBlob>();
  /** Every key, in ascending order (keys are the store's own: digits, hex, fixed words). */
  private readonly keys: string[] = [];
  /** Listings given out, by prefix: unchanged until a key under the prefix comes or goes. */
  private readonly listings = new Map<string, readonly string[]>();

  async get(key: string): Promise<StoredBlob | undefined> {
    const blob = this.objects.get(key);
    return blob === undefined ? undefined : { body: blob.body, etag: blob.etag };
  }

  async putIfAbsent(key: string, body: string): Promise<boolean> {
    if (this.objects.has(key)) return false;
    this.objects.set(key, { body, etag: etagOf(body) });
    this.keys.splice(lowerBound(this.keys, key), 0, key);
    this.invalidate(key);
    return true;
  }

  async putIfMatch(key: string, body: string, etag: string): Promise<boolean> {
    const current = this.objects.get(key);
    if (current === undefined || current.etag !== etag) return false;
    this.objects.set(key, { body, etag: etagOf(body) });
    return true;
  }

  async delete(key: string): Promise<void> {
    if (!this.objects.delete(key)) return;
    const index = lowerBound(this.keys, key);
    if (this.keys[index] === key) this.keys.splice(index, 1);
    this.invalidate(key);
  }

  async list(prefix: string): Promise<string[]> {
    let listing = this.listings.get(prefix);
    if (!listing) {
      const found: string[] = [];
      for (let i = lowerBound(this.keys, prefix); i < this.keys.length; i++) {
        const key = this.keys[i] as string;
        if (!key.startsWith(prefix)) break;
        found.push(key);
      }
      listing = found;
      this.listings.set(prefix, listing);
    }
    // The same array for every caller until the keys under `prefix` change (`stableListings`).
    return listing as string[];
  }

  locate(key: string): string {
    return `memory:${key}`;
  }

  private invalidate(key: string): void {
    for (const prefix of this.listings.keys()) if (key.startsWith(prefix)) this.listings.delete(prefix);
  }
}

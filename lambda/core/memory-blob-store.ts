/**
 * A `BlobStore` in memory with S3's conditional-write semantics: `analyze` and the demo run the
 * classifier's own pipeline on it, so that they judge, order and file writes exactly as the Lambda
 * does in S3. Pure: no SDK, no file system.
 */
import { createHash } from "node:crypto";
import type { BlobStore, StoredBlob } from "./ports.js";

function etagOf(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}

export class MemoryBlobStore implements BlobStore {
  private readonly objects = new Map<string, string>();

  async get(key: string): Promise<StoredBlob | undefined> {
    const body = this.objects.get(key);
    return body === undefined ? undefined : { body, etag: etagOf(body) };
  }

  async putIfAbsent(key: string, body: string): Promise<boolean> {
    if (this.objects.has(key)) return false;
    this.objects.set(key, body);
    return true;
  }

  async putIfMatch(key: string, body: string, etag: string): Promise<boolean> {
    const current = this.objects.get(key);
    if (current === undefined || etagOf(current) !== etag) return false;
    this.objects.set(key, body);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for (const key of this.objects.keys()) if (key.startsWith(prefix)) keys.push(key);
    // Keys are the store's own (digits, hex, fixed words): string order is byte order.
    return keys.sort();
  }

  locate(key: string): string {
    return `memory:${key}`;
  }
}

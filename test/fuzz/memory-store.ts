/**
 * An in-memory `BlobStore` with S3's key rules (a key is 1 to 1024 bytes of UTF-8), and a notifier
 * that records what it is given: the fuzzer's real store and notifier.
 */
import { createHash } from "node:crypto";
import type { BlobStore, Notifier, OutboundAlert, StoredBlob } from "../../lambda/core/ports.js";

const MAX_KEY_BYTES = 1024;

/** What S3 answers for a key it cannot take (`KeyTooLongError`, or an empty key). */
export class InvalidKeyError extends Error {
  override readonly name = "InvalidKeyError";
}

function etagOf(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}

export class MemoryBlobStore implements BlobStore {
  readonly objects: Map<string, string>;

  constructor(objects?: ReadonlyMap<string, string>) {
    this.objects = new Map(objects);
  }

  private check(key: string): void {
    const bytes = Buffer.byteLength(key, "utf8");
    if (bytes === 0 || bytes > MAX_KEY_BYTES) throw new InvalidKeyError(`key of ${bytes} bytes`);
  }

  async get(key: string): Promise<StoredBlob | undefined> {
    this.check(key);
    const body = this.objects.get(key);
    return body === undefined ? undefined : { body, etag: etagOf(body) };
  }

  async putIfAbsent(key: string, body: string): Promise<boolean> {
    this.check(key);
    if (this.objects.has(key)) return false;
    this.objects.set(key, body);
    return true;
  }

  async putIfMatch(key: string, body: string, etag: string): Promise<boolean> {
    this.check(key);
    const current = this.objects.get(key);
    if (current === undefined || etagOf(current) !== etag) return false;
    this.objects.set(key, body);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.check(key);
    this.objects.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  locate(key: string): string {
    return `memory://${key}`;
  }
}

export class RecordingNotifier implements Notifier {
  readonly published: OutboundAlert[] = [];

  async publish(alert: OutboundAlert): Promise<void> {
    this.published.push(alert);
  }
}

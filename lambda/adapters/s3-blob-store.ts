import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { BlobStore, StoredBlob } from "../core/ports.js";

/** How often and how patiently to retry when S3 says another conditional write is in flight (409). */
export interface ConflictRetry {
  /** Retries after the first attempt. */
  attempts: number;
  /** First back-off; doubles on every retry, with jitter. */
  baseDelayMs: number;
}

const DEFAULT_CONFLICT_RETRY: ConflictRetry = { attempts: 4, baseDelayMs: 50 };

const JSON_CONTENT_TYPE = "application/json";

/**
 * `BlobStore` over one S3 bucket, using S3's native conditional writes (`If-None-Match: *`, `If-Match`).
 *
 * The SDK's own retries (5xx, throttling, network) can replay a conditional PUT whose first attempt
 * did land; the replay then fails its precondition and we answer `false` although our body is stored.
 * Callers already treat `false` as "re-read and decide", which resolves this case correctly.
 */
export class S3BlobStore implements BlobStore {
  private readonly keyPrefix: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    keyPrefix = "",
    private readonly conflictRetry: ConflictRetry = DEFAULT_CONFLICT_RETRY,
  ) {
    this.keyPrefix = normalizePrefix(keyPrefix);
  }

  async get(key: string): Promise<StoredBlob | undefined> {
    try {
      const response = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      if (response.Body === undefined || response.ETag === undefined) {
        throw new Error(`S3 GetObject for ${this.locate(key)} returned no body or no ETag`);
      }
      return { body: await response.Body.transformToString("utf-8"), etag: response.ETag };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
  }

  async putIfAbsent(key: string, body: string): Promise<boolean> {
    const written = await this.putWithConflictRetry(key, body, { IfNoneMatch: "*" });
    if (written !== "conflict") return written;
    // Still contended after all retries: if the object exists, someone else created it, which is
    // exactly the "already existed" answer. If it does not, we cannot tell who will win, so fail loudly.
    if ((await this.headEtag(key)) !== undefined) return false;
    throw new Error(`S3 kept answering 409 ConditionalRequestConflict for ${this.locate(key)}`);
  }

  async putIfMatch(key: string, body: string, etag: string): Promise<boolean> {
    const written = await this.putWithConflictRetry(key, body, { IfMatch: etag });
    if (written !== "conflict") return written;
    const current = await this.headEtag(key);
    if (current === undefined || !sameEtag(current, etag)) return false;
    throw new Error(`S3 kept answering 409 ConditionalRequestConflict for ${this.locate(key)}`);
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const pages = paginateListObjectsV2(
      { client: this.s3 },
      { Bucket: this.bucket, Prefix: this.objectKey(prefix) },
    );
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) keys.push(object.Key.slice(this.keyPrefix.length));
      }
    }
    // S3 already lists in UTF-8 byte order; sorting again keeps the port's promise for any S3 look-alike.
    return keys.sort(compareUtf8);
  }

  locate(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  private objectKey(key: string): string {
    return this.keyPrefix + key;
  }

  /** true written, false precondition failed, "conflict" when every attempt hit 409. */
  private async putWithConflictRetry(
    key: string,
    body: string,
    condition: { IfNoneMatch: string } | { IfMatch: string },
  ): Promise<boolean | "conflict"> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.objectKey(key),
            Body: body,
            ContentType: JSON_CONTENT_TYPE,
            ...condition,
          }),
        );
        return true;
      } catch (error) {
        if (isPreconditionFailed(error)) return false;
        // If-Match against a key that vanished answers 404 NoSuchKey: it changed since `etag` was read.
        if ("IfMatch" in condition && isNoSuchKey(error)) return false;
        if (!isConditionalConflict(error)) throw error;
        if (attempt >= this.conflictRetry.attempts) return "conflict";
        await sleep(backoffMs(this.conflictRetry.baseDelayMs, attempt));
      }
    }
  }

  private async headEtag(key: string): Promise<string | undefined> {
    try {
      const response = await this.s3.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return response.ETag ?? "";
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
  }
}

/** A non-empty prefix always ends in exactly one `/`, so `snapshots` and `snapshots/` mean the same. */
function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("$metadata" in error)) return undefined;
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return metadata?.httpStatusCode;
}

function nameOf(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function isPreconditionFailed(error: unknown): boolean {
  return statusOf(error) === 412 || nameOf(error) === "PreconditionFailed";
}

function isNoSuchKey(error: unknown): boolean {
  return nameOf(error) === "NoSuchKey";
}

/**
 * A missing object: `NoSuchKey` (GET) or a bare 404 `NotFound` (HEAD has no body). A missing bucket
 * is also a 404 but is a misconfiguration, so it must fail the invocation rather than read as empty.
 */
function isMissingObject(error: unknown): boolean {
  if (isNoSuchKey(error)) return true;
  return statusOf(error) === 404 && nameOf(error) !== "NoSuchBucket";
}

/**
 * S3 answers 409 `ConditionalRequestConflict` when another conditional write to the same key is in
 * flight, and documents a retry. `OperationAborted` is its older 409 wording for the same situation.
 */
function isConditionalConflict(error: unknown): boolean {
  const name = nameOf(error);
  return statusOf(error) === 409 && (name === "ConditionalRequestConflict" || name === "OperationAborted");
}

function sameEtag(left: string, right: string): boolean {
  return stripQuotes(left) === stripQuotes(right);
}

function stripQuotes(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}

function backoffMs(baseDelayMs: number, attempt: number): number {
  const ceiling = baseDelayMs * 2 ** attempt;
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function compareUtf8(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left, "utf8"), Buffer.from(right, "utf8"));
}

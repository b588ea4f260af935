/**
 * A `BlobStore` that keeps the guardian's MAC beside each record a restore decides on (core/integrity.ts):
 * with a signer, every write of such a record first files its MAC object, then the record, so a record
 * is never visible without its MAC; with a verifier, every read of such a record checks the MAC object for
 * exactly the bytes read and throws `RecordIntegrityError` when it is missing, unreadable or not the
 * guardian's. Listings never show MAC objects. Other keys pass through untouched.
 *
 * The writers (classifier, cluster access) sign; only the restore path verifies, through its own instance,
 * so that history, capture and verify keep working over records written before MACs existed.
 */
import {
  contentDigest,
  INTEGRITY_PREFIX,
  isIntegrityProtected,
  macKey,
  macMessage,
  macObject,
  RecordIntegrityError,
  readMacObject,
} from "../core/integrity.js";
import type { BlobStore, MacSigner, MacVerifier, StoredBlob } from "../core/ports.js";

export interface IntegrityOptions {
  /** Makes the MAC of each protected record written. @default - records are written without a MAC */
  readonly signer?: MacSigner;
  /** Checks the MAC of each protected record read. @default - reads are not checked */
  readonly verifier?: MacVerifier;
}

export class IntegrityBlobStore implements BlobStore {
  constructor(
    private readonly inner: BlobStore,
    private readonly options: IntegrityOptions,
  ) {}

  async get(key: string): Promise<StoredBlob | undefined> {
    const blob = await this.inner.get(key);
    const verifier = this.options.verifier;
    if (!blob || !verifier || !isIntegrityProtected(key)) return blob;
    const digest = contentDigest(blob.body);
    const location = this.inner.locate(key);
    const stored = await this.inner.get(macKey(key, digest));
    if (!stored) throw new RecordIntegrityError(location, "no guardian MAC exists for its content");
    const mac = readMacObject(stored.body, key, digest);
    if (mac === undefined) {
      throw new RecordIntegrityError(location, "its MAC object is not one the guardian writes");
    }
    let valid: boolean;
    try {
      valid = await verifier.verifyMac(macMessage(key, digest), mac);
    } catch (error) {
      throw new RecordIntegrityError(
        location,
        `its MAC could not be checked (${(error as Error).name}: ${(error as Error).message})`,
        { cause: error },
      );
    }
    if (!valid) {
      throw new RecordIntegrityError(location, "its MAC is not the guardian's MAC of this key and content");
    }
    return blob;
  }

  async putIfAbsent(key: string, body: string): Promise<boolean> {
    await this.sign(key, body);
    return this.inner.putIfAbsent(key, body);
  }

  async putIfMatch(key: string, body: string, etag: string): Promise<boolean> {
    await this.sign(key, body);
    return this.inner.putIfMatch(key, body, etag);
  }

  /**
   * Removes the object only; its MAC objects stay. They vouch only for bytes the guardian itself wrote at
   * that key, which is what a later read of those bytes must show.
   */
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.inner.list(prefix)).filter((key) => !key.startsWith(INTEGRITY_PREFIX));
  }

  locate(key: string): string {
    return this.inner.locate(key);
  }

  /**
   * Files the MAC object before the record. It is content-addressed: when one is already there it is kept if
   * it holds our MAC (KMS HMACs are deterministic) and replaced otherwise, so a MAC object planted ahead of
   * a write cannot make a genuine record unverifiable.
   */
  private async sign(key: string, body: string): Promise<void> {
    const signer = this.options.signer;
    if (!signer || !isIntegrityProtected(key)) return;
    const digest = contentDigest(body);
    const mac = await signer.generateMac(macMessage(key, digest));
    const sidecar = macKey(key, digest);
    const content = macObject(key, digest, mac);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.inner.putIfAbsent(sidecar, content)) return;
      const existing = await this.inner.get(sidecar);
      if (!existing) continue;
      if (readMacObject(existing.body, key, digest) === mac) return;
      if (await this.inner.putIfMatch(sidecar, content, existing.etag)) return;
    }
    throw new Error(
      `could not file the MAC of ${this.inner.locate(key)}: ${this.inner.locate(sidecar)} kept changing`,
    );
  }
}

/**
 * The snapshot store: every version of every cluster's aws-auth, laid out on any `BlobStore`
 * (S3 in AWS, a folder offline). Layout, documented in the README:
 *
 *   clusters/<cluster>/versions/<id>.json       one VersionRecord per version, tombstone or unverified write
 *   clusters/<cluster>/latest.json              pointer to the newest record
 *   clusters/<cluster>/last-good.json           pointer to the newest version that can be restored to
 *   clusters/<cluster>/attempts/<event>.json    writes that changed nothing (rejected, dry run)
 *   clusters/<cluster>/alerts/<event>.json      marker: the alert for this event was published
 *   clusters/<cluster>/restores/<time>-<outcome>-<random>.json one record per restore attempt
 *   clusters/<cluster>/migrations/<time>-<outcome>-<random>.json one record per `migrate apply`
 *
 * `<event>` is the digest of the audit event (records.ts `eventKeyOf`), never its auditID: keys hold
 * only digits, hex and fixed tags. Version ids sort by resourceVersion (records.ts `contentVersionId`,
 * `followerId`), so listing a cluster's versions is its history.
 * Records are created once (`If-None-Match: *`); a verdict judged again after a late write is
 * rewritten in place by compare-and-swap (`replaceRecord`), a record whose place changed is written at
 * its new key and removed from the old one (`removeRecord`), and pointers are set from the judged
 * history by compare-and-swap, in either direction (`setPointer`; pipeline.ts `settle`).
 */
import type { HistoryContext } from "./classify.js";
import type { BlobStore } from "./ports.js";
import { type VersionRecord, widenContext } from "./records.js";

export interface Pointer {
  id: string;
  key: string;
  resourceVersion?: string;
  class: VersionRecord["class"];
  time: string;
}

export interface AttemptRecord {
  cluster: string;
  /** Digest of the audit event (records.ts `eventKeyOf`): the attempt's identity and key. */
  eventKey: string;
  auditID: string;
  time: string;
  class: VersionRecord["class"];
  findings: VersionRecord["findings"];
  audit: NonNullable<VersionRecord["audit"]>;
}

export interface RestoreRecord {
  cluster: string;
  at: string;
  target: string;
  reason?: string;
  by?: string;
  dryRun: boolean;
  forced: boolean;
  outcome: "restored" | "already-equal" | "refused" | "failed" | "dry-run";
  resourceVersionWritten?: string;
  detail?: string;
  [key: string]: unknown;
}

/** What one `migrate apply` did: the mode switch, and each entry created, found or refused. */
export interface MigrationRecord {
  cluster: string;
  at: string;
  by?: string;
  source: string;
  outcome: "applied" | "incomplete" | "refused" | "aborted";
  [key: string]: unknown;
}

export interface StoredRecord {
  record: VersionRecord;
  etag: string;
}

function pointerTo(record: VersionRecord): Pointer {
  return {
    id: record.id,
    key: versionKey(record.cluster, record.id),
    ...(record.resourceVersion ? { resourceVersion: record.resourceVersion } : {}),
    class: record.class,
    time: record.time,
  };
}

export class StoreDataError extends Error {
  override readonly name = "StoreDataError";
}

const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;

function clusterPrefix(cluster: string): string {
  // EKS cluster names: 1-100 characters, letters, digits, hyphens, underscores.
  if (!CLUSTER_NAME.test(cluster))
    throw new StoreDataError(`invalid cluster name ${JSON.stringify(cluster)}`);
  return `clusters/${cluster}/`;
}

export function versionKey(cluster: string, id: string): string {
  return `${clusterPrefix(cluster)}versions/${id}.json`;
}

/** Names the store writes under a cluster take only these characters (ids, digests, fixed words). */
const SAFE_NAME = /^[0-9A-Za-z][0-9A-Za-z~._-]{0,200}$/;

function safeName(name: string): string {
  if (!SAFE_NAME.test(name))
    throw new StoreDataError(`unsafe store key part ${JSON.stringify(name.slice(0, 80))}`);
  return name;
}

/** Freezes a parsed JSON value and everything in it. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * The ids of listing `keys` from those of `before` (`ids`), when the two differ by exactly one key
 * added or removed (both ".json"): the ids around it are the same strings. Undefined otherwise.
 */
function idsAfterOneChange(
  before: readonly string[],
  ids: readonly string[],
  keys: readonly string[],
): { ids: string[]; id: string; added: boolean } | undefined {
  if (before.length !== ids.length) return undefined;
  const added = keys.length === before.length + 1;
  if (!added && keys.length !== before.length - 1) return undefined;
  const [longer, shorter] = added ? [keys, before] : [before, keys];
  let at = 0;
  while (at < shorter.length && longer[at] === shorter[at]) at++;
  for (let i = at; i < shorter.length; i++) if (longer[i + 1] !== shorter[i]) return undefined;
  const changed = longer[at] as string;
  if (!changed.endsWith(".json")) return undefined;
  if (!added) return { ids: ids.toSpliced(at, 1), id: ids[at] as string, added };
  const id = idFromKey(changed);
  return { ids: ids.toSpliced(at, 0, id), id, added };
}

function idFromKey(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1).replace(/\.json$/, "");
}

/** The record kind encoded in an id (records.ts `versionId`). */
export function kindOfId(id: string): VersionRecord["kind"] {
  if (id.includes("~deleted-")) return "tombstone";
  if (id.includes("~unverified-")) return "unverified";
  return "version";
}

export interface SnapshotStoreOptions {
  /**
   * Keep each record read, frozen, and give the same object again while its etag is unchanged: a
   * store read once per write (analyze's in-memory store) then parses each record, and each
   * version's content, once. Only for a store whose readers never change what they are given.
   */
  shareRecords?: boolean;
}

export class SnapshotStore {
  /** Ids listed from a listing of keys, by that listing (a store that repeats a listing repeats it). */
  private readonly idsOfListing = new WeakMap<readonly string[], string[]>();
  /** The ids arrays made from stable listings (`BlobStore.stableListings`), never changed. */
  private readonly listed = new WeakSet<readonly string[]>();
  /** The follower ids in each of them (`followerIdsIn`). */
  private readonly followersOf = new WeakMap<readonly string[], readonly string[]>();
  /** The last stable listing of each prefix and its ids. */
  private readonly lastListing = new Map<string, { keys: readonly string[]; ids: readonly string[] }>();
  /** Records read, by key, with the etag they were read at (`shareRecords`). */
  private readonly shared = new Map<string, StoredRecord>();

  constructor(
    readonly blobs: BlobStore,
    private readonly options: SnapshotStoreOptions = {},
  ) {}

  locate(key = ""): string {
    return this.blobs.locate(key);
  }

  /** The store's root for humans: `s3://bucket[/prefix]` or a folder, without a trailing slash. */
  root(): string {
    return this.blobs.locate("").replace(/\/$/, "");
  }

  /**
   * The ids among `ids` that hold a "~": deletions and content-less writes placed after the version
   * they follow (records.ts `followerId`), in no particular order. Kept with a listing the store
   * repeats, and carried from one listing to the next, so that asking costs nothing per version.
   */
  followerIdsIn(ids: readonly string[]): readonly string[] {
    const known = this.followersOf.get(ids);
    if (known) return known;
    const followers = ids.filter((id) => id.includes("~"));
    // Only the ids of a stable listing (never changed) can keep what was found in them.
    if (this.listed.has(ids)) this.followersOf.set(ids, followers);
    return followers;
  }

  /** Every record id of a cluster, oldest first. */
  async listIds(cluster: string): Promise<string[]> {
    const prefix = `${clusterPrefix(cluster)}versions/`;
    const keys = await this.blobs.list(prefix);
    const known = this.idsOfListing.get(keys);
    if (known) return known;
    // A listing the store gives again until it changes stands for its ids as long as it is given,
    // and the next one of the same prefix usually differs from it by one key: reuse the ids around it.
    // The ids of such a listing are given to every caller alike: no caller changes them.
    if (!this.blobs.stableListings) return keys.filter((k) => k.endsWith(".json")).map(idFromKey);
    const last = this.lastListing.get(prefix);
    const change = last && idsAfterOneChange(last.keys, last.ids, keys);
    const ids = change?.ids ?? keys.filter((k) => k.endsWith(".json")).map(idFromKey);
    this.idsOfListing.set(keys, ids);
    this.listed.add(ids);
    const followers = last && change && this.followersOf.get(last.ids);
    if (followers && change) {
      this.followersOf.set(
        ids,
        !change.id.includes("~")
          ? followers
          : change.added
            ? [...followers, change.id]
            : followers.filter((id) => id !== change.id),
      );
    }
    this.lastListing.set(prefix, { keys, ids });
    return ids;
  }

  /** The clusters the store holds. */
  async listClusters(): Promise<string[]> {
    const keys = await this.blobs.list("clusters/");
    return [...new Set(keys.map((k) => k.split("/")[1]).filter((c): c is string => Boolean(c)))].sort();
  }

  async getRecord(cluster: string, id: string): Promise<VersionRecord | undefined> {
    return (await this.readRecord(versionKey(cluster, id)))?.record;
  }

  private async readRecord(key: string): Promise<StoredRecord | undefined> {
    const blob = await this.blobs.get(key);
    if (!blob) return undefined;
    if (this.options.shareRecords) {
      const kept = this.shared.get(key);
      if (kept?.etag === blob.etag) return kept;
    }
    let record: VersionRecord;
    try {
      record = JSON.parse(blob.body) as VersionRecord;
    } catch (error) {
      throw new StoreDataError(`${this.blobs.locate(key)} is not valid JSON`, { cause: error });
    }
    const read = { record: this.options.shareRecords ? deepFreeze(record) : record, etag: blob.etag };
    if (this.options.shareRecords) this.shared.set(key, read);
    return read;
  }

  /** Writes a record once; false when a record with that id already exists (a redelivery). */
  async putRecord(record: VersionRecord): Promise<boolean> {
    return this.blobs.putIfAbsent(
      versionKey(record.cluster, safeName(record.id)),
      `${JSON.stringify(record, null, 2)}\n`,
    );
  }

  /** The id already filed for this event (by its digest), if it was processed before. */
  findIdForEvent(ids: readonly string[], eventKey: string): string | undefined {
    return ids.find((id) => id.endsWith(`-${eventKey}`));
  }

  async getPointer(cluster: string, name: "latest" | "last-good"): Promise<Pointer | undefined> {
    const blob = await this.blobs.get(`${clusterPrefix(cluster)}${name}.json`);
    return blob ? (JSON.parse(blob.body) as Pointer) : undefined;
  }

  /**
   * Moves a pointer to `record` unless it already points at a later (or the same) record.
   * Returns false when it did not move. Retries compare-and-swap conflicts with concurrent writers.
   */
  async advancePointer(name: "latest" | "last-good", record: VersionRecord): Promise<boolean> {
    const key = `${clusterPrefix(record.cluster)}${name}.json`;
    const body = `${JSON.stringify(pointerTo(record), null, 2)}\n`;
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.blobs.get(key);
      if (!current) {
        if (await this.blobs.putIfAbsent(key, body)) return true;
        continue;
      }
      const existing = JSON.parse(current.body) as Pointer;
      if (existing.id >= record.id) return false;
      if (await this.blobs.putIfMatch(key, body, current.etag)) return true;
    }
    throw new StoreDataError(`could not move ${key}: too many concurrent writers`);
  }

  async getAttempt(cluster: string, eventKey: string): Promise<AttemptRecord | undefined> {
    const blob = await this.blobs.get(`${clusterPrefix(cluster)}attempts/${safeName(eventKey)}.json`);
    return blob ? (JSON.parse(blob.body) as AttemptRecord) : undefined;
  }

  async putAttempt(attempt: AttemptRecord): Promise<boolean> {
    const key = `${clusterPrefix(attempt.cluster)}attempts/${safeName(attempt.eventKey)}.json`;
    return this.blobs.putIfAbsent(key, `${JSON.stringify(attempt, null, 2)}\n`);
  }

  /** Has the alert about `subject` (an event digest, or a name the guardian made) been published? */
  async alertSent(cluster: string, subject: string): Promise<boolean> {
    return (await this.blobs.get(`${clusterPrefix(cluster)}alerts/${safeName(subject)}.json`)) !== undefined;
  }

  async markAlertSent(cluster: string, subject: string, at: string): Promise<void> {
    await this.blobs.putIfAbsent(
      `${clusterPrefix(cluster)}alerts/${safeName(subject)}.json`,
      `${JSON.stringify({ subject, at })}\n`,
    );
  }

  /** Files a restore record under a fresh key; never overwrites one, never drops one silently. */
  async putRestore(record: RestoreRecord): Promise<string> {
    const stamp = record.at.replace(/[^0-9]/g, "");
    for (let attempt = 0; attempt < 5; attempt++) {
      const suffix = Math.random().toString(36).slice(2, 8);
      const key = `${clusterPrefix(record.cluster)}restores/${stamp}-${record.outcome}-${suffix}.json`;
      if (await this.blobs.putIfAbsent(key, `${JSON.stringify(record, null, 2)}\n`)) return key;
    }
    throw new StoreDataError(`could not file the restore record for ${record.cluster}: keys kept colliding`);
  }

  /** Files a migration record under a fresh key; never overwrites one. */
  async putMigration(record: MigrationRecord): Promise<string> {
    const stamp = record.at.replace(/[^0-9]/g, "");
    for (let attempt = 0; attempt < 5; attempt++) {
      const suffix = Math.random().toString(36).slice(2, 8);
      const key = `${clusterPrefix(record.cluster)}migrations/${stamp}-${record.outcome}-${suffix}.json`;
      if (await this.blobs.putIfAbsent(key, `${JSON.stringify(record, null, 2)}\n`)) return key;
    }
    throw new StoreDataError(
      `could not file the migration record for ${record.cluster}: keys kept colliding`,
    );
  }

  async listMigrations(cluster: string): Promise<MigrationRecord[]> {
    const keys = await this.blobs.list(`${clusterPrefix(cluster)}migrations/`);
    const records: MigrationRecord[] = [];
    for (const key of keys) {
      const blob = await this.blobs.get(key);
      if (blob) records.push(JSON.parse(blob.body) as MigrationRecord);
    }
    return records;
  }

  async listRestores(cluster: string): Promise<RestoreRecord[]> {
    const keys = await this.blobs.list(`${clusterPrefix(cluster)}restores/`);
    const records: RestoreRecord[] = [];
    for (const key of keys) {
      const blob = await this.blobs.get(key);
      if (blob) records.push(JSON.parse(blob.body) as RestoreRecord);
    }
    return records;
  }

  /**
   * The history before a new record `id`, read lazily: records are loaded newest-first from the
   * insertion point until the predecessor, the comparison base and the last good version are known.
   * The same walk as `contextAt` in judge.ts (`widenContext`), reading each record from the store.
   */
  async historyBefore(cluster: string, ids: readonly string[], id: string): Promise<HistoryContext> {
    const context: HistoryContext = {};
    // Newest first among the ids before `id` (for a new record at the end: from the last one on).
    for (let i = ids.length - 1; i >= 0; i--) {
      const other = ids[i] as string;
      if (!(other < id)) continue;
      const record = await this.getRecord(cluster, other);
      if (record && widenContext(context, record)) break;
    }
    return context;
  }

  /** Every record of a cluster with its etag, in id order (for judging the whole history again). */
  async readRecords(cluster: string, ids: readonly string[]): Promise<StoredRecord[]> {
    const records: StoredRecord[] = [];
    for (const id of ids) {
      const read = await this.readRecord(versionKey(cluster, id));
      if (read) records.push(read);
    }
    return records;
  }

  /**
   * Replaces a record while it is still the one read (`etag`): a verdict judged again, or facts of
   * an earlier event that owns the same version. False when another writer changed it meanwhile.
   * The bucket is versioned: every earlier verdict stays in the object's history.
   */
  async replaceRecord(record: VersionRecord, etag: string): Promise<boolean> {
    return this.blobs.putIfMatch(
      versionKey(record.cluster, safeName(record.id)),
      `${JSON.stringify(record, null, 2)}\n`,
      etag,
    );
  }

  /** Removes the key of a record that moved to its true place (a delete marker; S3 keeps the data). */
  async removeRecord(cluster: string, id: string): Promise<void> {
    await this.blobs.delete(versionKey(cluster, safeName(id)));
  }

  /**
   * Sets a pointer to `record` (or removes it when there is none), whichever way that moves it, by
   * compare-and-swap. Returns true when it changed the pointer.
   */
  async setPointer(
    cluster: string,
    name: "latest" | "last-good",
    record: VersionRecord | undefined,
  ): Promise<boolean> {
    const key = `${clusterPrefix(cluster)}${name}.json`;
    const body = record ? `${JSON.stringify(pointerTo(record), null, 2)}\n` : undefined;
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.blobs.get(key);
      if (current?.body === body) return false;
      if (!body) {
        await this.blobs.delete(key);
        return true;
      }
      if (!current) {
        if (await this.blobs.putIfAbsent(key, body)) return true;
        continue;
      }
      if (await this.blobs.putIfMatch(key, body, current.etag)) return true;
    }
    throw new StoreDataError(`could not set ${key}: too many concurrent writers`);
  }

  /** Resolves what a user names: `last-good`, `latest`, `previous` (the one before latest), or an id. */
  async resolve(cluster: string, name: string): Promise<VersionRecord | undefined> {
    if (name === "last-good" || name === "latest") {
      const pointer = await this.getPointer(cluster, name);
      return pointer ? this.getRecord(cluster, pointer.id) : undefined;
    }
    if (name === "previous") {
      const ids = (await this.listIds(cluster)).filter((i) => kindOfId(i) === "version");
      const latest = await this.getPointer(cluster, "latest");
      const before = ids.filter((i) => !latest || i < latest.id);
      const id = before.at(-1);
      return id ? this.getRecord(cluster, id) : undefined;
    }
    return this.getRecord(cluster, name.replace(/\.json$/, ""));
  }
}

/**
 * The history of each cluster's access picture, in the same store as aws-auth's versions, beside them:
 *
 *   clusters/<cluster>/access/versions/<id>.json   one AccessRecord per change (or capture)
 *   clusters/<cluster>/access/events/<eventID>.json claim: this CloudTrail event is filed as <id>
 *   clusters/<cluster>/access/attempts/<eventID>.json a refused call (nothing changed)
 *   clusters/<cluster>/access/latest.json          pointer to the newest record
 *   clusters/<cluster>/access/last-good.json       pointer to the newest verified, good record
 *   clusters/<cluster>/access/restores/<time>-<outcome>-<random>.json one per restore attempt
 *
 * Ids sort by the time the picture was read, then the event id: listing is history. Records are
 * written once; pointers only move forward.
 */
import type { AccessEvent } from "./access-event.js";
import type { AccessPicture } from "./access-picture.js";
import type { WriteClass } from "./policy.js";
import type { BlobStore } from "./ports.js";
import type { Finding } from "./records.js";
import { StoreDataError } from "./snapshot-store.js";

export interface AccessRecord {
  kind: "access";
  id: string;
  cluster: string;
  /** When the picture was read (or the read was tried). */
  time: string;
  /** `unverified`: the picture could not be read; `picture` is absent and `readError` says why. */
  state: "verified" | "unverified";
  picture?: AccessPicture;
  readError?: string;
  /** The call that led to this record; absent for a capture. */
  event?: AccessEvent;
  capture?: { reason: string; at: string };
  class: WriteClass;
  findings: Finding[];
  /** A restore target: verified, not dangerous, carrying no dangerous change since the last good one. */
  good: boolean;
  predecessorId?: string;
}

export interface AccessAttempt {
  cluster: string;
  time: string;
  event: AccessEvent;
  class: WriteClass;
  findings: Finding[];
}

export interface AccessPointer {
  id: string;
  time: string;
  class: WriteClass;
}

export interface AccessRestoreRecord {
  cluster: string;
  at: string;
  target: string;
  by?: string;
  reason?: string;
  dryRun: boolean;
  outcome: "restored" | "already-equal" | "refused" | "failed" | "dry-run";
  detail?: string;
  steps?: string[];
  /** Who the caller said they were; `by` is the caller STS proved (cluster-access function). */
  claimedBy?: string;
  /** The function refused the caller itself (no valid proof, or not allowed): nothing was read or written. */
  unauthorized?: boolean;
}

/** What discovery learned about a cluster's ways in: its mode, its creator, whether CloudTrail sees it. */
export interface ClusterAccessInfo {
  cluster: string;
  at: string;
  authenticationMode?: string;
  /** The principal that created the cluster, who keeps implicit admin where the mode allows it. */
  creator?: string;
  /** How the creator was found: the CreateCluster CloudTrail event, or the creator's bootstrapped access entry. */
  creatorSource?: "cloudtrail" | "access-entry";
  /** Whether a trail records management events in the region (EventBridge receives nothing otherwise). */
  trail?: "recording" | "none" | "unknown";
}

/** What the trail state means for the guardian, in one phrase (history and verify print it). */
export function trailPhrase(trail: ClusterAccessInfo["trail"]): string {
  if (trail === "recording") return "a trail records management events";
  if (trail === "none") return "NO trail records management events (blind to access-entry calls)";
  return "trail state unknown";
}

const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const SAFE_ID = /^[A-Za-z0-9_.~-]{1,200}$/;

function prefix(cluster: string): string {
  if (!CLUSTER_NAME.test(cluster))
    throw new StoreDataError(`invalid cluster name ${JSON.stringify(cluster)}`);
  return `clusters/${cluster}/access/`;
}

function safe(id: string): string {
  if (!SAFE_ID.test(id)) throw new StoreDataError(`invalid record id ${JSON.stringify(id)}`);
  return id;
}

/** `2026-11-29T09:00:01.123Z` → `20261129T090001123Z`: sortable and key-safe. */
export function compactTime(iso: string): string {
  return iso.replace(/[-:.]/g, "");
}

export function accessRecordId(time: string, ref: string): string {
  return safe(`${compactTime(time)}-${ref}`);
}

export class AccessStore {
  constructor(readonly blobs: BlobStore) {}

  root(): string {
    return this.blobs.locate("").replace(/\/$/, "");
  }

  recordKey(cluster: string, id: string): string {
    return `${prefix(cluster)}versions/${safe(id)}.json`;
  }

  async listIds(cluster: string): Promise<string[]> {
    const keys = await this.blobs.list(`${prefix(cluster)}versions/`);
    return keys
      .filter((k) => k.endsWith(".json"))
      .map((k) => k.slice(k.lastIndexOf("/") + 1, -".json".length))
      .sort();
  }

  async getRecord(cluster: string, id: string): Promise<AccessRecord | undefined> {
    const blob = await this.blobs.get(this.recordKey(cluster, id));
    if (!blob) return undefined;
    try {
      return JSON.parse(blob.body) as AccessRecord;
    } catch (error) {
      throw new StoreDataError(`${this.blobs.locate(this.recordKey(cluster, id))} is not valid JSON`, {
        cause: error,
      });
    }
  }

  async putRecord(record: AccessRecord): Promise<boolean> {
    return this.blobs.putIfAbsent(
      this.recordKey(record.cluster, record.id),
      `${JSON.stringify(record, null, 2)}\n`,
    );
  }

  /** Claims `eventID` for `recordId`; returns the id it was claimed for (ours, or an earlier delivery's). */
  async claimEvent(cluster: string, eventID: string, recordId: string): Promise<string> {
    const key = `${prefix(cluster)}events/${safe(eventID)}.json`;
    if (await this.blobs.putIfAbsent(key, `${JSON.stringify({ eventID, recordId })}\n`)) return recordId;
    const existing = await this.blobs.get(key);
    const parsed = existing ? (JSON.parse(existing.body) as { recordId?: unknown }) : {};
    if (typeof parsed.recordId !== "string")
      throw new StoreDataError(`${this.blobs.locate(key)} names no record`);
    return parsed.recordId;
  }

  async putAttempt(attempt: AccessAttempt): Promise<boolean> {
    const key = `${prefix(attempt.cluster)}attempts/${safe(attempt.event.eventID)}.json`;
    return this.blobs.putIfAbsent(key, `${JSON.stringify(attempt, null, 2)}\n`);
  }

  async getPointer(cluster: string, name: "latest" | "last-good"): Promise<AccessPointer | undefined> {
    const blob = await this.blobs.get(`${prefix(cluster)}${name}.json`);
    return blob ? (JSON.parse(blob.body) as AccessPointer) : undefined;
  }

  /** Moves the pointer to `record` unless it already points at the same or a later one. */
  async advancePointer(name: "latest" | "last-good", record: AccessRecord): Promise<boolean> {
    const key = `${prefix(record.cluster)}${name}.json`;
    const body = `${JSON.stringify({ id: record.id, time: record.time, class: record.class } satisfies AccessPointer, null, 2)}\n`;
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.blobs.get(key);
      if (!current) {
        if (await this.blobs.putIfAbsent(key, body)) return true;
        continue;
      }
      const existing = JSON.parse(current.body) as AccessPointer;
      if (existing.id >= record.id) return false;
      if (await this.blobs.putIfMatch(key, body, current.etag)) return true;
    }
    throw new StoreDataError(`could not move ${key}: too many concurrent writers`);
  }

  /** `latest`, `last-good`, `previous` (the record before latest) or an id. */
  async resolve(cluster: string, name: string): Promise<AccessRecord | undefined> {
    if (name === "latest" || name === "last-good") {
      const pointer = await this.getPointer(cluster, name);
      return pointer ? this.getRecord(cluster, pointer.id) : undefined;
    }
    if (name === "previous") {
      const latest = await this.getPointer(cluster, "latest");
      const ids = (await this.listIds(cluster)).filter((id) => latest === undefined || id < latest.id);
      const id = ids.at(-1);
      return id ? this.getRecord(cluster, id) : undefined;
    }
    if (!SAFE_ID.test(name.replace(/\.json$/, ""))) return undefined;
    return this.getRecord(cluster, name.replace(/\.json$/, ""));
  }

  /** The newest record before `id` that has a verified picture, and the newest good one. */
  async historyBefore(
    cluster: string,
    ids: readonly string[],
    id: string,
  ): Promise<{ previous?: AccessRecord; lastVerified?: AccessRecord; lastGood?: AccessRecord }> {
    const context: { previous?: AccessRecord; lastVerified?: AccessRecord; lastGood?: AccessRecord } = {};
    const earlier = ids.filter((other) => other < id);
    for (let i = earlier.length - 1; i >= 0; i--) {
      const record = await this.getRecord(cluster, earlier[i] as string);
      if (!record) continue;
      context.previous ??= record;
      if (record.state === "verified") context.lastVerified ??= record;
      if (record.good) {
        context.lastGood = record;
        break;
      }
    }
    return context;
  }

  /** Replaces the cluster's info record (last writer wins: it is a fact sheet, not history). */
  async putClusterInfo(info: ClusterAccessInfo): Promise<void> {
    const key = `${prefix(info.cluster)}cluster.json`;
    const body = `${JSON.stringify(info, null, 2)}\n`;
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.blobs.get(key);
      if (
        current
          ? await this.blobs.putIfMatch(key, body, current.etag)
          : await this.blobs.putIfAbsent(key, body)
      )
        return;
    }
    throw new StoreDataError(`could not write ${key}: too many concurrent writers`);
  }

  async getClusterInfo(cluster: string): Promise<ClusterAccessInfo | undefined> {
    const blob = await this.blobs.get(`${prefix(cluster)}cluster.json`);
    if (!blob) return undefined;
    try {
      return JSON.parse(blob.body) as ClusterAccessInfo;
    } catch {
      return undefined;
    }
  }

  async creatorOf(cluster: string): Promise<string | undefined> {
    return (await this.getClusterInfo(cluster))?.creator;
  }

  /** The access-entry restore records, oldest first; one that is not JSON is skipped. */
  async listRestores(cluster: string): Promise<AccessRestoreRecord[]> {
    const records: AccessRestoreRecord[] = [];
    for (const key of await this.blobs.list(`${prefix(cluster)}restores/`)) {
      const blob = await this.blobs.get(key);
      try {
        if (blob) records.push(JSON.parse(blob.body) as AccessRestoreRecord);
      } catch {
        // A record that is not JSON says nothing a listing could show.
      }
    }
    return records;
  }

  async putRestore(record: AccessRestoreRecord): Promise<string> {
    const stamp = record.at.replace(/[^0-9]/g, "");
    for (let attempt = 0; attempt < 5; attempt++) {
      const suffix = Math.random().toString(36).slice(2, 8);
      const key = `${prefix(record.cluster)}restores/${stamp}-${record.outcome}-${suffix}.json`;
      if (await this.blobs.putIfAbsent(key, `${JSON.stringify(record, null, 2)}\n`)) return key;
    }
    throw new StoreDataError(`could not file the access restore record for ${record.cluster}`);
  }
}

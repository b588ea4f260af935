/**
 * What the guardian keeps about each write: one record per version of aws-auth (or per deletion,
 * or per write whose content is not known yet), and separately the writes that changed nothing.
 */
import { createHash } from "node:crypto";
import type { AuditActor, AwsAuthWrite, PatchKind, WriteVerb } from "./audit-event.js";
import type { HistoryContext } from "./classify.js";
import type { Severity, WriteClass } from "./policy.js";
import type { ConfigMapObject } from "./ports.js";

export interface Finding {
  /** Stable rule id, shown in alerts and metrics. */
  id: string;
  severity: Severity;
  /** One sentence a human understands at 3 a.m. */
  message: string;
  /** The ARNs, accounts or sections concerned. */
  entries?: string[];
}

export interface AuditSummary {
  auditID: string;
  verb: WriteVerb;
  time: string;
  code?: number;
  requestURI: string;
  actor: AuditActor;
  dryRun: boolean;
  truncated: boolean;
  patchKind?: PatchKind;
  fieldManager?: string;
  /** uid of the object written or deleted, when the event says. */
  objectUid?: string;
}

export type RecordKind = "version" | "tombstone" | "unverified";

export interface VersionRecord {
  kind: RecordKind;
  /**
   * Sortable id: zero-padded resourceVersion, then the digest of the audit event (`eventKeyOf`), or
   * `capture-<time digits>`. Built from digits, hex and fixed tags only: the auditID, which the writer
   * chooses, never goes into an id or a store key; it is kept in `audit`.
   */
  id: string;
  /** Digest of the audit event that produced this record (`eventKeyOf`); absent for captures. */
  eventKey?: string;
  cluster: string;
  /** resourceVersion of the stored object (versions), or of the last version seen before (others). */
  resourceVersion?: string;
  time: string;
  /** The ConfigMap exactly as stored (kind "version"). */
  configMap?: ConfigMapObject;
  /** The write that produced this record; absent for a capture from the live cluster. */
  audit?: AuditSummary;
  /**
   * Set when the content was read instead of taken from an audit event: from the cluster, or (`from:
   * "file"`) from a file the operator gave (`analyze --baseline`).
   */
  capture?: { reason: string; at: string; from?: "file" };
  class: WriteClass;
  findings: Finding[];
  /**
   * False when this version, though not dangerous itself, still carries a dangerous change made
   * before it (compared with the last good version): it must not become a restore target.
   */
  good?: boolean;
  /** The record this one was compared with. */
  predecessorId?: string;
}

/** Can this record be restored to: a version with content, not dangerous, carrying no earlier damage. */
export function isGoodRecord(record: VersionRecord): boolean {
  return (
    record.kind === "version" &&
    record.configMap !== undefined &&
    record.class !== "dangerous" &&
    record.good !== false
  );
}

/**
 * One step of the walk back from a record's place, newest first: `record` is the next older one.
 * Fills what it is (the predecessor, the comparison base, the last good version); true once the last
 * good version is found and the walk may stop.
 */
export function widenContext(context: HistoryContext, record: VersionRecord): boolean {
  context.previous ??= record;
  if (record.kind !== "version" || !record.configMap) return false;
  context.base ??= record;
  if (!isGoodRecord(record)) return false;
  context.lastGood = record;
  return true;
}

const RV_WIDTH = 20;

export function padResourceVersion(resourceVersion: string | undefined): string {
  const digits = /^\d+$/.test(resourceVersion ?? "") ? (resourceVersion as string) : "0";
  return digits.padStart(RV_WIDTH, "0");
}

/**
 * Version ids sort by resourceVersion. A deletion or a content-less write has no resourceVersion
 * of its own: it takes the one of the version it follows and a `~` (after `-` in byte order), so it
 * sorts after every version with that resourceVersion. (The pipeline files such records with
 * `followerId`, anchored to the exact version they follow; this form is kept for the guardian's own
 * blind-spot tombstones.)
 */
export function versionId(kind: RecordKind, resourceVersion: string | undefined, ref: string): string {
  const separator = kind === "version" ? "-" : "~";
  const tag = kind === "tombstone" ? "deleted-" : kind === "unverified" ? "unverified-" : "";
  return `${padResourceVersion(resourceVersion)}${separator}${tag}${ref}`;
}

/**
 * The digest of what a version holds: the object's uid, its resourceVersion and its content. The
 * same stored content always gets the same id, whichever event brought it and whenever it arrived;
 * nothing in it is the writer's to choose but the content itself.
 */
export function contentDigest(configMap: ConfigMapObject): string {
  return digestOf({
    uid: configMap.metadata.uid ?? null,
    resourceVersion: configMap.metadata.resourceVersion ?? null,
    data: configMap.data ?? null,
    ...(configMap.immutable === true ? { immutable: true } : {}),
  });
}

/** The id of a version written by an audited write: `<padded resourceVersion>-<content digest>`. */
export function contentVersionId(configMap: ConfigMapObject): string {
  return versionId("version", configMap.metadata.resourceVersion, contentDigest(configMap));
}

/** Stands for "before every version" in the id of a record that follows no known version. */
export const NO_ANCHOR = "0".repeat(RV_WIDTH);

/**
 * An audit time as 23 sortable digits (seconds, then nanoseconds), whatever its precision. An event
 * without a readable time (a raw line cut before its timestamps; the Lambda takes CloudWatch's) gets
 * all nines: it is placed after every version known, the latest it can be.
 */
export function timeDigits(time: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?/.exec(time);
  if (!m) return "9".repeat(23);
  return `${m.slice(1, 7).join("")}${(m[7] ?? "").padEnd(9, "0")}`;
}

/**
 * The id of a record without content of its own (a deletion, a write whose content is not known):
 * `<id of the version it follows>~<time>~deleted-<event digest>` (or `~unverified-`). It sorts
 * right after that version and before the next one; records following the same version sort by time.
 * The version it follows is the newest one (by resourceVersion) written at or before its time
 * (`anchorFor`): a version that arrives later can become its anchor, and the record then moves.
 */
export function followerId(
  kind: Exclude<RecordKind, "version">,
  anchorId: string | undefined,
  time: string,
  eventKey: string,
): string {
  const tag = kind === "tombstone" ? "deleted-" : "unverified-";
  return `${anchorId ?? NO_ANCHOR}~${timeDigits(time)}~${tag}${eventKey}`;
}

/**
 * The version a record without content follows. A deletion of an object whose versions are known
 * follows the newest of them (every version of an object comes before its deletion, whatever the
 * clocks say); otherwise the newest version written at or before its time.
 */
export function anchorFor(
  versions: readonly Pick<VersionRecord, "id" | "time" | "configMap">[],
  time: string,
  deletedUid?: string,
): string | undefined {
  const at = timeDigits(time);
  let byUid: string | undefined;
  let byTime: string | undefined;
  for (const v of versions) {
    if (
      deletedUid !== undefined &&
      v.configMap?.metadata.uid === deletedUid &&
      (byUid === undefined || v.id > byUid)
    )
      byUid = v.id;
    if (timeDigits(v.time) <= at && (byTime === undefined || v.id > byTime)) byTime = v.id;
  }
  return byUid ?? byTime;
}

/** The uid of the object a deletion removed, when its event says (anchors it: `anchorFor`). */
export function deletedUidOf(record: Pick<VersionRecord, "kind" | "audit">): string | undefined {
  return record.kind === "tombstone" ? record.audit?.objectUid : undefined;
}

/** Hex characters of SHA-256 kept in ids and keys: 96 bits, beyond any search for a collision. */
const DIGEST_CHARS = 24;

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
          )
        : v,
    ) ?? "undefined"
  );
}

/** A short hex digest of a value, for ids and store keys. */
export function digestOf(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, DIGEST_CHARS);
}

/**
 * The identity of one audit event: a digest of everything the guardian reads from it. The auditID is
 * part of it like any other field, so reusing another event's auditID (or a suffix or prefix of it)
 * never makes a write look like one already seen; the API server's timestamps (to the microsecond),
 * the resourceVersion and the stored content are not the writer's to choose. Two deliveries of the same
 * event digest alike. `deliveryId` (the CloudWatch Logs event id) is mixed in for an event CloudWatch
 * cut off, whose own timestamps are usually lost.
 */
export function eventKeyOf(write: AwsAuthWrite, deliveryId?: string): string {
  return digestOf({ ...write, ...(write.truncated && deliveryId ? { deliveryId } : {}) });
}

export function summarizeWrite(write: AwsAuthWrite): AuditSummary {
  return {
    auditID: write.auditID,
    verb: write.verb,
    time: write.time,
    ...(write.code !== undefined ? { code: write.code } : {}),
    requestURI: write.requestURI,
    actor: write.actor,
    dryRun: write.dryRun,
    truncated: write.truncated,
    ...(write.patchKind ? { patchKind: write.patchKind } : {}),
    ...(write.fieldManager ? { fieldManager: write.fieldManager } : {}),
    ...(write.objectUid ? { objectUid: write.objectUid } : {}),
  };
}

/** The ConfigMap as the guardian keeps it: identity, labels, annotations, data; no managedFields. */
export function keepConfigMap(object: ConfigMapObject): ConfigMapObject {
  const m = object.metadata;
  const metadata: ConfigMapObject["metadata"] = {};
  for (const key of ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] as const) {
    if (m[key] !== undefined) metadata[key] = m[key];
  }
  if (m.labels) metadata.labels = m.labels;
  if (m.annotations) metadata.annotations = m.annotations;
  return {
    apiVersion: object.apiVersion ?? "v1",
    kind: object.kind ?? "ConfigMap",
    metadata,
    ...(object.data ? { data: object.data } : {}),
    ...(object.immutable === true ? { immutable: true } : {}),
  };
}

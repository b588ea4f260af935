/**
 * What the guardian keeps about each write: one record per version of aws-auth (or per deletion,
 * or per write whose content is not known yet), and separately the writes that changed nothing.
 */
import { createHash } from "node:crypto";
import type { AuditActor, AwsAuthWrite, PatchKind, WriteVerb } from "./audit-event.js";
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

const RV_WIDTH = 20;

export function padResourceVersion(resourceVersion: string | undefined): string {
  const digits = /^\d+$/.test(resourceVersion ?? "") ? (resourceVersion as string) : "0";
  return digits.padStart(RV_WIDTH, "0");
}

/**
 * Version ids sort by resourceVersion. A deletion or a content-less write has no resourceVersion
 * of its own: it takes the one of the version it follows and a `~` (after `-` in byte order), so it
 * sorts after every version with that resourceVersion.
 */
export function versionId(kind: RecordKind, resourceVersion: string | undefined, ref: string): string {
  const separator = kind === "version" ? "-" : "~";
  const tag = kind === "tombstone" ? "deleted-" : kind === "unverified" ? "unverified-" : "";
  return `${padResourceVersion(resourceVersion)}${separator}${tag}${ref}`;
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

/**
 * The history of one cluster's aws-auth, ordered by resourceVersion (never by arrival), and the
 * one place that decides a write's predecessor, its comparison base and the last good version.
 * The analyze command and the demo hold it in memory; the classifier Lambda rebuilds the same
 * context from the snapshot store.
 */
import type { AwsAuthWrite } from "./audit-event.js";
import { type Classification, classifyContent, classifyWrite, type HistoryContext } from "./classify.js";
import type { GuardianPolicy } from "./policy.js";
import type { ConfigMapObject } from "./ports.js";
import {
  eventKeyOf,
  isGoodRecord,
  keepConfigMap,
  type RecordKind,
  summarizeWrite,
  type VersionRecord,
  versionId,
} from "./records.js";

/** The context of a record with id `id` among `records` sorted by id. */
export function historyBefore(
  records: readonly VersionRecord[],
  id: string,
  resourceVersion?: string,
): HistoryContext {
  // A write that leaves the resourceVersion unchanged (an identical PUT) is compared with the
  // version that already has it.
  const sameVersion =
    resourceVersion !== undefined
      ? records.find((r) => r.kind === "version" && r.resourceVersion === resourceVersion && r.id !== id)
      : undefined;
  const earlier = records.filter((r) => r.id < id);
  const previous = sameVersion ?? earlier.at(-1);
  const base = sameVersion ?? earlier.findLast((r) => r.kind === "version" && r.configMap !== undefined);
  // Ids after the resourceVersion are digests, not times: the version holding it may sort either side.
  const lastGood = sameVersion
    ? records.filter((r) => r.id <= sameVersion.id).findLast(isGoodRecord)
    : earlier.findLast(isGoodRecord);
  return {
    ...(previous ? { previous } : {}),
    ...(base ? { base } : {}),
    ...(lastGood ? { lastGood } : {}),
  };
}

/**
 * Where a new record goes: its id and the resourceVersion it is filed under. A record without a
 * resourceVersion of its own is filed under `latestResourceVersion`, the newest one known.
 */
export function placeRecord(
  kind: RecordKind,
  latestResourceVersion: string | undefined,
  resourceVersion: string | undefined,
  ref: string,
): { id: string; resourceVersion?: string } {
  if (kind === "version" && resourceVersion)
    return { id: versionId(kind, resourceVersion, ref), resourceVersion };
  const latest = latestResourceVersion;
  return { id: versionId(kind, latest, ref), ...(latest ? { resourceVersion: latest } : {}) };
}

/** What kind of record a write will leave, before it is classified. */
export function recordKindOf(write: AwsAuthWrite): RecordKind {
  if (write.verb === "delete" || write.verb === "deletecollection") return "tombstone";
  return write.stored && !write.truncated ? "version" : "unverified";
}

/** The record a classified write leaves. */
export function recordForWrite(
  cluster: string,
  write: AwsAuthWrite,
  classification: Classification & { recordKind: RecordKind },
  placed: { id: string; resourceVersion?: string },
  history: HistoryContext,
): VersionRecord {
  return {
    kind: classification.recordKind,
    id: placed.id,
    cluster,
    ...(placed.resourceVersion ? { resourceVersion: placed.resourceVersion } : {}),
    time: write.time,
    ...(classification.recordKind === "version" && write.stored
      ? { configMap: keepConfigMap(write.stored) }
      : {}),
    audit: summarizeWrite(write),
    class: classification.class,
    findings: classification.findings,
    ...(classification.good === false ? { good: false } : {}),
    ...(history.previous ? { predecessorId: history.previous.id } : {}),
  };
}

/** The record a capture of the live ConfigMap leaves. */
export function recordForCapture(
  cluster: string,
  live: ConfigMapObject,
  reason: string,
  at: string,
  classification: Classification,
  placed: { id: string; resourceVersion?: string },
  history: HistoryContext,
  from: CaptureSource = "cluster",
): VersionRecord {
  return {
    kind: "version",
    id: placed.id,
    cluster,
    ...(placed.resourceVersion ? { resourceVersion: placed.resourceVersion } : {}),
    time: at,
    configMap: keepConfigMap(live),
    capture: { reason, at, ...(from === "file" ? { from } : {}) },
    class: classification.class,
    findings: classification.findings,
    ...(classification.good === false ? { good: false } : {}),
    ...(history.previous ? { predecessorId: history.previous.id } : {}),
  };
}

/** Where captured content was read: the live cluster, or a file the operator gave. */
export type CaptureSource = "cluster" | "file";

/** A capture is filed under its resourceVersion with a ref made of its source and the capture time. */
export function captureRef(at: string, from: CaptureSource = "cluster"): string {
  // The time as the store's pipeline writes it (toISOString, to the millisecond), so that a capture
  // judged in memory and the same capture filed in a store get the same id.
  const parsed = Date.parse(at);
  const canonical =
    /^\d{4}-\d{2}-\d{2}T/.test(at) && Number.isFinite(parsed) ? new Date(parsed).toISOString() : at;
  const digits = canonical.replace(/[^0-9]/g, "");
  const tag = from === "file" ? "file" : "capture";
  return digits ? `${tag}-${digits}` : tag;
}

export interface ProcessedWrite {
  write: AwsAuthWrite;
  classification: Classification;
  /** The record the write left, when it changed what is stored. */
  record?: VersionRecord;
  history: HistoryContext;
  /** True when this event was seen before (same digest, records.ts `eventKeyOf`): nothing was done. */
  duplicate: boolean;
}

export class Timeline {
  private readonly records: VersionRecord[] = [];
  private readonly seen = new Set<string>();

  constructor(
    readonly cluster: string,
    private readonly policy: GuardianPolicy,
  ) {}

  all(): readonly VersionRecord[] {
    return this.records;
  }

  lastGood(): VersionRecord | undefined {
    return this.records.findLast(isGoodRecord);
  }

  private latestResourceVersion(): string | undefined {
    return this.records.findLast((r) => r.resourceVersion !== undefined)?.resourceVersion;
  }

  private insert(record: VersionRecord): void {
    const at = this.records.findIndex((r) => r.id > record.id);
    if (at === -1) this.records.push(record);
    else this.records.splice(at, 0, record);
  }

  /** Classifies and files one write; an event seen before is recognised and skipped. */
  process(write: AwsAuthWrite): ProcessedWrite {
    const key = eventKeyOf(write);
    if (this.seen.has(key)) {
      return {
        write,
        classification: { class: "cosmetic", findings: [], recordKind: "none" },
        history: {},
        duplicate: true,
      };
    }
    this.seen.add(key);
    const probeKind = recordKindOf(write);
    const placed = placeRecord(probeKind, this.latestResourceVersion(), write.resourceVersion, key);
    const history = historyBefore(
      this.records,
      placed.id,
      probeKind === "version" ? write.resourceVersion : undefined,
    );
    const classification = classifyWrite(write, history, this.policy);
    if (classification.recordKind === "none") return { write, classification, history, duplicate: false };
    const newest = this.records.at(-1);
    if (newest && newest.id.slice(0, 20) > placed.id.slice(0, 20)) {
      classification.findings.push({
        id: "late-arrival",
        severity: "info",
        message: `This event arrived after a later record (${newest.id}) had been filed; that record was judged without it.`,
      });
    }
    const record = recordForWrite(
      this.cluster,
      write,
      { ...classification, recordKind: classification.recordKind },
      placed,
      history,
    );
    this.insert(record);
    return { write, classification, record, history, duplicate: false };
  }

  /** Files the live ConfigMap read from the cluster (after a content-less write, or as a baseline). */
  capture(
    configMap: ConfigMapObject,
    reason: string,
    at: string,
    from: CaptureSource = "cluster",
  ): { record: VersionRecord; classification: Classification } {
    const resourceVersion = configMap.metadata.resourceVersion;
    const existing = this.records.find((r) => r.kind === "version" && r.resourceVersion === resourceVersion);
    if (existing && resourceVersion) {
      return {
        record: existing,
        classification: { class: existing.class, findings: existing.findings, recordKind: "none" },
      };
    }
    const placed = placeRecord(
      "version",
      this.latestResourceVersion(),
      resourceVersion,
      captureRef(at, from),
    );
    const history = historyBefore(this.records, placed.id);
    const classification = classifyContent(configMap, undefined, history, this.policy);
    const record = recordForCapture(
      this.cluster,
      configMap,
      reason,
      at,
      classification,
      placed,
      history,
      from,
    );
    this.insert(record);
    return { record, classification };
  }
}

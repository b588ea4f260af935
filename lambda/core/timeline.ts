/**
 * The history of one cluster's aws-auth in memory, ordered by resourceVersion (never by arrival):
 * every write is placed like the pipeline places it and the whole history is judged again with it
 * (judge.ts `judgeSequence`), so the result is the same in any arrival order. The pipeline files the
 * same records in a snapshot store; `analyze` and the demo run the pipeline on an in-memory store.
 * This class is the store-free form, for tests and for reading a history without filing it.
 */
import { type AwsAuthWrite, tookEffect } from "./audit-event.js";
import { type Classification, classifyContent, classifyWrite, type HistoryContext } from "./classify.js";
import {
  contextAt,
  diffOf,
  identityOf,
  judgeRecord,
  judgeRepeat,
  judgeSequence,
  ownsVersionBefore,
  pointersOf,
} from "./judge.js";
import type { GuardianPolicy } from "./policy.js";
import type { ConfigMapObject } from "./ports.js";
import {
  anchorFor,
  contentVersionId,
  deletedUidOf,
  eventKeyOf,
  followerId,
  keepConfigMap,
  padResourceVersion,
  type RecordKind,
  summarizeWrite,
  timeDigits,
  type VersionRecord,
  versionId,
} from "./records.js";

/** The context of a record with id `id` among judged `records` sorted by id. */
export function historyBefore(records: readonly VersionRecord[], id: string): HistoryContext {
  const index = records.filter((r) => r.id < id).length;
  return contextAt(records, index);
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
  /** The verdict when the write was read, with everything read before it in its place. */
  classification: Classification;
  /** The record the write left, when it changed what is stored. */
  record?: VersionRecord;
  history: HistoryContext;
  /** True when this event was seen before (same digest, records.ts `eventKeyOf`): nothing was done. */
  duplicate: boolean;
}

export class Timeline {
  private records: VersionRecord[] = [];
  /** `identityOf` each record (judge.ts): a record of one of them is a redelivery or a takeover. */
  private identities = new Set<string>();
  /** The records without content of their own (deletions, content-less writes), in order. */
  private followers: VersionRecord[] = [];
  private readonly seen = new Set<string>();

  constructor(
    readonly cluster: string,
    private readonly policy: GuardianPolicy,
  ) {}

  all(): readonly VersionRecord[] {
    return this.records;
  }

  lastGood(): VersionRecord | undefined {
    return pointersOf(this.records).lastGood;
  }

  private sameVersion(configMap: ConfigMapObject): VersionRecord | undefined {
    const prefix = `${padResourceVersion(configMap.metadata.resourceVersion)}-`;
    // The records are sorted by id: those whose id starts with `prefix` are together, from here.
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.records[mid] as VersionRecord).id < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.records.length; i++) {
      const r = this.records[i] as VersionRecord;
      if (!r.id.startsWith(prefix)) break;
      if (r.kind === "version") return r;
    }
    return undefined;
  }

  /**
   * Adds a record and judges the history again; returns it in its place. A new version that goes
   * after every record and moves no deletion or content-less write is judged against the history
   * before it, which it cannot change: the same as judging everything again (judge.ts
   * `judgeSequence`), at the cost of one record. Anything else judges the whole history again.
   */
  private file(facts: VersionRecord): { record: VersionRecord; history: HistoryContext } {
    const count = this.records.length;
    if (this.appendsAtEnd(facts)) {
      const history = contextAt(this.records, count);
      const record = judgeRecord(facts, history, this.policy);
      this.records = [...this.records, record];
      this.identities.add(identityOf(record));
      return { record, history };
    }
    this.records = judgeSequence([...this.records, facts], this.policy);
    this.identities = new Set(this.records.map(identityOf));
    this.followers = this.records.filter((r) => r.kind !== "version");
    const index = this.records.findIndex((r) => identityOf(r) === identityOf(facts));
    return { record: this.records[index] as VersionRecord, history: contextAt(this.records, index) };
  }

  /** Would `judgeSequence` put this new version last, and every other record where it is? */
  private appendsAtEnd(facts: VersionRecord): boolean {
    if (facts.kind !== "version" || this.identities.has(identityOf(facts))) return false;
    const last = this.records.at(-1);
    if (last && !(last.id < facts.id)) return false;
    // A deletion or content-less write follows the newest version of the object it deleted, else
    // the newest written no later than it (records.ts `anchorFor`): this version would become it.
    const uid = facts.configMap?.metadata.uid;
    const at = timeDigits(facts.time);
    return this.followers.every((f) => {
      const deleted = deletedUidOf(f);
      return !(deleted !== undefined && deleted === uid) && at > timeDigits(f.time);
    });
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
    if (!tookEffect(write)) {
      const history = contextAt(this.records, this.records.length);
      return { write, classification: classifyWrite(write, history, this.policy), history, duplicate: false };
    }
    const kind = recordKindOf(write);
    const holder = kind === "version" && write.stored ? this.sameVersion(write.stored) : undefined;
    if (holder) {
      const history = { previous: holder, base: holder, lastGood: holder };
      if (
        contentVersionId(write.stored as ConfigMapObject) === holder.id &&
        ownsVersionBefore(write, key, holder)
      ) {
        // This write made the version the one filed under it repeated: it takes the version over.
        // The holder goes first: judging keeps one record per identity, the one already there.
        this.records = this.records.filter((r) => r !== holder);
        this.identities.delete(identityOf(holder));
        this.file({
          ...holder,
          eventKey: key,
          time: write.time,
          ...(write.stored ? { configMap: keepConfigMap(write.stored) } : {}),
          audit: summarizeWrite(write),
        });
      }
      return { write, classification: judgeRepeat(write, holder, this.policy), history, duplicate: false };
    }
    const first = classifyWrite(write, {}, this.policy);
    if (first.recordKind === "none") return { write, classification: first, history: {}, duplicate: false };
    const stored = kind === "version" ? write.stored : undefined;
    const placed = stored
      ? {
          id: contentVersionId(stored),
          ...(stored.metadata.resourceVersion ? { resourceVersion: stored.metadata.resourceVersion } : {}),
        }
      : this.followerPlace(kind, write, key);
    const facts = {
      ...recordForWrite(this.cluster, write, { ...first, recordKind: first.recordKind }, placed, {}),
      eventKey: key,
    };
    const { record, history } = this.file(facts);
    const diff = diffOf(record, history);
    const classification: Classification = {
      class: record.class,
      findings: record.findings,
      recordKind: record.kind,
      ...(diff ? { diff } : {}),
      ...(record.good === false ? { good: false } : {}),
    };
    return { write, classification, record, history, duplicate: false };
  }

  /** Where a deletion or content-less write goes: after the version it follows (records.ts). */
  private followerPlace(
    kind: RecordKind,
    write: AwsAuthWrite,
    key: string,
  ): { id: string; resourceVersion?: string } {
    const versions = this.records.filter((r) => r.kind === "version");
    const anchorId = anchorFor(versions, write.time, kind === "tombstone" ? write.objectUid : undefined);
    const anchor = versions.find((v) => v.id === anchorId);
    return {
      id: followerId(kind === "tombstone" ? "tombstone" : "unverified", anchorId, write.time, key),
      ...(anchor?.resourceVersion ? { resourceVersion: anchor.resourceVersion } : {}),
    };
  }

  /** Files the live ConfigMap read from the cluster (after a content-less write, or as a baseline). */
  capture(
    configMap: ConfigMapObject,
    reason: string,
    at: string,
    from: CaptureSource = "cluster",
  ): { record: VersionRecord; classification: Classification } {
    const existing = configMap.metadata.resourceVersion ? this.sameVersion(configMap) : undefined;
    if (existing) {
      return {
        record: existing,
        classification: { class: existing.class, findings: existing.findings, recordKind: "none" },
      };
    }
    const placed = placeRecord(
      "version",
      undefined,
      configMap.metadata.resourceVersion,
      captureRef(at, from),
    );
    const history = historyBefore(this.records, placed.id);
    const first = classifyContent(configMap, undefined, history, this.policy);
    const filed = this.file(
      recordForCapture(this.cluster, configMap, reason, at, first, placed, history, from),
    );
    const diff = diffOf(filed.record, filed.history);
    return {
      record: filed.record,
      classification: {
        class: filed.record.class,
        findings: filed.record.findings,
        recordKind: "version",
        ...(diff ? { diff } : {}),
        ...(filed.record.good === false ? { good: false } : {}),
      },
    };
  }
}

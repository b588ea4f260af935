/**
 * "Who changed aws-auth, and did it matter?" from exported logs: decodes a stream of inputs and runs
 * every write to aws-auth through the classifier's own pipeline, on a snapshot store in memory. The
 * history is ordered by resourceVersion across all inputs, never by the order they were read, and
 * judged as a whole again when a write lands inside it: the verdicts, records and restore targets
 * are exactly those the Lambda leaves in S3 for the same events, whatever their order and however
 * often each is repeated. `finish` gives every write with its final verdict, in history order.
 */
import { type AlertInput, diffLines, renderEmail } from "./alert.js";
import type { AwsAuthWrite } from "./audit-event.js";
import { type DecodedInput, decodeAuditInput, type InputProblem } from "./audit-input.js";
import { type Classification, type HistoryContext, overallSeverity, shouldAlert } from "./classify.js";
import { literal, oneLine, option, shellCommand } from "./encode.js";
import { contextAt, diffOf, pointersOf } from "./judge.js";
import { MemoryBlobStore } from "./memory-blob-store.js";
import { type PipelineDeps, processCapture, processWrite, type WriteOutcome } from "./pipeline.js";
import { type GuardianPolicy, makePolicy, type Severity, type WriteClass } from "./policy.js";
import type { ConfigMapObject, Notifier, OutboundAlert } from "./ports.js";
import { digestOf, summarizeWrite, timeDigits, type VersionRecord } from "./records.js";
import { type AttemptRecord, SnapshotStore } from "./snapshot-store.js";
import type { CaptureSource, ProcessedWrite } from "./timeline.js";

export interface AnalyzeOptions {
  policy?: Partial<GuardianPolicy>;
  /** aws-auth as it was before the first event, e.g. from `kubectl get cm aws-auth -o yaml`. */
  baseline?: ConfigMapObject;
  /** Cluster name when the input does not say (raw audit lines carry none). */
  cluster?: string;
}

export interface AnalyzedWrite {
  cluster: string;
  processed: ProcessedWrite;
  severity: Severity;
  alerts: boolean;
  alert?: AlertInput;
}

export interface AnalyzeResult {
  writes: AnalyzedWrite[];
  problems: InputProblem[];
  irrelevant: number;
  duplicates: number;
}

export const UNKNOWN_CLUSTER = "cluster";

/** Keeps what the pipeline would publish: analyze says what it judged, it sends nothing. */
class HeldNotifier implements Notifier {
  readonly held: OutboundAlert[] = [];
  async publish(alert: OutboundAlert): Promise<void> {
    this.held.push(alert);
  }
}

/** A write read from the input and filed: what is needed to show it with its final verdict. */
interface FiledWrite {
  cluster: string;
  write: AwsAuthWrite;
  outcome: WriteOutcome;
  /** Position in the input, to keep writes without a record in reading order among equals. */
  read: number;
}

const STORE_CLUSTER = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
/** A time of epoch 0: the capture time of a baseline file without a creationTimestamp. */
const NO_TIME = "";

export class Analyzer {
  // Nothing here changes a record it reads: the store may give the same parsed record every time.
  private readonly store = new SnapshotStore(new MemoryBlobStore(), { shareRecords: true });
  private readonly notifier = new HeldNotifier();
  private readonly policies = new Map<string, GuardianPolicy>();
  private readonly storeNames = new Map<string, string>();
  private readonly filed: FiledWrite[] = [];
  readonly result: AnalyzeResult = { writes: [], problems: [], irrelevant: 0, duplicates: 0 };

  constructor(private readonly options: AnalyzeOptions = {}) {}

  private deps(policy: GuardianPolicy, at?: string): PipelineDeps {
    const when = at ? new Date(at) : undefined;
    return {
      store: this.store,
      notifier: this.notifier,
      policy,
      now: () => (when && !Number.isNaN(when.getTime()) ? when : new Date(0)),
    };
  }

  /** The cluster's name in the in-memory store (the store takes EKS cluster names only). */
  private storeName(cluster: string): string {
    let name = this.storeNames.get(cluster);
    if (!name) {
      name = STORE_CLUSTER.test(cluster) ? cluster : `cluster-${digestOf(cluster)}`;
      this.storeNames.set(cluster, name);
    }
    return name;
  }

  private async policyFor(cluster: string, owner: string | undefined): Promise<GuardianPolicy> {
    let policy = this.policies.get(cluster);
    if (!policy) {
      const clusterAccount = this.options.policy?.clusterAccount ?? owner;
      policy = makePolicy({ ...this.options.policy, ...(clusterAccount ? { clusterAccount } : {}) });
      this.policies.set(cluster, policy);
      if (this.options.baseline) {
        await processCapture(
          this.deps(policy),
          this.storeName(cluster),
          this.options.baseline,
          "baseline given with --baseline",
          { from: "file", at: this.options.baseline.metadata.creationTimestamp ?? NO_TIME },
        );
      }
    }
    return policy;
  }

  /** Reads one input (file or stdin) and judges the writes in it; returns those new writes. */
  async add(input: Buffer | string, name: string): Promise<AnalyzedWrite[]> {
    return this.addDecoded(decodeAuditInput(input, name));
  }

  /**
   * Files what was decoded elsewhere (a stream read piece by piece) and returns the new writes with
   * their verdicts as they stand now; a later input can still change them (see `finish`).
   */
  async addDecoded(decoded: DecodedInput): Promise<AnalyzedWrite[]> {
    // A loop, not push(...problems): there may be more problems than a call takes arguments.
    for (const problem of decoded.problems) this.result.problems.push(problem);
    this.result.irrelevant += decoded.irrelevant;
    const added: FiledWrite[] = [];
    for (const item of decoded.writes) {
      const cluster = item.cluster ?? this.options.cluster ?? UNKNOWN_CLUSTER;
      let outcome: WriteOutcome;
      try {
        const policy = await this.policyFor(cluster, item.owner);
        outcome = await processWrite(this.deps(policy), this.storeName(cluster), item.write);
      } catch (error) {
        // One write that cannot be judged is reported with its line; the rest goes on.
        this.result.problems.push({
          source: item.source,
          reason: `write could not be judged: ${(error as Error)?.message ?? String(error)}`.slice(0, 300),
          auditID: item.write.auditID.slice(0, 200),
        });
        continue;
      }
      if (outcome.duplicate) {
        this.result.duplicates++;
        continue;
      }
      const filed = { cluster, write: item.write, outcome, read: this.filed.length };
      this.filed.push(filed);
      added.push(filed);
    }
    const shown = await this.show(added);
    for (const write of shown) this.result.writes.push(write);
    return shown;
  }

  /** Every write read, with its final verdict, in history order (resourceVersion, then time). */
  async finish(): Promise<AnalyzeResult> {
    this.result.writes = await this.show(this.filed);
    return this.result;
  }

  /** Files content read elsewhere (the demo's capture after a create whose event has no content). */
  async capture(
    cluster: string,
    configMap: ConfigMapObject,
    reason: string,
    at: string,
    from: CaptureSource = "cluster",
  ): Promise<{ record: VersionRecord; classification: Classification }> {
    const policy = await this.policyFor(cluster, undefined);
    const outcome = await processCapture(this.deps(policy), this.storeName(cluster), configMap, reason, {
      from,
      at,
    });
    const judged = await this.records(cluster);
    const index = judged.findIndex((r) => r.id === outcome.recordId);
    const record = judged[index] as VersionRecord;
    return { record, classification: classificationOf(record, contextAt(judged, index)) };
  }

  /** The judged history of a cluster, oldest first. */
  async records(cluster: string): Promise<VersionRecord[]> {
    const name = this.storeName(cluster);
    return (await this.store.readRecords(name, await this.store.listIds(name))).map((r) => r.record);
  }

  /** The version a restore would return to. */
  async lastGood(cluster: string): Promise<VersionRecord | undefined> {
    return pointersOf(await this.records(cluster)).lastGood;
  }

  private async show(filed: readonly FiledWrite[]): Promise<AnalyzedWrite[]> {
    const histories = new Map<string, { judged: VersionRecord[]; byEvent: Map<string, number> }>();
    const placed: Array<{ write: AnalyzedWrite; at: number; read: number }> = [];
    for (const item of filed) {
      let known = histories.get(item.cluster);
      if (!known) {
        const records = await this.records(item.cluster);
        const byEvent = new Map<string, number>();
        // The first record of each event, as a search from the start would find it.
        for (const [i, r] of records.entries())
          if (r.eventKey !== undefined && !byEvent.has(r.eventKey)) byEvent.set(r.eventKey, i);
        known = { judged: records, byEvent };
        histories.set(item.cluster, known);
      }
      const { judged } = known;
      const policy = await this.policyFor(item.cluster, undefined);
      const index = known.byEvent.get(item.outcome.eventKey) ?? -1;
      const record = judged[index];
      let classification: Classification;
      let history: HistoryContext;
      let at: number;
      if (record) {
        history = contextAt(judged, index);
        classification = classificationOf(record, history);
        at = index;
      } else {
        const attempt = await this.attempt(item.cluster, item.outcome.eventKey);
        const holder = judged.find((r) => r.id === item.outcome.recordId);
        history = holder ? { previous: holder, base: holder, lastGood: holder } : {};
        classification = {
          class: attempt?.class ?? item.outcome.class,
          findings: attempt?.findings ?? [],
          recordKind: "none",
        };
        // Among the records, after the last one written no later (the version it repeated, if any).
        const time = timeDigits(item.write.time);
        let last = -1;
        for (const [i, r] of judged.entries()) if (timeDigits(r.time) <= time) last = i;
        at = (holder ? judged.indexOf(holder) : last) + 0.5;
      }
      placed.push({ write: analyzed(item, classification, history, record, policy), at, read: item.read });
    }
    placed.sort((a, b) =>
      a.write.cluster < b.write.cluster
        ? -1
        : a.write.cluster > b.write.cluster
          ? 1
          : a.at - b.at || a.read - b.read,
    );
    return placed.map((p) => p.write);
  }

  private async attempt(cluster: string, eventKey: string): Promise<AttemptRecord | undefined> {
    return this.store.getAttempt(this.storeName(cluster), eventKey);
  }
}

function classificationOf(record: VersionRecord, history: HistoryContext): Classification {
  const diff = diffOf(record, history);
  return {
    class: record.class,
    findings: record.findings,
    recordKind: record.kind,
    ...(diff ? { diff } : {}),
    ...(record.good === false ? { good: false } : {}),
  };
}

function analyzed(
  item: FiledWrite,
  classification: Classification,
  history: HistoryContext,
  record: VersionRecord | undefined,
  policy: GuardianPolicy,
): AnalyzedWrite {
  const restoreTarget =
    classification.class === "dangerous" || classification.good === false ? history.lastGood : history.base;
  const write = item.write;
  const alert: AlertInput = {
    cluster: item.cluster,
    ...(policy.clusterAccount ? { clusterAccount: policy.clusterAccount } : {}),
    class: classification.class,
    severity: overallSeverity(classification.findings),
    findings: classification.findings,
    // As the pipeline summarises a write it files as an attempt: the alert reads the same.
    audit: record?.audit ?? summarizeWrite(write),
    ...(record ? { record } : {}),
    ...(history.base ? { comparedWith: history.base } : {}),
    ...(classification.diff ? { diff: classification.diff } : {}),
    ...(restoreTarget ? { restoreTarget } : {}),
  };
  return {
    cluster: item.cluster,
    processed: { write, classification, ...(record ? { record } : {}), history, duplicate: false },
    severity: alert.severity,
    alerts: shouldAlert(classification.class, classification.findings, policy),
    alert,
  };
}

/** The `--format json` line for one write: exactly the documented keys. */
export function jsonLine(write: AnalyzedWrite): string {
  const w = write.processed.write;
  return JSON.stringify({
    auditID: w.auditID,
    time: w.time,
    verb: w.verb,
    code: w.code ?? null,
    actor: { username: w.actor.username, arn: w.actor.canonicalArn ?? w.actor.arn ?? null },
    class: write.processed.classification.class,
    findings: write.processed.classification.findings.map((f) => ({
      id: f.id,
      severity: f.severity,
      message: f.message,
    })),
  });
}

const QUIET: WriteClass[] = ["cosmetic", "rejected", "dry-run"];

/** One timeline entry: a line per write, then the diff and findings of every non-cosmetic change. */
export function textEntry(write: AnalyzedWrite): string {
  const w = write.processed.write;
  const cls = write.processed.classification.class;
  // Usernames, ARNs, times and rule messages quote what writers sent: each stays on its own line.
  const who = oneLine(
    w.actor.canonicalArn ? `${w.actor.username} (${w.actor.canonicalArn})` : w.actor.username,
    300,
  );
  const code = w.code !== undefined ? ` ${w.code}` : "";
  const lines = [
    `${oneLine(w.time, 64) || "(no time)"}  ${cluster(write)}${w.verb.padEnd(16)}${code.padEnd(4)}  ${cls.padEnd(12)}  ${who}`,
  ];
  const diff = write.processed.classification.diff;
  if (diff && cls !== "cosmetic") lines.push(...diffLines(diff).map((l) => `    ${l}`));
  for (const f of write.processed.classification.findings) {
    if (QUIET.includes(cls) && f.severity === "info") continue;
    lines.push(`    [${f.severity}] ${f.id}: ${oneLine(f.message, 2000)}`);
  }
  if (cls === "dangerous" && write.alert?.restoreTarget) {
    lines.push(
      // Raw audit lines do not name the cluster: say so rather than print a command for a cluster
      // literally called "cluster".
      `    undo: ${shellCommand([
        literal("aws-auth-guardian restore --cluster"),
        write.cluster === UNKNOWN_CLUSTER ? literal("<CLUSTER>") : write.cluster,
        ...option("--to", write.alert.restoreTarget.id),
      ])}`,
    );
  }
  return lines.join("\n");
}

function cluster(write: AnalyzedWrite): string {
  return write.cluster === UNKNOWN_CLUSTER ? "" : `${write.cluster}  `;
}

export function textSummary(result: AnalyzeResult): string {
  const counts = new Map<string, number>();
  for (const w of result.writes) {
    const cls = w.processed.classification.class;
    counts.set(cls, (counts.get(cls) ?? 0) + 1);
  }
  const byClass = [...counts.entries()].map(([cls, n]) => `${n} ${cls}`).join(", ") || "none";
  const extra = [
    result.duplicates ? `${result.duplicates} duplicate events skipped` : "",
    result.problems.length ? `${result.problems.length} unusable lines` : "",
  ].filter(Boolean);
  return `${result.writes.length} writes to aws-auth: ${byClass}${extra.length ? `; ${extra.join(", ")}` : ""}.`;
}

/** The full e-mail alert text, for the demo and `analyze --format text --verbose`. */
export function alertText(write: AnalyzedWrite): string | undefined {
  return write.alert ? renderEmail(write.alert) : undefined;
}

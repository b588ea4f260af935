/**
 * "Who changed aws-auth, and did it matter?" from exported logs: decodes a stream of inputs, keeps
 * one timeline per cluster and judges every write to aws-auth in the order it was read.
 */
import { type AlertInput, diffLines, renderEmail } from "./alert.js";
import { type DecodedInput, decodeAuditInput, type InputProblem } from "./audit-input.js";
import { overallSeverity, shouldAlert } from "./classify.js";
import { literal, oneLine, option, shellCommand } from "./encode.js";
import { type GuardianPolicy, makePolicy, type Severity, type WriteClass } from "./policy.js";
import type { ConfigMapObject } from "./ports.js";
import { type ProcessedWrite, Timeline } from "./timeline.js";

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

export class Analyzer {
  private readonly timelines = new Map<string, Timeline>();
  private readonly policies = new Map<string, GuardianPolicy>();
  readonly result: AnalyzeResult = { writes: [], problems: [], irrelevant: 0, duplicates: 0 };

  constructor(private readonly options: AnalyzeOptions = {}) {}

  private timelineFor(
    cluster: string,
    owner: string | undefined,
  ): { timeline: Timeline; policy: GuardianPolicy } {
    let timeline = this.timelines.get(cluster);
    let policy = this.policies.get(cluster);
    if (!timeline || !policy) {
      const clusterAccount = this.options.policy?.clusterAccount ?? owner;
      policy = makePolicy({ ...this.options.policy, ...(clusterAccount ? { clusterAccount } : {}) });
      timeline = new Timeline(cluster, policy);
      if (this.options.baseline) {
        timeline.capture(
          this.options.baseline,
          "baseline given with --baseline",
          this.options.baseline.metadata.creationTimestamp ?? "",
          "file",
        );
      }
      this.timelines.set(cluster, timeline);
      this.policies.set(cluster, policy);
    }
    return { timeline, policy };
  }

  timeline(cluster: string): Timeline | undefined {
    return this.timelines.get(cluster);
  }

  /** Reads one input (file or stdin) and judges the writes in it; returns those new writes. */
  add(input: Buffer | string, name: string): AnalyzedWrite[] {
    return this.addDecoded(decodeAuditInput(input, name));
  }

  /** Judges what was decoded elsewhere (a stream read piece by piece); returns the new writes. */
  addDecoded(decoded: DecodedInput): AnalyzedWrite[] {
    // A loop, not push(...problems): there may be more problems than a call takes arguments.
    for (const problem of decoded.problems) this.result.problems.push(problem);
    this.result.irrelevant += decoded.irrelevant;
    const added: AnalyzedWrite[] = [];
    for (const item of decoded.writes) {
      const cluster = item.cluster ?? this.options.cluster ?? UNKNOWN_CLUSTER;
      const { timeline, policy } = this.timelineFor(cluster, item.owner);
      let processed: ProcessedWrite;
      try {
        processed = timeline.process(item.write);
      } catch (error) {
        // One write that cannot be judged is reported with its line; the rest goes on.
        this.result.problems.push({
          source: item.source,
          reason: `write could not be judged: ${(error as Error)?.message ?? String(error)}`.slice(0, 300),
          auditID: item.write.auditID.slice(0, 200),
        });
        continue;
      }
      if (processed.duplicate) {
        this.result.duplicates++;
        continue;
      }
      const { classification, history, record } = processed;
      const severity = overallSeverity(classification.findings);
      const restoreTarget =
        classification.class === "dangerous" || classification.good === false
          ? history.lastGood
          : history.base;
      const alert: AlertInput = {
        cluster,
        ...(policy.clusterAccount ? { clusterAccount: policy.clusterAccount } : {}),
        class: classification.class,
        severity,
        findings: classification.findings,
        audit: record?.audit ?? {
          auditID: item.write.auditID,
          verb: item.write.verb,
          time: item.write.time,
          ...(item.write.code !== undefined ? { code: item.write.code } : {}),
          requestURI: item.write.requestURI,
          actor: item.write.actor,
          dryRun: item.write.dryRun,
          truncated: item.write.truncated,
        },
        ...(record ? { record } : {}),
        ...(history.base ? { comparedWith: history.base } : {}),
        ...(classification.diff ? { diff: classification.diff } : {}),
        ...(restoreTarget ? { restoreTarget } : {}),
      };
      const analyzed: AnalyzedWrite = {
        cluster,
        processed,
        severity,
        alerts: shouldAlert(classification.class, classification.findings, policy),
        alert,
      };
      this.result.writes.push(analyzed);
      added.push(analyzed);
    }
    return added;
  }
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

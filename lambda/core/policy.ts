/**
 * What the guardian is told about a cluster and how loud it should be. Every field has a safe
 * default, so no configuration is required.
 */
export const WRITE_CLASSES = [
  "aws-internal",
  "cosmetic",
  "routine",
  "dangerous",
  "rejected",
  "dry-run",
  "unverified",
] as const;
export type WriteClass = (typeof WRITE_CLASSES)[number];

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export interface GuardianPolicy {
  /** The cluster's AWS account; from the CloudWatch payload's `owner` when not set. */
  clusterAccount?: string;
  /** ARN patterns (`*` wildcard) of the principals allowed to write aws-auth; empty = anyone. */
  trustedWriters: string[];
  /** ARN patterns of the guardian's own cluster-access role: its restores are expected writes. */
  guardianWriters: string[];
  /** Role ARNs to protect as node roles even when their mapping does not look like one. */
  extraNodeRoleArns: string[];
  /** Classes that send an alert. */
  alertClasses: WriteClass[];
  /** Any finding at or above this severity alerts whatever the class; undefined = classes only. */
  alertMinSeverity?: Severity;
}

export const DEFAULT_ALERT_CLASSES: WriteClass[] = ["dangerous", "routine", "unverified"];

export const DEFAULT_POLICY: GuardianPolicy = {
  trustedWriters: [],
  guardianWriters: [],
  extraNodeRoleArns: [],
  alertClasses: DEFAULT_ALERT_CLASSES,
};

export function makePolicy(overrides: Partial<GuardianPolicy> = {}): GuardianPolicy {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_POLICY, ...defined };
}

/** Parses a comma-separated list of classes, naming the bad one. */
export function parseClassList(text: string): WriteClass[] {
  const items = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!(WRITE_CLASSES as readonly string[]).includes(item)) {
      throw new Error(`unknown class "${item}"; expected one of ${WRITE_CLASSES.join(", ")}`);
    }
  }
  return items as WriteClass[];
}

export function parseSeverity(text: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(text)) {
    throw new Error(`unknown severity "${text}"; expected one of ${SEVERITIES.join(", ")}`);
  }
  return text as Severity;
}

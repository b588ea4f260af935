/**
 * The guardian's deployment configuration, read from CDK context (cdk.json's `context`, or `-c key=value`)
 * and validated at synth time. Every error names the key, what was found and the expected shape, so that the
 * person running `cdk synth` can fix cdk.json without reading this file.
 *
 * Pure: no CDK imports, so that it is testable on plain objects. The class and severity names come from the
 * classifier's own policy module, so that what synth accepts is exactly what the classifier parses.
 */
import { SEVERITIES, type Severity, WRITE_CLASSES, type WriteClass } from "../lambda/core/policy.js";

/** Where a key's value comes from: `app.node.tryGetContext` or a plain record in tests. */
export type ContextReader = (key: string) => unknown;

/** The configuration the app builds the stack from. */
export interface GuardianConfig {
  /** The clusters to guard by name, or `"discover"`: every cluster in the region, present and future. */
  readonly clusters: readonly string[] | "discover";
  readonly alertEmails: readonly string[];
  readonly slack?: SlackConfig;
  readonly trustedWriters: readonly string[];
  /** IAM ARN patterns the cluster-access function restores for, force included (`RESTORE_OPERATORS`); absent: none. */
  readonly restoreOperators?: readonly string[];
  /** Exact IAM role or user ARNs that administer the keys and the bucket's configuration; absent: the deployer. */
  readonly keyAdministrators?: readonly string[];
  /** IAM ARN patterns exempt from the snapshot bucket's write denials (break-glass); absent: none. */
  readonly breakGlassPrincipals?: readonly string[];
  /** Role ARNs the classifier protects as node roles (`EXTRA_NODE_ROLE_ARNS`); absent: none. */
  readonly extraNodeRoleArns?: readonly string[];
  /** The write classes that alert (`ALERT_CLASSES`); absent: the classifier's default. */
  readonly alertClasses?: readonly WriteClass[];
  /** Findings at or above this severity alert whatever the class (`ALERT_MIN_SEVERITY`); absent: classes only. */
  readonly alertMinSeverity?: Severity;
  readonly grantAccessEntries: boolean;
  readonly vpc?: VpcConfig;
  readonly snapshotRetentionDays?: number;
  readonly objectLock: boolean;
  readonly verifySchedule?: string;
}

export interface SlackConfig {
  readonly workspaceId: string;
  readonly channelId: string;
}

export interface VpcConfig {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds?: readonly string[];
}

/** A configuration value that cannot be used; the message says which key and what to write instead. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** The context keys this module reads, in the order they are documented. */
export const CONFIG_KEYS = [
  "clusters",
  "alertEmails",
  "slack",
  "trustedWriters",
  "restoreOperators",
  "keyAdministrators",
  "breakGlassPrincipals",
  "extraNodeRoleArns",
  "alertClasses",
  "alertMinSeverity",
  "grantAccessEntries",
  "vpc",
  "snapshotRetentionDays",
  "objectLock",
  "verifySchedule",
] as const;

/** The literal that asks for discovery instead of a list. */
export const DISCOVER = "discover";

// EKS: "The name can contain only alphanumeric characters (case-sensitive), hyphens, and underscores. It must
// start with an alphanumeric character and can't be longer than 100 characters."
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/;
// Deliberately loose: SNS validates the address; this catches lists of names, ARNs and typos with spaces.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// AWS Chatbot: workspace (team) ids and channel ids are upper-case letters and digits (e.g. T07EA123LEP, C07EZ1ABC23).
const SLACK_ID = /^[A-Z0-9]{1,255}$/;
const ARN_PATTERN = /^arn:[^:\s]+:[^:\s]*:[^:\s]*:[^:\s]*:\S+$/;
// IAM role names: letters, digits and +=,.@_- (at most 64); the comma is refused separately, and a path
// (role/<path>/<name>) is refused because aws-auth is matched against the role ARN without it.
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@-]{1,64}$/;
const ROLE_ARN_WITH_PATH = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+\/[^/]+$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
// EventBridge: "rate(value unit)", unit singular for 1 and plural otherwise.
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;

/**
 * Reads and validates every key. Values given on the command line (`-c clusters='["a","b"]'`) arrive as
 * strings and are parsed as JSON where the key expects an array, object, boolean or number.
 *
 * @throws ConfigError naming the first key that is wrong
 */
export function loadGuardianConfig(read: ContextReader): GuardianConfig {
  const clusters = readClusters(read("clusters"));
  const alertEmails = readAlertEmails(read("alertEmails"));
  const slack = readSlack(read("slack"));
  const trustedWriters = readTrustedWriters(read("trustedWriters"));
  const restoreOperators = readRestoreOperators(read("restoreOperators"));
  const keyAdministrators = readKeyAdministrators(read("keyAdministrators"));
  const breakGlassPrincipals = readBreakGlassPrincipals(read("breakGlassPrincipals"));
  const extraNodeRoleArns = readExtraNodeRoleArns(read("extraNodeRoleArns"));
  const alertMinSeverity = readAlertMinSeverity(read("alertMinSeverity"));
  const alertClasses = readAlertClasses(read("alertClasses"), alertMinSeverity);
  const grantAccessEntries = readBoolean("grantAccessEntries", read("grantAccessEntries"), true);
  const vpc = readVpc(read("vpc"));
  const snapshotRetentionDays = readRetentionDays(read("snapshotRetentionDays"));
  const objectLock = readBoolean("objectLock", read("objectLock"), false);
  const verifySchedule = readVerifySchedule(read("verifySchedule"));
  return {
    clusters,
    alertEmails,
    trustedWriters,
    grantAccessEntries,
    objectLock,
    ...(slack ? { slack } : {}),
    ...(restoreOperators ? { restoreOperators } : {}),
    ...(keyAdministrators ? { keyAdministrators } : {}),
    ...(breakGlassPrincipals ? { breakGlassPrincipals } : {}),
    ...(extraNodeRoleArns ? { extraNodeRoleArns } : {}),
    ...(alertClasses ? { alertClasses } : {}),
    ...(alertMinSeverity !== undefined ? { alertMinSeverity } : {}),
    ...(vpc ? { vpc } : {}),
    ...(snapshotRetentionDays !== undefined ? { snapshotRetentionDays } : {}),
    ...(verifySchedule !== undefined ? { verifySchedule } : {}),
  };
}

/** One of the classifier's write classes (`ALERT_CLASSES` items). */
export function isWriteClass(value: unknown): value is WriteClass {
  return typeof value === "string" && (WRITE_CLASSES as readonly string[]).includes(value);
}

/** One of the classifier's severities (`ALERT_MIN_SEVERITY`). */
export function isSeverity(value: unknown): value is Severity {
  return typeof value === "string" && (SEVERITIES as readonly string[]).includes(value);
}

/** Minutes in a rate expression accepted by {@link loadGuardianConfig}; the app uses it to build a Duration. */
export function rateToMinutes(rate: string): number {
  const match = RATE.exec(rate);
  if (!match) throw new ConfigError(`"${rate}" is not a rate expression such as "rate(6 hours)"`);
  const value = Number(match[1]);
  const unit = match[2] ?? "";
  if (unit.startsWith("minute")) return value;
  if (unit.startsWith("hour")) return value * 60;
  return value * 60 * 24;
}

function readClusters(raw: unknown): readonly string[] | "discover" {
  const expected = `a list of EKS cluster names, e.g. ["prod-eu-1"], or the string "${DISCOVER}" to guard every cluster in the region`;
  if (raw === undefined || raw === null) throw missing("clusters", expected);
  if (raw === DISCOVER) return DISCOVER;
  // `-c clusters=prod`: one cluster, given as a plain name.
  if (typeof raw === "string" && CLUSTER_NAME.test(raw)) return [raw];
  const value = fromCommandLine(raw, "array");
  if (!Array.isArray(value)) throw wrong("clusters", raw, expected);
  if (value.length === 0) {
    throw new ConfigError(`context key "clusters" is an empty list; expected ${expected}.`);
  }
  const names = value.map((name, i) => {
    if (typeof name !== "string" || !CLUSTER_NAME.test(name)) {
      throw new ConfigError(
        `context key "clusters"[${i}] is ${describe(name)}; expected an EKS cluster name (letters, digits, "-" and "_", ` +
          "starting with a letter or digit, at most 100 characters).",
      );
    }
    return name;
  });
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) {
    throw new ConfigError(`context key "clusters" names "${duplicate}" twice; list each cluster once.`);
  }
  return names;
}

/**
 * Context keys that are neither the guardian's nor the CDK's: a typo (`cluster` for `clusters`) would
 * otherwise be ignored and the stack deployed without what the key meant to set.
 *
 * @throws ConfigError naming the first unknown key and the closest known one
 */
export function checkContextKeys(keys: readonly string[]): void {
  for (const key of keys) {
    if ((CONFIG_KEYS as readonly string[]).includes(key) || isCdkContextKey(key)) continue;
    const closest = closestKey(key);
    throw new ConfigError(
      `unknown context key "${key}"${closest ? `; did you mean "${closest}"?` : ""} The guardian reads ${CONFIG_KEYS.join(", ")}.`,
    );
  }
}

/** Keys the CDK itself sets or reads: feature flags (`@aws-cdk/…`), `aws:cdk:…`, lookups (`…:account=…`). */
function isCdkContextKey(key: string): boolean {
  return key.startsWith("@") || key.includes(":") || CDK_PLAIN_KEYS.includes(key);
}

/** CDK context keys without a namespace. */
const CDK_PLAIN_KEYS = ["acknowledged-issue-numbers", "cdk-bootstrap-stack-name", "assetOutdir"];

/** The known key closest to `key` by edit distance, when it is close enough to be a typo. */
function closestKey(key: string): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const known of CONFIG_KEYS) {
    const distance = editDistance(key.toLowerCase(), known.toLowerCase());
    if (!best || distance < best.distance) best = { key: known, distance };
  }
  if (!best) return undefined;
  const prefix = best.key.toLowerCase().startsWith(key.toLowerCase()) && key.length >= 3;
  return best.distance <= Math.max(2, Math.floor(best.key.length / 3)) || prefix ? best.key : undefined;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i] as number[];
      const up = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = best;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/** What synth should warn about in a configuration that is valid but probably not what was meant. */
export function configWarnings(config: GuardianConfig): string[] {
  const warnings: string[] = [];
  if (config.alertEmails.length === 0 && !config.slack) {
    warnings.push(
      'No alert destination: "alertEmails" is empty and "slack" is not set, so alerts reach only the SNS topic, which nobody is subscribed to. Add an address to "alertEmails", or "slack", or subscribe to the topic yourself.',
    );
  }
  return warnings;
}

function readAlertEmails(raw: unknown): readonly string[] {
  const expected = 'a list of e-mail addresses, e.g. ["oncall@example.com"] (may be empty: [])';
  if (raw === undefined || raw === null) throw missing("alertEmails", expected);
  const value = fromCommandLine(raw, "array");
  if (!Array.isArray(value)) throw wrong("alertEmails", raw, expected);
  return stringList("alertEmails", value, EMAIL, "an e-mail address such as oncall@example.com");
}

function readSlack(raw: unknown): SlackConfig | undefined {
  const expected =
    '{"workspaceId": "T0123ABCD", "channelId": "C0123ABCD"} (the ids shown by AWS Chatbot after you authorise the workspace)';
  if (raw === undefined || raw === null) return undefined;
  const value = fromCommandLine(raw, "object");
  if (!isRecord(value)) throw wrong("slack", raw, expected);
  const unknown = Object.keys(value).filter((key) => key !== "workspaceId" && key !== "channelId");
  if (unknown.length > 0) {
    throw new ConfigError(
      `context key "slack" has unknown field(s) ${unknown.join(", ")}; expected ${expected}.`,
    );
  }
  const { workspaceId, channelId } = value;
  if (typeof workspaceId !== "string" || !SLACK_ID.test(workspaceId)) {
    throw new ConfigError(
      `context key "slack.workspaceId" is ${describe(workspaceId)}; expected the Slack workspace id (upper-case ` +
        `letters and digits) in ${expected}.`,
    );
  }
  if (typeof channelId !== "string" || !SLACK_ID.test(channelId)) {
    throw new ConfigError(
      `context key "slack.channelId" is ${describe(channelId)}; expected the Slack channel id (upper-case letters ` +
        `and digits, from the channel's "Copy link") in ${expected}.`,
    );
  }
  return { workspaceId, channelId };
}

function readTrustedWriters(raw: unknown): readonly string[] {
  const expected =
    'a list of IAM ARN patterns whose writes are expected, e.g. ["arn:aws:iam::111122223333:role/platform-terraform"] ' +
    "(may be empty: [])";
  if (raw === undefined || raw === null) throw missing("trustedWriters", expected);
  const value = fromCommandLine(raw, "array");
  if (!Array.isArray(value)) throw wrong("trustedWriters", raw, expected);
  const patterns = stringList(
    "trustedWriters",
    value,
    ARN_PATTERN,
    'an ARN or ARN pattern such as "arn:aws:iam::111122223333:role/platform-*"',
  );
  // The classifier receives them comma-separated.
  const withComma = patterns.find((pattern) => pattern.includes(","));
  if (withComma !== undefined) {
    throw new ConfigError(
      `context key "trustedWriters" entry "${withComma}" contains a comma, which cannot pass: the list reaches the functions comma-separated.`,
    );
  }
  return patterns;
}

function readRestoreOperators(raw: unknown): readonly string[] | undefined {
  const expected =
    "a list of IAM ARN patterns of the people or roles allowed to restore, force included, e.g. " +
    '["arn:aws:iam::111122223333:role/sre-oncall"]';
  if (raw === undefined || raw === null) return undefined;
  const value = fromCommandLine(raw, "array");
  if (!Array.isArray(value)) throw wrong("restoreOperators", raw, expected);
  const patterns = stringList(
    "restoreOperators",
    value,
    ARN_PATTERN,
    'an ARN or ARN pattern such as "arn:aws:iam::111122223333:role/sre-*"',
  );
  const withComma = patterns.find((pattern) => pattern.includes(","));
  if (withComma !== undefined) {
    throw new ConfigError(
      `context key "restoreOperators" entry "${withComma}" contains a comma, which cannot pass: the list reaches the function comma-separated.`,
    );
  }
  return patterns;
}

// A KMS key policy names principals exactly: an existing IAM role or user (a path allowed), no wildcard.
const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(?:role|user)\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
// aws:PrincipalArn patterns of IAM principals of one account: roles, users (`*` allowed after the account).
const IAM_PRINCIPAL_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:(?:role|user)\/[\w+=,.@/*-]+$/;

function readKeyAdministrators(raw: unknown): readonly string[] | undefined {
  const expected =
    "a non-empty list of exact IAM role or user ARNs that administer the keys and the bucket's configuration " +
    '(the role that deploys the stack among them), e.g. ["arn:aws:iam::111122223333:role/cdk-hnb659fds-cfn-exec-role-111122223333-eu-west-1"]';
  if (raw === undefined || raw === null) return undefined;
  const value = fromCommandLine(raw, "array");
  if (!Array.isArray(value)) throw wrong("keyAdministrators", raw, expected);
  if (value.length === 0) {
    throw new ConfigError(
      `context key "keyAdministrators" is an empty list; expected ${expected}. KMS refuses a key policy that locks out the role creating it: leave the key out to use the deployer.`,
    );
  }
  return stringList(
    "keyAdministrators",
    value,
    IAM_PRINCIPAL_ARN,
    'an exact IAM role or user ARN (no wildcard: a key policy names principals exactly), such as "arn:aws:iam::111122223333:role/platform-deployer"',
  );
}

function readBreakGlassPrincipals(raw: unknown): readonly string[] | undefined {
  const expected =
    "a list of IAM role or user ARN patterns allowed to repair the snapshot bucket by hand, e.g. " +
    '["arn:aws:iam::111122223333:role/break-glass"] (their writes carry no record MAC: restore will not use them)';
  if (raw === undefined || raw === null) return undefined;
  const value = fromCommandLine(raw, "array");
  if (!Array.isArray(value)) throw wrong("breakGlassPrincipals", raw, expected);
  return stringList(
    "breakGlassPrincipals",
    value,
    IAM_PRINCIPAL_PATTERN,
    'an IAM role or user ARN of this account, "*" allowed in the name, such as "arn:aws:iam::111122223333:role/break-glass"',
  );
}

function readExtraNodeRoleArns(raw: unknown): readonly string[] | undefined {
  const expected =
    'a list of IAM role ARNs to protect as node roles, e.g. ["arn:aws:iam::111122223333:role/karpenter-node"] ' +
    "(the role ARN as aws-auth maps it: no path, no wildcard)";
  if (raw === undefined || raw === null) return undefined;
  const value = fromCommandLine(raw, "array");
  if (!Array.isArray(value)) throw wrong("extraNodeRoleArns", raw, expected);
  return value.map((item, i) => {
    if (typeof item === "string" && ROLE_ARN_WITH_PATH.test(item)) {
      throw new ConfigError(
        `context key "extraNodeRoleArns"[${i}] is ${describe(item)}, a role ARN with a path; aws-auth is matched ` +
          "against the role ARN without its path, so write arn:aws:iam::ACCOUNT:role/NAME.",
      );
    }
    if (typeof item === "string" && ROLE_ARN.test(item) && item.includes(",")) {
      throw new ConfigError(
        `context key "extraNodeRoleArns"[${i}] is ${describe(item)}, which contains a comma; the classifier ` +
          "receives the list comma-separated, so a role whose name has a comma cannot be listed.",
      );
    }
    if (typeof item !== "string" || !ROLE_ARN.test(item)) {
      throw new ConfigError(
        `context key "extraNodeRoleArns"[${i}] is ${describe(item)}; expected an IAM role ARN such as ` +
          '"arn:aws:iam::111122223333:role/karpenter-node".',
      );
    }
    return item;
  });
}

function readAlertClasses(
  raw: unknown,
  minSeverity: Severity | undefined,
): readonly WriteClass[] | undefined {
  const expected = `a list of write classes that alert, each one of ${WRITE_CLASSES.join(", ")}, e.g. ["dangerous", "routine", "unverified"] (the default)`;
  if (raw === undefined || raw === null) return undefined;
  const value = fromCommandLine(raw, "array");
  if (!Array.isArray(value)) throw wrong("alertClasses", raw, expected);
  if (value.length === 0 && minSeverity === undefined) {
    throw new ConfigError(
      `context key "alertClasses" is an empty list and "alertMinSeverity" is not set, so no write to aws-auth ` +
        `would ever alert; expected ${expected}, or set "alertMinSeverity" as well.`,
    );
  }
  return value.map((item, i) => {
    if (!isWriteClass(item)) {
      throw new ConfigError(
        `context key "alertClasses"[${i}] is ${describe(item)}; expected one of ${WRITE_CLASSES.join(", ")}.`,
      );
    }
    return item;
  });
}

function readAlertMinSeverity(raw: unknown): Severity | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isSeverity(raw)) {
    throw wrong(
      "alertMinSeverity",
      raw,
      `one of ${SEVERITIES.map((s) => `"${s}"`).join(", ")}: any finding at or above it alerts whatever the ` +
        "write's class; leave it out to alert on alertClasses only",
    );
  }
  return raw;
}

function readVpc(raw: unknown): VpcConfig | undefined {
  const expected =
    '{"vpcId": "vpc-0123456789abcdef0", "subnetIds": ["subnet-0123456789abcdef0"], "securityGroupIds": ["sg-…"]} ' +
    "(securityGroupIds optional; private subnets that reach the cluster endpoint and the AWS APIs)";
  if (raw === undefined || raw === null) return undefined;
  const value = fromCommandLine(raw, "object");
  if (!isRecord(value)) throw wrong("vpc", raw, expected);
  const unknown = Object.keys(value).filter((k) => !["vpcId", "subnetIds", "securityGroupIds"].includes(k));
  if (unknown.length > 0) {
    throw new ConfigError(
      `context key "vpc" has unknown field(s) ${unknown.join(", ")}; expected ${expected}.`,
    );
  }
  const { vpcId, subnetIds, securityGroupIds } = value;
  if (typeof vpcId !== "string" || !VPC_ID.test(vpcId)) {
    throw new ConfigError(`context key "vpc.vpcId" is ${describe(vpcId)}; expected a VPC id in ${expected}.`);
  }
  if (!Array.isArray(subnetIds) || subnetIds.length === 0) {
    throw new ConfigError(
      `context key "vpc.subnetIds" is ${describe(subnetIds)}; expected a non-empty list of subnet ids in ${expected}.`,
    );
  }
  const subnets = stringList(
    "vpc.subnetIds",
    subnetIds,
    SUBNET_ID,
    "a subnet id such as subnet-0123456789abcdef0",
  );
  if (securityGroupIds === undefined) return { vpcId, subnetIds: subnets };
  if (!Array.isArray(securityGroupIds) || securityGroupIds.length === 0) {
    throw new ConfigError(
      `context key "vpc.securityGroupIds" is ${describe(securityGroupIds)}; expected a non-empty list of security ` +
        "group ids, or leave the field out to let the stack create one that allows outbound HTTPS only.",
    );
  }
  const groups = stringList(
    "vpc.securityGroupIds",
    securityGroupIds,
    SECURITY_GROUP_ID,
    "a security group id such as sg-0123456789abcdef0",
  );
  return { vpcId, subnetIds: subnets, securityGroupIds: groups };
}

function readRetentionDays(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const value = fromCommandLine(raw, "number");
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw wrong(
      "snapshotRetentionDays",
      raw,
      "a whole number of days (at least 1) after which superseded snapshot versions expire; leave it out to keep every version",
    );
  }
  return value;
}

function readVerifySchedule(raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const expected = 'an EventBridge rate expression such as "rate(6 hours)" or "rate(1 day)"';
  if (typeof raw !== "string") throw wrong("verifySchedule", raw, expected);
  const match = RATE.exec(raw);
  if (!match) throw wrong("verifySchedule", raw, expected);
  const value = Number(match[1]);
  const singular = !(match[2] ?? "").endsWith("s");
  if (value === 0 || (value === 1) !== singular) {
    throw wrong(
      "verifySchedule",
      raw,
      `${expected}; the unit is singular for 1 ("rate(1 hour)") and plural otherwise`,
    );
  }
  if (rateToMinutes(raw) < 5) throw wrong("verifySchedule", raw, `${expected}, at least 5 minutes apart`);
  return raw;
}

function readBoolean(key: string, raw: unknown, fallback: boolean): boolean {
  if (raw === undefined || raw === null) return fallback;
  const value = fromCommandLine(raw, "boolean");
  if (typeof value !== "boolean") throw wrong(key, raw, `true or false (default ${fallback})`);
  return value;
}

function stringList(key: string, values: unknown[], shape: RegExp, expected: string): string[] {
  return values.map((item, i) => {
    if (typeof item !== "string" || !shape.test(item)) {
      throw new ConfigError(`context key "${key}"[${i}] is ${describe(item)}; expected ${expected}.`);
    }
    return item;
  });
}

/** `-c key=value` hands every value over as a string; accept JSON there for structured keys. */
function fromCommandLine(raw: unknown, want: "array" | "object" | "boolean" | "number"): unknown {
  if (typeof raw !== "string") return raw;
  try {
    const parsed: unknown = JSON.parse(raw);
    const kind = Array.isArray(parsed) ? "array" : parsed === null ? "null" : typeof parsed;
    return kind === want ? parsed : raw;
  } catch {
    return raw;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "missing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function missing(key: string, expected: string): ConfigError {
  return new ConfigError(`context key "${key}" is missing; set it in cdk.json ("context") to ${expected}.`);
}

function wrong(key: string, raw: unknown, expected: string): ConfigError {
  return new ConfigError(`context key "${key}" is ${describe(raw)}; expected ${expected}.`);
}

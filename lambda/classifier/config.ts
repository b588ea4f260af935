/** The classifier's configuration, from the environment, checked once at cold start. */
import { type GuardianPolicy, makePolicy, parseClassList, parseSeverity } from "../core/policy.js";

export interface ClassifierConfig {
  bucket: string;
  topicArn: string;
  region: string;
  captureFunctionName?: string;
  policy: GuardianPolicy;
  /** `*` (every cluster of the region) or the guarded clusters' names: access-entry events of others are ignored. */
  guardedClusters: "*" | string[];
  /** The cluster-access role, whose own access entry keeps restores lockout-proof. */
  guardianAccessRoleArn?: string;
  /**
   * The KMS HMAC key the classifier signs each record with (`INTEGRITY_KEY_ID`), so that the cluster-access
   * function can tell the guardian's records from planted ones; the stack always sets it. Without it records
   * carry no MAC and the function refuses to restore them.
   */
  integrityKeyId?: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function required(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`missing required environment variable ${name}`);
  return value;
}

export function loadClassifierConfig(env: Readonly<Record<string, string | undefined>>): ClassifierConfig {
  const bucket = required(env, "SNAPSHOT_BUCKET");
  const topicArn = required(env, "ALERT_TOPIC_ARN");
  const region = required(env, "AWS_REGION");
  let alertClasses: GuardianPolicy["alertClasses"] | undefined;
  let alertMinSeverity: GuardianPolicy["alertMinSeverity"];
  try {
    if (env.ALERT_CLASSES !== undefined) alertClasses = parseClassList(env.ALERT_CLASSES);
    if (env.ALERT_MIN_SEVERITY) alertMinSeverity = parseSeverity(env.ALERT_MIN_SEVERITY.trim());
  } catch (error) {
    throw new ConfigError(`ALERT_CLASSES / ALERT_MIN_SEVERITY: ${(error as Error).message}`);
  }
  const captureFunctionName = env.CAPTURE_FUNCTION_NAME?.trim();
  const guardedText = env.GUARDED_CLUSTERS?.trim() || "*";
  const guardianAccessRoleArn = env.GUARDIAN_ACCESS_ROLE_ARN?.trim();
  const integrityKeyId = env.INTEGRITY_KEY_ID?.trim();
  return {
    bucket,
    topicArn,
    region,
    ...(captureFunctionName ? { captureFunctionName } : {}),
    guardedClusters: guardedText === "*" ? "*" : list(guardedText),
    ...(guardianAccessRoleArn ? { guardianAccessRoleArn } : {}),
    ...(integrityKeyId ? { integrityKeyId } : {}),
    policy: makePolicy({
      trustedWriters: list(env.TRUSTED_WRITERS),
      guardianWriters: list(env.GUARDIAN_WRITERS),
      extraNodeRoleArns: list(env.EXTRA_NODE_ROLE_ARNS),
      ...(alertClasses ? { alertClasses } : {}),
      ...(alertMinSeverity ? { alertMinSeverity } : {}),
    }),
  };
}

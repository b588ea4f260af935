/** The cluster-access function's configuration, from the environment, checked once at cold start. */
import { type GuardianPolicy, makePolicy, parseClassList } from "../core/policy.js";

export interface ClusterAccessConfig {
  bucket: string;
  topicArn: string;
  region: string;
  policy: GuardianPolicy;
  /** IAM ARN patterns (`*` wildcard) the function restores for, `force` included (`RESTORE_OPERATORS`). */
  restoreOperators: string[];
  /**
   * The KMS HMAC key of record MACs (`INTEGRITY_KEY_ID`): the function signs the records it writes and
   * refuses to restore a record whose MAC it cannot verify. Required: without it no record could be trusted.
   */
  integrityKeyId: string;
}

export class ClusterAccessConfigError extends Error {
  override readonly name = "ClusterAccessConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ClusterAccessConfigError(`missing required environment variable ${name}`);
  return value;
}

export function loadClusterAccessConfig(env: Env): ClusterAccessConfig {
  const bucket = required(env, "SNAPSHOT_BUCKET");
  const topicArn = required(env, "ALERT_TOPIC_ARN");
  const region = required(env, "AWS_REGION");
  const integrityKeyId = required(env, "INTEGRITY_KEY_ID");
  let alertClasses: GuardianPolicy["alertClasses"] | undefined;
  try {
    if (env.ALERT_CLASSES !== undefined) alertClasses = parseClassList(env.ALERT_CLASSES);
  } catch (error) {
    throw new ClusterAccessConfigError(`ALERT_CLASSES: ${(error as Error).message}`);
  }
  return {
    bucket,
    topicArn,
    region,
    restoreOperators: list(env.RESTORE_OPERATORS),
    integrityKeyId,
    policy: makePolicy({
      trustedWriters: list(env.TRUSTED_WRITERS),
      guardianWriters: list(env.GUARDIAN_WRITERS),
      extraNodeRoleArns: list(env.EXTRA_NODE_ROLE_ARNS),
      ...(alertClasses ? { alertClasses } : {}),
    }),
  };
}

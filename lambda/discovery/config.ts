/**
 * The discovery function's configuration, from the environment the stack sets, checked once at cold start.
 * The names are shared with the CDK construct's parts (lib/discovery.ts, lib/classifier.ts,
 * lib/cluster-access.ts), which import them from here.
 */

/** The name of the one subscription filter the guardian owns on each `/aws/eks/<cluster>/cluster`. */
export const SUBSCRIPTION_FILTER_NAME = "aws-auth-guardian";

/** The managed EKS access policy associated with the cluster-access role, scoped to {@link ACCESS_NAMESPACE}. */
export const ACCESS_POLICY_NAME = "AmazonEKSEditPolicy";
export const ACCESS_NAMESPACE = "kube-system";

/** How discovery treats the cluster-access role's access entries. */
export const ACCESS_ENTRY_MODES = ["create", "check", "off"] as const;
export type AccessEntryMode = (typeof ACCESS_ENTRY_MODES)[number];

/** The environment variables the stack sets on the discovery function. */
export const DISCOVERY_ENV = {
  /** `*` for every cluster in the region, or a comma-separated list of cluster names. */
  clusters: "CLUSTERS",
  classifierArn: "CLASSIFIER_ARN",
  filterName: "FILTER_NAME",
  /** {@link AccessEntryMode}: create them (discovery mode), check them (the stack declared them), or off. */
  accessEntries: "ACCESS_ENTRIES",
  clusterAccessRoleArn: "CLUSTER_ACCESS_ROLE_ARN",
  accessPolicyArn: "ACCESS_POLICY_ARN",
  clusterAccessFunctionName: "CLUSTER_ACCESS_FUNCTION_NAME",
  topicArn: "ALERT_TOPIC_ARN",
  /** From this receive count on, a cluster event that is still not ready is evaluated as it stands. */
  maxEventAttempts: "MAX_EVENT_ATTEMPTS",
} as const;

export interface DiscoveryConfig {
  /** Every cluster in the region, or these. */
  clusters: "*" | string[];
  classifierArn: string;
  filterName: string;
  accessEntries: AccessEntryMode;
  clusterAccessRoleArn: string;
  accessPolicyArn: string;
  clusterAccessFunctionName: string;
  topicArn: string;
  maxEventAttempts: number;
}

export class DiscoveryConfigError extends Error {
  override readonly name = "DiscoveryConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new DiscoveryConfigError(`missing required environment variable ${name}`);
  return value;
}

export function loadDiscoveryConfig(env: Env): DiscoveryConfig {
  const clustersText = required(env, DISCOVERY_ENV.clusters);
  const clusters =
    clustersText === "*"
      ? "*"
      : clustersText
          .split(",")
          .map((name) => name.trim())
          .filter(Boolean);
  const accessEntries = env[DISCOVERY_ENV.accessEntries]?.trim() || "off";
  if (!(ACCESS_ENTRY_MODES as readonly string[]).includes(accessEntries)) {
    throw new DiscoveryConfigError(
      `${DISCOVERY_ENV.accessEntries} is "${accessEntries}"; expected one of ${ACCESS_ENTRY_MODES.join(", ")}`,
    );
  }
  const attemptsText = env[DISCOVERY_ENV.maxEventAttempts]?.trim() || "6";
  const maxEventAttempts = Number(attemptsText);
  if (!Number.isInteger(maxEventAttempts) || maxEventAttempts < 1) {
    throw new DiscoveryConfigError(
      `${DISCOVERY_ENV.maxEventAttempts} is "${attemptsText}"; expected a positive integer`,
    );
  }
  return {
    clusters,
    classifierArn: required(env, DISCOVERY_ENV.classifierArn),
    filterName: env[DISCOVERY_ENV.filterName]?.trim() || SUBSCRIPTION_FILTER_NAME,
    accessEntries: accessEntries as AccessEntryMode,
    clusterAccessRoleArn: required(env, DISCOVERY_ENV.clusterAccessRoleArn),
    accessPolicyArn: required(env, DISCOVERY_ENV.accessPolicyArn),
    clusterAccessFunctionName: required(env, DISCOVERY_ENV.clusterAccessFunctionName),
    topicArn: required(env, DISCOVERY_ENV.topicArn),
    maxEventAttempts,
  };
}

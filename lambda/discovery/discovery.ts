/**
 * Discovery: make every guarded cluster's audit log reach the classifier, give the cluster-access role its
 * access entry, take the baseline capture, and say loudly what leaves a cluster unguarded.
 *
 * Idempotent and safe to run at any time (deploy, daily, on CloudTrail events): it changes only the
 * subscription filter it owns (by name) and the cluster-access role's own access entry.
 */

import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import {
  type CloudWatchLogsClient,
  DeleteSubscriptionFilterCommand,
  DescribeSubscriptionFiltersCommand,
  PutSubscriptionFilterCommand,
  type SubscriptionFilter,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  AssociateAccessPolicyCommand,
  type Cluster,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  type EKSClient,
  ListAssociatedAccessPoliciesCommand,
  paginateListClusters,
} from "@aws-sdk/client-eks";
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { SNSClient } from "@aws-sdk/client-sns";
import { EksAccessEntryApi } from "../adapters/eks-access-entries.js";
import { SnsNotifier } from "../adapters/sns-notifier.js";
import { AUDIT_LOG_GROUP, AWS_AUTH_WRITE_FILTER_PATTERN } from "../core/subscription-filter.js";
import {
  creatorsFromCloudTrail,
  managementTrailState,
  NO_TRAIL_PROBLEM,
  recordAccessFacts,
  type TrailState,
} from "./access-facts.js";
import { renderUnguardedAlert } from "./alert.js";
import { ACCESS_NAMESPACE, type DiscoveryConfig } from "./config.js";

export interface DiscoveryClients {
  logs: CloudWatchLogsClient;
  eks: EKSClient;
  lambda: LambdaClient;
  sns: SNSClient;
  /**
   * Trails and the `CreateCluster` history: whether EventBridge can see access-entry calls at all, and each
   * cluster's creator. @default - not checked
   */
  cloudtrail?: CloudTrailClient;
}

/** Why discovery runs; it decides what counts as "not ready yet" and when the baseline is taken. */
export type DiscoveryReason =
  /** CloudFormation create/update: every guarded cluster gets a baseline capture. */
  | "deploy"
  /** The daily schedule: captures only clusters guarded for the first time. */
  | "schedule"
  /**
   * A CloudTrail CreateCluster/UpdateClusterConfig event: a cluster still creating or updating, or whose
   * audit log group does not exist yet, is "pending" and retried later instead of being reported.
   */
  | "event";

export interface DiscoveryRun {
  reason: DiscoveryReason;
  /** Only these clusters (an event names one); still limited to the configured list. */
  clusters?: string[];
  /** For events: the last attempt, report what is still wrong instead of waiting. */
  finalAttempt?: boolean;
}

export const PROBLEM_CODES = [
  "audit-logging-off",
  "auth-mode-config-map",
  "log-group-missing",
  "filter-limit-reached",
  "filter-rejected",
  "access-entry-missing",
  "no-management-trail",
  "cluster-not-found",
  "error",
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** Something that leaves a cluster unguarded or without a lockout-proof restore, with how to fix it. */
export interface Problem {
  code: ProblemCode;
  severity: "high" | "medium";
  message: string;
  /** Commands or steps that fix it, for the alert. */
  fix: string[];
}

export type FilterOutcome = "created" | "updated" | "unchanged" | "absent";
export type AccessEntryOutcome = "created" | "associated" | "present" | "missing" | "not-applicable" | "off";

export interface ClusterReport {
  cluster: string;
  /**
   * guarded: our filter is on the audit log group; unguarded: it is not; pending: not ready yet (event runs
   * only); skipped: deleting or failed clusters.
   */
  state: "guarded" | "unguarded" | "pending" | "skipped";
  filter: FilterOutcome;
  accessEntry: AccessEntryOutcome;
  /** The baseline capture was requested (async) in this run. */
  captured: boolean;
  problems: Problem[];
  /** The cluster's authentication mode, when it was described. */
  authenticationMode?: string;
  /**
   * The principal that created the cluster (who keeps implicit admin where the mode allows it), from the
   * `CreateCluster` CloudTrail record or the creator's bootstrapped access entry; the way in of last resort.
   */
  creator?: string;
  creatorSource?: "cloudtrail" | "access-entry";
  /** Whether a trail records management events in the region (CloudTrail checked). */
  trail?: TrailState;
}

export interface DiscoveryResult {
  reports: ClusterReport[];
  /** Alerts published (one per cluster with problems). */
  alerted: number;
}

/** How many clusters are worked on at once: enough to be quick, few enough to stay under API rate limits. */
const CONCURRENCY = 4;

/** Runs discovery over the configured clusters (or `run.clusters` among them) and alerts on problems. */
export async function discover(
  run: DiscoveryRun,
  config: DiscoveryConfig,
  clients: DiscoveryClients,
): Promise<DiscoveryResult> {
  const names = await selectClusters(run.clusters, config, clients.eks);
  // One trail check per run: it is the region's, not a cluster's.
  const trail = clients.cloudtrail ? await managementTrailState(clients.cloudtrail) : undefined;
  // One scan of CloudTrail's CreateCluster history for all clusters (LookupEvents allows 2 calls a second).
  const creators = clients.cloudtrail
    ? await creatorsFromCloudTrail(clients.cloudtrail, new Date()).catch(() => new Map<string, string>())
    : undefined;
  const facts = { ...(trail ? { trail } : {}), ...(creators ? { creators } : {}) };
  const reports = await mapLimit(names, CONCURRENCY, (cluster) =>
    guardCluster(cluster, run, config, clients, facts).catch((error: unknown) => failed(cluster, error)),
  );
  const notifier = new SnsNotifier(clients.sns, config.topicArn);
  let alerted = 0;
  for (const report of reports) {
    if (report.problems.length === 0 || report.state === "pending") continue;
    await notifier.publish(renderUnguardedAlert(report));
    alerted++;
  }
  return { reports, alerted };
}

/**
 * The scheduled drift check for discovered clusters: asks the cluster-access function to `verify` every
 * cluster whose audit log group carries the guardian's filter. Returns the clusters asked.
 */
export async function verifyGuarded(config: DiscoveryConfig, clients: DiscoveryClients): Promise<string[]> {
  const names = await selectClusters(undefined, config, clients.eks);
  const guarded = await mapLimit(names, CONCURRENCY, async (cluster) => {
    const filters = await describeFilters(clients.logs, AUDIT_LOG_GROUP(cluster));
    return filters?.some((f) => f.filterName === config.filterName) ? cluster : undefined;
  });
  const asked: string[] = [];
  for (const cluster of guarded) {
    if (cluster === undefined) continue;
    await invokeAsync(clients.lambda, config.clusterAccessFunctionName, { action: "verify", cluster });
    asked.push(cluster);
  }
  return asked;
}

/**
 * Stack deletion in discovery mode: removes what discovery created, so that nothing points at deleted functions
 * and no access entry outlives the role it names (a role re-created with the same name would inherit it). Only the filter
 * named {@link DiscoveryConfig.filterName} whose destination is this classifier, and only this role's entry.
 * Best effort: returns the errors instead of throwing, so that a stack can always be deleted.
 */
export async function removeAll(config: DiscoveryConfig, clients: DiscoveryClients): Promise<string[]> {
  // With a static list the stack itself declares (and deletes) the filters and access entries.
  if (config.clusters !== "*") return [];
  const errors: string[] = [];
  let names: string[];
  try {
    names = await selectClusters(undefined, config, clients.eks);
  } catch (error) {
    return [`listing clusters: ${messageOf(error)}`];
  }
  await mapLimit(names, CONCURRENCY, async (cluster) => {
    try {
      const group = AUDIT_LOG_GROUP(cluster);
      const ours = (await describeFilters(clients.logs, group))?.find(
        (f) => f.filterName === config.filterName && f.destinationArn === config.classifierArn,
      );
      if (ours) {
        await clients.logs.send(
          new DeleteSubscriptionFilterCommand({ logGroupName: group, filterName: config.filterName }),
        );
      }
      if (config.accessEntries === "create") {
        await clients.eks
          .send(
            new DeleteAccessEntryCommand({ clusterName: cluster, principalArn: config.clusterAccessRoleArn }),
          )
          .catch((error: unknown) => {
            if (!isError(error, "ResourceNotFoundException")) throw error;
          });
      }
    } catch (error) {
      errors.push(`${cluster}: ${messageOf(error)}`);
    }
  });
  return errors;
}

async function selectClusters(
  wanted: string[] | undefined,
  config: DiscoveryConfig,
  eks: EKSClient,
): Promise<string[]> {
  if (config.clusters !== "*") {
    const configured = config.clusters;
    return wanted ? wanted.filter((name) => configured.includes(name)) : [...configured];
  }
  if (wanted) return [...wanted];
  const names: string[] = [];
  for await (const page of paginateListClusters({ client: eks }, {})) names.push(...(page.clusters ?? []));
  return names.sort();
}

async function guardCluster(
  cluster: string,
  run: DiscoveryRun,
  config: DiscoveryConfig,
  clients: DiscoveryClients,
  known: { trail?: TrailState; creators?: ReadonlyMap<string, string> } = {},
): Promise<ClusterReport> {
  const trail = known.trail;
  const report: ClusterReport = {
    cluster,
    state: "unguarded",
    filter: "absent",
    accessEntry: config.accessEntries === "off" ? "off" : "not-applicable",
    captured: false,
    problems: [],
  };
  const waitForReadiness = run.reason === "event" && !run.finalAttempt;

  const description = await describeCluster(clients.eks, cluster);
  if (description === undefined) {
    report.problems.push({
      code: "cluster-not-found",
      severity: "medium",
      message: `No EKS cluster named "${cluster}" in this region; the guardian cannot watch it.`,
      fix: [
        "Remove it from the guardian's `clusters` list in cdk.json, or deploy the guardian in its region.",
      ],
    });
    return report;
  }
  const status = description.status ?? "UNKNOWN";
  if (status === "DELETING" || status === "FAILED") return { ...report, state: "skipped" };
  if (status === "CREATING" || status === "PENDING" || (waitForReadiness && status === "UPDATING")) {
    return { ...report, state: "pending" };
  }

  const auditOn = auditLoggingEnabled(description);
  if (!auditOn) {
    report.problems.push({
      code: "audit-logging-off",
      severity: "high",
      message:
        "Audit logging is off: no write to aws-auth reaches the guardian, so changes go unnoticed until the next verify.",
      fix: [
        `aws eks update-cluster-config --name ${cluster} --logging '{"clusterLogging":[{"types":["audit"],"enabled":true}]}'`,
      ],
    });
  }

  const mode = description.accessConfig?.authenticationMode ?? "CONFIG_MAP";
  if (mode === "CONFIG_MAP") {
    report.problems.push({
      code: "auth-mode-config-map",
      severity: "medium",
      message:
        "Authentication mode is CONFIG_MAP: the guardian's role can only reach the cluster through aws-auth itself, " +
        "so a broken aws-auth locks the restore out too (no lockout-proof restore).",
      fix: [
        `aws eks update-cluster-config --name ${cluster} --access-config authenticationMode=API_AND_CONFIG_MAP`,
        "(one-way: a cluster cannot go back to CONFIG_MAP), then redeploy or wait for the daily discovery.",
      ],
    });
  }

  report.authenticationMode = mode;
  if (trail) report.trail = trail;
  if (trail === "none") {
    report.problems.push({
      code: "no-management-trail",
      severity: "high",
      message: NO_TRAIL_PROBLEM,
      fix: [
        "aws cloudtrail create-trail --name management-events --s3-bucket-name <bucket> --is-multi-region-trail",
        "aws cloudtrail start-logging --name management-events",
      ],
    });
  }
  if (clients.cloudtrail) {
    // Read-only: the mode and the creator (discovery files nothing in the store; verify and capture do).
    const facts = await recordAccessFacts(
      {
        api: new EksAccessEntryApi(clients.eks),
        cloudtrail: clients.cloudtrail,
        now: () => new Date(),
        ...(trail ? { trail } : {}),
        ...(known.creators ? { creators: known.creators } : {}),
      },
      cluster,
    );
    if (facts.info.creator) report.creator = facts.info.creator;
    if (facts.info.creatorSource) report.creatorSource = facts.info.creatorSource;
  }

  const group = AUDIT_LOG_GROUP(cluster);
  const filters = await describeFilters(clients.logs, group);
  if (filters === undefined) {
    if (waitForReadiness && auditOn) return { ...report, state: "pending", problems: [] };
    report.problems.push({
      code: "log-group-missing",
      severity: "high",
      message: `Log group ${group} does not exist, so there is nothing to subscribe to.`,
      fix: auditOn
        ? ["EKS creates it when control-plane logs first arrive; if it was deleted, re-enable audit logging."]
        : ["Enable audit logging (see above); EKS then creates the log group."],
    });
  } else {
    report.filter = await ensureFilter(clients.logs, group, filters, config, report);
    if (report.filter !== "absent") report.state = "guarded";
  }

  if (mode !== "CONFIG_MAP" && config.accessEntries !== "off") {
    report.accessEntry = await ensureAccessEntry(clients.eks, cluster, config);
    if (report.accessEntry === "missing") {
      report.problems.push({
        code: "access-entry-missing",
        severity: "medium",
        message:
          `The cluster-access role has no access entry with ${ACCESS_NAMESPACE}-scoped edit access on this cluster, ` +
          "so restore, capture and verify cannot reach it.",
        fix: [
          "Redeploy the guardian stack (it declares the access entry), or:",
          `aws eks create-access-entry --cluster-name ${cluster} --principal-arn ${config.clusterAccessRoleArn}`,
          `aws eks associate-access-policy --cluster-name ${cluster} --principal-arn ${config.clusterAccessRoleArn} ` +
            `--policy-arn ${config.accessPolicyArn} --access-scope type=namespace,namespaces=${ACCESS_NAMESPACE}`,
        ],
      });
    }
  }

  const newlyGuarded = report.filter === "created";
  if (report.state === "guarded" && (run.reason === "deploy" || newlyGuarded)) {
    await invokeAsync(clients.lambda, config.clusterAccessFunctionName, {
      action: "capture",
      cluster,
      reason: "baseline",
    });
    report.captured = true;
  }
  return report;
}

/** Puts the guardian's filter when it is missing or differs; notes a log group whose filter slots are taken. */
async function ensureFilter(
  logs: CloudWatchLogsClient,
  group: string,
  existing: SubscriptionFilter[],
  config: DiscoveryConfig,
  report: ClusterReport,
): Promise<FilterOutcome> {
  const ours = existing.find((f) => f.filterName === config.filterName);
  const upToDate =
    ours !== undefined &&
    ours.filterPattern === AWS_AUTH_WRITE_FILTER_PATTERN &&
    ours.destinationArn === config.classifierArn &&
    (ours.distribution ?? "ByLogStream") === "ByLogStream";
  if (upToDate) return "unchanged";
  try {
    await logs.send(
      new PutSubscriptionFilterCommand({
        logGroupName: group,
        filterName: config.filterName,
        filterPattern: AWS_AUTH_WRITE_FILTER_PATTERN,
        destinationArn: config.classifierArn,
      }),
    );
    return ours ? "updated" : "created";
  } catch (error) {
    if (isError(error, "InvalidParameterException")) {
      // CloudWatch Logs checks the destination when the filter is put: "Could not execute the lambda
      // function. Make sure you have given CloudWatch Logs permission to execute your function."
      report.problems.push({
        code: "filter-rejected",
        severity: "high",
        message: `CloudWatch Logs refused the guardian's filter on ${group}: ${messageOf(error)}`,
        fix: [
          "The classifier function or its invoke permission for logs.amazonaws.com is missing: redeploy the guardian stack.",
        ],
      });
      return "absent";
    }
    if (!isError(error, "LimitExceededException")) throw error;
    const others = existing.map((f) => `${f.filterName ?? "?"} → ${f.destinationArn ?? "?"}`);
    report.problems.push({
      code: "filter-limit-reached",
      severity: "high",
      message:
        `${group} already has as many subscription filters as CloudWatch Logs allows (${others.length}: ` +
        `${others.join("; ")}); the guardian's cannot be added.`,
      fix: [
        "Remove or merge one of the other subscription filters on this log group, then redeploy or wait for the daily discovery.",
      ],
    });
    return "absent";
  }
}

/** Creates the role's STANDARD access entry and associates the kube-system-scoped policy ("create" mode). */
async function ensureAccessEntry(
  eks: EKSClient,
  cluster: string,
  config: DiscoveryConfig,
): Promise<AccessEntryOutcome> {
  const principalArn = config.clusterAccessRoleArn;
  let created = false;
  const exists = await eks
    .send(new DescribeAccessEntryCommand({ clusterName: cluster, principalArn }))
    .then(() => true)
    .catch((error: unknown) => {
      if (isError(error, "ResourceNotFoundException")) return false;
      throw error;
    });
  if (!exists) {
    if (config.accessEntries !== "create") return "missing";
    await eks
      .send(new CreateAccessEntryCommand({ clusterName: cluster, principalArn, type: "STANDARD" }))
      .catch((error: unknown) => {
        // Created concurrently (a deploy and an event at the same time): fine.
        if (!isError(error, "ResourceInUseException")) throw error;
      });
    created = true;
  }
  const associated = await eks.send(
    new ListAssociatedAccessPoliciesCommand({ clusterName: cluster, principalArn }),
  );
  const scoped = (associated.associatedAccessPolicies ?? []).some(
    (p) =>
      p.policyArn === config.accessPolicyArn &&
      p.accessScope?.type === "namespace" &&
      (p.accessScope.namespaces ?? []).includes(ACCESS_NAMESPACE),
  );
  if (scoped) return created ? "created" : "present";
  if (config.accessEntries !== "create") return "missing";
  await eks.send(
    new AssociateAccessPolicyCommand({
      clusterName: cluster,
      principalArn,
      policyArn: config.accessPolicyArn,
      accessScope: { type: "namespace", namespaces: [ACCESS_NAMESPACE] },
    }),
  );
  return created ? "created" : "associated";
}

async function describeCluster(eks: EKSClient, name: string): Promise<Cluster | undefined> {
  try {
    return (await eks.send(new DescribeClusterCommand({ name }))).cluster;
  } catch (error) {
    if (isError(error, "ResourceNotFoundException")) return undefined;
    throw error;
  }
}

/** The log group's subscription filters, or undefined when the log group does not exist. */
async function describeFilters(
  logs: CloudWatchLogsClient,
  logGroupName: string,
): Promise<SubscriptionFilter[] | undefined> {
  try {
    const filters: SubscriptionFilter[] = [];
    let nextToken: string | undefined;
    do {
      const page = await logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName, nextToken }));
      filters.push(...(page.subscriptionFilters ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return filters;
  } catch (error) {
    if (isError(error, "ResourceNotFoundException")) return undefined;
    throw error;
  }
}

/** Audit is one of the control-plane log types; EKS lists them in groups of enabled and disabled types. */
export function auditLoggingEnabled(cluster: Cluster): boolean {
  return (cluster.logging?.clusterLogging ?? []).some(
    (setup) => setup.enabled === true && (setup.types ?? []).includes("audit"),
  );
}

async function invokeAsync(lambda: LambdaClient, functionName: string, payload: unknown): Promise<void> {
  await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: "Event",
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
}

function failed(cluster: string, error: unknown): ClusterReport {
  return {
    cluster,
    state: "unguarded",
    filter: "absent",
    accessEntry: "not-applicable",
    captured: false,
    problems: [
      {
        code: "error",
        severity: "high",
        message: `Discovery failed on this cluster: ${messageOf(error)}`,
        fix: [
          "Check the discovery function's log for the full error; the daily run retries. An AccessDenied names the missing permission.",
        ],
      },
    ],
  };
}

/** SDK errors carry the service's exception name, whichever copy of the client class threw them. */
export function isError(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

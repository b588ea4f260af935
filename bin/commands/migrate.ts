/**
 * `aws-auth-guardian migrate plan|apply`: the move from aws-auth to EKS access entries. `plan` reads
 * aws-auth (a snapshot file, the snapshot store, or the live cluster), asks AWS what it knows unless
 * told not to, and prints the plan as a reviewer's table, JSON, or infrastructure code. `apply`
 * carries the plan out with the caller's credentials (migrate-apply.ts).
 */
import { parseArgs } from "node:util";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { IAMClient } from "@aws-sdk/client-iam";
import type { Env } from "../../lambda/adapters/aws-clients.js";
import {
  lookupPrincipals,
  type MigrationAccessEntryApi,
  readAccessEntries,
  readUsage,
} from "../../lambda/adapters/migrate-aws.js";
import { AUTHENTICATION_MODES } from "../../lambda/core/migrate-eks-rules.js";
import { type MigrationPlan, type PlanContext, planMigration } from "../../lambda/core/migrate-plan.js";
import { PLAN_FORMATS, type PlanFormat, renderPlan } from "../../lambda/core/migrate-render.js";
import type { ConfigMapObject } from "../../lambda/core/ports.js";
import type { CommandIo } from "./io.js";
import { UsageError } from "./io.js";
import { directCluster, kubeconfigClient, readSnapshotFile } from "./restore.js";
import { clusterInStore, openStore } from "./store-location.js";

export const MIGRATE_HELP = `Usage:
  aws-auth-guardian migrate plan  --cluster NAME SOURCE [--format FORMAT] [--offline|--aws] [--usage-days N] [--region R]
  aws-auth-guardian migrate apply --cluster NAME SOURCE [--store S] [--yes] [--region R]

Moves aws-auth's mappings to EKS access entries, exactly as the authenticator reads them today:
duplicates resolved, dead entries left behind, system:masters kept as cluster admin, node and Fargate
roles as node entries. plan prints what would be created and what cannot be, and who every
principal is today and after the move. apply switches CONFIG_MAP → API_AND_CONFIG_MAP (after you
confirm: it is one-way), creates the entries, reads each back and never edits aws-auth.

SOURCE, where aws-auth is read from:
  --snapshot FILE               kubectl get cm aws-auth -n kube-system -o yaml|json, or a stored version
  --store S                     the latest version in the snapshot store (s3://BUCKET[/prefix] or a folder)
  --direct --kubeconfig FILE    the live aws-auth, with your own access [--context NAME]

Options:
  --format FORMAT     text (default: a table for a pull request), json, cloudformation, cdk, terraform
  --offline           ask AWS nothing (the default with --snapshot; --aws asks anyway)
  --usage-days N      mark entries nobody used in N days (authenticator log in /aws/eks/NAME/cluster)
  --account ID        the cluster's account (default: from the cluster's ARN); principals of other
                      accounts are not looked up in IAM
  --region REGION     region of the cluster (default: the AWS SDK's)
  --yes               apply: switch the mode and create without asking

Exit status: plan 0; apply 0 when every entry is in place, 1 when something failed or was refused.`;

export const MIGRATE_OPTIONS = {
  cluster: { type: "string" },
  snapshot: { type: "string" },
  store: { type: "string" },
  direct: { type: "boolean" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  format: { type: "string" },
  offline: { type: "boolean" },
  aws: { type: "boolean" },
  "usage-days": { type: "string" },
  account: { type: "string" },
  region: { type: "string" },
  yes: { type: "boolean", short: "y" },
  help: { type: "boolean", short: "h" },
} as const;

export interface MigrateValues {
  cluster?: string;
  snapshot?: string;
  store?: string;
  direct?: boolean;
  kubeconfig?: string;
  context?: string;
  format?: string;
  offline?: boolean;
  aws?: boolean;
  "usage-days"?: string;
  account?: string;
  region?: string;
  yes?: boolean;
}

/** The AWS side of the plan, injected in tests. */
export interface MigrateAws {
  iam: IAMClient;
  logs: CloudWatchLogsClient;
  /** The cluster's access-entry API (mode, entries, policies, and apply's writes). */
  eks: MigrationAccessEntryApi;
  /** The cluster's account, when AWS can tell. */
  clusterAccount?(cluster: string): Promise<string | undefined>;
}

export interface MigrateDeps {
  env?: Env;
  /** @default - clients built from the environment */
  aws?: (region: string | undefined) => MigrateAws;
  now?: () => Date;
  /** How apply waits for the mode switch (tests shorten it). */
  applyTiming?: { sleep?: (ms: number) => Promise<void>; pollMs?: number; switchTimeoutMs?: number };
}

export interface LoadedSource {
  cluster: string;
  source: string;
  configMap: ConfigMapObject | undefined;
}

/** Reads aws-auth from exactly one of --snapshot, --store, --direct. */
export async function loadSource(values: MigrateValues, env: Env): Promise<LoadedSource> {
  const chosen = [
    values.snapshot !== undefined,
    values.direct === true,
    values.store !== undefined && !values.direct,
  ];
  if (chosen.filter(Boolean).length !== 1 || (values.snapshot !== undefined && values.direct)) {
    throw new UsageError("give one source: --snapshot FILE, --store S, or --direct --kubeconfig FILE");
  }
  if (values.snapshot !== undefined) {
    if (!values.cluster) throw new UsageError("--cluster NAME is required with --snapshot");
    const record = await readSnapshotFile(values.snapshot, values.cluster);
    if (!record.configMap)
      throw new UsageError(`--snapshot ${values.snapshot} holds no aws-auth content (${record.kind})`);
    return { cluster: values.cluster, source: `snapshot ${values.snapshot}`, configMap: record.configMap };
  }
  if (values.direct) {
    if (!values.kubeconfig)
      throw new UsageError("--direct needs --kubeconfig FILE (your own access to the cluster)");
    const client = kubeconfigClient(values.kubeconfig, values.context);
    const cluster = await directCluster(values.cluster, undefined, values.kubeconfig, values.context);
    const live = await client.read();
    return { cluster, source: `live aws-auth at ${client.target}`, configMap: live };
  }
  const opened = await openStore(values.store as string, { env });
  const cluster = await clusterInStore(opened, values.cluster);
  const record = await opened.store.resolve(cluster, "latest");
  if (!record) throw new UsageError(`no version of cluster ${cluster} in ${opened.location}`);
  if (!record.configMap) {
    throw new UsageError(
      `the latest record of ${cluster} (${record.id}, ${record.kind}) holds no aws-auth content; capture it first: aws-auth-guardian capture --cluster ${cluster}`,
    );
  }
  return { cluster, source: `store ${opened.location} version ${record.id}`, configMap: record.configMap };
}

function defaultAws(env: Env): (region: string | undefined) => MigrateAws {
  return (region) => {
    const config = { ...(region ? { region } : {}) };
    void env;
    return {
      iam: new IAMClient(config),
      logs: new CloudWatchLogsClient(config),
      eks: unavailableEks,
    };
  };
}

const unwired = async (): Promise<never> => {
  throw new Error("the EKS access-entry API is not wired in this build");
};
const unavailableEks: MigrateAws["eks"] = {
  describeAccessConfig: unwired,
  listAccessEntries: unwired,
  describeAccessEntry: unwired,
  listAssociatedAccessPolicies: unwired,
  createAccessEntry: unwired,
  associateAccessPolicy: unwired,
  updateAuthenticationMode: unwired,
};

/** The AWS side: injected, or built from the environment. */
export function awsFor(deps: MigrateDeps, env: Env): (region: string | undefined) => MigrateAws {
  return deps.aws ?? defaultAws(env);
}

function errorText(error: unknown): string {
  return (error as Error).message ?? String(error);
}

/** Builds the plan: the source, plus whatever AWS can tell unless offline. */
export async function buildPlan(
  values: MigrateValues,
  deps: MigrateDeps,
  io: CommandIo,
): Promise<MigrationPlan> {
  const env = deps.env ?? process.env;
  const loaded = await loadSource(values, env);
  const usageDays = values["usage-days"] === undefined ? undefined : Number(values["usage-days"]);
  if (usageDays !== undefined && !(Number.isInteger(usageDays) && usageDays > 0 && usageDays <= 3650)) {
    throw new UsageError("--usage-days takes a whole number of days (1 to 3650)");
  }
  if (values.offline && (values.aws || usageDays !== undefined)) {
    throw new UsageError("--offline asks AWS nothing: it cannot be combined with --aws or --usage-days");
  }
  const online =
    !values.offline && (values.snapshot === undefined || values.aws === true || usageDays !== undefined);
  const context: PlanContext = { cluster: loaded.cluster, source: loaded.source };
  const extraWarnings: string[] = [];
  if (online) {
    const aws = awsFor(deps, env)(values.region);
    try {
      const config = await aws.eks.describeAccessConfig(loaded.cluster);
      if ((AUTHENTICATION_MODES as readonly string[]).includes(config.authenticationMode)) {
        context.authenticationMode = config.authenticationMode;
      }
      if (context.authenticationMode !== "CONFIG_MAP") {
        context.existingEntries = await readAccessEntries(aws.eks, loaded.cluster);
      }
    } catch (error) {
      extraWarnings.push(
        `could not read the cluster's authentication mode and access entries from EKS: ${errorText(error)}`,
      );
    }
    const account = values.account ?? (await aws.clusterAccount?.(loaded.cluster).catch(() => undefined));
    const model = planMigration(loaded.configMap?.data, context).model;
    const arns = [
      ...model.roles.filter((r) => !r.sso).map((r) => r.rolearn),
      ...model.users.map((u) => u.userarn),
    ];
    context.principals = await lookupPrincipals(aws.iam, arns, account);
    if (usageDays !== undefined) {
      const usage = await readUsage(aws.logs, loaded.cluster, usageDays, (deps.now ?? (() => new Date()))());
      if (usage.error) {
        extraWarnings.push(
          `could not read the authenticator log, so nothing is marked unused: ${usage.error}`,
        );
      } else {
        context.usage = { days: usageDays, seen: usage.seen };
      }
    }
  }
  const plan = planMigration(loaded.configMap?.data, context);
  if (!loaded.configMap) plan.warnings.unshift("aws-auth does not exist: nothing to move");
  plan.warnings.push(...extraWarnings);
  void io;
  return plan;
}

export async function migrateCommand(argv: string[], io: CommandIo, deps: MigrateDeps = {}): Promise<number> {
  const [verb, ...rest] = argv;
  const { values } = parseArgs({ args: rest, options: MIGRATE_OPTIONS, allowPositionals: false });
  if (!verb || verb === "--help" || verb === "-h" || values.help) {
    io.out(`${MIGRATE_HELP}\n`);
    return verb ? 0 : 1;
  }
  if (verb === "plan") {
    const format = (values.format ?? "text") as PlanFormat;
    if (!PLAN_FORMATS.includes(format)) {
      throw new UsageError(`--format ${values.format}: one of ${PLAN_FORMATS.join(", ")}`);
    }
    const plan = await buildPlan(values, deps, io);
    io.out(renderPlan(plan, format));
    return 0;
  }
  if (verb === "apply") {
    const { applyCommand } = await import("./migrate-apply.js");
    return applyCommand(values, io, deps);
  }
  throw new UsageError(`unknown migrate command "${verb}": plan or apply`);
}

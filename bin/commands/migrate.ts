/**
 * `aws-auth-guardian migrate plan|apply`: the move from aws-auth to EKS access entries. `plan` reads
 * aws-auth (a snapshot file, the snapshot store, or the live cluster), asks AWS what it knows unless
 * told not to, and prints the plan as a reviewer's table, JSON, or infrastructure code. `apply`
 * carries the plan out with the caller's credentials (migrate-apply.ts).
 */
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { IAMClient } from "@aws-sdk/client-iam";
import { createEksClient, type Env } from "../../lambda/adapters/aws-clients.js";
import { EksAccessEntryApi } from "../../lambda/adapters/eks-access-entries.js";
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
import type { VersionRecord } from "../../lambda/core/records.js";
import type { CommandIo, CommandRun } from "./io.js";
import { UsageError } from "./io.js";
import { directCluster, kubeconfigClient, readSnapshotFile } from "./restore.js";
import { clusterInStore, openStore } from "./store-location.js";

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
  usageDays?: string;
  /** With --store: the version to plan from. @default "latest" */
  to?: string;
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
  /** How the guardian judged that version (a stored record, or the file on its own). */
  judgement?: { class: string; findings: string[] };
}

function judgementOf(record: VersionRecord): LoadedSource["judgement"] {
  return { class: record.class, findings: record.findings.map((f) => `${f.id}: ${f.message}`) };
}

/** Reads aws-auth from exactly one of --snapshot, --store, --direct. */
export async function loadSource(values: MigrateValues, env: Env): Promise<LoadedSource> {
  // --store is the source only when nothing else is; with a source, apply records its outcome there.
  const fromStore = values.store !== undefined && values.snapshot === undefined && !values.direct;
  if ([values.snapshot !== undefined, values.direct === true, fromStore].filter(Boolean).length !== 1) {
    throw new UsageError("give one source: --snapshot FILE, --store S, or --direct --kubeconfig FILE");
  }
  if (values.snapshot !== undefined) {
    if (!values.cluster) throw new UsageError("--cluster NAME is required with --snapshot");
    const record = await readSnapshotFile(values.snapshot, values.cluster);
    if (!record.configMap)
      throw new UsageError(`--snapshot ${values.snapshot} holds no aws-auth content (${record.kind})`);
    return {
      cluster: values.cluster,
      source: `snapshot ${values.snapshot}`,
      configMap: record.configMap,
      judgement: judgementOf(record),
    };
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
  const wanted = values.to ?? "latest";
  const record = await opened.store.resolve(cluster, wanted);
  if (!record) throw new UsageError(`no version "${wanted}" of cluster ${cluster} in ${opened.location}`);
  if (!record.configMap) {
    throw new UsageError(
      `the latest record of ${cluster} (${record.id}, ${record.kind}) holds no aws-auth content; capture it first: aws-auth-guardian capture --cluster ${cluster}`,
    );
  }
  return {
    cluster,
    source: `store ${opened.location} version ${record.id}`,
    configMap: record.configMap,
    judgement: judgementOf(record),
  };
}

function defaultAws(env: Env): (region: string | undefined) => MigrateAws {
  return (region) => {
    const config = { ...(region ? { region } : {}) };
    const eks = createEksClient(env, config);
    return {
      iam: new IAMClient(config),
      logs: new CloudWatchLogsClient(config),
      eks: new EksAccessEntryApi(eks),
      clusterAccount: async (cluster) => {
        const { DescribeClusterCommand } = await import("@aws-sdk/client-eks");
        const arn = (await eks.send(new DescribeClusterCommand({ name: cluster }))).cluster?.arn;
        return arn?.split(":")[4] || undefined;
      },
    };
  };
}

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
  const usageDays = values.usageDays === undefined ? undefined : Number(values.usageDays);
  if (usageDays !== undefined && !(Number.isInteger(usageDays) && usageDays > 0 && usageDays <= 3650)) {
    throw new UsageError("--usage-days takes a whole number of days (1 to 3650)");
  }
  if (values.offline && (values.aws || usageDays !== undefined)) {
    throw new UsageError("--offline asks AWS nothing: it cannot be combined with --aws or --usage-days");
  }
  const online =
    !values.offline && (values.snapshot === undefined || values.aws === true || usageDays !== undefined);
  const context: PlanContext = {
    cluster: loaded.cluster,
    source: loaded.source,
    ...(loaded.judgement ? { sourceJudgement: loaded.judgement } : {}),
  };
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

export type MigrateOptions = MigrateValues;

export const migrateCommand: CommandRun<MigrateOptions> = async ({ args, options, io, deps }) => {
  const action = args[0];
  const migrateDeps: MigrateDeps = { ...(deps.migrate ?? {}), ...(deps.env ? { env: deps.env } : {}) };
  if (action === "plan") {
    const format = (options.format ?? "text") as PlanFormat;
    if (!PLAN_FORMATS.includes(format)) {
      throw new UsageError(`--format ${options.format}: one of ${PLAN_FORMATS.join(", ")}`);
    }
    const plan = await buildPlan(options, migrateDeps, io);
    io.out(renderPlan(plan, format));
    return 0;
  }
  if (action === "apply") {
    const { applyCommand } = await import("./migrate-apply.js");
    return applyCommand(options, io, migrateDeps);
  }
  throw new UsageError(`unknown migrate action "${action}": plan or apply`);
};

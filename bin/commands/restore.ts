/**
 * `aws-auth-guardian restore`: one command that puts a known-good aws-auth back. Through the
 * cluster-access function (default: reaches the cluster with an identity that does not depend on
 * aws-auth), or `--direct` with the caller's own kubeconfig when the function cannot be used. Both
 * show the diff first (a dry run), ask, then write exactly that: the real run is refused if aws-auth
 * changed since the dry run.
 *
 * Also exports the plumbing that `capture` and `verify` share with it: the options, their checks,
 * function invocation, direct access.
 */
import { readFile, stat } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import { basename } from "node:path";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import yaml from "js-yaml";
import { createLambdaClient, createSnsClient, type Env } from "../../lambda/adapters/aws-clients.js";
import { SnsNotifier } from "../../lambda/adapters/sns-notifier.js";
import { fromKubeconfig, KubeconfigError } from "../../lambda/cluster/kube-aws-auth-client.js";
import { classifyContent } from "../../lambda/core/classify.js";
import { oneLine, terminalText } from "../../lambda/core/encode.js";
import { parseConfigMapManifest } from "../../lambda/core/manifest.js";
import { makePolicy } from "../../lambda/core/policy.js";
import type { AwsAuthClient, Notifier, OutboundAlert } from "../../lambda/core/ports.js";
import { keepConfigMap, type VersionRecord } from "../../lambda/core/records.js";
import { type Prover, proveRequest } from "../../lambda/restore/prove-request.js";
import { executeRestore, type RestoreRequest, type RestoreResult } from "../../lambda/restore/restore.js";
import {
  type CommandDeps,
  type CommandIo,
  type CommandRun,
  type ConfirmIo,
  type Invoke,
  processIo,
  UsageError,
} from "./io.js";
import type { ClusterAccessOptions } from "./options.js";
import { type FunctionLookup, resolveFunctionName } from "./stack-outputs.js";
import { type OpenedStore, onlyCluster, openStore } from "./store-location.js";

export type { CommandDeps, ConfirmIo, Invoke } from "./io.js";
export type { ClusterAccessOptions } from "./options.js";

/** The function answered with an error (FunctionError) instead of a result. */
export class FunctionInvokeError extends Error {
  override readonly name = "FunctionInvokeError";
}

/** Invokes the function once its name is known; the name is looked up only when first needed. */
function lazyLambdaInvoke(lookup: FunctionLookup): Invoke {
  let invoke: Invoke | undefined;
  return async (event) => {
    invoke ??= lambdaInvoke(await resolveFunctionName(lookup), lookup.region, lookup.env);
    return invoke(event);
  };
}

/**
 * Lambda Invoke, RequestResponse, without SDK retries: a retried restore could run twice. A restore carries
 * the proof of who asks (a presigned STS GetCallerIdentity signed over the request), made with the same
 * credentials and for the same region as the invocation; `AWS_ENDPOINT_URL_STS` overrides the STS endpoint.
 */
export function lambdaInvoke(name: string, region: string | undefined, env: Env): Invoke {
  const lambda = createLambdaClient(env, { maxAttempts: 1, ...(region ? { region } : {}) });
  const prover: Prover = {
    credentials: () => lambda.config.credentials(),
    region: () => lambda.config.region(),
    ...(env.AWS_ENDPOINT_URL_STS ? { stsEndpoint: env.AWS_ENDPOINT_URL_STS } : {}),
  };
  return async (event) => {
    const proven = await proveRequest(event, prover);
    const response = await lambda.send(
      new InvokeCommand({
        FunctionName: name,
        InvocationType: "RequestResponse",
        Payload: new TextEncoder().encode(JSON.stringify(proven)),
      }),
    );
    const text = response.Payload ? new TextDecoder().decode(response.Payload) : "";
    if (response.FunctionError) {
      let message = text;
      try {
        const parsed = JSON.parse(text) as { errorType?: string; errorMessage?: string };
        message = `${parsed.errorType ?? "Error"}: ${parsed.errorMessage ?? text}`;
      } catch {
        // Not JSON: show it as it came.
      }
      throw new FunctionInvokeError(`the cluster-access function ${name} failed: ${message}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new FunctionInvokeError(
        `the cluster-access function ${name} answered something that is not JSON: ${text.slice(0, 200)}`,
      );
    }
  };
}

/** `topicArn` → `--topic-arn`: the option as the user typed it. */
function flag(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The function path: checks that none of the command's `--direct` flags was given and that
 * --cluster was; invokes `deps.invoke`, or the Lambda function named by --function or the environment.
 */
export function viaFunction(
  values: ClusterAccessOptions & { snapshot?: string },
  deps: CommandDeps,
  directOnly: ReadonlyArray<keyof ClusterAccessOptions | "snapshot">,
): { cluster: string; invoke: Invoke } {
  for (const key of directOnly) {
    if (values[key] !== undefined) throw new UsageError(`${flag(key)} is only for --direct`);
  }
  if (!values.cluster) throw new UsageError("--cluster NAME is required (or use --direct)");
  const env = deps.env ?? process.env;
  return {
    cluster: values.cluster,
    invoke:
      deps.invoke ??
      lazyLambdaInvoke({
        env,
        ...(values.function ? { option: values.function } : {}),
        ...(values.stack ? { stack: values.stack } : {}),
        ...(values.region ? { region: values.region } : {}),
      }),
  };
}

/** The function answered, but not with what the command asked for. */
export function unexpectedAnswer(answer: unknown): FunctionInvokeError {
  return new FunctionInvokeError(
    `unexpected answer from the cluster-access function: ${JSON.stringify(answer).slice(0, 300)}`,
  );
}

/** `--direct` works through the caller's own kubeconfig: the first thing it needs. */
export function requireKubeconfig(values: ClusterAccessOptions): string {
  if (values.kubeconfig) return values.kubeconfig;
  throw new UsageError("--direct needs --kubeconfig FILE (your own access to the cluster)");
}

/** `--direct` does not go through the function; its options would be silently ignored. */
export function rejectFunctionFlags(values: ClusterAccessOptions): void {
  if (values.function || values.stack)
    throw new UsageError("--function and --stack are for the function path, not --direct");
}

/** Who runs the command, for the record (informational only). */
export function whoAmI(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return "unknown";
  }
}

export function kubeconfigClient(file: string, context: string | undefined): AwsAuthClient {
  try {
    return fromKubeconfig({ file, ...(context ? { context } : {}) });
  } catch (error) {
    if (error instanceof KubeconfigError) throw new UsageError(error.message);
    throw error;
  }
}

const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;

/** A cluster name from a kubeconfig context: the EKS ARN's name, or the context name itself. */
export async function clusterFromKubeconfig(file: string, context: string | undefined): Promise<string> {
  let current = context;
  if (!current) {
    try {
      const parsed = yaml.load(await readFile(file, "utf8")) as { "current-context"?: unknown } | null;
      current = typeof parsed?.["current-context"] === "string" ? parsed["current-context"] : undefined;
    } catch {
      current = undefined;
    }
  }
  const eks = current ? /^arn:aws[\w-]*:eks:[^:]*:\d*:cluster\/(.+)$/.exec(current)?.[1] : undefined;
  const candidate = eks ?? current ?? "";
  if (CLUSTER_NAME.test(candidate)) return candidate;
  const cleaned = candidate
    .replace(/[^A-Za-z0-9_-]/g, "-")
    .replace(/^[^0-9A-Za-z]+/, "")
    .slice(0, 100);
  if (CLUSTER_NAME.test(cleaned)) return cleaned;
  throw new UsageError("cannot tell the cluster's name from the kubeconfig; pass --cluster NAME");
}

/** The cluster for a direct command: --cluster, the store's only cluster, or the kubeconfig's. */
export async function directCluster(
  cluster: string | undefined,
  opened: OpenedStore | undefined,
  kubeconfig: string,
  context: string | undefined,
): Promise<string> {
  if (cluster) {
    if (!CLUSTER_NAME.test(cluster))
      throw new UsageError(`--cluster "${cluster}" is not a valid cluster name`);
    return cluster;
  }
  if (opened) {
    const clusters = await opened.store.listClusters();
    if (clusters.length > 0) return onlyCluster(opened, clusters);
  }
  return clusterFromKubeconfig(kubeconfig, context);
}

/** Keeps alerts when no topic is given, so the command can say what it would have sent. */
export class HeldNotifier implements Notifier {
  readonly held: OutboundAlert[] = [];
  async publish(alert: OutboundAlert): Promise<void> {
    this.held.push(alert);
  }
}

export function directNotifier(
  topicArn: string | undefined,
  env: Env,
  region?: string,
): { notifier: Notifier; held?: HeldNotifier } {
  if (topicArn)
    return { notifier: new SnsNotifier(createSnsClient(env, region ? { region } : {}), topicArn) };
  const held = new HeldNotifier();
  return { notifier: held, held };
}

export function reportHeld(io: CommandIo, held: HeldNotifier | undefined): void {
  for (const alert of held?.held ?? []) {
    io.err(`notification not published (no --topic-arn): ${alert.subject}\n`);
  }
}

/** `--snapshot FILE`: a stored version record, or a ConfigMap manifest judged on its own content. */
export async function readSnapshotFile(file: string, cluster: string): Promise<VersionRecord> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read --snapshot ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    const value = JSON.parse(text) as Partial<VersionRecord>;
    if (
      typeof value === "object" &&
      value !== null &&
      typeof value.id === "string" &&
      (value.kind === "version" || value.kind === "tombstone" || value.kind === "unverified")
    ) {
      return value as VersionRecord;
    }
  } catch {
    // Not JSON: YAML, read below.
  }
  const parsed = parseConfigMapManifest(text);
  if (!parsed.ok) throw new UsageError(`--snapshot ${file}: ${parsed.error}`);
  const configMap = keepConfigMap(parsed.configMap);
  // A bare manifest has no history: judge what its content alone gets wrong (baseline rules).
  const judged = classifyContent(configMap, undefined, {}, makePolicy());
  const modified = await stat(file)
    .then((s) => s.mtime.toISOString())
    .catch(() => new Date().toISOString());
  return {
    kind: "version",
    id: `file-${basename(file).replace(/[^A-Za-z0-9_-]/g, "_")}`,
    cluster,
    ...(configMap.metadata.resourceVersion ? { resourceVersion: configMap.metadata.resourceVersion } : {}),
    time: modified,
    configMap,
    capture: { reason: `read from ${file}`, at: modified },
    class: judged.class,
    findings: judged.findings,
  };
}

async function ttyConfirm(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(terminalText(question))).trim());
  } finally {
    prompt.close();
  }
}

function confirmer(io: ConfirmIo): ((question: string) => Promise<boolean>) | undefined {
  if (io.confirm) return io.confirm.bind(io);
  if (io === processIo && process.stdin.isTTY && process.stderr.isTTY) return ttyConfirm;
  return undefined;
}

function asRestoreResult(answer: unknown): RestoreResult {
  const value = answer as Partial<RestoreResult>;
  if (
    typeof value !== "object" ||
    value === null ||
    typeof value.outcome !== "string" ||
    !value.verification
  ) {
    throw unexpectedAnswer(answer);
  }
  return value as RestoreResult;
}

export function printPlan(io: CommandIo, result: RestoreResult, showBody: boolean): void {
  const target = `version ${result.target}${result.targetTime ? ` (${result.targetTime}, ${result.targetClass})` : ""}`;
  io.out(`Cluster ${result.cluster}: restore ${target}\n`);
  if (result.outcome === "refused" || result.outcome === "failed") {
    if (result.action !== "none") io.out(`  would ${result.action} aws-auth\n`);
  } else if (result.outcome === "already-equal") {
    io.out(`  nothing to do: ${oneLine(result.verification.detail)}\n`);
  } else {
    const over = result.liveResourceVersion
      ? `the live aws-auth (resourceVersion ${result.liveResourceVersion})`
      : "nothing: aws-auth does not exist and will be created";
    io.out(
      result.action === "recreate"
        ? `  DELETE and re-create ${over}: it is immutable\n`
        : `  ${result.action} over ${over}\n`,
    );
  }
  if (result.recreate) io.out(`Why delete and re-create:\n  ${oneLine(result.recreate.reason)}\n`);
  if (result.action !== "none") {
    io.out("What changes (live → version):\n");
    for (const line of result.diffLines) io.out(`  ${line}\n`);
    if (result.diffLines.length === 0) io.out("  (no change in access)\n");
    if (result.dataKeysChanged.length)
      io.out(`  data strings rewritten: ${result.dataKeysChanged.join(", ")}\n`);
  }
  if (result.refusal?.length) {
    io.out("Refused:\n");
    for (const reason of result.refusal) io.out(`  - ${oneLine(reason)}\n`);
  }
  if (result.overridden.length) {
    io.out("Forced past (--force):\n");
    for (const reason of result.overridden) io.out(`  - ${oneLine(reason)}\n`);
  }
  for (const warning of result.warnings) io.err(`warning: ${oneLine(warning)}\n`);
  if (showBody && result.body)
    io.out(`Object that would be written:\n${JSON.stringify(result.body, null, 2)}\n`);
}

export function printOutcome(io: CommandIo, result: RestoreResult): void {
  printRecovery(io, result);
  switch (result.outcome) {
    case "restored":
      io.out(
        `Restored version ${result.target}: ${result.action}, resourceVersion ${result.resourceVersionWritten ?? "?"} written${result.attempts > 1 ? ` (after ${result.attempts} attempts: concurrent writes)` : ""}.\n`,
      );
      io.out(`Verified: ${oneLine(result.verification.detail)}\n`);
      break;
    case "already-equal":
      io.out(`Nothing written: ${oneLine(result.verification.detail)}\n`);
      break;
    case "refused":
      // After a dry run, printPlan has listed the reasons already.
      if (result.dryRun) {
        io.out("Nothing written.\n");
        break;
      }
      io.out("Refused, nothing written:\n");
      for (const reason of result.refusal ?? []) io.out(`  - ${oneLine(reason)}\n`);
      break;
    default:
      if (result.resourceVersionWritten !== undefined) {
        io.out(
          `Written (resourceVersion ${oneLine(result.resourceVersionWritten)}) but NOT verified: ${oneLine(result.verification.detail)}\n`,
        );
      } else {
        io.out(`Failed, nothing written: ${oneLine(result.error ?? result.verification.detail)}\n`);
        if (/HTTP 40[13]\b/.test(result.error ?? "")) {
          io.out(
            "The identity used cannot reach aws-auth. If aws-auth itself is broken, it may be locked out like everyone else: use an identity with an EKS access entry (the cluster-access function, or restore --direct with such a kubeconfig) or the cluster creator's credentials.\n",
          );
        }
      }
  }
  if (result.recordLocation) io.out(`Recorded: ${result.recordLocation}\n`);
}

/** When the immutable aws-auth was deleted and no create went through: exactly how to put it back by hand. */
function printRecovery(io: CommandIo, result: RestoreResult): void {
  if (result.recovery === undefined) return;
  io.err(
    [
      `error: aws-auth of ${result.cluster} was deleted (it was immutable) and could not be created again:`,
      `  ${oneLine(result.error ?? "")}`,
      "Create it now with your own access to this cluster (the exact object the restore was writing):",
      "kubectl create -f - <<'AWS_AUTH_GUARDIAN_EOF'",
      result.recovery.trimEnd(),
      "AWS_AUTH_GUARDIAN_EOF",
      "",
    ].join("\n"),
  );
}

export function exitCodeOf(result: RestoreResult): number {
  if (result.outcome === "restored" || result.outcome === "already-equal" || result.outcome === "dry-run")
    return 0;
  if (result.outcome === "failed" && result.resourceVersionWritten !== undefined && !result.verification.ok)
    return 2;
  return 1;
}

export interface RestoreOptions extends ClusterAccessOptions {
  to?: string;
  snapshot?: string;
  dryRun?: boolean;
  yes?: boolean;
  force?: boolean;
  reason?: string;
  /** Restore the cluster's EKS access entries instead of aws-auth. */
  accessEntries?: boolean;
}

export const restoreCommand: CommandRun<RestoreOptions> = async ({ options: values, io, deps }) => {
  if (values.accessEntries) {
    const { restoreAccessEntries } = await import("./restore-access.js");
    return restoreAccessEntries(values, io, deps, confirmer(io));
  }
  const env = deps.env ?? process.env;
  const base = {
    ...(values.force ? { force: true } : {}),
    ...(values.reason ? { reason: values.reason } : {}),
  };

  let run: (request: Omit<RestoreRequest, "cluster">) => Promise<RestoreResult>;
  let cluster: string;
  let held: HeldNotifier | undefined;
  if (values.direct) {
    const kubeconfig = requireKubeconfig(values);
    if (!values.store && !values.snapshot) {
      throw new UsageError(
        "--direct needs the version to restore: --store s3://BUCKET|DIR, or --snapshot FILE",
      );
    }
    if (values.snapshot && values.to)
      throw new UsageError("--to picks a version in --store; it cannot be combined with --snapshot");
    rejectFunctionFlags(values);
    const client = kubeconfigClient(kubeconfig, values.context);
    // With --snapshot the store only records the restore: it may be new, and names no cluster.
    const opened = values.store
      ? await openStore(values.store, { mustExist: !values.snapshot, env, region: values.region })
      : undefined;
    cluster = await directCluster(
      values.cluster,
      values.snapshot ? undefined : opened,
      kubeconfig,
      values.context,
    );
    const target = values.snapshot ? await readSnapshotFile(values.snapshot, cluster) : undefined;
    const notify = directNotifier(values.topicArn, env, values.region);
    held = notify.held;
    const requestedBy = `${whoAmI()} (direct, kubeconfig ${kubeconfig}${values.context ? ` context ${values.context}` : ""})`;
    // Only the cluster-access function can check the guardian's record MACs (kms:VerifyMac is its alone):
    // here the version comes straight from the store, so say so before anyone confirms it.
    const unverified =
      opened && !target
        ? [
            `Record integrity is not verified with --direct: the version is read from ${opened.store.root()} as it is, without checking the guardian's MAC (only the cluster-access function can). Check the version shown before you confirm.`,
          ]
        : [];
    run = (request) =>
      executeRestore(
        {
          client,
          ...(opened ? { store: opened.store } : {}),
          notifier: notify.notifier,
          now: () => new Date(),
          warnings: unverified,
        },
        { ...request, cluster, requestedBy, ...(target ? { target } : {}) },
      );
  } else {
    const access = viaFunction(values, deps, ["kubeconfig", "context", "store", "snapshot", "topicArn"]);
    cluster = access.cluster;
    const requestedBy = whoAmI();
    run = async (request) =>
      asRestoreResult(await access.invoke({ action: "restore", ...request, cluster, requestedBy }));
  }

  // 1. Dry run: what would be written, over what.
  const preview = await run({ ...base, to: values.to ?? "last-good", dryRun: true });
  if (values.json) io.out(`${JSON.stringify({ dryRun: preview }, null, 2)}\n`);
  else printPlan(io, preview, values.dryRun === true);
  if (preview.outcome !== "dry-run") {
    if (!values.json && preview.outcome !== "already-equal") printOutcome(io, preview);
    reportHeld(io, held);
    return exitCodeOf(preview);
  }
  if (values.dryRun) return 0;

  // 2. Confirmation.
  if (!values.yes) {
    const confirm = confirmer(io);
    if (!confirm) {
      io.err(
        "error: not restoring without confirmation: there is no terminal to ask on; pass --yes to restore what is shown above\n",
      );
      return 1;
    }
    if (!(await confirm(`Write this to aws-auth of ${cluster}? [y/N] `))) {
      io.err("aborted: nothing written\n");
      return 1;
    }
  }

  // 3. The write, only over the live object the dry run saw.
  const result = await run({
    ...base,
    to: preview.target,
    expectLiveResourceVersion: preview.liveResourceVersion ?? "",
  });
  if (values.json) io.out(`${JSON.stringify({ result }, null, 2)}\n`);
  else printOutcome(io, result);
  reportHeld(io, held);
  return exitCodeOf(result);
};

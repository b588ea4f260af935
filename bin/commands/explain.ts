/**
 * `aws-auth-guardian explain ARN`: for the operator who cannot get in, who that caller becomes in
 * the cluster and why (which aws-auth entry matched), or why nobody does (not mapped, a path in the
 * role ARN, a section the authenticator drops, a later duplicate, a template that cannot render).
 * aws-auth comes from a manifest (`--configmap`), the snapshot store (`--store`) or the cluster
 * (`--direct --kubeconfig`). With `--store`, the cluster's latest access-entry record is asked too, as EKS
 * decides (lambda/core/explain-access.ts): an access entry wins over aws-auth for the same principal, mode
 * `API` ignores aws-auth, and the cluster's creator is named. Exit 0 when the caller gets in, 2 when denied,
 * 1 on unusable input.
 * Output goes through the CLI's terminal-safe io, which escapes control characters from the data.
 */
import type { AccessPicture } from "../../lambda/core/access-picture.js";
import { AccessStore } from "../../lambda/core/access-store.js";
import { type AwsAuthExplanation, explainAwsAuth } from "../../lambda/core/explain.js";
import { type CombinedExplanation, creatorWayIn, explainCombined } from "../../lambda/core/explain-access.js";
import { type CommandDeps, type CommandIo, type CommandRun, UsageError } from "./io.js";
import { readConfigMapData } from "./lint.js";

export interface ExplainOptions {
  configmap?: string;
  store?: string;
  cluster?: string;
  version?: string;
  region?: string;
  direct?: boolean;
  kubeconfig?: string;
  context?: string;
  format?: "text" | "json";
}

async function dataFrom(
  options: ExplainOptions,
  io: CommandIo,
  deps: CommandDeps,
): Promise<{ data: Record<string, string>; source: string; access?: AccessSide }> {
  const chosen = [
    options.configmap !== undefined,
    options.store !== undefined,
    options.direct === true,
  ].filter(Boolean);
  if (chosen.length !== 1) {
    throw new UsageError(
      "give exactly one source: --configmap FILE, --store LOCATION, or --direct --kubeconfig FILE",
    );
  }
  if (options.configmap !== undefined) {
    return { data: await readConfigMapData(options.configmap, io), source: `manifest ${options.configmap}` };
  }
  if (options.store !== undefined) {
    const { clusterInStore, openStore } = await import("./store-location.js");
    const opened = await openStore(options.store, {
      region: options.region,
      ...(deps.env ? { env: deps.env } : {}),
    });
    const cluster = await clusterInStore(opened, options.cluster);
    const version = options.version ?? "latest";
    const record = await opened.store.resolve(cluster, version);
    if (!record && options.version === undefined) {
      // A store with access-entry records only (a cluster in API mode, or aws-auth never captured).
      const access = await accessSide(new AccessStore(opened.store.blobs), cluster);
      if (access.picture) {
        return { data: {}, source: `none (no version of ${cluster} in ${opened.location})`, access };
      }
    }
    if (!record) throw new UsageError(`no version "${version}" of cluster ${cluster} in ${opened.location}`);
    if (!record.configMap) {
      throw new UsageError(
        `version ${record.id} of ${cluster} has no content (${record.kind}); pick another with --version`,
      );
    }
    return {
      data: record.configMap.data ?? {},
      source: `version ${record.id} of ${cluster} in ${opened.location}`,
      access: await accessSide(new AccessStore(opened.store.blobs), cluster),
    };
  }
  if (!options.kubeconfig) throw new UsageError("--direct needs --kubeconfig FILE");
  const { kubeconfigClient } = await import("./restore.js");
  const client = kubeconfigClient(options.kubeconfig, options.context);
  const live = await client.read();
  // With --cluster, the live access entries too, read with your own AWS credentials (EKS API, read-only).
  const access = options.cluster ? await liveAccessSide(options.cluster, options.region, deps) : undefined;
  if (!live) {
    return {
      data: {},
      source: `${client.target} (kube-system/aws-auth does not exist: every mapping is gone)`,
      ...(access ? { access } : {}),
    };
  }
  return {
    data: live.data ?? {},
    source: `live aws-auth at ${client.target}`,
    ...(access ? { access } : {}),
  };
}

/** The cluster's live access entries through the EKS API with the caller's credentials; a failure is said. */
async function liveAccessSide(
  cluster: string,
  region: string | undefined,
  deps: CommandDeps,
): Promise<AccessSide> {
  const [{ createEksClient }, { EksAccessEntryApi }, { readAccessPicture }] = await Promise.all([
    import("../../lambda/adapters/aws-clients.js"),
    import("../../lambda/adapters/eks-access-entries.js"),
    import("../../lambda/core/access-picture.js"),
  ]);
  const api = new EksAccessEntryApi(createEksClient(deps.env ?? process.env, region ? { region } : {}));
  try {
    const picture = await readAccessPicture(api, cluster);
    return {
      picture,
      source: `live access entries of ${cluster} (mode ${picture.authenticationMode}, ${picture.entries.length} entries)`,
    };
  } catch (error) {
    const e = error as { code?: string; name?: string; message?: string };
    return {
      source: `the live access entries of ${cluster} could not be read (${e.code ?? e.name ?? "Error"}: ${e.message ?? String(error)})`,
    };
  }
}

/** The access-entry side of a stored cluster: its latest picture and its creator, as far as known. */
interface AccessSide {
  picture?: AccessPicture;
  source: string;
  creator?: string;
}

async function accessSide(store: AccessStore, cluster: string): Promise<AccessSide> {
  const [latest, info] = await Promise.all([store.resolve(cluster, "latest"), store.getClusterInfo(cluster)]);
  const creator = info?.creator ? { creator: info.creator } : {};
  if (!latest) return { source: "no access-entry record", ...creator };
  if (!latest.picture) {
    return { source: `access record ${latest.id} is unverified (the picture could not be read)`, ...creator };
  }
  return {
    picture: latest.picture,
    source: `access record ${latest.id} (mode ${latest.picture.authenticationMode}, ${latest.picture.entries.length} entries)`,
    ...creator,
  };
}

function renderCombined(explanation: CombinedExplanation, source: string, access: AccessSide): string {
  const lines = [`Caller:  ${explanation.caller}`];
  const canonical = explanation.awsAuth?.resolution.canonicalArn;
  if (canonical && canonical !== explanation.caller) {
    lines.push(`Lookup:  ${canonical} (the authenticator's canonical ARN)`);
  }
  lines.push(`Source:  aws-auth: ${source}`);
  lines.push(`         access entries: ${access.source}`);
  const entry = explanation.entry;
  const resolution = explanation.awsAuth?.resolution;
  const answer =
    explanation.decision === "denied"
      ? "DENIED"
      : explanation.decision === "access-entry" && entry
        ? `gets in through the access entry of ${entry.principalArn}`
        : explanation.decision === "creator"
          ? "gets in as cluster admin (the cluster's creator, implicit)"
          : `gets in as "${resolution?.username ?? ""}" with groups [${(resolution?.groups ?? []).join(", ")}] (aws-auth)`;
  lines.push(`Answer:  ${answer}`);
  lines.push("Why:");
  for (const note of explanation.notes) lines.push(`  - ${note}`);
  if (explanation.decision !== "access-entry" && explanation.awsAuth) {
    for (const note of explanation.awsAuth.notes) lines.push(`  - aws-auth: ${note.message}`);
  }
  lines.push(
    explanation.creator
      ? `Way in of last resort: ${creatorWayIn(explanation.creator, access.picture)}.`
      : "Way in of last resort: the cluster's creator is not known to the guardian (see the lockout runbook in the README).",
  );
  return `${lines.join("\n")}\n`;
}

function render(explanation: AwsAuthExplanation, source: string): string {
  const { resolution } = explanation;
  const lines = [`Caller:  ${explanation.caller}`];
  if (resolution.canonicalArn && resolution.canonicalArn !== explanation.caller) {
    lines.push(`Lookup:  ${resolution.canonicalArn} (the authenticator's canonical ARN)`);
  }
  lines.push(`Source:  ${source}`);
  const answer =
    resolution.decision === "denied"
      ? "DENIED"
      : `gets in as "${resolution.username ?? ""}" with groups [${(resolution.groups ?? []).join(", ")}]`;
  lines.push(`Answer:  ${answer}`);
  lines.push("Why:");
  for (const note of explanation.notes) lines.push(`  - ${note.message}`);
  return `${lines.join("\n")}\n`;
}

export const explainCommand: CommandRun<ExplainOptions> = async ({ args, options, io, deps }) => {
  const arn = args[0];
  if (!arn) throw new UsageError("explain needs the caller's ARN (aws sts get-caller-identity --query Arn)");
  const { data, source, access } = await dataFrom(options, io, deps);
  if (access) {
    const combined = explainCombined({
      caller: arn,
      awsAuthData: data,
      ...(access.picture ? { picture: access.picture } : {}),
      ...(access.creator ? { creator: access.creator } : {}),
    });
    if (options.format === "json") {
      io.out(`${JSON.stringify({ source, accessSource: access.source, ...combined }, null, 2)}\n`);
    } else io.out(renderCombined(combined, source, access));
    return combined.decision === "denied" ? 2 : 0;
  }
  const explanation = explainAwsAuth(data, arn);
  if (options.format === "json") io.out(`${JSON.stringify({ source, ...explanation }, null, 2)}\n`);
  else io.out(render(explanation, source));
  return explanation.resolution.decision === "denied" ? 2 : 0;
};

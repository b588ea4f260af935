/**
 * What `migrate plan` asks AWS, each behind an injected client: IAM for every principal's real ARN
 * (with its path) and whether it still exists, CloudWatch Logs for who logged in through the
 * authenticator, and the cluster's access entries. A lookup that fails becomes a warning in the
 * plan, never a failed run.
 */
import { type CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetRoleCommand, GetUserCommand, type IAMClient, NoSuchEntityException } from "@aws-sdk/client-iam";
import { parseArn } from "../core/arn.js";
import { principalsSeen } from "../core/authenticator-log.js";
import type { AccessEntryState } from "../core/migrate-eks-rules.js";
import type { PrincipalLookup } from "../core/migrate-plan.js";
import type { AccessEntryApi } from "../core/ports.js";

function errorText(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? "Error"}: ${e.message ?? String(error)}`;
}

/**
 * Looks each role or user up by name (`iam:GetRole`, `iam:GetUser`), as aws-auth only keeps the
 * name: the answer carries the ARN with its path. Principals of other accounts than `ownAccount`
 * (the cluster's) are not looked up: IAM answers only for the caller's account, and a role of the
 * same name there is a different principal.
 */
export async function lookupPrincipals(
  iam: IAMClient,
  arns: readonly string[],
  ownAccount: string | undefined,
): Promise<Map<string, PrincipalLookup>> {
  const out = new Map<string, PrincipalLookup>();
  for (const arn of arns) {
    const key = arn.toLowerCase();
    if (out.has(key)) continue;
    const parsed = parseArn(arn);
    if (!parsed) continue;
    const type = parsed.resourceType.toLowerCase();
    if (parsed.service.toLowerCase() !== "iam" || (type !== "role" && type !== "user")) continue;
    if (ownAccount !== undefined && parsed.account !== ownAccount) {
      out.set(key, {
        status: "error",
        message: `account ${parsed.account} is not the cluster's (${ownAccount}); IAM there was not asked`,
      });
      continue;
    }
    const name = parsed.resourcePath.split("/").pop() ?? "";
    try {
      const found =
        type === "role"
          ? (await iam.send(new GetRoleCommand({ RoleName: name }))).Role?.Arn
          : (await iam.send(new GetUserCommand({ UserName: name }))).User?.Arn;
      if (!found) {
        out.set(key, { status: "error", message: "IAM answered without an ARN" });
      } else if (parseArn(found)?.account !== parsed.account) {
        out.set(key, {
          status: "error",
          message: `IAM answered for account ${parseArn(found)?.account ?? "?"}, not ${parsed.account}; not the same principal`,
        });
      } else if (type === "user" && found.toLowerCase() !== arn.toLowerCase()) {
        // A user's ARN in aws-auth is compared with the caller's, path included: this mapping never matches.
        out.set(key, {
          status: "mismatch",
          arn: found,
          message: `IAM's user ${name} is ${found}, a different path from aws-auth's ${arn}, so the mapping never matches a caller`,
        });
      } else {
        out.set(key, { status: "found", arn: found });
      }
    } catch (error) {
      if (
        error instanceof NoSuchEntityException ||
        (error as { name?: string }).name === "NoSuchEntityException"
      ) {
        out.set(key, { status: "missing" });
      } else {
        out.set(key, { status: "error", message: errorText(error) });
      }
    }
  }
  return out;
}

export interface UsageResult {
  seen: Set<string>;
  /** Why the log could not be read, when it could not. */
  error?: string;
  lines: number;
}

/**
 * Every `access granted` login of the last `days` days from the authenticator's streams in
 * `/aws/eks/<cluster>/cluster`, all pages.
 */
export async function readUsage(
  logs: CloudWatchLogsClient,
  cluster: string,
  days: number,
  now: Date,
): Promise<UsageResult> {
  const lines: string[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await logs.send(
        new FilterLogEventsCommand({
          logGroupName: `/aws/eks/${cluster}/cluster`,
          logStreamNamePrefix: "authenticator-",
          filterPattern: '"access granted"',
          startTime: now.getTime() - days * 86_400_000,
          endTime: now.getTime(),
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      for (const event of page.events ?? []) if (event.message) lines.push(event.message);
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (error) {
    return { seen: principalsSeen(lines), lines: lines.length, error: errorText(error) };
  }
  return { seen: principalsSeen(lines), lines: lines.length };
}

/** The read side of the EKS access-entry API that the plan needs. */
export interface AccessEntryReader {
  listAccessEntries(cluster: string): Promise<string[]>;
  describeAccessEntry(
    cluster: string,
    principalArn: string,
  ): Promise<
    { principalArn: string; type: string; username?: string; kubernetesGroups: readonly string[] } | undefined
  >;
  listAssociatedAccessPolicies(
    cluster: string,
    principalArn: string,
  ): Promise<
    Array<{
      policyArn: string;
      accessScope: { type: "cluster" | "namespace"; namespaces: readonly string[] };
    }>
  >;
}

/** Every access entry of the cluster with its policies. */
export async function readAccessEntries(
  api: AccessEntryReader,
  cluster: string,
): Promise<AccessEntryState[]> {
  const out: AccessEntryState[] = [];
  for (const principalArn of await api.listAccessEntries(cluster)) {
    const entry = await api.describeAccessEntry(cluster, principalArn);
    if (!entry) continue;
    const policies = await api.listAssociatedAccessPolicies(cluster, principalArn);
    out.push({
      principalArn: entry.principalArn,
      type: entry.type,
      ...(entry.username !== undefined ? { username: entry.username } : {}),
      kubernetesGroups: [...entry.kubernetesGroups],
      accessPolicies: policies.map((p) => ({
        policyArn: p.policyArn,
        accessScope: { type: p.accessScope.type, namespaces: [...p.accessScope.namespaces] },
      })),
    });
  }
  return out;
}

/** The EKS access-entry API as plan and apply use it: the port. */
export type MigrationAccessEntryApi = AccessEntryApi;

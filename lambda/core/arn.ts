/** ARN facts the authenticator depends on (aws-iam-authenticator `pkg/arn/arn.go`). */

export interface ParsedArn {
  partition: string;
  service: string;
  account: string;
  /** Resource type before the first slash: `role`, `user`, `assumed-role`, `federated-user`, `root`. */
  resourceType: string;
  /** Everything after the resource type, path included. */
  resourcePath: string;
}

export function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  const [, partition = "", service = "", , account = "", ...rest] = parts;
  const resource = rest.join(":");
  const slash = resource.indexOf("/");
  return {
    partition,
    service,
    account,
    resourceType: slash === -1 ? resource : resource.slice(0, slash),
    resourcePath: slash === -1 ? "" : resource.slice(slash + 1),
  };
}

export function accountOf(arn: string): string | undefined {
  return parseArn(arn)?.account || undefined;
}

/** An IAM role ARN with a path (`role/a/b/name`): the caller's canonical ARN never has one. */
export function roleArnHasPath(arn: string): boolean {
  const parsed = parseArn(arn);
  return parsed?.service === "iam" && parsed.resourceType === "role" && parsed.resourcePath.includes("/");
}

/** The role's name, the last path segment. */
export function roleName(arn: string): string | undefined {
  const parsed = parseArn(arn);
  if (!parsed) return undefined;
  if (parsed.resourceType === "role") return parsed.resourcePath.split("/").pop();
  if (parsed.resourceType === "assumed-role") return parsed.resourcePath.split("/")[0];
  return undefined;
}

/**
 * The identity the authenticator matches against aws-auth: an STS assumed-role ARN becomes
 * `arn:<partition>:iam::<account>:role/<name>` without any path; IAM users and others stay as given.
 */
export function canonicalPrincipalArn(arn: string): string {
  const parsed = parseArn(arn);
  if (parsed?.service === "sts" && parsed.resourceType === "assumed-role") {
    const name = parsed.resourcePath.split("/")[0] ?? "";
    return `arn:${parsed.partition}:iam::${parsed.account}:role/${name}`;
  }
  return arn;
}

/** Glob match with `*` as the only wildcard, case-sensitive like IAM ARNs. */
export function matchesArnPattern(arn: string, pattern: string): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*");
  return new RegExp(`^${escaped}$`).test(arn);
}

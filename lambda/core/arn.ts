/** ARN facts the authenticator depends on (aws-iam-authenticator `pkg/arn/arn.go`). */

export interface ParsedArn {
  partition: string;
  service: string;
  /** Empty for IAM and STS identities. */
  region: string;
  account: string;
  /** Resource type before the first slash: `role`, `user`, `assumed-role`, `federated-user`, `root`. */
  resourceType: string;
  /** Everything after the resource type, path included. */
  resourcePath: string;
}

export function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  const [, partition = "", service = "", region = "", account = "", ...rest] = parts;
  const resource = rest.join(":");
  const slash = resource.indexOf("/");
  return {
    partition,
    service,
    region,
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
 * `arn:<partition>:iam::<account>:role/<name>` without any path (everything between
 * `assumed-role/` and the session name, `pkg/arn/arn.go` Canonicalize); IAM users and others stay
 * as given. An assumed-role ARN without a session name is left as it is (Canonicalize rejects it).
 */
export function canonicalPrincipalArn(arn: string): string {
  const parsed = parseArn(arn);
  if (parsed?.service === "sts" && parsed.resourceType === "assumed-role") {
    const parts = parsed.resourcePath.split("/");
    if (parts.length < 2) return arn;
    return `arn:${parsed.partition}:iam::${parsed.account}:role/${parts.slice(0, -1).join("/")}`;
  }
  return arn;
}

/** Glob match with `*` as the only wildcard, case-sensitive like IAM ARNs. */
export function matchesArnPattern(arn: string, pattern: string): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*");
  return new RegExp(`^${escaped}$`).test(arn);
}

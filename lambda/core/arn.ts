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
  // arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, the resource keeping any further colons.
  if (!arn.startsWith("arn:")) return undefined;
  const c1 = 3;
  const c2 = arn.indexOf(":", c1 + 1);
  const c3 = c2 < 0 ? -1 : arn.indexOf(":", c2 + 1);
  const c4 = c3 < 0 ? -1 : arn.indexOf(":", c3 + 1);
  const c5 = c4 < 0 ? -1 : arn.indexOf(":", c4 + 1);
  if (c5 < 0) return undefined;
  const partition = arn.slice(c1 + 1, c2);
  const service = arn.slice(c2 + 1, c3);
  const region = arn.slice(c3 + 1, c4);
  const account = arn.slice(c4 + 1, c5);
  const resource = arn.slice(c5 + 1);
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

/** pkg/endpoints/partitions.go:23-32 (aws-iam-authenticator v0.7.18). */
const CALLER_PARTITIONS = [
  "aws",
  "aws-cn",
  "aws-us-gov",
  "aws-iso",
  "aws-iso-b",
  "aws-iso-e",
  "aws-iso-f",
  "aws-eusc",
];

export type CanonicalCaller =
  | { ok: true; canonical: string; account: string; session: string }
  | { ok: false; error: string };

/**
 * aws-iam-authenticator `pkg/arn/arn.go:38-80` Canonicalize over aws-sdk-go-v2's `arn.Parse`
 * (prefix `arn:`, six sections): an STS assumed role becomes `arn:P:iam::A:role/NAME` with no
 * path; IAM roles, users, root and STS federated users stay as given; anything else is refused.
 * The session name is the assumed role's last segment (`token.go:758-763` takes it from the
 * caller's UserID `ROLEID:SESSION`, which carries the same name).
 */
export function canonicalizeCaller(arn: string): CanonicalCaller {
  if (!arn.startsWith("arn:"))
    return { ok: false, error: `"${arn}" is not an ARN (it must start with "arn:")` };
  const sections = arn.split(":");
  if (sections.length < 6) return { ok: false, error: `"${arn}" is not an ARN (not enough sections)` };
  const [, partition = "", service = "", , account = ""] = sections;
  const resource = sections.slice(5).join(":");
  if (!CALLER_PARTITIONS.includes(partition)) {
    return { ok: false, error: `"${arn}" does not have a recognized partition` };
  }
  const parts = resource.split("/");
  const type = parts[0];
  if (service === "sts" && type === "federated-user")
    return { ok: true, canonical: arn, account, session: "" };
  if (service === "sts" && type === "assumed-role") {
    if (parts.length < 3)
      return { ok: false, error: `assumed-role ARN "${arn}" does not have a role and a session` };
    const role = parts.slice(1, -1).join("/");
    return {
      ok: true,
      canonical: `arn:${partition}:iam::${account}:role/${role}`,
      account,
      session: parts.at(-1) ?? "",
    };
  }
  if (service === "iam" && (type === "role" || type === "user" || type === "root")) {
    return { ok: true, canonical: arn, account, session: "" };
  }
  return {
    ok: false,
    error: `"${arn}" is not an identity the authenticator accepts (IAM role, user or root; STS assumed role or federated user)`,
  };
}

/** Go's simple case folding of the two non-ASCII runes that fold to ASCII letters. */
function foldRune(c: string): string {
  if (c === "\u017f") return "s";
  if (c === "\u212a") return "k";
  const lower = c.toLowerCase();
  return [...lower].length === 1 ? lower : c;
}

/** Go's `strings.EqualFold` (Unicode simple case folding), close enough for ARNs. */
export function goEqualFold(a: string, b: string): boolean {
  const x = [...a];
  const y = [...b];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i] ?? "";
    const q = y[i] ?? "";
    if (p !== q && foldRune(p) !== foldRune(q) && p.toUpperCase() !== q.toUpperCase()) return false;
  }
  return true;
}

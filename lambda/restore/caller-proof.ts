/**
 * Who asks for a write, provably: the caller sends a presigned STS `GetCallerIdentity` URL (the mechanism
 * of EKS tokens, cluster/eks-token.ts) whose signature also covers the header {@link REQUEST_BINDING_HEADER}
 * carrying a digest of the request (action, cluster, target, flags). The function replays the URL against
 * its own STS endpoint with the digest of the request it actually received: STS answers with the caller's
 * ARN only when the signature holds, so a forged, altered or expired proof, or a proof made for another
 * request, is refused by STS itself. Nothing here trusts what the caller says about itself.
 *
 * The proof is a bearer credential for one request during its short life (it carries the caller's session
 * token): it is never logged nor stored.
 */
import { createHash } from "node:crypto";
import * as z from "zod/mini";
import {
  type AwsCredentials,
  presignGetCallerIdentityWithHeaders,
  QUERY_ORDER,
} from "../cluster/eks-token.js";
import { canonicalPrincipalArn } from "../core/arn.js";
import { decode } from "../core/decode.js";

/** The signed header that binds a proof to one request. */
export const REQUEST_BINDING_HEADER = "x-aws-auth-guardian-request";
/** How long a proof made by the CLI lives. */
export const PROOF_LIFETIME_SECONDS = 60;
/** The longest lifetime the function accepts (what STS and EKS tokens allow at most). */
export const MAX_PROOF_LIFETIME_SECONDS = 900;
/** Clock skew tolerated for a proof signed "in the future". */
const MAX_CLOCK_SKEW_SECONDS = 300;
const STS_TIMEOUT_MS = 5_000;

/** A proof carries exactly the query the presigner writes (eks-token.ts), nothing else. */
const ALLOWED_QUERY: ReadonlySet<string> = new Set(QUERY_ORDER);

/** A request field that the binding covers; `undefined` is the same as absent. */
export type BoundValue = string | boolean | undefined;

/**
 * The digest a proof must be signed over: the action, the cluster and every field that changes what the
 * write does. Generic over the action, so that any write the function makes (aws-auth restore, access-entry
 * restore) binds its own fields.
 */
export function requestBinding(
  action: string,
  cluster: string,
  fields: Readonly<Record<string, BoundValue>>,
): string {
  const kept = Object.entries(fields)
    .filter((entry): entry is [string, string | boolean] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = `aws-auth-guardian/v1\n${JSON.stringify([action, cluster, kept])}`;
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The regional STS endpoint the function replays proofs against, and the CLI signs for. */
export function stsEndpointFor(region: string): string {
  return `https://sts.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}`;
}

export interface CallerProofProps {
  readonly credentials: AwsCredentials;
  /** The function's region: the proof is signed for that region's STS endpoint. */
  readonly region: string;
  /** {@link requestBinding} of the request the proof goes with. */
  readonly binding: string;
  /** @default - {@link stsEndpointFor} the region */
  readonly stsEndpoint?: string;
  /** @default - the current time */
  readonly now?: Date;
  /** @default PROOF_LIFETIME_SECONDS */
  readonly expiresInSeconds?: number;
}

/** The proof for one request: a presigned GetCallerIdentity URL signed over the request's binding. */
export function createCallerProof(props: CallerProofProps): Promise<string> {
  return presignGetCallerIdentityWithHeaders(
    {
      region: props.region,
      credentials: props.credentials,
      stsEndpoint: props.stsEndpoint ?? stsEndpointFor(props.region),
      expiresInSeconds: props.expiresInSeconds ?? PROOF_LIFETIME_SECONDS,
      ...(props.now ? { now: props.now } : {}),
    },
    { [REQUEST_BINDING_HEADER]: props.binding },
  );
}

/** Why a proof was not accepted: `missing`, unusable (`malformed`), too old (`expired`), or STS said no. */
export type ProofRefusal = "missing" | "malformed" | "expired" | "rejected" | "unverifiable";

export type ProofCheck =
  | {
      ok: true;
      /** The ARN STS answered with (an assumed-role ARN for roles). */
      arn: string;
      /** The ARN aws-auth and the operator patterns are matched against (role ARN, path stripped). */
      canonicalArn: string;
      account: string;
    }
  | { ok: false; refusal: ProofRefusal; reason: string };

export interface VerifyProofOptions {
  /** The function's region: a proof signed for another region's STS is refused. */
  readonly region: string;
  /** {@link requestBinding} of the request the function received. */
  readonly binding: string;
  /** @default - {@link stsEndpointFor} the region */
  readonly stsEndpoint?: string;
  /** @default - the current time */
  readonly now?: Date;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

const IDENTITY = z.object({
  GetCallerIdentityResponse: z.object({
    GetCallerIdentityResult: z.object({
      Arn: z.string().check(z.regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\x21-\x7e]{1,2000}$/)),
      Account: z.string().check(z.regex(/^\d{12}$/)),
    }),
  }),
});

function refuse(refusal: ProofRefusal, reason: string): ProofCheck {
  return { ok: false, refusal, reason };
}

/** `20260101T120000Z` → epoch milliseconds, or undefined. */
function amzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const ms = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** An error code from an STS error body (JSON or XML), reduced to characters safe to show anywhere. */
function stsErrorCode(body: string): string {
  let code: unknown;
  try {
    code = (JSON.parse(body) as { Error?: { Code?: unknown } }).Error?.Code;
  } catch {
    code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];
  }
  return typeof code === "string" ? code.replace(/[^A-Za-z0-9.]/g, "").slice(0, 64) : "";
}

/**
 * Checks the proof's form (our STS endpoint and region, the binding header signed, a sane lifetime), then
 * replays it against STS with `binding` as the signed header. Never throws: every failure is a refusal.
 */
export async function verifyCallerProof(proof: unknown, options: VerifyProofOptions): Promise<ProofCheck> {
  if (proof === undefined || proof === null || proof === "") {
    return refuse("missing", "no proof of the caller's identity came with the request");
  }
  if (typeof proof !== "string" || proof.length > 8192) return refuse("malformed", "the proof is not a URL");
  let url: URL;
  let expected: URL;
  try {
    url = new URL(proof);
    expected = new URL(options.stsEndpoint ?? stsEndpointFor(options.region));
  } catch {
    return refuse("malformed", "the proof is not a URL");
  }
  // Only ever our own STS endpoint: a proof pointing elsewhere could answer with any identity it likes.
  if (
    url.protocol !== expected.protocol ||
    url.host !== expected.host ||
    url.pathname !== expected.pathname
  ) {
    return refuse("malformed", `the proof is not signed for ${expected.host}`);
  }
  const query = url.searchParams;
  const unknown = [...query.keys()].filter((key) => !ALLOWED_QUERY.has(key));
  if (unknown.length > 0 || [...ALLOWED_QUERY].some((key) => query.getAll(key).length > 1)) {
    return refuse("malformed", "the proof has unexpected or repeated query parameters");
  }
  if (query.get("Action") !== "GetCallerIdentity" || query.get("Version") !== "2011-06-15") {
    return refuse("malformed", "the proof is not an STS GetCallerIdentity request");
  }
  if (query.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256" || !query.get("X-Amz-Signature")) {
    return refuse("malformed", "the proof is not signed with SigV4");
  }
  const signedHeaders = (query.get("X-Amz-SignedHeaders") ?? "").split(";");
  if (!signedHeaders.includes("host") || !signedHeaders.includes(REQUEST_BINDING_HEADER)) {
    // Without the binding signed, the same proof would do for any request.
    return refuse(
      "malformed",
      `the proof does not sign ${REQUEST_BINDING_HEADER}: it is not bound to this request`,
    );
  }
  const scope = (query.get("X-Amz-Credential") ?? "").split("/");
  if (
    scope.length !== 5 ||
    scope[2] !== options.region ||
    scope[3] !== "sts" ||
    scope[4] !== "aws4_request"
  ) {
    return refuse("malformed", `the proof is not signed for STS in ${options.region}`);
  }
  const signedAt = amzDate(query.get("X-Amz-Date") ?? "");
  const lifetime = Number(query.get("X-Amz-Expires"));
  if (signedAt === undefined || !Number.isInteger(lifetime) || lifetime < 1) {
    return refuse("malformed", "the proof has no valid signing time or lifetime");
  }
  if (lifetime > MAX_PROOF_LIFETIME_SECONDS) {
    return refuse(
      "malformed",
      `the proof lives ${lifetime} s; at most ${MAX_PROOF_LIFETIME_SECONDS} s are accepted`,
    );
  }
  const now = (options.now ?? new Date()).getTime();
  if (signedAt > now + MAX_CLOCK_SKEW_SECONDS * 1000) {
    return refuse("malformed", "the proof is signed in the future");
  }
  if (now > signedAt + lifetime * 1000) {
    return refuse("expired", `the proof expired at ${new Date(signedAt + lifetime * 1000).toISOString()}`);
  }

  const doFetch = options.fetch ?? globalThis.fetch;
  let status: number;
  let body: string;
  try {
    const response = await doFetch(`${expected.origin}${expected.pathname}${url.search}`, {
      method: "GET",
      headers: { [REQUEST_BINDING_HEADER]: options.binding, accept: "application/json" },
      redirect: "error",
      signal: AbortSignal.timeout(STS_TIMEOUT_MS),
    });
    status = response.status;
    body = await response.text();
  } catch (error) {
    return refuse("unverifiable", `STS could not be asked (${(error as Error).name}); the caller is unknown`);
  }
  if (status !== 200) {
    const code = stsErrorCode(body);
    const expired = /expired/i.test(code);
    return refuse(
      expired ? "expired" : "rejected",
      `STS refused the proof (HTTP ${status}${code ? ` ${code}` : ""}): forged, altered, expired, or made for another request`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return refuse("unverifiable", "STS answered something that is not JSON; the caller is unknown");
  }
  const decoded = decode(IDENTITY, json);
  if (!decoded.ok) return refuse("unverifiable", "STS answered without a usable caller ARN");
  const { Arn: arn, Account: account } = decoded.value.GetCallerIdentityResponse.GetCallerIdentityResult;
  return { ok: true, arn, account, canonicalArn: canonicalPrincipalArn(arn) };
}

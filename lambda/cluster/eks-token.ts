/**
 * The bearer token EKS accepts from an IAM identity: a presigned STS `GetCallerIdentity` URL that
 * the cluster's authenticator replays to learn who we are. Byte-for-byte what `aws eks get-token`
 * (awscli `customizations/eks/get_token.py`) prints, so a token from here and one from the CLI are
 * interchangeable.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

export const EKS_TOKEN_PREFIX = "k8s-aws-v1.";

/** The header that binds a token to one cluster; the authenticator rejects tokens signed for another. */
export const CLUSTER_ID_HEADER = "x-k8s-aws-id";

/** aws-iam-authenticator accepts `X-Amz-Expires` in 0..900 and refuses tokens longer than 4 KiB. */
const MAX_EXPIRES_SECONDS = 900;
const MAX_TOKEN_LENGTH = 4096;
const DEFAULT_EXPIRES_SECONDS = 60;

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface EksTokenProps {
  /** The EKS cluster name (not its ARN), signed into `x-k8s-aws-id`. */
  readonly clusterName: string;
  /** Region of the STS endpoint and of the signature scope. */
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** @default - the current time */
  readonly now?: Date;
  /** @default 60 - what the CLI uses; the authenticator honours the token for 15 minutes regardless */
  readonly expiresInSeconds?: number;
  /** @default - `https://sts.<region>.amazonaws.com` */
  readonly stsEndpoint?: string;
}

export class EksTokenError extends Error {
  override readonly name = "EksTokenError";
}

/** `"k8s-aws-v1." + base64url(presigned STS GetCallerIdentity URL)`, without padding. */
export async function createEksToken(props: EksTokenProps): Promise<string> {
  const url = await presignGetCallerIdentity(props);
  const token = EKS_TOKEN_PREFIX + Buffer.from(url, "utf8").toString("base64url");
  if (token.length > MAX_TOKEN_LENGTH) {
    // Fail here rather than with an opaque 401 from the cluster.
    throw new EksTokenError(
      `EKS token is ${token.length} bytes; the authenticator refuses tokens over ${MAX_TOKEN_LENGTH}`,
    );
  }
  return token;
}

/** The presigned URL itself, with query parameters in the order botocore emits them. */
export async function presignGetCallerIdentity(props: EksTokenProps): Promise<string> {
  if (props.clusterName === "") throw new EksTokenError("clusterName must not be empty");
  return presignGetCallerIdentityWithHeaders(props, { [CLUSTER_ID_HEADER]: props.clusterName });
}

/**
 * A presigned STS `GetCallerIdentity` URL whose signature also covers `boundHeaders` (lower-case names):
 * they stay headers, not query parameters, so whoever replays the URL must send exactly these values or
 * STS refuses the signature. EKS binds the cluster name this way; the guardian binds a restore request.
 */
export async function presignGetCallerIdentityWithHeaders(
  props: Omit<EksTokenProps, "clusterName">,
  boundHeaders: Readonly<Record<string, string>>,
): Promise<string> {
  validateProps(props);
  const endpoint = new URL(props.stsEndpoint ?? `https://sts.${props.region}.amazonaws.com`);
  const signer = new SignatureV4({
    credentials: props.credentials,
    region: props.region,
    service: "sts",
    sha256: Sha256,
  });
  const request = new HttpRequest({
    method: "GET",
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port === "" ? {} : { port: Number(endpoint.port) }),
    path: endpoint.pathname,
    query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
    headers: { host: endpoint.host, ...boundHeaders },
  });
  const presigned = await signer.presign(request, {
    expiresIn: props.expiresInSeconds ?? DEFAULT_EXPIRES_SECONDS,
    signingDate: props.now ?? new Date(),
    // The cluster id must stay a signed header: the authenticator rejects any non-SigV4 query parameter.
    unhoistableHeaders: new Set(Object.keys(boundHeaders)),
  });
  return `${endpoint.protocol}//${endpoint.host}${endpoint.pathname}?${serializeQuery(presigned.query ?? {})}`;
}

function validateProps(props: Omit<EksTokenProps, "clusterName">): void {
  if (props.region === "") throw new EksTokenError("region must not be empty");
  const expires = props.expiresInSeconds ?? DEFAULT_EXPIRES_SECONDS;
  if (!Number.isInteger(expires) || expires < 0 || expires > MAX_EXPIRES_SECONDS) {
    throw new EksTokenError(
      `expiresInSeconds must be an integer in 0..${MAX_EXPIRES_SECONDS}, got ${expires}`,
    );
  }
}

/**
 * Order only matters for reproducing the CLI's exact token (the signature covers the sorted
 * canonical query): the operation first, then the SigV4 parameters as botocore appends them.
 */
/** The query of a presigned GetCallerIdentity request, in the order botocore writes it. */
export const QUERY_ORDER = [
  "Action",
  "Version",
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Security-Token",
  "X-Amz-Signature",
] as const;

function serializeQuery(query: Record<string, string | string[] | null>): string {
  const unexpected = Object.keys(query).filter((key) => !(QUERY_ORDER as readonly string[]).includes(key));
  if (unexpected.length > 0) {
    throw new EksTokenError(`presigner produced unexpected query parameters: ${unexpected.join(", ")}`);
  }
  const pairs: string[] = [];
  for (const key of QUERY_ORDER) {
    const value = query[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string") throw new EksTokenError(`query parameter ${key} is repeated`);
    pairs.push(`${encodeRfc3986(key)}=${encodeRfc3986(value)}`);
  }
  return pairs.join("&");
}

/** Percent-encodes everything but RFC 3986 unreserved characters, as botocore's `quote(safe="-_.~")`. */
function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * CloudTrail records of EKS access-entry writes, as EventBridge delivers them
 * (`detail-type: AWS API Call via CloudTrail`, `source: aws.eks`). Decoded totally: a schema at the
 * boundary, one result per input, never a throw.
 *
 * How CloudTrail writes them: the cluster is `requestParameters.name`; `principalArn` is plain where it
 * is a body field (`CreateAccessEntry`) and URL-encoded where it is a path parameter (the others), as
 * is `policyArn` on `DisassociateAccessPolicy`; a refused call carries `errorCode`/`errorMessage` and no
 * `responseElements`. `eventID` is unique per call and is the key for deduplication.
 */
import * as z from "zod/mini";
import { accountOf, canonicalPrincipalArn } from "./arn.js";
import { type DecodeProblem, decode } from "./decode.js";
import type { AccessScope } from "./ports.js";

export const ACCESS_EVENT_NAMES = [
  "CreateAccessEntry",
  "UpdateAccessEntry",
  "DeleteAccessEntry",
  "AssociateAccessPolicy",
  "DisassociateAccessPolicy",
  "UpdateClusterConfig",
] as const;
export type AccessEventName = (typeof ACCESS_EVENT_NAMES)[number];

export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";

/** Who made the call, as CloudTrail's `userIdentity` and request context say. */
export interface CloudTrailActor {
  /** `userIdentity.type`: `AssumedRole`, `IAMUser`, `Root`, `AWSService`, … */
  type: string;
  /** `userIdentity.arn` (an STS assumed-role ARN for roles). */
  arn?: string;
  /** The role behind a session (`sessionContext.sessionIssuer.arn`, with its path), else `arn`. */
  principalArn?: string;
  /** The path-less IAM form, as aws-auth and trusted-writer patterns name it. */
  canonicalArn?: string;
  sessionName?: string;
  accountId?: string;
  /** `userIdentity.invokedBy`: an AWS service calling on someone's behalf. */
  invokedBy?: string;
  sourceIPAddress?: string;
  userAgent?: string;
}

export interface AccessEvent {
  eventID: string;
  eventName: AccessEventName;
  eventTime: string;
  region: string;
  /** The account the cluster lives in (`recipientAccountId`, else the EventBridge `account`). */
  account?: string;
  cluster: string;
  actor: CloudTrailActor;
  /** Decoded from its URL-encoded form where CloudTrail recorded it encoded. */
  principalArn?: string;
  policyArn?: string;
  accessScope?: AccessScope;
  type?: string;
  username?: string;
  kubernetesGroups?: string[];
  /** `UpdateClusterConfig`: the authentication mode asked for. */
  authenticationMode?: string;
  errorCode?: string;
  errorMessage?: string;
}

export type AccessEventTriage =
  | { kind: "access"; event: AccessEvent }
  | { kind: "irrelevant"; reason: string; eventID?: string }
  | { kind: "malformed"; problem: DecodeProblem; eventID?: string };

const MAX_TEXT = 2048;
const text = () => z.string().check(z.maxLength(MAX_TEXT));
const optionalText = () => z.optional(z.nullable(text()));
/** CloudTrail event ids are UUIDs; they become store keys, so nothing else gets through. */
const EVENT_ID = /^[A-Za-z0-9-]{8,64}$/;
/** EKS cluster names: 1-100 letters, digits, hyphens, underscores, starting alphanumeric. */
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;

const Scope = z.object({
  type: optionalText(),
  namespaces: z.optional(z.nullable(z.array(text()).check(z.maxLength(1000)))),
});

const Detail = z.object({
  eventID: z.string().check(z.regex(EVENT_ID)),
  eventName: text(),
  eventSource: text(),
  eventTime: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/)),
  awsRegion: optionalText(),
  recipientAccountId: optionalText(),
  sourceIPAddress: optionalText(),
  userAgent: optionalText(),
  errorCode: optionalText(),
  errorMessage: optionalText(),
  userIdentity: z.optional(
    z.nullable(
      z.object({
        type: optionalText(),
        arn: optionalText(),
        accountId: optionalText(),
        invokedBy: optionalText(),
        sessionContext: z.optional(
          z.nullable(
            z.object({
              sessionIssuer: z.optional(z.nullable(z.object({ arn: optionalText(), type: optionalText() }))),
            }),
          ),
        ),
      }),
    ),
  ),
  requestParameters: z.optional(
    z.nullable(
      z.object({
        name: z.optional(z.nullable(z.string().check(z.maxLength(200)))),
        clusterName: optionalText(),
        principalArn: optionalText(),
        policyArn: optionalText(),
        accessScope: z.optional(z.nullable(Scope)),
        type: optionalText(),
        username: optionalText(),
        kubernetesGroups: z.optional(z.nullable(z.array(text()).check(z.maxLength(1000)))),
        accessConfig: z.optional(z.nullable(z.object({ authenticationMode: optionalText() }))),
      }),
    ),
  ),
});

const Envelope = z.object({
  "detail-type": z.literal(CLOUDTRAIL_DETAIL_TYPE),
  source: z.literal("aws.eks"),
  account: optionalText(),
  region: optionalText(),
  detail: z.unknown(),
});

/** True when the input has the shape of an EventBridge event (not a CloudWatch Logs delivery). */
export function isEventBridgeEvent(input: unknown): boolean {
  return (
    typeof input === "object" &&
    input !== null &&
    !Array.isArray(input) &&
    typeof (input as Record<string, unknown>)["detail-type"] === "string" &&
    typeof (input as Record<string, unknown>).source === "string" &&
    "detail" in input
  );
}

function eventIdOf(input: unknown): string | undefined {
  if (typeof input !== "object" || input === null) return undefined;
  const detail = (input as { detail?: unknown }).detail;
  if (typeof detail !== "object" || detail === null) return undefined;
  const id = (detail as { eventID?: unknown }).eventID;
  return typeof id === "string" && EVENT_ID.test(id) ? id : undefined;
}

/**
 * A path parameter as CloudTrail recorded it: URL-encoded (`arn%3Aaws%3Aiam…`). Decoded only when
 * the result is an ARN; anything else is kept as written, and the caller decides what it is worth.
 */
export function decodePathParameter(value: string): string {
  if (!value.includes("%")) return value;
  try {
    const decoded = decodeURIComponent(value);
    return decoded.startsWith("arn:") ? decoded : value;
  } catch {
    return value;
  }
}

function actorOf(detail: z.infer<typeof Detail>): CloudTrailActor {
  const identity = detail.userIdentity ?? {};
  const arn = identity.arn ?? undefined;
  const issuer = identity.sessionContext?.sessionIssuer?.arn ?? undefined;
  const principalArn = issuer ?? arn;
  const canonical = arn ? canonicalPrincipalArn(arn) : undefined;
  const sessionName =
    arn && /:assumed-role\//.test(arn) ? arn.slice(arn.lastIndexOf("/") + 1) || undefined : undefined;
  const accountId = identity.accountId ?? (arn ? accountOf(arn) : undefined);
  return {
    type: identity.type ?? "Unknown",
    ...(arn ? { arn } : {}),
    ...(principalArn ? { principalArn } : {}),
    ...(canonical ? { canonicalArn: canonical } : {}),
    ...(sessionName ? { sessionName } : {}),
    ...(accountId ? { accountId } : {}),
    ...(identity.invokedBy ? { invokedBy: identity.invokedBy } : {}),
    ...(detail.sourceIPAddress ? { sourceIPAddress: detail.sourceIPAddress } : {}),
    ...(detail.userAgent ? { userAgent: detail.userAgent } : {}),
  };
}

function scopeOf(scope: z.infer<typeof Scope> | null | undefined): AccessScope | undefined {
  if (!scope) return undefined;
  // An unknown scope type is judged as the widest one: the whole cluster.
  const type = scope.type === "namespace" ? "namespace" : "cluster";
  return { type, namespaces: type === "namespace" ? [...(scope.namespaces ?? [])] : [] };
}

/** One EventBridge event in, one verdict on it out. */
export function decodeAccessEvent(input: unknown): AccessEventTriage {
  const eventID = eventIdOf(input);
  const withId = eventID ? { eventID } : {};
  const envelope = decode(Envelope, input, "event");
  if (!envelope.ok) return { kind: "malformed", problem: envelope.problem, ...withId };
  const decoded = decode(Detail, envelope.value.detail, "detail");
  if (!decoded.ok) return { kind: "malformed", problem: decoded.problem, ...withId };
  const detail = decoded.value;
  if (detail.eventSource !== "eks.amazonaws.com") {
    return { kind: "irrelevant", reason: `event source ${detail.eventSource}`, eventID: detail.eventID };
  }
  if (!(ACCESS_EVENT_NAMES as readonly string[]).includes(detail.eventName)) {
    return { kind: "irrelevant", reason: `event ${detail.eventName}`, eventID: detail.eventID };
  }
  const eventName = detail.eventName as AccessEventName;
  const params = detail.requestParameters ?? {};
  if (eventName === "UpdateClusterConfig" && !params.accessConfig) {
    return {
      kind: "irrelevant",
      reason: "UpdateClusterConfig without accessConfig",
      eventID: detail.eventID,
    };
  }
  const cluster = params.name ?? params.clusterName ?? undefined;
  if (cluster === undefined || !CLUSTER_NAME.test(cluster)) {
    return {
      kind: "malformed",
      problem: { path: "detail.requestParameters.name", message: "missing or not an EKS cluster name" },
      eventID: detail.eventID,
    };
  }
  const failed = detail.errorCode !== undefined && detail.errorCode !== null && detail.errorCode !== "";
  const principalArn = params.principalArn ? decodePathParameter(params.principalArn) : undefined;
  const policyArn = params.policyArn ? decodePathParameter(params.policyArn) : undefined;
  // A refused call may carry anything the caller typed; an accepted one names a real principal.
  if (!failed && eventName !== "UpdateClusterConfig" && !principalArn?.startsWith("arn:")) {
    return {
      kind: "malformed",
      problem: { path: "detail.requestParameters.principalArn", message: "missing or not an ARN" },
      eventID: detail.eventID,
    };
  }
  const scope = scopeOf(params.accessScope);
  const account = detail.recipientAccountId ?? envelope.value.account ?? undefined;
  const region = detail.awsRegion ?? envelope.value.region ?? "";
  const event: AccessEvent = {
    eventID: detail.eventID,
    eventName,
    eventTime: detail.eventTime,
    region,
    ...(account ? { account } : {}),
    cluster,
    actor: actorOf(detail),
    ...(principalArn ? { principalArn } : {}),
    ...(policyArn ? { policyArn } : {}),
    ...(scope ? { accessScope: scope } : {}),
    ...(params.type ? { type: params.type } : {}),
    ...(params.username ? { username: params.username } : {}),
    ...(params.kubernetesGroups ? { kubernetesGroups: [...params.kubernetesGroups] } : {}),
    ...(params.accessConfig?.authenticationMode
      ? { authenticationMode: params.accessConfig.authenticationMode }
      : {}),
    ...(failed ? { errorCode: detail.errorCode ?? "" } : {}),
    ...(failed && detail.errorMessage ? { errorMessage: detail.errorMessage } : {}),
  };
  return { kind: "access", event };
}

/** The call was refused for lack of IAM permission (`AccessDenied`, `AccessDeniedException`, …). */
export function isAccessDenied(event: AccessEvent): boolean {
  return (
    event.errorCode !== undefined && /^(Client\.)?(AccessDenied|UnauthorizedOperation)/.test(event.errorCode)
  );
}

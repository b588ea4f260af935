/**
 * Who a caller becomes in the cluster when both EKS access entries and aws-auth can answer, decided as EKS
 * decides: in `CONFIG_MAP` only aws-auth counts; in `API_AND_CONFIG_MAP` an access entry for the caller's
 * IAM principal wins and aws-auth is asked only when there is none; in `API` aws-auth is ignored. The
 * cluster's creator keeps implicit admin in `CONFIG_MAP` (invisible to both); in the other modes its way in
 * is its access entry, if it still has one. Pure and total: the pictures come from the store or the API.
 */

import type { AccessPicture, PictureEntry, PicturePolicy } from "./access-picture.js";
import { parseArn } from "./arn.js";
import { type AwsAuthExplanation, explainAwsAuth } from "./explain.js";

export type AccessDecision = "access-entry" | "aws-auth" | "creator" | "denied";

export interface CombinedExplanation {
  caller: string;
  decision: AccessDecision;
  /** The cluster's authentication mode, when the access picture is known. */
  authenticationMode?: string;
  /** The access entry that answers (or that exists for the caller without answering). */
  entry?: PictureEntry;
  /** What aws-auth says; absent when it was not asked (mode `API`, or no aws-auth data given). */
  awsAuth?: AwsAuthExplanation;
  /** `decision` in one sentence, then why. */
  notes: string[];
  /** The cluster's creator, when known: the way in of last resort. */
  creator?: string;
}

export interface CombinedInput {
  caller: string;
  /** The access entries and mode (a recorded or live picture); undefined when unknown. */
  picture?: AccessPicture;
  /** aws-auth's data; undefined when unknown or absent. */
  awsAuthData?: Record<string, string>;
  creator?: string;
}

/** An IAM principal as EKS binds an access entry: account, kind and name; the path plays no part in a match. */
function principalKey(arn: string): string | undefined {
  const parsed = parseArn(arn);
  if (!parsed) return undefined;
  if (parsed.service === "sts" && parsed.resourceType === "assumed-role") {
    const role = parsed.resourcePath.split("/")[0];
    return role ? `${parsed.partition}:${parsed.account}:role:${role}` : undefined;
  }
  if (parsed.service === "iam" && (parsed.resourceType === "role" || parsed.resourceType === "user")) {
    const name = parsed.resourcePath.split("/").pop();
    return name ? `${parsed.partition}:${parsed.account}:${parsed.resourceType}:${name}` : undefined;
  }
  return undefined;
}

/** Whether two ARNs name the same IAM role or user (an assumed-role session names its role). */
export function samePrincipalAsEks(a: string, b: string): boolean {
  const ka = principalKey(a);
  return ka !== undefined && ka === principalKey(b);
}

function policyText(p: PicturePolicy): string {
  const name = p.policyArn.slice(p.policyArn.lastIndexOf("/") + 1);
  return p.accessScope.type === "cluster"
    ? `${name} at cluster scope`
    : `${name} in namespaces ${p.accessScope.namespaces.join(", ")}`;
}

/** What an access entry grants, in words. */
export function entryGrant(entry: PictureEntry): string {
  if (entry.type !== "STANDARD") {
    return `a ${entry.type} node entry (EKS's fixed node username and groups)`;
  }
  const parts = [
    `username "${entry.username ?? "(EKS default: the session ARN)"}"`,
    `groups [${entry.kubernetesGroups.join(", ")}]`,
    entry.policies.length
      ? `access policies ${entry.policies.map(policyText).join("; ")}`
      : "no access policy",
  ];
  return parts.join(", ");
}

function awsAuthAnswer(explanation: AwsAuthExplanation): string {
  const r = explanation.resolution;
  return r.decision === "denied"
    ? "aws-auth does not map it"
    : `aws-auth maps it to "${r.username ?? ""}" with groups [${(r.groups ?? []).join(", ")}]`;
}

/**
 * How the cluster's creator still gets in, in words: implicit admin in `CONFIG_MAP` (shown nowhere);
 * in the other modes its bootstrapped access entry, while it has one. `picture` undefined: unknown.
 */
export function creatorWayIn(creator: string, picture?: AccessPicture, mode?: string): string {
  const authenticationMode = picture?.authenticationMode ?? mode;
  if (authenticationMode === "CONFIG_MAP") {
    return `the cluster creator ${creator} keeps implicit admin (in mode CONFIG_MAP, shown neither in aws-auth nor in access entries)`;
  }
  if (!picture) {
    return `the cluster creator ${creator} (implicit admin in mode CONFIG_MAP; in the other modes, admin through its bootstrapped access entry while it has one)`;
  }
  const entry = picture.entries.find((e) => samePrincipalAsEks(creator, e.principalArn));
  if (entry) {
    return `the cluster creator ${creator}, through its access entry (${entryGrant(entry)})`;
  }
  return `the cluster creator ${creator}, but its access entry is gone (mode ${picture.authenticationMode}): restore --access-entries re-creates it`;
}

/** The combined answer for one caller. */
export function explainCombined(input: CombinedInput): CombinedExplanation {
  const { caller, picture, creator } = input;
  const mode = picture?.authenticationMode;
  const base = {
    caller,
    ...(mode ? { authenticationMode: mode } : {}),
    ...(creator ? { creator } : {}),
  };
  const isCreator = creator !== undefined && samePrincipalAsEks(caller, creator);
  const entry = picture?.entries.find((e) => samePrincipalAsEks(caller, e.principalArn));
  const awsAuth = input.awsAuthData !== undefined ? explainAwsAuth(input.awsAuthData, caller) : undefined;
  const withAwsAuth = awsAuth ? { awsAuth } : {};

  if (mode === "API") {
    if (entry) {
      return {
        ...base,
        decision: "access-entry",
        entry,
        notes: [
          `Gets in through the access entry of ${entry.principalArn}: ${entryGrant(entry)}.`,
          "Authentication mode API: aws-auth is ignored.",
        ],
      };
    }
    return {
      ...base,
      decision: "denied",
      ...withAwsAuth,
      notes: [
        "DENIED: no access entry names this caller's IAM principal, and in authentication mode API aws-auth is ignored.",
        ...(awsAuth && awsAuth.resolution.decision !== "denied"
          ? [`(${awsAuthAnswer(awsAuth)}, but EKS does not read it in this mode.)`]
          : []),
        ...(isCreator
          ? ["This caller created the cluster, but in mode API its admin is its access entry, which is gone."]
          : []),
      ],
    };
  }

  if (mode === "API_AND_CONFIG_MAP" && entry) {
    const shadowed =
      awsAuth && awsAuth.resolution.decision !== "denied"
        ? [
            `aws-auth is not consulted for this caller: an access entry wins over aws-auth for the same principal (${awsAuthAnswer(awsAuth)}).`,
          ]
        : [];
    return {
      ...base,
      decision: "access-entry",
      entry,
      ...withAwsAuth,
      notes: [
        `Gets in through the access entry of ${entry.principalArn}: ${entryGrant(entry)}.`,
        ...shadowed,
      ],
    };
  }

  // CONFIG_MAP, API_AND_CONFIG_MAP without an entry for the caller, or an unknown picture: aws-auth decides.
  const unknown = picture
    ? []
    : ["The access entries are unknown (no access-entry record): this answer is aws-auth's alone."];
  const modeNote =
    mode === "API_AND_CONFIG_MAP"
      ? ["No access entry names this caller's IAM principal, so EKS asks aws-auth (mode API_AND_CONFIG_MAP)."]
      : mode === "CONFIG_MAP"
        ? ["Authentication mode CONFIG_MAP: only aws-auth counts."]
        : [];
  if (awsAuth && awsAuth.resolution.decision !== "denied") {
    return {
      ...base,
      decision: "aws-auth",
      awsAuth,
      notes: [
        `Gets in through aws-auth: ${awsAuthAnswer(awsAuth).replace(/^aws-auth maps it/, "mapped")}.`,
        ...modeNote,
        ...unknown,
      ],
    };
  }
  if (isCreator && mode === "CONFIG_MAP") {
    return {
      ...base,
      decision: "creator",
      ...withAwsAuth,
      notes: [
        "Gets in as cluster admin: it created the cluster, and in mode CONFIG_MAP the creator keeps implicit system:masters that neither aws-auth nor access entries show.",
        ...modeNote,
      ],
    };
  }
  return {
    ...base,
    decision: "denied",
    ...withAwsAuth,
    notes: [
      awsAuth
        ? "DENIED: aws-auth does not map this caller."
        : "DENIED: nothing known maps this caller (no aws-auth data).",
      ...modeNote,
      ...unknown,
      ...(isCreator && mode && mode !== "CONFIG_MAP"
        ? [
            "This caller created the cluster, but outside CONFIG_MAP its admin is its access entry, which is gone.",
          ]
        : []),
    ],
  };
}

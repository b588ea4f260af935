/**
 * The gate in front of every write the cluster-access function makes for a caller (an aws-auth restore
 * today, an access-entry restore later): who asks, proven through STS (caller-proof.ts), and whether the
 * function acts for them.
 *
 * - Configured restore operators (`RESTORE_OPERATORS`, IAM ARN patterns) may ask for anything, `force`
 *   included.
 * - By default the function also acts for whoever already administers the cluster: the principals mapped to
 *   `system:masters` in the last good version, and the cluster's creator where it is known. They gain nothing
 *   they do not already hold, so they may restore, but not with `force`: overriding the refusals (restoring
 *   a dangerous version, removing every admin) is for operators named explicitly.
 * - Everyone else, and every request without a valid proof, is refused.
 *
 * `capture` and `verify` never write aws-auth and are not gated: the guardian's own schedule and classifier
 * invoke them.
 */
import { samePrincipal } from "../core/access-rules.js";
import { canonicalPrincipalArn, matchesArnPattern } from "../core/arn.js";
import { MASTERS_GROUP } from "../core/aws-auth.js";
import { modelOf } from "../core/classify.js";
import type { ConfigMapObject } from "../core/ports.js";
import type { ProofCheck } from "./caller-proof.js";

/** One write the function would make for a caller, described generically over the action. */
export interface GuardedWrite {
  /** `restore` (aws-auth), or any later write action such as an access-entry restore. */
  readonly action: string;
  readonly cluster: string;
  /** Asks to override refusals: explicit operators only. */
  readonly force: boolean;
}

/** Who already administers the cluster, as the last good state says. */
export interface DefaultOperators {
  /** The last good aws-auth, whose `system:masters` principals the function acts for. */
  readonly lastGood?: { id: string; configMap: ConfigMapObject };
  /** Why there is no last good version to read them from (none yet, or not verifiable). */
  readonly lastGoodUnavailable?: string;
  /** The principal that created the cluster, where discovery knows it. */
  readonly creatorArn?: string;
}

export type Authorization =
  | {
      ok: true;
      /** The caller's ARN as STS returned it. */
      caller: string;
      /** Why the function acts for the caller, for the record and the alert. */
      basis: string;
    }
  | {
      ok: false;
      /** The caller's ARN when the proof held, otherwise undefined: nobody is known. */
      caller?: string;
      reason: string;
    };

/** Whether `canonicalArn` is mapped to system:masters in `configMap`, as the authenticator would match it. */
export function holdsSystemMasters(configMap: ConfigMapObject, canonicalArn: string): boolean {
  const model = modelOf(configMap);
  const lower = canonicalArn.toLowerCase();
  for (const role of model.roles) {
    if (!role.groups.includes(MASTERS_GROUP)) continue;
    if (role.sso) {
      // An SSO permission set's roles: AWSReservedSSO_<name>_<suffix>, path stripped in the canonical ARN.
      const prefix = `arn:${role.sso.partition}:iam::${role.sso.accountID}:role/awsreservedsso_${role.sso.permissionSetName}_`;
      if (lower.startsWith(prefix.toLowerCase())) return true;
    } else if (role.key === lower) {
      // Role keys are lower-cased by the authenticator: roles match case-insensitively.
      return true;
    }
  }
  return model.users.some((user) => user.groups.includes(MASTERS_GROUP) && user.key === canonicalArn);
}

/**
 * Decides, from a checked proof, the configured operator patterns and the default operators, whether the
 * function acts for the caller on `write`. Pure and total.
 */
export function authorize(
  write: GuardedWrite,
  proof: ProofCheck,
  operators: readonly string[],
  defaults: DefaultOperators,
): Authorization {
  if (!proof.ok) return { ok: false, reason: `caller not proven: ${proof.reason}` };
  const caller = proof.arn;
  const candidates = [...new Set([proof.canonicalArn, canonicalPrincipalArn(caller), caller])];
  const operator = operators.find((pattern) => candidates.some((arn) => matchesArnPattern(arn, pattern)));
  if (operator !== undefined) {
    return { ok: true, caller, basis: `restore operator (matches ${operator})` };
  }
  let basis: string | undefined;
  if (defaults.lastGood && holdsSystemMasters(defaults.lastGood.configMap, proof.canonicalArn)) {
    basis = `holds system:masters in the last good version ${defaults.lastGood.id}`;
  } else if (defaults.creatorArn && samePrincipal(defaults.creatorArn, proof.canonicalArn)) {
    // IAM names are unique in an account whatever the path: CloudTrail names the creator's role with its
    // path, the proven caller's canonical ARN has none.
    basis = "created the cluster";
  }
  if (basis === undefined) {
    const why = defaults.lastGood
      ? `holds no system:masters mapping in the last good version ${defaults.lastGood.id}`
      : `there is no last good version to name the cluster's admins (${defaults.lastGoodUnavailable ?? "none recorded"})`;
    return {
      ok: false,
      caller,
      reason: `${caller} may not ${write.action} on ${write.cluster}: not a configured restore operator, and ${why}`,
    };
  }
  if (write.force) {
    return {
      ok: false,
      caller,
      reason: `${caller} ${basis}, which allows a ${write.action} but not with force: force is for restore operators named in the guardian's configuration`,
    };
  }
  return { ok: true, caller, basis };
}

/**
 * Record integrity: which stored objects a restore decides on, where their MAC lives and what it is made
 * over. A MAC (HMAC-SHA-256 made by KMS with a key only the guardian's writers may use for GenerateMac) over
 * the object's key and the SHA-256 of its bytes says "the guardian wrote exactly this, here". The bucket
 * policy already keeps everyone else from writing; the MAC is what the restore path checks, so that a record
 * planted by someone who got past the policy (a break-glass principal, a mistaken policy) is refused, not
 * restored.
 *
 * Layout: the MAC of `clusters/prod/versions/X.json` with content digest D is the object
 * `integrity/clusters/prod/versions/X.json/D.mac`, written before the record itself. Content-addressed, so
 * a record written again with the same bytes finds its MAC already there, and an overwritten record has no
 * MAC for its new bytes.
 *
 * Pure: the MAC itself is made and checked behind the `MacSigner`/`MacVerifier` ports (ports.ts).
 */
import { createHash } from "node:crypto";

/** Every MAC object lives under this prefix; listings of the store never show it. */
export const INTEGRITY_PREFIX = "integrity/";

/**
 * The objects a restore decides on: each version record of aws-auth and of the access picture (their
 * content is what a restore writes back, their verdict whether it may), and the cluster's fact sheet (its
 * creator is a default restore operator). Pointers (`latest.json`, `last-good.json`) only name a record,
 * whose own MAC and verdict decide; restore, attempt and alert-marker records decide nothing.
 */
const PROTECTED =
  /^clusters\/[0-9A-Za-z][A-Za-z0-9_-]{0,99}\/(?:versions\/[^/]+\.json|access\/versions\/[^/]+\.json|access\/cluster\.json)$/;

export function isIntegrityProtected(key: string): boolean {
  return PROTECTED.test(key);
}

export function contentDigest(body: string): string {
  return createHash("sha256").update(body, "utf8").digest("hex");
}

/** Where the MAC of `key` holding content with `digest` is stored. */
export function macKey(key: string, digest: string): string {
  return `${INTEGRITY_PREFIX}${key}/${digest}.mac`;
}

/** What the MAC is made over: a version tag, the key, the content digest (never more than KMS's 4 KiB). */
export function macMessage(key: string, digest: string): string {
  return `aws-auth-guardian/integrity/v1\n${key}\n${digest}`;
}

/** The MAC object's body. */
export interface MacObject {
  v: 1;
  alg: "HMAC_SHA_256";
  key: string;
  sha256: string;
  /** Base64 of the MAC KMS made. */
  mac: string;
}

export function macObject(key: string, digest: string, mac: string): string {
  const object: MacObject = { v: 1, alg: "HMAC_SHA_256", key, sha256: digest, mac };
  return `${JSON.stringify(object)}\n`;
}

/** The MAC in a MAC object's body, or undefined when the body is not one (for this key and digest). */
export function readMacObject(body: string, key: string, digest: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const object = value as Partial<MacObject>;
  if (object.v !== 1 || object.alg !== "HMAC_SHA_256" || object.key !== key || object.sha256 !== digest)
    return undefined;
  return typeof object.mac === "string" && /^[A-Za-z0-9+/]{1,200}={0,2}$/.test(object.mac)
    ? object.mac
    : undefined;
}

/**
 * A stored record whose integrity cannot be verified as the guardian's own: the restore refuses it and says
 * so. `location` is where it is (`s3://…`), `reason` what is wrong with its MAC.
 */
export class RecordIntegrityError extends Error {
  override readonly name = "RecordIntegrityError";
  constructor(
    readonly location: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `record ${location} refused: ${reason}. Its integrity cannot be verified as the guardian's own: it was not written by the guardian (planted, altered, or written before record MACs existed), so a restore will not use it`,
      options,
    );
  }
}

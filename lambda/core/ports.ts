/**
 * The core's view of the outside world. Implementations live at the edge (`lambda/adapters/`,
 * `lambda/cluster/`) so that the core stays pure and tests can hand in real emulators or fakes.
 */

/** The subset of a Kubernetes ConfigMap the guardian reads and writes. */
export interface ConfigMapObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  /** Exactly the strings the API server stores; never re-encoded. */
  data?: Record<string, string>;
  /**
   * `immutable: true` freezes `data` (and `immutable` itself) until the object is deleted: the API
   * server refuses any change to them with 422, so EKS cannot add node roles and a restore must
   * delete and re-create aws-auth.
   */
  immutable?: boolean;
}

/** An object read from a blob store, with the token needed to replace it conditionally. */
export interface StoredBlob {
  body: string;
  etag: string;
}

/**
 * A key/value object store with the two conditional writes S3 offers. The snapshot store builds
 * idempotency (create-once versions) and forward-only pointers on top of these.
 */
export interface BlobStore {
  /** The object at `key`, or undefined when there is none. */
  get(key: string): Promise<StoredBlob | undefined>;
  /** Creates `key` only when it does not exist (S3 `If-None-Match: *`); false when it already existed. */
  putIfAbsent(key: string, body: string): Promise<boolean>;
  /** Replaces `key` only while its etag is still `etag` (S3 `If-Match`); false when it changed meanwhile. */
  putIfMatch(key: string, body: string, etag: string): Promise<boolean>;
  /**
   * Removes `key` (no error when it is absent). In a versioned bucket this adds a delete marker and
   * keeps the data. The pipeline uses it only to move a record to its true place and to drop a
   * last-good pointer that no version deserves.
   */
  delete(key: string): Promise<void>;
  /** Every key under `prefix`, in ascending byte order. */
  list(prefix: string): Promise<string[]>;
  /** Where `key` lives, for humans: `s3://bucket/key` or a file path. */
  locate(key: string): string;
  /**
   * True when `list` gives the same array object again until a key under the prefix is created or
   * removed (an in-memory store): a reader may then keep what it derived from a listing by the
   * array, and must never change the array.
   */
  readonly stableListings?: boolean;
}

/** The live aws-auth ConfigMap of one cluster, reached through whatever identity the adapter holds. */
export interface AwsAuthClient {
  /** The live object, or undefined when aws-auth does not exist (404). */
  read(): Promise<ConfigMapObject | undefined>;
  /** PUT with the resourceVersion in `object.metadata`; throws `ConflictError` on 409. */
  replace(object: ConfigMapObject): Promise<ConfigMapObject>;
  /** POST; throws `ConflictError` when it already exists (409 AlreadyExists). */
  create(object: ConfigMapObject): Promise<ConfigMapObject>;
  /**
   * DELETE, only while the object still has this uid and resourceVersion (DeleteOptions
   * preconditions); throws `ConflictError` when either changed (409), returns false when aws-auth
   * was already gone (404).
   */
  delete(preconditions: DeletePreconditions): Promise<boolean>;
  /** Where this client points, for humans (API server URL). */
  readonly target: string;
}

/** What a delete must still find: the object read, not one written since. */
export interface DeletePreconditions {
  readonly uid: string;
  readonly resourceVersion: string;
}

export class ConflictError extends Error {
  override readonly name = "ConflictError";
}

/** An API server answer that is neither success, 404 nor 409; `status` is the HTTP status. */
export class ClusterApiError extends Error {
  override readonly name = "ClusterApiError";
  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One alert, already rendered by the core, ready for any transport. */
export interface OutboundAlert {
  /** Single line, under 100 characters (SNS limit). */
  subject: string;
  /** Plain text for e-mail subscribers. */
  email: string;
  /** AWS Chatbot custom-notification JSON (a string), sent as SNS `default`. */
  chatbot: string;
  /** SNS message attributes for subscription filters: severity, class, cluster. */
  attributes: Record<string, string>;
}

export interface Notifier {
  publish(alert: OutboundAlert): Promise<void>;
}

/** How a cluster authenticates IAM principals. Changes go one way only: `CONFIG_MAP` → `API_AND_CONFIG_MAP` → `API`. */
export const AUTHENTICATION_MODES = ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"] as const;
export type AuthenticationMode = (typeof AUTHENTICATION_MODES)[number];

/** The cluster's access configuration as `eks:DescribeCluster` reports it. */
export interface ClusterAccessConfig {
  /** Clusters created before access entries existed report none and behave as `CONFIG_MAP`. */
  readonly authenticationMode: AuthenticationMode;
  /** Whether the creator got an admin access entry at creation; undefined when EKS does not say. */
  readonly bootstrapClusterCreatorAdminPermissions?: boolean;
}

/** Where an associated access policy applies: the whole cluster, or the listed namespaces. */
export interface AccessScope {
  readonly type: "cluster" | "namespace";
  /** Empty for `cluster`. Namespace names may end in `*` (prefix match). */
  readonly namespaces: readonly string[];
}

/** An access policy associated with an access entry (`arn:aws:eks::aws:cluster-access-policy/NAME`). */
export interface AssociatedAccessPolicy {
  readonly policyArn: string;
  readonly accessScope: AccessScope;
  readonly associatedAt?: string;
  readonly modifiedAt?: string;
}

/** One access entry as `eks:DescribeAccessEntry` returns it. */
export interface AccessEntry {
  /** The IAM role or user ARN, with its path (unlike aws-auth). */
  readonly principalArn: string;
  /** `STANDARD`, `EC2_LINUX`, `EC2_WINDOWS`, `FARGATE_LINUX`, `HYBRID_LINUX`, `EC2`, or a newer type. */
  readonly type: string;
  readonly username?: string;
  readonly kubernetesGroups: readonly string[];
  readonly accessEntryArn?: string;
  readonly createdAt?: string;
  readonly modifiedAt?: string;
}

/** What `eks:CreateAccessEntry` takes besides the cluster. */
export interface NewAccessEntry {
  readonly principalArn: string;
  /** @default "STANDARD" */
  readonly type?: string;
  readonly username?: string;
  readonly kubernetesGroups?: readonly string[];
}

/** What `eks:UpdateAccessEntry` may change; an omitted field stays as it is. */
export interface AccessEntryChange {
  readonly username?: string;
  readonly kubernetesGroups?: readonly string[];
}

/** An `eks:UpdateClusterConfig` accepted by EKS; the change applies asynchronously. */
export interface ClusterUpdate {
  readonly id: string;
  readonly status: string;
}

/**
 * The EKS access-entry API of one region, reached through whatever identity the adapter holds.
 * Every method throws `AccessEntryApiError` when EKS refuses the call.
 */
export interface AccessEntryApi {
  /** The cluster's authentication mode (from `DescribeCluster`). */
  describeAccessConfig(cluster: string): Promise<ClusterAccessConfig>;
  /** Every access entry's principal ARN, all pages. */
  listAccessEntries(cluster: string): Promise<string[]>;
  /** The entry, or undefined when the cluster has none for this principal. */
  describeAccessEntry(cluster: string, principalArn: string): Promise<AccessEntry | undefined>;
  /** Every policy associated with the entry, all pages. */
  listAssociatedAccessPolicies(cluster: string, principalArn: string): Promise<AssociatedAccessPolicy[]>;
  /** Throws `AccessEntryApiError` with code `ResourceInUseException` (409) when the entry exists. */
  createAccessEntry(cluster: string, entry: NewAccessEntry): Promise<AccessEntry>;
  updateAccessEntry(cluster: string, principalArn: string, change: AccessEntryChange): Promise<AccessEntry>;
  /** Also removes the entry's policy associations. */
  deleteAccessEntry(cluster: string, principalArn: string): Promise<void>;
  /** Associating a policy that is already associated replaces its scope. */
  associateAccessPolicy(
    cluster: string,
    principalArn: string,
    policyArn: string,
    scope: AccessScope,
  ): Promise<AssociatedAccessPolicy>;
  disassociateAccessPolicy(cluster: string, principalArn: string, policyArn: string): Promise<void>;
  /** Moves the authentication mode forward; EKS refuses a step back or to the same mode. */
  updateAuthenticationMode(cluster: string, mode: AuthenticationMode): Promise<ClusterUpdate>;
  /** Where this API points, for humans (region or endpoint). */
  readonly target: string;
}

/** The EKS error codes the guardian reacts to; others arrive as they are. */
export const EKS_ERROR_CODES = {
  inUse: "ResourceInUseException",
  notFound: "ResourceNotFoundException",
  invalidParameter: "InvalidParameterException",
  invalidRequest: "InvalidRequestException",
  accessDenied: "AccessDeniedException",
} as const;

/** EKS refused an access-entry call: `code` is its error type, `status` the HTTP status (0 when none). */
export class AccessEntryApiError extends Error {
  override readonly name = "AccessEntryApiError";
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Makes the guardian's MAC over a message (KMS GenerateMac with the integrity key, in AWS). */
export interface MacSigner {
  /** Base64 of the MAC. Deterministic: the same message always gives the same MAC. */
  generateMac(message: string): Promise<string>;
}

/** Checks a MAC made by a {@link MacSigner} (KMS VerifyMac, in AWS). */
export interface MacVerifier {
  /** True when `mac` (base64) is the guardian's MAC of `message`; false when it is not. Throws when it cannot tell. */
  verifyMac(message: string, mac: string): Promise<boolean>;
}

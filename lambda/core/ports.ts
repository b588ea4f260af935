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
  /** Every key under `prefix`, in ascending byte order. */
  list(prefix: string): Promise<string[]>;
  /** Where `key` lives, for humans: `s3://bucket/key` or a file path. */
  locate(key: string): string;
}

/** The live aws-auth ConfigMap of one cluster, reached through whatever identity the adapter holds. */
export interface AwsAuthClient {
  /** The live object, or undefined when aws-auth does not exist (404). */
  read(): Promise<ConfigMapObject | undefined>;
  /** PUT with the resourceVersion in `object.metadata`; throws `ConflictError` on 409. */
  replace(object: ConfigMapObject): Promise<ConfigMapObject>;
  /** POST; throws `ConflictError` when it already exists (409 AlreadyExists). */
  create(object: ConfigMapObject): Promise<ConfigMapObject>;
  /** Where this client points, for humans (API server URL). */
  readonly target: string;
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

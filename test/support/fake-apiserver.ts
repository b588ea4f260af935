/**
 * An in-test Kubernetes API server for ConfigMaps, over HTTPS with a CA minted for this instance
 * only, so a client can reach it solely by trusting that CA (kubeconfig
 * `certificate-authority-data` or EKS `caData`). Status codes, Status bodies and messages follow
 * kube-apiserver (`k8s.io/apimachinery/pkg/api/errors`, `apiserver/pkg/registry/generic/registry`).
 * ConfigMap validation follows `ValidateConfigMapUpdate` (`pkg/apis/core/validation`): once
 * `immutable` is true, a change to `data`, `binaryData` or `immutable` itself is refused with 422
 * Invalid; only a delete (preconditioned on uid and resourceVersion, as DeleteOptions allow) ends it.
 *
 * Certificates come from the `openssl` CLI: Node can parse X.509 but not issue it, and no installed
 * package can either.
 */
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { dump } from "js-yaml";
import type { ConfigMapObject } from "../../lambda/core/ports.js";

const execFileAsync = promisify(execFile);

/** Who a bearer token authenticates as; `allowed: false` gets 403 on every configmaps verb. */
export interface FakeIdentity {
  readonly user: string;
  readonly allowed: boolean;
}

export interface FakeApiServerOptions {
  /** Bearer token → identity. Any other token gets 401. @default - no token is accepted */
  readonly tokens?: Readonly<Record<string, FakeIdentity>>;
  /** Consulted for tokens not in `tokens`, e.g. to accept freshly minted EKS tokens. */
  readonly authenticate?: (token: string) => FakeIdentity | undefined;
}

export interface RequestLogEntry {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly status: number;
  /** The bearer token presented, if any. */
  readonly token?: string;
}

export interface KubeconfigOptions {
  /** Name of the cluster, user and context entries. @default "fake-apiserver" */
  readonly contextName?: string;
  /** Adds a `decoy` context, pointing at a closed port, and makes it current. @default false */
  readonly decoyCurrentContext?: boolean;
  /** Leaves out certificate-authority-data, so only the system roots are trusted. @default false */
  readonly omitCertificateAuthority?: boolean;
}

/** A canned answer for the next request, whatever it is. */
export interface CannedResponse {
  readonly status: number;
  /** Sent as JSON unless a string. */
  readonly body: unknown;
}

type Hook = () => void | Promise<void>;
type Alteration = (object: ConfigMapObject) => ConfigMapObject;

interface Route {
  readonly namespace: string;
  readonly name?: string;
}

interface Certificates {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const CONFIGMAPS_PATH = /^\/api\/v1\/namespaces\/([a-z0-9.-]+)\/configmaps(?:\/([^/]+))?$/;

const VERBS: Readonly<Record<string, { readonly item?: string; readonly collection?: string }>> = {
  GET: { item: "get", collection: "list" },
  POST: { collection: "create" },
  PUT: { item: "update" },
  DELETE: { item: "delete" },
};

export class FakeApiServer {
  private readonly objects = new Map<string, ConfigMapObject>();
  private readonly log: RequestLogEntry[] = [];
  private readonly tokens: Map<string, FakeIdentity>;
  private resourceVersion = 0;
  private pendingBeforePut: Hook | undefined;
  private pendingGetAlteration: Alteration | undefined;
  private pendingCanned: CannedResponse | undefined;
  private readonly cannedByMethod = new Map<string, CannedResponse[]>();
  private pendingAfterDelete: Hook | undefined;
  private hangNext = false;

  private constructor(
    private readonly server: Server,
    private readonly certificates: Certificates,
    private readonly options: FakeApiServerOptions,
  ) {
    this.tokens = new Map(Object.entries(options.tokens ?? {}));
  }

  /** Mints a CA and a server certificate for 127.0.0.1, then listens on an ephemeral port. */
  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const certificates = await generateCertificates();
    const server = createServer({ cert: certificates.certPem, key: certificates.keyPem });
    const fake = new FakeApiServer(server, certificates, options);
    server.on("request", (request, response) => {
      fake.handle(request, response).catch((error: unknown) => {
        fake.reply(request, response, 500, failure(500, "InternalError", String(error)));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return fake;
  }

  /** `https://127.0.0.1:<port>`, as an EKS `cluster.endpoint` would be given. */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `https://127.0.0.1:${port}`;
  }

  /** The CA certificate, base64-encoded PEM, as EKS DescribeCluster returns `certificateAuthority.data`. */
  get caData(): string {
    return Buffer.from(this.certificates.caPem, "utf8").toString("base64");
  }

  /** Every request answered so far, oldest first. */
  get requests(): readonly RequestLogEntry[] {
    return [...this.log];
  }

  addToken(token: string, identity: FakeIdentity): void {
    this.tokens.set(token, identity);
  }

  /**
   * Stores `object` as a write by someone else would: a fresh resourceVersion, the existing uid
   * and creationTimestamp kept (or assigned when new). Returns what is stored.
   */
  seed(object: ConfigMapObject): ConfigMapObject {
    const namespace = object.metadata.namespace ?? "kube-system";
    const name = object.metadata.name ?? "aws-auth";
    const existing = this.objects.get(keyOf(namespace, name));
    const stored: ConfigMapObject = {
      ...structuredClone(object),
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        ...structuredClone(object.metadata),
        name,
        namespace,
        uid: existing?.metadata.uid ?? object.metadata.uid ?? randomUUID(),
        creationTimestamp:
          existing?.metadata.creationTimestamp ?? object.metadata.creationTimestamp ?? timestamp(),
        resourceVersion: this.nextResourceVersion(),
      },
    };
    this.objects.set(keyOf(namespace, name), stored);
    return structuredClone(stored);
  }

  /** A copy of the stored object, or undefined. */
  object(namespace = "kube-system", name = "aws-auth"): ConfigMapObject | undefined {
    const stored = this.objects.get(keyOf(namespace, name));
    return stored === undefined ? undefined : structuredClone(stored);
  }

  /** Deletes directly, bumping the resourceVersion like a real delete. */
  remove(namespace = "kube-system", name = "aws-auth"): boolean {
    const existed = this.objects.delete(keyOf(namespace, name));
    if (existed) this.nextResourceVersion();
    return existed;
  }

  /** Runs `hook` (typically a `seed`, i.e. a concurrent write) just before the next PUT is applied. */
  beforeNextPut(hook: Hook): void {
    this.pendingBeforePut = hook;
  }

  /** The next GET of a single object answers with `alter(copy)`; what is stored is untouched. */
  alterNextGet(alter: Alteration): void {
    this.pendingGetAlteration = alter;
  }

  /** The next authenticated request gets this answer instead of being served. */
  respondToNext(response: CannedResponse): void {
    this.pendingCanned = response;
  }

  /** The next `count` requests with this HTTP method get `response` instead of being served. */
  respondToNextOf(method: string, response: CannedResponse, count = 1): void {
    const queue = this.cannedByMethod.get(method) ?? [];
    for (let i = 0; i < count; i += 1) queue.push(response);
    this.cannedByMethod.set(method, queue);
  }

  /** Runs `hook` (e.g. a `seed`: someone re-creating aws-auth) right after the next DELETE is applied. */
  afterNextDelete(hook: Hook): void {
    this.pendingAfterDelete = hook;
  }

  /** The next request is read but never answered (until `close`), to exercise client timeouts. */
  hangNextRequest(): void {
    this.hangNext = true;
  }

  /** A kubeconfig whose only trust anchor for this server is its CA, authenticating with `token`. */
  kubeconfig(token: string, options: KubeconfigOptions = {}): string {
    const name = options.contextName ?? "fake-apiserver";
    const cluster: Record<string, string> = { server: this.url };
    if (options.omitCertificateAuthority !== true) cluster["certificate-authority-data"] = this.caData;
    const config = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name, cluster }],
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: name, user: name } }],
      "current-context": name,
    };
    if (options.decoyCurrentContext === true) {
      // Port 9 (discard) is closed on test machines: using this context fails fast with ECONNREFUSED.
      config.clusters.push({ name: "decoy", cluster: { server: "https://127.0.0.1:9" } });
      config.users.push({ name: "decoy", user: { token: "decoy-token" } });
      config.contexts.push({ name: "decoy", context: { cluster: "decoy", user: "decoy" } });
      config["current-context"] = "decoy";
    }
    return dump(config);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (this.hangNext) {
      this.hangNext = false;
      return;
    }
    const token = bearerToken(request);
    const identity = token === undefined ? undefined : this.identify(token);
    if (identity === undefined) {
      // kube-apiserver answers 401 with this exact Status, without details.
      return this.reply(request, response, 401, unauthorizedStatus());
    }
    if (this.pendingCanned !== undefined) {
      const canned = this.pendingCanned;
      this.pendingCanned = undefined;
      return this.reply(request, response, canned.status, canned.body);
    }
    const method = request.method ?? "GET";
    const byMethod = this.cannedByMethod.get(method)?.shift();
    if (byMethod !== undefined) return this.reply(request, response, byMethod.status, byMethod.body);
    const route = parseRoute(request.url ?? "/");
    const verb = route === undefined ? undefined : verbOf(method, route);
    if (route === undefined || verb === undefined) {
      return this.reply(request, response, 404, notFoundPath());
    }
    if (!identity.allowed) {
      return this.reply(request, response, 403, forbidden(identity.user, verb, route));
    }
    const [status, answer] = await this.serve(verb, route, body);
    this.reply(request, response, status, answer);
  }

  private identify(token: string): FakeIdentity | undefined {
    return this.tokens.get(token) ?? this.options.authenticate?.(token);
  }

  private async serve(verb: string, route: Route, body: string): Promise<[number, unknown]> {
    switch (verb) {
      case "get":
        return this.serveGet(route.namespace, route.name ?? "");
      case "list":
        return this.serveList(route.namespace);
      case "create":
        return this.serveCreate(route.namespace, body);
      case "update":
        return this.serveUpdate(route.namespace, route.name ?? "", body);
      default:
        return this.serveDelete(route.namespace, route.name ?? "", body);
    }
  }

  private serveGet(namespace: string, name: string): [number, unknown] {
    const stored = this.object(namespace, name);
    if (stored === undefined) return [404, notFound(name)];
    const alter = this.pendingGetAlteration;
    this.pendingGetAlteration = undefined;
    return [200, alter === undefined ? stored : alter(stored)];
  }

  private serveList(namespace: string): [number, unknown] {
    const items = [...this.objects.values()].filter((o) => o.metadata.namespace === namespace);
    return [
      200,
      {
        kind: "ConfigMapList",
        apiVersion: "v1",
        metadata: { resourceVersion: String(this.resourceVersion) },
        items,
      },
    ];
  }

  private serveCreate(namespace: string, body: string): [number, unknown] {
    const parsed = parseConfigMap(body);
    if (typeof parsed === "string") return [400, failure(400, "BadRequest", parsed)];
    const name = parsed.metadata.name;
    if (name === undefined || name === "") {
      return [
        422,
        failure(
          422,
          "Invalid",
          'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
          { kind: "ConfigMap" },
        ),
      ];
    }
    if (parsed.metadata.namespace !== undefined && parsed.metadata.namespace !== namespace) {
      return [400, failure(400, "BadRequest", NAMESPACE_MISMATCH)];
    }
    if (parsed.metadata.resourceVersion !== undefined && parsed.metadata.resourceVersion !== "") {
      // kube-apiserver reports this as a bare 500 without reason or details.
      return [500, failure(500, undefined, "resourceVersion should not be set on objects to be created")];
    }
    if (this.objects.has(keyOf(namespace, name))) {
      return [409, failure(409, "AlreadyExists", `configmaps "${name}" already exists`, details(name))];
    }
    const { uid: _uid, creationTimestamp: _created, ...metadata } = parsed.metadata;
    const stored = this.store(
      { ...parsed, metadata: { ...metadata, name, namespace } },
      randomUUID(),
      timestamp(),
    );
    return [201, stored];
  }

  private async serveUpdate(namespace: string, name: string, body: string): Promise<[number, unknown]> {
    const parsed = parseConfigMap(body);
    if (typeof parsed === "string") return [400, failure(400, "BadRequest", parsed)];
    if (parsed.metadata.name !== name) {
      const message = `the name of the object (${parsed.metadata.name ?? ""}) does not match the name on the URL (${name})`;
      return [400, failure(400, "BadRequest", message)];
    }
    if (parsed.metadata.namespace !== undefined && parsed.metadata.namespace !== namespace) {
      return [400, failure(400, "BadRequest", NAMESPACE_MISMATCH)];
    }
    const hook = this.pendingBeforePut;
    this.pendingBeforePut = undefined;
    await hook?.();
    const existing = this.objects.get(keyOf(namespace, name));
    // ConfigMaps do not allow create-on-update.
    if (existing === undefined) return [404, notFound(name)];
    const uid = parsed.metadata.uid;
    if (uid !== undefined && uid !== "" && uid !== existing.metadata.uid) {
      const message = `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata.uid}`;
      return [409, conflict(name, message)];
    }
    const version = parsed.metadata.resourceVersion;
    if (version !== undefined && version !== "" && version !== existing.metadata.resourceVersion) {
      return [409, conflict(name, OPTIMISTIC_LOCK_MESSAGE)];
    }
    const frozen = immutableViolations(existing, parsed);
    if (frozen.length > 0) return [422, invalid(name, frozen)];
    const { uid: _uid, creationTimestamp: _created, ...metadata } = parsed.metadata;
    const stored = this.store(
      { ...parsed, metadata: { ...metadata, name, namespace } },
      existing.metadata.uid ?? randomUUID(),
      existing.metadata.creationTimestamp ?? timestamp(),
    );
    return [200, stored];
  }

  private async serveDelete(namespace: string, name: string, body: string): Promise<[number, unknown]> {
    const existing = this.objects.get(keyOf(namespace, name));
    if (existing === undefined) return [404, notFound(name)];
    const failed = preconditionFailure(existing, body, keyOf(namespace, name));
    if (failed !== undefined) return [409, conflict(name, failed)];
    this.remove(namespace, name);
    const hook = this.pendingAfterDelete;
    this.pendingAfterDelete = undefined;
    await hook?.();
    const success = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      details: { name, kind: "configmaps", uid: existing.metadata.uid },
    };
    return [200, success];
  }

  private store(object: ConfigMapObject, uid: string, creationTimestamp: string): ConfigMapObject {
    const { name = "", namespace = "" } = object.metadata;
    const stored: ConfigMapObject = {
      ...object,
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { ...object.metadata, uid, creationTimestamp, resourceVersion: this.nextResourceVersion() },
    };
    this.objects.set(keyOf(namespace, name), stored);
    return structuredClone(stored);
  }

  private nextResourceVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  private reply(request: IncomingMessage, response: ServerResponse, status: number, body: unknown): void {
    const token = bearerToken(request);
    this.log.push({
      method: request.method ?? "GET",
      path: new URL(request.url ?? "/", "https://fake").pathname,
      status,
      ...(token === undefined ? {} : { token }),
    });
    const text = typeof body === "string" ? body : JSON.stringify(body);
    response.writeHead(status, { "content-type": "application/json" });
    response.end(text);
  }
}

const OPTIMISTIC_LOCK_MESSAGE =
  "the object has been modified; please apply your changes to the latest version and try again";
const NAMESPACE_MISMATCH =
  "the namespace of the provided object does not match the namespace sent on the request";

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** RFC 3339 in whole seconds, as `metav1.Time` marshals. */
function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

function parseRoute(url: string): Route | undefined {
  const match = CONFIGMAPS_PATH.exec(new URL(url, "https://fake").pathname);
  if (match === null) return undefined;
  const [, namespace = "", name] = match;
  return name === undefined ? { namespace } : { namespace, name: decodeURIComponent(name) };
}

function verbOf(method: string, route: Route): string | undefined {
  const verbs = VERBS[method];
  return route.name === undefined ? verbs?.collection : verbs?.item;
}

function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? "");
  return match?.[1];
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The body as a ConfigMap, or why it is not one (kube-apiserver answers those with 400). */
function parseConfigMap(body: string): ConfigMapObject | string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return `error decoding request body: ${String(error)}`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return "request body is not an object";
  const candidate = value as { metadata?: unknown; data?: unknown };
  if (typeof candidate.metadata !== "object" || candidate.metadata === null) return "metadata is missing";
  if (candidate.data !== undefined) {
    const values = Object.values(candidate.data as Record<string, unknown>);
    if (values.some((v) => typeof v !== "string")) return "ConfigMap data values must be strings";
  }
  return value as ConfigMapObject;
}

const IMMUTABLE_DETAIL = "Forbidden: field is immutable when `immutable` is set";

/** The fields an update may not change on an immutable ConfigMap, in kube-apiserver's order. */
function immutableViolations(existing: ConfigMapObject, updated: ConfigMapObject): string[] {
  if (existing.immutable !== true) return [];
  const fields: string[] = [];
  if (updated.immutable !== true) fields.push("immutable");
  if (!sameMap(existing.data, updated.data)) fields.push("data");
  const binary = (o: ConfigMapObject) => (o as { binaryData?: Record<string, string> }).binaryData;
  if (!sameMap(binary(existing), binary(updated))) fields.push("binaryData");
  return fields;
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const left = Object.entries(a ?? {}).sort(([x], [y]) => (x < y ? -1 : 1));
  const right = Object.entries(b ?? {}).sort(([x], [y]) => (x < y ? -1 : 1));
  return JSON.stringify(left) === JSON.stringify(right);
}

/** 422 Invalid as `errors.NewInvalid` builds it: one cause per field, messages aggregated. */
function invalid(name: string, fields: string[]): object {
  const messages = fields.map((f) => `${f}: ${IMMUTABLE_DETAIL}`);
  const aggregate = messages.length === 1 ? messages[0] : `[${messages.join(", ")}]`;
  return failure(422, "Invalid", `ConfigMap "${name}" is invalid: ${aggregate}`, {
    name,
    kind: "ConfigMap",
    causes: fields.map((field) => ({ reason: "FieldValueForbidden", message: IMMUTABLE_DETAIL, field })),
  });
}

/**
 * DeleteOptions preconditions, checked as the storage layer does; the registry reports a failure
 * as a Conflict that carries the StorageError text.
 */
function preconditionFailure(existing: ConfigMapObject, body: string, key: string): string | undefined {
  let options: { preconditions?: { uid?: unknown; resourceVersion?: unknown } } = {};
  try {
    options = body === "" ? {} : (JSON.parse(body) as typeof options);
  } catch {
    return undefined;
  }
  const { uid, resourceVersion } = options.preconditions ?? {};
  const storageError = (detail: string) =>
    `StorageError: invalid object, Code: 4, Key: /registry/configmaps/${key}, ResourceVersion: 0, AdditionalErrorMsg: ${detail}`;
  if (typeof uid === "string" && uid !== existing.metadata.uid) {
    return storageError(
      `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata.uid ?? ""}`,
    );
  }
  if (typeof resourceVersion === "string" && resourceVersion !== existing.metadata.resourceVersion) {
    return storageError(
      `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion ?? ""}`,
    );
  }
  return undefined;
}

function details(name: string): { name: string; kind: string } {
  return { name, kind: "configmaps" };
}

function failure(code: number, reason: string | undefined, message: string, detail?: object): object {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    ...(reason === undefined ? {} : { reason }),
    ...(detail === undefined ? {} : { details: detail }),
    code,
  };
}

function unauthorizedStatus(): object {
  return failure(401, "Unauthorized", "Unauthorized");
}

function notFound(name: string): object {
  return failure(404, "NotFound", `configmaps "${name}" not found`, details(name));
}

function notFoundPath(): object {
  return failure(404, "NotFound", "the server could not find the requested resource", {});
}

function conflict(name: string, why: string): object {
  return failure(
    409,
    "Conflict",
    `Operation cannot be fulfilled on configmaps "${name}": ${why}`,
    details(name),
  );
}

function forbidden(user: string, verb: string, route: Route): object {
  const subject = route.name === undefined ? "configmaps" : `configmaps "${route.name}"`;
  const message =
    `${subject} is forbidden: User "${user}" cannot ${verb} resource "configmaps" in API group "" ` +
    `in the namespace "${route.namespace}"`;
  return failure(
    403,
    "Forbidden",
    message,
    route.name === undefined ? { kind: "configmaps" } : details(route.name),
  );
}

async function generateCertificates(): Promise<Certificates> {
  const dir = await mkdtemp(join(tmpdir(), "fake-apiserver-"));
  const file = (name: string) => join(dir, name);
  const newEcKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  try {
    await openssl([
      ...["req", "-x509", ...newEcKey, "-keyout", file("ca.key"), "-out", file("ca.crt")],
      ...["-days", "2", "-subj", "/CN=fake-apiserver-ca"],
      ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    ]);
    await openssl([
      ...["req", "-new", ...newEcKey, "-keyout", file("server.key"), "-out", file("server.csr")],
      ...["-subj", "/CN=kube-apiserver"],
    ]);
    const extensions = [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ];
    await writeFile(file("server.ext"), `${extensions.join("\n")}\n`);
    await openssl([
      ...["x509", "-req", "-in", file("server.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key")],
      ...["-set_serial", `0x${randomBytes(8).toString("hex")}`, "-days", "2"],
      ...["-extfile", file("server.ext"), "-out", file("server.crt")],
    ]);
    const [caPem, certPem, keyPem] = await Promise.all(
      ["ca.crt", "server.crt", "server.key"].map((name) => readFile(file(name), "utf8")),
    );
    return { caPem: caPem ?? "", certPem: certPem ?? "", keyPem: keyPem ?? "" };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync("openssl", args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(
      `fake-apiserver needs the openssl CLI to mint its CA: openssl ${args[0]} failed: ${stderr}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * An in-test EKS access-entry API that the real `@aws-sdk/client-eks` talks to through `endpoint`.
 * moto has EKS clusters but no access entries, so this fake serves both the clusters it is seeded
 * with and their access entries, over the REST routes and JSON shapes of the EKS API reference, with
 * EKS's validation and error codes:
 *
 * - `ResourceNotFoundException` (404) for an unknown cluster, entry or association;
 * - `ResourceInUseException` (409) when an entry for the principal already exists;
 * - `InvalidParameterException` (400) for a `system:` group, a reserved username prefix
 *   (`system:`, `eks:`, `aws:`, `amazon:`, `iam:`), a username template other than `{{SessionName}}`
 *   and `{{SessionNameRaw}}`, a service-linked role, a malformed principal, username or groups on a
 *   non-standard entry, an unknown access policy or scope, and an authentication mode step that is not
 *   one step forward ("Unsupported authentication mode update from X to Y");
 * - `InvalidRequestException` (400) for access-entry calls on a `CONFIG_MAP` cluster;
 * - `AccessDeniedException` (403) for callers the test denies.
 *
 * Every call, accepted or refused, is also written down as CloudTrail would record it and delivered
 * by EventBridge (`detail-type: AWS API Call via CloudTrail`): the cluster as `requestParameters.name`,
 * path parameters (`principalArn`, and `policyArn` on disassociate) URL-encoded, body fields as sent,
 * `responseElements` echoing the result, `errorCode`/`errorMessage` on refusals.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { EKSClient } from "@aws-sdk/client-eks";

export const FAKE_ACCOUNT = "111122223333";
export const FAKE_REGION = "us-east-1";
export const POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/";

/** The access policies EKS offers (`eks:ListAccessPolicies`). */
export const ACCESS_POLICIES = [
  "AmazonEKSAdminPolicy",
  "AmazonEKSAdminViewPolicy",
  "AmazonEKSClusterAdminPolicy",
  "AmazonEKSEditPolicy",
  "AmazonEKSViewPolicy",
  "AmazonEKSAutoNodePolicy",
  "AmazonEKSBlockStoragePolicy",
  "AmazonEKSComputePolicy",
  "AmazonEKSLoadBalancingPolicy",
  "AmazonEKSNetworkingPolicy",
] as const;

const ENTRY_TYPES = ["STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "EC2"] as const;
const RESERVED_USERNAME_PREFIXES = ["system:", "eks:", "aws:", "amazon:", "iam:"] as const;
const USERNAME_TEMPLATES = new Set(["{{SessionName}}", "{{SessionNameRaw}}"]);
const MODE_STEPS: Readonly<Record<string, string>> = {
  CONFIG_MAP: "API_AND_CONFIG_MAP",
  API_AND_CONFIG_MAP: "API",
};
const PRINCIPAL = /^arn:aws[a-z-]*:iam::(\d{12}):(role|user)(\/[\x21-\x7e]*)?\/[\w+=,.@-]{1,128}$/;

/** Who signed a request: the access key id in the SigV4 `Credential=` maps to this. */
export interface FakeCaller {
  /** The `userIdentity.arn` CloudTrail records, e.g. `arn:aws:sts::…:assumed-role/Admin/alice`. */
  readonly arn: string;
  /** @default - the account in `arn` */
  readonly accountId?: string;
  readonly sourceIPAddress?: string;
  readonly userAgent?: string;
}

export interface FakeEksOptions {
  /** Access key id → caller. Unknown keys are `defaultCaller`. */
  readonly callers?: Readonly<Record<string, FakeCaller>>;
  /** @default - an `Admin` role session in FAKE_ACCOUNT */
  readonly defaultCaller?: FakeCaller;
  /** Page size for list calls when the request does not set `maxResults`. @default 100 */
  readonly pageSize?: number;
}

export interface SeedCluster {
  readonly name: string;
  /** @default "API_AND_CONFIG_MAP" */
  readonly authenticationMode?: string;
  /** The principal that created the cluster; gets an admin entry when bootstrapped. */
  readonly creatorArn?: string;
  /** @default true */
  readonly bootstrapClusterCreatorAdminPermissions?: boolean;
  /** Node roles of managed node groups: EKS creates `EC2_LINUX` entries for them when the API is enabled. */
  readonly nodeRoleArns?: readonly string[];
}

interface PolicyState {
  policyArn: string;
  accessScope: { type: string; namespaces?: string[] };
  associatedAt: string;
  modifiedAt: string;
}

interface EntryState {
  clusterName: string;
  principalArn: string;
  kubernetesGroups: string[];
  accessEntryArn: string;
  createdAt: string;
  modifiedAt: string;
  tags: Record<string, string>;
  username: string;
  type: string;
  policies: Map<string, PolicyState>;
}

interface ClusterState {
  name: string;
  arn: string;
  authenticationMode: string;
  bootstrapClusterCreatorAdminPermissions: boolean;
  nodeRoleArns: readonly string[];
  entries: Map<string, EntryState>;
  createdAt: string;
}

/** One call as CloudTrail records it, wrapped as EventBridge delivers it. */
export interface CloudTrailEventBridgeEvent {
  version: "0";
  id: string;
  "detail-type": "AWS API Call via CloudTrail";
  source: "aws.eks";
  account: string;
  time: string;
  region: string;
  resources: unknown[];
  detail: Record<string, unknown>;
}

export interface FakeEksCall {
  readonly operation: string;
  readonly status: number;
  readonly errorCode?: string;
  readonly caller: string;
  /** Set for the operations CloudTrail records as management writes the guardian watches or reads. */
  readonly event: CloudTrailEventBridgeEvent;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

type Handler = (request: ParsedRequest) => unknown;

interface ParsedRequest {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  /** The raw (still percent-encoded) path parameters, as CloudTrail records them. */
  readonly rawParams: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
}

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly operation: string;
  readonly handler: Handler;
  /** Which path parameters CloudTrail keeps percent-encoded. */
  readonly encodedInTrail: readonly string[];
}

export class FakeEks {
  readonly calls: FakeEksCall[] = [];
  private readonly clusters = new Map<string, ClusterState>();
  private readonly denied = new Map<string, Set<string> | "all">();
  private readonly failures: { operation: string; status: number; code: string; message: string }[] = [];
  private readonly routes: Route[];
  private clock = Date.parse("2026-11-29T09:00:00Z");

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    private readonly options: FakeEksOptions,
  ) {
    this.routes = this.buildRoutes();
  }

  static async start(options: FakeEksOptions = {}): Promise<FakeEks> {
    let fake: FakeEks | undefined;
    const server = createServer((request, response) => {
      void fake?.handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address() as AddressInfo;
    fake = new FakeEks(server, `http://127.0.0.1:${port}`, options);
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** An SDK client signed with `accessKeyId`, pointed at this fake. */
  client(accessKeyId = "AKIAFAKEADMIN"): EKSClient {
    return new EKSClient({
      endpoint: this.endpoint,
      region: FAKE_REGION,
      credentials: { accessKeyId, secretAccessKey: "fake-secret" },
      maxAttempts: 1,
    });
  }

  addCluster(seed: SeedCluster): void {
    const authenticationMode = seed.authenticationMode ?? "API_AND_CONFIG_MAP";
    const bootstrap = seed.bootstrapClusterCreatorAdminPermissions ?? true;
    const cluster: ClusterState = {
      name: seed.name,
      arn: `arn:aws:eks:${FAKE_REGION}:${FAKE_ACCOUNT}:cluster/${seed.name}`,
      authenticationMode,
      bootstrapClusterCreatorAdminPermissions: bootstrap,
      nodeRoleArns: seed.nodeRoleArns ?? [],
      entries: new Map(),
      createdAt: this.now(),
    };
    this.clusters.set(seed.name, cluster);
    if (authenticationMode !== "CONFIG_MAP") {
      if (bootstrap && seed.creatorArn !== undefined) {
        const entry = this.newEntry(cluster, seed.creatorArn, "STANDARD", undefined, []);
        entry.policies.set(
          `${POLICY_PREFIX}AmazonEKSClusterAdminPolicy`,
          this.policy(`${POLICY_PREFIX}AmazonEKSClusterAdminPolicy`, { type: "cluster" }),
        );
      }
      this.addNodeEntries(cluster);
    }
  }

  /** Refuse `operations` (all when omitted) with 403 AccessDeniedException for this access key. */
  deny(accessKeyId: string, operations?: readonly string[]): void {
    this.denied.set(accessKeyId, operations === undefined ? "all" : new Set(operations));
  }

  allow(accessKeyId: string): void {
    this.denied.delete(accessKeyId);
  }

  /** The next call of `operation` fails with this error (a throttle, a 500…). */
  failNext(operation: string, status: number, code: string, message = code): void {
    this.failures.push({ operation, status, code, message });
  }

  /** The CloudTrail records EventBridge would deliver for the watched writes, in call order. */
  events(): CloudTrailEventBridgeEvent[] {
    return this.calls.filter((call) => WATCHED.has(call.operation)).map((call) => call.event);
  }

  /** Out-of-band view of one cluster's state, for assertions. */
  snapshot(clusterName: string):
    | {
        authenticationMode: string;
        entries: {
          principalArn: string;
          type: string;
          username: string;
          kubernetesGroups: string[];
          policies: { policyArn: string; accessScope: { type: string; namespaces?: string[] } }[];
        }[];
      }
    | undefined {
    const cluster = this.clusters.get(clusterName);
    if (cluster === undefined) return undefined;
    return {
      authenticationMode: cluster.authenticationMode,
      entries: [...cluster.entries.values()]
        .map((entry) => ({
          principalArn: entry.principalArn,
          type: entry.type,
          username: entry.username,
          kubernetesGroups: [...entry.kubernetesGroups],
          policies: [...entry.policies.values()]
            .map((p) => ({ policyArn: p.policyArn, accessScope: structuredClone(p.accessScope) }))
            .sort((a, b) => a.policyArn.localeCompare(b.policyArn)),
        }))
        .sort((a, b) => a.principalArn.localeCompare(b.principalArn)),
    };
  }

  private buildRoutes(): Route[] {
    const route = (
      method: string,
      path: string,
      operation: string,
      handler: Handler,
      encodedInTrail: readonly string[] = [],
    ): Route => {
      const names: string[] = [];
      const source = path.replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return "([^/]+)";
      });
      return { method, pattern: new RegExp(`^${source}$`), names, operation, handler, encodedInTrail };
    };
    const entryPath = "/clusters/{clusterName}/access-entries/{principalArn}";
    return [
      route("GET", "/clusters/{name}", "DescribeCluster", (r) => this.describeCluster(r)),
      route("POST", "/clusters/{name}/update-config", "UpdateClusterConfig", (r) =>
        this.updateClusterConfig(r),
      ),
      route("GET", "/access-policies", "ListAccessPolicies", () => ({
        accessPolicies: ACCESS_POLICIES.map((name) => ({ name, arn: `${POLICY_PREFIX}${name}` })),
      })),
      route("GET", "/clusters/{clusterName}/access-entries", "ListAccessEntries", (r) => this.listEntries(r)),
      route("POST", "/clusters/{clusterName}/access-entries", "CreateAccessEntry", (r) =>
        this.createEntry(r),
      ),
      route(
        "GET",
        entryPath,
        "DescribeAccessEntry",
        (r) => ({ accessEntry: this.entryJson(this.entry(r)) }),
        ["principalArn"],
      ),
      route("POST", entryPath, "UpdateAccessEntry", (r) => this.updateEntry(r), ["principalArn"]),
      route("DELETE", entryPath, "DeleteAccessEntry", (r) => this.deleteEntry(r), ["principalArn"]),
      route(
        "GET",
        `${entryPath}/access-policies`,
        "ListAssociatedAccessPolicies",
        (r) => this.listPolicies(r),
        ["principalArn"],
      ),
      route("POST", `${entryPath}/access-policies`, "AssociateAccessPolicy", (r) => this.associate(r), [
        "principalArn",
      ]),
      route(
        "DELETE",
        `${entryPath}/access-policies/{policyArn}`,
        "DisassociateAccessPolicy",
        (r) => this.disassociate(r),
        ["principalArn", "policyArn"],
      ),
    ];
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? "/", "http://fake");
    const method = request.method ?? "GET";
    const caller = this.callerOf(request);
    const matched = this.match(method, url.pathname);
    if (matched === undefined) {
      send(
        response,
        404,
        { "x-amzn-errortype": "NotFoundException" },
        { message: `no route ${method} ${url.pathname}` },
      );
      return;
    }
    const { route, params, rawParams } = matched;
    let body: Record<string, unknown> = {};
    let status = 200;
    let result: unknown;
    let error: ApiError | undefined;
    try {
      const text = Buffer.concat(chunks).toString("utf8");
      if (text !== "") {
        const parsed: unknown = JSON.parse(text);
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
          throw new ApiError(400, "InvalidParameterException", "request body must be a JSON object");
        }
        body = parsed as Record<string, unknown>;
      }
      this.authorize(caller.accessKeyId, route.operation);
      const failure = this.failures.findIndex((f) => f.operation === route.operation);
      if (failure >= 0) {
        const [f] = this.failures.splice(failure, 1);
        if (f !== undefined) throw new ApiError(f.status, f.code, f.message);
      }
      result = route.handler({ method, params, rawParams, query: url.searchParams, body });
    } catch (caught) {
      error =
        caught instanceof ApiError
          ? caught
          : new ApiError(500, "ServerException", caught instanceof Error ? caught.message : String(caught));
      status = error.status;
    }
    const event = this.trailEvent(route, rawParams, params, body, caller, result, error);
    this.calls.push({
      operation: route.operation,
      status,
      ...(error === undefined ? {} : { errorCode: error.code }),
      caller: caller.identity.arn,
      event,
    });
    if (error !== undefined) {
      send(response, status, { "x-amzn-errortype": error.code }, { message: error.message, ...error.fields });
    } else {
      send(response, 200, {}, result);
    }
  }

  private match(
    method: string,
    pathname: string,
  ): { route: Route; params: Record<string, string>; rawParams: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const found = route.pattern.exec(pathname);
      if (found === null) continue;
      const params: Record<string, string> = {};
      const rawParams: Record<string, string> = {};
      route.names.forEach((name, index) => {
        const raw = found[index + 1] ?? "";
        rawParams[name] = raw;
        params[name] = decodeURIComponent(raw);
      });
      return { route, params, rawParams };
    }
    return undefined;
  }

  private callerOf(request: IncomingMessage): { accessKeyId: string; identity: FakeCaller } {
    const authorization = request.headers.authorization ?? "";
    const accessKeyId = /Credential=([^/]+)\//.exec(authorization)?.[1] ?? "";
    const identity = this.options.callers?.[accessKeyId] ??
      this.options.defaultCaller ?? { arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/Admin/admin-session` };
    return { accessKeyId, identity };
  }

  private authorize(accessKeyId: string, operation: string): void {
    const denied = this.denied.get(accessKeyId);
    if (denied === "all" || denied?.has(operation)) {
      const caller = this.options.callers?.[accessKeyId]?.arn ?? accessKeyId;
      throw new ApiError(
        403,
        "AccessDeniedException",
        `User: ${caller} is not authorized to perform: eks:${operation} because no identity-based policy allows the eks:${operation} action`,
      );
    }
  }

  private cluster(name: string | undefined, requireApi: boolean): ClusterState {
    const cluster = name === undefined ? undefined : this.clusters.get(name);
    if (cluster === undefined) {
      throw new ApiError(404, "ResourceNotFoundException", `No cluster found for name: ${name}.`, {
        clusterName: name ?? "",
      });
    }
    if (requireApi && cluster.authenticationMode === "CONFIG_MAP") {
      throw new ApiError(
        400,
        "InvalidRequestException",
        "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
        { clusterName: cluster.name },
      );
    }
    return cluster;
  }

  private entry(r: ParsedRequest): EntryState {
    const cluster = this.cluster(r.params.clusterName, true);
    const principalArn = r.params.principalArn ?? "";
    const entry = cluster.entries.get(principalArn);
    if (entry === undefined) {
      throw new ApiError(
        404,
        "ResourceNotFoundException",
        `The specified access entry resource is not found on cluster ${cluster.name}.`,
        { clusterName: cluster.name },
      );
    }
    return entry;
  }

  private describeCluster(r: ParsedRequest): unknown {
    const cluster = this.cluster(r.params.name, false);
    return {
      cluster: {
        name: cluster.name,
        arn: cluster.arn,
        createdAt: Date.parse(cluster.createdAt) / 1000,
        version: "1.33",
        status: "ACTIVE",
        endpoint: `https://${cluster.name}.gr7.${FAKE_REGION}.eks.amazonaws.com`,
        certificateAuthority: { data: "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==" },
        accessConfig: {
          authenticationMode: cluster.authenticationMode,
          bootstrapClusterCreatorAdminPermissions: cluster.bootstrapClusterCreatorAdminPermissions,
        },
        logging: { clusterLogging: [{ types: ["audit", "authenticator"], enabled: true }] },
      },
    };
  }

  private updateClusterConfig(r: ParsedRequest): unknown {
    const cluster = this.cluster(r.params.name, false);
    const accessConfig = r.body.accessConfig as { authenticationMode?: unknown } | undefined;
    const wanted = accessConfig?.authenticationMode;
    if (accessConfig === undefined || wanted === undefined) {
      throw new ApiError(400, "InvalidParameterException", "The fake only implements accessConfig updates.");
    }
    if (typeof wanted !== "string" || MODE_STEPS[cluster.authenticationMode] !== wanted) {
      throw new ApiError(
        400,
        "InvalidParameterException",
        `Unsupported authentication mode update from ${cluster.authenticationMode} to ${String(wanted)}`,
        { clusterName: cluster.name },
      );
    }
    const before = cluster.authenticationMode;
    cluster.authenticationMode = wanted;
    if (before === "CONFIG_MAP") this.addNodeEntries(cluster);
    return {
      update: {
        id: randomUUID(),
        status: "InProgress",
        type: "AccessConfigUpdate",
        params: [{ type: "AuthenticationMode", value: wanted }],
        createdAt: Date.parse(this.now()) / 1000,
        errors: [],
      },
    };
  }

  private listEntries(r: ParsedRequest): unknown {
    const cluster = this.cluster(r.params.clusterName, true);
    const policy = r.query.get("associatedPolicyArn");
    const arns = [...cluster.entries.values()]
      .filter((entry) => policy === null || entry.policies.has(policy))
      .map((entry) => entry.principalArn)
      .sort();
    const { items, nextToken } = this.page(arns, r.query);
    return { accessEntries: items, ...(nextToken === undefined ? {} : { nextToken }) };
  }

  private createEntry(r: ParsedRequest): unknown {
    const cluster = this.cluster(r.params.clusterName, true);
    const principalArn = typeof r.body.principalArn === "string" ? r.body.principalArn : "";
    checkPrincipal(principalArn);
    const type = r.body.type === undefined ? "STANDARD" : r.body.type;
    if (typeof type !== "string" || !(ENTRY_TYPES as readonly string[]).includes(type)) {
      throw new ApiError(
        400,
        "InvalidParameterException",
        `The access entry type ${String(type)} is not valid.`,
      );
    }
    const username = optionalString(r.body.username, "username");
    const groups = stringList(r.body.kubernetesGroups, "kubernetesGroups");
    checkIdentity(type, username, groups);
    if (cluster.entries.has(principalArn)) {
      throw new ApiError(
        409,
        "ResourceInUseException",
        `The specified access entry resource is already in use on this cluster.`,
        { clusterName: cluster.name },
      );
    }
    const entry = this.newEntry(cluster, principalArn, type, username, groups ?? []);
    return { accessEntry: this.entryJson(entry) };
  }

  private updateEntry(r: ParsedRequest): unknown {
    const entry = this.entry(r);
    const username = optionalString(r.body.username, "username");
    const groups = stringList(r.body.kubernetesGroups, "kubernetesGroups");
    checkIdentity(entry.type, username, groups);
    if (username !== undefined) entry.username = username;
    if (groups !== undefined) entry.kubernetesGroups = [...new Set(groups)];
    entry.modifiedAt = this.now();
    return { accessEntry: this.entryJson(entry) };
  }

  private deleteEntry(r: ParsedRequest): unknown {
    const entry = this.entry(r);
    this.clusters.get(entry.clusterName)?.entries.delete(entry.principalArn);
    return {};
  }

  private listPolicies(r: ParsedRequest): unknown {
    const entry = this.entry(r);
    const all = [...entry.policies.values()].sort((a, b) => a.policyArn.localeCompare(b.policyArn));
    const { items, nextToken } = this.page(all, r.query);
    return {
      clusterName: entry.clusterName,
      principalArn: entry.principalArn,
      associatedAccessPolicies: items.map((p) => policyJson(p)),
      ...(nextToken === undefined ? {} : { nextToken }),
    };
  }

  private associate(r: ParsedRequest): unknown {
    const entry = this.entry(r);
    const policyArn = typeof r.body.policyArn === "string" ? r.body.policyArn : "";
    if (!ACCESS_POLICIES.some((name) => `${POLICY_PREFIX}${name}` === policyArn)) {
      throw new ApiError(
        400,
        "InvalidParameterException",
        `The policyArn ${policyArn} is not a valid access policy.`,
      );
    }
    if (entry.type !== "STANDARD") {
      throw new ApiError(
        400,
        "InvalidParameterException",
        `Access policies can only be associated with access entries of type STANDARD.`,
      );
    }
    const scope = r.body.accessScope as { type?: unknown; namespaces?: unknown } | undefined;
    let accessScope: PolicyState["accessScope"];
    if (scope?.type === "cluster") {
      if (Array.isArray(scope.namespaces) && scope.namespaces.length > 0) {
        throw new ApiError(400, "InvalidParameterException", "namespaces must be empty for a cluster scope.");
      }
      accessScope = { type: "cluster" };
    } else if (scope?.type === "namespace") {
      const namespaces = stringList(scope.namespaces, "namespaces") ?? [];
      if (namespaces.length === 0) {
        throw new ApiError(
          400,
          "InvalidParameterException",
          "namespaces must not be empty for a namespace scope.",
        );
      }
      accessScope = { type: "namespace", namespaces: [...new Set(namespaces)] };
    } else {
      throw new ApiError(
        400,
        "InvalidParameterException",
        `The access scope type ${String(scope?.type)} is not valid.`,
      );
    }
    const existing = entry.policies.get(policyArn);
    const policy = this.policy(policyArn, accessScope, existing?.associatedAt);
    entry.policies.set(policyArn, policy);
    return {
      clusterName: entry.clusterName,
      principalArn: entry.principalArn,
      associatedAccessPolicy: policyJson(policy),
    };
  }

  private disassociate(r: ParsedRequest): unknown {
    const entry = this.entry(r);
    const policyArn = r.params.policyArn ?? "";
    if (!entry.policies.delete(policyArn)) {
      throw new ApiError(
        404,
        "ResourceNotFoundException",
        `The specified policy ${policyArn} is not associated with the access entry.`,
        { clusterName: entry.clusterName },
      );
    }
    return {};
  }

  private page<T>(items: readonly T[], query: URLSearchParams): { items: T[]; nextToken?: string } {
    const size = Number(query.get("maxResults") ?? this.options.pageSize ?? 100);
    const start = Number(query.get("nextToken") ?? "0");
    const slice = items.slice(start, start + size);
    const next = start + size;
    return next < items.length ? { items: slice, nextToken: String(next) } : { items: slice };
  }

  private newEntry(
    cluster: ClusterState,
    principalArn: string,
    type: string,
    username: string | undefined,
    groups: readonly string[],
  ): EntryState {
    const [, account = FAKE_ACCOUNT, kind = "role"] = PRINCIPAL.exec(principalArn) ?? [];
    const name = principalArn.split("/").pop() ?? "";
    const defaultUsername =
      type === "STANDARD"
        ? kind === "role"
          ? `arn:aws:sts::${account}:assumed-role/${name}/{{SessionName}}`
          : principalArn
        : type === "FARGATE_LINUX"
          ? "system:node:{{SessionName}}"
          : "system:node:{{EC2PrivateDNSName}}";
    const now = this.now();
    const entry: EntryState = {
      clusterName: cluster.name,
      principalArn,
      kubernetesGroups: [...new Set(groups)],
      accessEntryArn: `arn:aws:eks:${FAKE_REGION}:${FAKE_ACCOUNT}:access-entry/${cluster.name}/${kind}/${account}/${name}/${randomUUID()}`,
      createdAt: now,
      modifiedAt: now,
      tags: {},
      username: username ?? defaultUsername,
      type,
      policies: new Map(),
    };
    cluster.entries.set(principalArn, entry);
    return entry;
  }

  private addNodeEntries(cluster: ClusterState): void {
    for (const role of cluster.nodeRoleArns) {
      if (!cluster.entries.has(role)) this.newEntry(cluster, role, "EC2_LINUX", undefined, []);
    }
  }

  private policy(
    policyArn: string,
    accessScope: PolicyState["accessScope"],
    associatedAt?: string,
  ): PolicyState {
    const now = this.now();
    return { policyArn, accessScope, associatedAt: associatedAt ?? now, modifiedAt: now };
  }

  private entryJson(entry: EntryState): unknown {
    return {
      clusterName: entry.clusterName,
      principalArn: entry.principalArn,
      kubernetesGroups: entry.kubernetesGroups,
      accessEntryArn: entry.accessEntryArn,
      createdAt: Date.parse(entry.createdAt) / 1000,
      modifiedAt: Date.parse(entry.modifiedAt) / 1000,
      tags: entry.tags,
      username: entry.username,
      type: entry.type,
    };
  }

  /** Each call one second after the last, so records order the way the calls did. */
  private now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  private trailEvent(
    route: Route,
    rawParams: Readonly<Record<string, string>>,
    params: Readonly<Record<string, string>>,
    body: Record<string, unknown>,
    caller: { accessKeyId: string; identity: FakeCaller },
    result: unknown,
    error: ApiError | undefined,
  ): CloudTrailEventBridgeEvent {
    const time = new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, "Z");
    const requestParameters: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(params)) {
      const key = name === "clusterName" ? "name" : name;
      requestParameters[key] = route.encodedInTrail.includes(name) ? rawParams[name] : value;
    }
    Object.assign(requestParameters, body);
    const identity = caller.identity;
    const accountId = identity.accountId ?? /::(\d{12}):/.exec(identity.arn)?.[1] ?? FAKE_ACCOUNT;
    const detail: Record<string, unknown> = {
      eventVersion: "1.09",
      userIdentity: userIdentityOf(identity.arn, accountId, caller.accessKeyId),
      eventTime: time,
      eventSource: "eks.amazonaws.com",
      eventName: route.operation,
      awsRegion: FAKE_REGION,
      sourceIPAddress: identity.sourceIPAddress ?? "198.51.100.23",
      userAgent: identity.userAgent ?? "aws-cli/2.22.0 md/command#eks.create-access-entry",
      requestParameters,
      responseElements: error === undefined ? trailResponse(result) : null,
      requestID: randomUUID(),
      eventID: randomUUID(),
      readOnly: route.method === "GET",
      eventType: "AwsApiCall",
      managementEvent: true,
      recipientAccountId: FAKE_ACCOUNT,
      eventCategory: "Management",
      tlsDetails: {
        tlsVersion: "TLSv1.3",
        cipherSuite: "TLS_AES_128_GCM_SHA256",
        clientProvidedHostHeader: `eks.${FAKE_REGION}.amazonaws.com`,
      },
    };
    if (error !== undefined) {
      detail.errorCode = error.code;
      detail.errorMessage = error.message;
    }
    return {
      version: "0",
      id: randomUUID(),
      "detail-type": "AWS API Call via CloudTrail",
      source: "aws.eks",
      account: FAKE_ACCOUNT,
      time,
      region: FAKE_REGION,
      resources: [],
      detail,
    };
  }
}

const WATCHED = new Set([
  "CreateAccessEntry",
  "UpdateAccessEntry",
  "DeleteAccessEntry",
  "AssociateAccessPolicy",
  "DisassociateAccessPolicy",
  "UpdateClusterConfig",
]);

function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): void {
  response.writeHead(status, {
    "content-type": "application/json",
    "x-amzn-requestid": randomUUID(),
    ...headers,
  });
  response.end(JSON.stringify(body ?? {}));
}

/** CloudTrail echoes the result with ISO timestamps where the API answers epoch seconds. */
function trailResponse(result: unknown): unknown {
  return JSON.parse(
    JSON.stringify(result ?? {}, (key, value) =>
      (key === "createdAt" || key === "modifiedAt" || key === "associatedAt") && typeof value === "number"
        ? new Date(value * 1000).toUTCString().replace("GMT", "UTC")
        : value,
    ),
  );
}

function userIdentityOf(arn: string, accountId: string, accessKeyId: string): Record<string, unknown> {
  const assumed = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (assumed !== null) {
    const [, account, role, session] = assumed;
    return {
      type: "AssumedRole",
      principalId: `AROAFAKE${(role ?? "").toUpperCase().slice(0, 12)}:${session}`,
      arn,
      accountId,
      accessKeyId,
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          principalId: `AROAFAKE${(role ?? "").toUpperCase().slice(0, 12)}`,
          arn: `arn:aws:iam::${account}:role/${role}`,
          accountId: account,
          userName: role,
        },
        attributes: { creationDate: "2026-11-29T08:00:00Z", mfaAuthenticated: "false" },
      },
    };
  }
  return {
    type: "IAMUser",
    principalId: "AIDAFAKEUSER",
    arn,
    accountId,
    accessKeyId,
    userName: arn.split("/").pop(),
  };
}

function policyJson(policy: PolicyState): unknown {
  return {
    policyArn: policy.policyArn,
    accessScope:
      policy.accessScope.type === "namespace" ? policy.accessScope : { type: "cluster", namespaces: [] },
    associatedAt: Date.parse(policy.associatedAt) / 1000,
    modifiedAt: Date.parse(policy.modifiedAt) / 1000,
  };
}

function checkPrincipal(principalArn: string): void {
  if (!PRINCIPAL.test(principalArn)) {
    throw new ApiError(
      400,
      "InvalidParameterException",
      `The specified principalArn is invalid: ${principalArn}`,
    );
  }
  if (principalArn.includes(":role/aws-service-role/")) {
    throw new ApiError(
      400,
      "InvalidParameterException",
      "The specified principalArn is a service-linked role, which cannot be used for an access entry.",
    );
  }
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string")
    throw new ApiError(400, "InvalidParameterException", `${field} must be a string`);
  return value;
}

function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw new ApiError(400, "InvalidParameterException", `${field} must be a list of strings`);
  }
  return value as string[];
}

/** EKS's rules for the Kubernetes identity of an entry. */
function checkIdentity(
  type: string,
  username: string | undefined,
  groups: readonly string[] | undefined,
): void {
  if (type !== "STANDARD") {
    if (username !== undefined || (groups !== undefined && groups.length > 0)) {
      throw new ApiError(
        400,
        "InvalidParameterException",
        `username and kubernetesGroups cannot be specified for an access entry of type ${type}.`,
      );
    }
    return;
  }
  for (const group of groups ?? []) {
    if (group.startsWith("system:")) {
      throw new ApiError(
        400,
        "InvalidParameterException",
        `The kubernetes group name ${group} is invalid, it cannot start with system:`,
      );
    }
  }
  if (username === undefined) return;
  for (const prefix of RESERVED_USERNAME_PREFIXES) {
    if (username.startsWith(prefix)) {
      throw new ApiError(400, "InvalidParameterException", `The username must not begin with ${prefix}`);
    }
  }
  for (const template of username.match(/\{\{[^}]*\}\}/g) ?? []) {
    if (!USERNAME_TEMPLATES.has(template)) {
      throw new ApiError(
        400,
        "InvalidParameterException",
        `The username template ${template} is not supported; use {{SessionName}} or {{SessionNameRaw}}.`,
      );
    }
  }
}

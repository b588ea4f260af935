/**
 * The EKS access-entry API through `@aws-sdk/client-eks`. The client is injected, so the same code
 * talks to EKS in Lambda, to the caller's credentials in the CLI, and to the in-test fake in tests.
 */
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  DisassociateAccessPolicyCommand,
  type EKSClient,
  EKSServiceException,
  ListAccessEntriesCommand,
  ListAssociatedAccessPoliciesCommand,
  type AccessEntry as SdkAccessEntry,
  type AssociatedAccessPolicy as SdkAssociatedAccessPolicy,
  UpdateAccessEntryCommand,
  UpdateClusterConfigCommand,
} from "@aws-sdk/client-eks";
import {
  type AccessEntry,
  type AccessEntryApi,
  AccessEntryApiError,
  type AccessEntryChange,
  type AccessScope,
  type AssociatedAccessPolicy,
  AUTHENTICATION_MODES,
  type AuthenticationMode,
  type ClusterAccessConfig,
  type ClusterUpdate,
  EKS_ERROR_CODES,
  type NewAccessEntry,
} from "../core/ports.js";

/** A runaway pagination (a token that never ends) stops here instead of looping forever. */
const MAX_PAGES = 1_000;

export class EksAccessEntryApi implements AccessEntryApi {
  constructor(
    private readonly eks: EKSClient,
    readonly target = "EKS",
  ) {}

  async describeAccessConfig(cluster: string): Promise<ClusterAccessConfig> {
    const { cluster: found } = await this.call(() =>
      this.eks.send(new DescribeClusterCommand({ name: cluster })),
    );
    if (found === undefined) {
      throw new AccessEntryApiError(`EKS returned no cluster for ${cluster}`, EKS_ERROR_CODES.notFound, 404);
    }
    const mode = found.accessConfig?.authenticationMode;
    const authenticationMode: AuthenticationMode = isMode(mode) ? mode : "CONFIG_MAP";
    const bootstrap = found.accessConfig?.bootstrapClusterCreatorAdminPermissions;
    return bootstrap === undefined
      ? { authenticationMode }
      : { authenticationMode, bootstrapClusterCreatorAdminPermissions: bootstrap };
  }

  async listAccessEntries(cluster: string): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await this.call(() =>
        this.eks.send(new ListAccessEntriesCommand({ clusterName: cluster, nextToken })),
      );
      arns.push(...(answer.accessEntries ?? []));
      nextToken = answer.nextToken;
      if (nextToken === undefined || nextToken === "") return arns;
    }
    throw new AccessEntryApiError(
      `ListAccessEntries for ${cluster} did not end after ${MAX_PAGES} pages`,
      "Paging",
      0,
    );
  }

  async describeAccessEntry(cluster: string, principalArn: string): Promise<AccessEntry | undefined> {
    try {
      const { accessEntry } = await this.call(() =>
        this.eks.send(new DescribeAccessEntryCommand({ clusterName: cluster, principalArn })),
      );
      return accessEntry === undefined ? undefined : entryOf(accessEntry, principalArn);
    } catch (error) {
      if (error instanceof AccessEntryApiError && error.code === EKS_ERROR_CODES.notFound) return undefined;
      throw error;
    }
  }

  async listAssociatedAccessPolicies(
    cluster: string,
    principalArn: string,
  ): Promise<AssociatedAccessPolicy[]> {
    const policies: AssociatedAccessPolicy[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await this.call(() =>
        this.eks.send(
          new ListAssociatedAccessPoliciesCommand({ clusterName: cluster, principalArn, nextToken }),
        ),
      );
      for (const policy of answer.associatedAccessPolicies ?? []) {
        const kept = policyOf(policy);
        if (kept !== undefined) policies.push(kept);
      }
      nextToken = answer.nextToken;
      if (nextToken === undefined || nextToken === "") return policies;
    }
    throw new AccessEntryApiError(
      `ListAssociatedAccessPolicies for ${principalArn} did not end after ${MAX_PAGES} pages`,
      "Paging",
      0,
    );
  }

  async createAccessEntry(cluster: string, entry: NewAccessEntry): Promise<AccessEntry> {
    const { accessEntry } = await this.call(() =>
      this.eks.send(
        new CreateAccessEntryCommand({
          clusterName: cluster,
          principalArn: entry.principalArn,
          type: entry.type,
          username: entry.username,
          kubernetesGroups: entry.kubernetesGroups === undefined ? undefined : [...entry.kubernetesGroups],
        }),
      ),
    );
    return entryOf(accessEntry ?? {}, entry.principalArn);
  }

  async updateAccessEntry(
    cluster: string,
    principalArn: string,
    change: AccessEntryChange,
  ): Promise<AccessEntry> {
    const { accessEntry } = await this.call(() =>
      this.eks.send(
        new UpdateAccessEntryCommand({
          clusterName: cluster,
          principalArn,
          username: change.username,
          kubernetesGroups: change.kubernetesGroups === undefined ? undefined : [...change.kubernetesGroups],
        }),
      ),
    );
    return entryOf(accessEntry ?? {}, principalArn);
  }

  async deleteAccessEntry(cluster: string, principalArn: string): Promise<void> {
    await this.call(() =>
      this.eks.send(new DeleteAccessEntryCommand({ clusterName: cluster, principalArn })),
    );
  }

  async associateAccessPolicy(
    cluster: string,
    principalArn: string,
    policyArn: string,
    scope: AccessScope,
  ): Promise<AssociatedAccessPolicy> {
    const accessScope =
      scope.type === "namespace"
        ? { type: scope.type, namespaces: [...scope.namespaces] }
        : { type: scope.type };
    const { associatedAccessPolicy } = await this.call(() =>
      this.eks.send(
        new AssociateAccessPolicyCommand({ clusterName: cluster, principalArn, policyArn, accessScope }),
      ),
    );
    return (associatedAccessPolicy && policyOf(associatedAccessPolicy)) ?? { policyArn, accessScope: scope };
  }

  async disassociateAccessPolicy(cluster: string, principalArn: string, policyArn: string): Promise<void> {
    await this.call(() =>
      this.eks.send(new DisassociateAccessPolicyCommand({ clusterName: cluster, principalArn, policyArn })),
    );
  }

  async updateAuthenticationMode(cluster: string, mode: AuthenticationMode): Promise<ClusterUpdate> {
    const { update } = await this.call(() =>
      this.eks.send(
        new UpdateClusterConfigCommand({ name: cluster, accessConfig: { authenticationMode: mode } }),
      ),
    );
    return { id: update?.id ?? "", status: update?.status ?? "" };
  }

  /** Turns EKS's refusals into `AccessEntryApiError`; transport failures pass through unchanged. */
  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof EKSServiceException) {
        throw new AccessEntryApiError(error.message, error.name, error.$metadata.httpStatusCode ?? 0, {
          cause: error,
        });
      }
      throw error;
    }
  }
}

function isMode(value: unknown): value is AuthenticationMode {
  return typeof value === "string" && (AUTHENTICATION_MODES as readonly string[]).includes(value);
}

function entryOf(entry: SdkAccessEntry, principalArn: string): AccessEntry {
  return {
    principalArn: entry.principalArn ?? principalArn,
    type: entry.type ?? "STANDARD",
    ...(entry.username === undefined ? {} : { username: entry.username }),
    kubernetesGroups: [...(entry.kubernetesGroups ?? [])],
    ...(entry.accessEntryArn === undefined ? {} : { accessEntryArn: entry.accessEntryArn }),
    ...(entry.createdAt === undefined ? {} : { createdAt: entry.createdAt.toISOString() }),
    ...(entry.modifiedAt === undefined ? {} : { modifiedAt: entry.modifiedAt.toISOString() }),
  };
}

function policyOf(policy: SdkAssociatedAccessPolicy): AssociatedAccessPolicy | undefined {
  if (policy.policyArn === undefined) return undefined;
  const scopeType = policy.accessScope?.type === "namespace" ? "namespace" : "cluster";
  return {
    policyArn: policy.policyArn,
    accessScope: {
      type: scopeType,
      namespaces: scopeType === "namespace" ? [...(policy.accessScope?.namespaces ?? [])] : [],
    },
    ...(policy.associatedAt === undefined ? {} : { associatedAt: policy.associatedAt.toISOString() }),
    ...(policy.modifiedAt === undefined ? {} : { modifiedAt: policy.modifiedAt.toISOString() }),
  };
}

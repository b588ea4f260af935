/** An access-entry API in memory for the pipeline's reads: the test sets the picture EKS would return. */
import type {
  AccessEntry,
  AccessEntryApi,
  AssociatedAccessPolicy,
  AuthenticationMode,
  ClusterAccessConfig,
} from "../../lambda/core/ports.js";

/** The read half of the access-entry API over a picture the test sets; writes are not used here. */
export class PictureApi implements AccessEntryApi {
  readonly target = "memory";
  entries = new Map<string, { entry: AccessEntry; policies: AssociatedAccessPolicy[] }>();

  mode: AuthenticationMode = "API_AND_CONFIG_MAP";

  async describeAccessConfig(): Promise<ClusterAccessConfig> {
    return { authenticationMode: this.mode };
  }
  async listAccessEntries(): Promise<string[]> {
    return [...this.entries.keys()];
  }
  async describeAccessEntry(_cluster: string, arn: string): Promise<AccessEntry | undefined> {
    return this.entries.get(arn)?.entry;
  }
  async listAssociatedAccessPolicies(_cluster: string, arn: string): Promise<AssociatedAccessPolicy[]> {
    return this.entries.get(arn)?.policies ?? [];
  }
  set(arn: string, policies: AssociatedAccessPolicy[], entry: Partial<AccessEntry> = {}): void {
    this.entries.set(arn, {
      entry: { principalArn: arn, type: "STANDARD", kubernetesGroups: [], ...entry },
      policies,
    });
  }
  remove(arn: string): void {
    this.entries.delete(arn);
  }
  private refuse(): never {
    throw new Error("not used");
  }
  createAccessEntry = async (): Promise<AccessEntry> => this.refuse();
  updateAccessEntry = async (): Promise<AccessEntry> => this.refuse();
  deleteAccessEntry = async (): Promise<void> => this.refuse();
  associateAccessPolicy = async (): Promise<AssociatedAccessPolicy> => this.refuse();
  disassociateAccessPolicy = async (): Promise<void> => this.refuse();
  updateAuthenticationMode = async (): Promise<{ id: string; status: string }> => this.refuse();
}

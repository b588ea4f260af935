/**
 * cdk-nag v3 acknowledgements that name exactly one finding. `AwsSolutions-IAM5` reports each wildcard
 * resource separately as `AwsSolutions-IAM5[Resource::<flattened ARN>]`, where references are flattened to
 * `<LogicalId>`, `<LogicalId.Attribute>` and `<AWS::Partition>`; acknowledging that exact id (rather than the
 * whole rule) keeps any wildcard added later visible.
 */
import { Stack, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/** Acknowledges the IAM5 finding of each wildcard resource in `resources` on `scope`, with `reason`. */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  resources: readonly string[],
  reason: string,
): void {
  const stack = Stack.of(scope);
  for (const resource of resources) {
    const flat = flattenCfnReference(stack.resolve(resource));
    if (!flat.includes("*")) continue;
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
  }
}

/** The flattening cdk-nag 3 applies to a resolved CloudFormation value before it names a finding. */
export function flattenCfnReference(value: unknown): string {
  if (value === undefined) return "";
  // Fn::Sub's ${...} becomes <...>, like the references below.
  if (typeof value === "string") return value.replace(/\$\{/g, "<").replace(/\}/g, ">");
  if (typeof value === "object" && value !== null) {
    const node = value as Record<string, unknown>;
    const join = node["Fn::Join"];
    if (Array.isArray(join)) {
      const [delimiter, items] = join as [string, unknown[]];
      return items.map(flattenCfnReference).join(delimiter);
    }
    if (node["Fn::Sub"]) return flattenCfnReference(node["Fn::Sub"]);
    const getAtt = node["Fn::GetAtt"];
    if (Array.isArray(getAtt)) return `<${flattenCfnReference(getAtt[0])}.${flattenCfnReference(getAtt[1])}>`;
    if (node["Fn::ImportValue"]) return flattenCfnReference(node["Fn::ImportValue"]);
    if (node.Ref) return `<${flattenCfnReference(node.Ref)}>`;
  }
  return JSON.stringify(value);
}

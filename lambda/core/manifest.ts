/**
 * Reads a ConfigMap as people have it at hand: `kubectl get cm aws-auth -o yaml|json`, a `List`
 * holding it, or a version record from the snapshot store. The failsafe schema keeps every scalar a
 * string, exactly as the API server stores ConfigMap data.
 */
import yaml from "js-yaml";
import type { ConfigMapObject } from "./ports.js";

export type ManifestResult = { ok: true; configMap: ConfigMapObject } | { ok: false; error: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fromValue(value: unknown): ManifestResult {
  if (!isRecord(value)) return { ok: false, error: "not a ConfigMap: the document is not a mapping" };
  if (value.kind === "List" && Array.isArray(value.items)) {
    const found = value.items.find((item) => isRecord(item) && item.kind === "ConfigMap");
    return found ? fromValue(found) : { ok: false, error: "the List holds no ConfigMap" };
  }
  if (isRecord(value.configMap) && typeof value.id === "string") return fromValue(value.configMap);
  if (value.kind !== "ConfigMap" || !isRecord(value.metadata)) {
    return { ok: false, error: `not a ConfigMap (kind ${JSON.stringify(value.kind ?? null)})` };
  }
  const data = value.data;
  if (data !== undefined && data !== null) {
    if (!isRecord(data)) return { ok: false, error: "ConfigMap data is not a mapping" };
    const bad = Object.entries(data).find(([, v]) => typeof v !== "string");
    if (bad) return { ok: false, error: `ConfigMap data.${bad[0]} is not a string` };
  }
  const configMap = { ...value, ...(data === null ? { data: undefined } : {}) } as unknown as ConfigMapObject;
  return { ok: true, configMap };
}

export function parseConfigMapManifest(text: string): ManifestResult {
  let value: unknown;
  try {
    value = text.trimStart().startsWith("{")
      ? JSON.parse(text)
      : yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA });
  } catch (error) {
    return { ok: false, error: `cannot parse: ${(error as Error).message.split("\n")[0]}` };
  }
  return fromValue(value);
}

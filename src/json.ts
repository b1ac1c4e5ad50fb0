/**
 * Telling a JSON object apart from everything else that parsed JSON (or an error, or a kubeconfig
 * as client-node loads it) can hold: one definition for every layer.
 */
export type JsonObject = Record<string, unknown>

/** An object with keys: not null, not an array. */
export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

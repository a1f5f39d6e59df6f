import { FrameloomError, SharedErrors, type ErrorCode } from "./errors.js";

/** Small argument guards with one message shape: parameter, what was expected, what arrived. */
export const is = {
  defined: <T>(v: T | undefined | null): v is T => v !== undefined && v !== null,
  plainObject: (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype,
  integer: (v: unknown): v is number => Number.isInteger(v),
  number: (v: unknown): v is number => typeof v === "number" && Number.isFinite(v),
  string: (v: unknown): v is string => typeof v === "string",
  inRange: (v: number, min: number, max: number): boolean => v >= min && v <= max,
  inArray: <T>(v: unknown, list: readonly T[]): v is T => list.includes(v as T),
  buffer: (v: unknown): v is Buffer | Uint8Array => v instanceof Uint8Array,
};

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (value instanceof Uint8Array) return `${value.constructor.name} of ${value.byteLength} bytes`;
  if (typeof value === "object") return "object";
  return `${typeof value} ${JSON.stringify(value)}`;
}

export function invalidParameterError(
  name: string,
  expected: string,
  actual: unknown,
  code: ErrorCode = SharedErrors.INVALID_ARGUMENT,
): FrameloomError {
  return new FrameloomError(code, `Expected ${expected} for ${name} but received ${describe(actual)}`);
}

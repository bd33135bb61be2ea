/** Reading the JSON the services send: nothing in it is trusted to have the documented shape. */

/** The parsed body, or undefined when it is empty or not JSON (a proxy's page, a cut answer). */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `properties` of an ARM resource body; empty when there are none. */
export function propertiesOf(body: unknown): Record<string, unknown> {
  return isRecord(body) && isRecord(body.properties) ? body.properties : {};
}

export interface ArmErrorInfo {
  code: string;
  message: string;
}

/** The `{code, message}` of an ARM error object (`error` of a body, or a CloudError itself). */
export function readArmError(value: unknown): ArmErrorInfo | undefined {
  if (!isRecord(value)) return undefined;
  return {
    code: typeof value.code === 'string' ? value.code : '',
    message: typeof value.message === 'string' ? value.message : '',
  };
}

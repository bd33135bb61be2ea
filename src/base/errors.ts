/** An error the action explains to the user: what went wrong and, where known, how to fix it. */
export class ActionError extends Error {
  readonly fix: string | undefined;
  constructor(message: string, fix?: string) {
    super(message);
    this.name = new.target.name;
    this.fix = fix;
  }
}

/** An input that is missing or malformed; raised before any call is made. */
export class InputError extends ActionError {
  readonly input: string;
  constructor(input: string, message: string, fix?: string) {
    super(`Input '${input}': ${message}`, fix);
    this.input = input;
  }
}

/** Sign-in failed: the credential could not produce a token. */
export class SignInError extends ActionError {}

/** The service answered with an error (after retries). */
export class ServiceError extends ActionError {
  readonly status: number;
  readonly code: string;
  readonly serviceMessage: string;
  /** The `x-ms-request-id` of the failing answer, for Azure support. */
  readonly requestId: string | undefined;
  constructor(
    status: number,
    code: string,
    serviceMessage: string,
    fix?: string,
    requestId?: string,
  ) {
    super(`${code}: ${serviceMessage} (${describeAnswer(status, requestId)})`, fix);
    this.status = status;
    this.code = code;
    this.serviceMessage = serviceMessage;
    this.requestId = requestId;
  }

  /** The same error with another explanation or fix; the code, status and request id stay. */
  explained(serviceMessage: string, fix: string | undefined): ServiceError {
    return new ServiceError(this.status, this.code, serviceMessage, fix, this.requestId);
  }
}

/** `HTTP 409, x-ms-request-id 1234…`: how a failing answer is named in messages. */
export function describeAnswer(status: number, requestId: string | undefined): string {
  return `HTTP ${status}${requestId ? `, x-ms-request-id ${requestId}` : ''}`;
}

/** The request never got an answer (connection refused, reset, timed out) after retries. */
export class TransportError extends ActionError {
  /** The last failure's code (ECONNRESET, EPROXYAUTH, ECERTPIN, …), when it had one. */
  readonly code: string | undefined;
  constructor(message: string, fix?: string, code?: string) {
    super(message, fix);
    this.code = code;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The error an abort signal carries when the job is cancelled. */
export class InterruptedError extends Error {
  constructor(signalName: string) {
    super(`Interrupted by ${signalName}`);
    this.name = 'InterruptedError';
  }
}

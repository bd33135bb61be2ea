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
  constructor(status: number, code: string, serviceMessage: string, fix?: string) {
    super(`${code}: ${serviceMessage} (HTTP ${status})`, fix);
    this.status = status;
    this.code = code;
    this.serviceMessage = serviceMessage;
  }
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

/**
 * Every error Affiant raises on purpose. `name` is what a Step Functions `Retry`/`Catch`
 * matches (Lambda reports it as the error type; the worker sends it with SendTaskFailure),
 * so renaming one is a change to the state machine's contract.
 */

export interface AffiantErrorFields {
  /** State (stage) the error happened in, when known. */
  state?: string;
  /** Document file name, when the error concerns one document. */
  file?: string;
  /** 1-based page number, when the error concerns one page. */
  page?: number;
  /** Registry model id, when the error concerns a model. */
  model?: string;
  /** Provider (local, bedrock, openrouter), when the error concerns one. */
  provider?: string;
}

export class AffiantError extends Error {
  readonly state?: string;
  readonly file?: string;
  readonly page?: number;
  readonly model?: string;
  readonly provider?: string;

  constructor(message: string, fields: AffiantErrorFields = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = "Affiant.Error";
    Object.assign(this, stripUndefined(fields));
  }

  /** The shape Step Functions stores as a failure's `Cause`: message plus the typed fields. */
  toCause(): string {
    return JSON.stringify(
      stripUndefined({
        errorType: this.name,
        errorMessage: this.message,
        state: this.state,
        file: this.file,
        page: this.page,
        model: this.model,
        provider: this.provider,
      }),
    );
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function define(name: string) {
  return class extends AffiantError {
    constructor(message: string, fields: AffiantErrorFields = {}, options?: ErrorOptions) {
      super(message, fields, options);
      this.name = name;
    }
  };
}

/** Bad input given to Affiant itself: a case folder, a flag, a request body. */
export const InvalidInputError = define("Affiant.InvalidInput");
/** A PDF that cannot be read: encrypted, corrupt, empty, or a page with no text at all. */
export const DocumentUnreadableError = define("Affiant.DocumentUnreadable");
/** Prompt + output budget exceeds the model's trained context or the host's memory. */
export const ContextTooLargeError = define("Affiant.ContextTooLarge");
/** The model file is missing, unreadable, or not in the registry. */
export const ModelUnavailableError = define("Affiant.ModelUnavailable");
/** No token for longer than the stage's watchdog allows. */
export const GenerationStalledError = define("Affiant.GenerationStalled");
/** No progress of any kind (binding, plan, load, prompt, tokens) for HeartbeatSeconds + grace: the worker killed itself. */
export const WorkerStalledError = define("Affiant.WorkerStalled");
/** The state's absolute deadline (entered at + TimeoutSeconds) passed: the worker killed itself. */
export const DeadlineReachedError = define("Affiant.DeadlineReached");
/** The model cannot have all its layers on the GPU with the VRAM free: refused, not offloaded to CPU. */
export const ModelDoesNotFitError = define("Affiant.ModelDoesNotFit");
/** Every entry of a stage's fallback chain failed or was skipped; the execution ends, its outputs kept. */
export const FallbackFailedError = define("Affiant.FallbackFailed");
/** Output that never ends: token cap reached or a repetition loop detected. */
export const GenerationRunawayError = define("Affiant.GenerationRunaway");
/** Structured output that does not match its schema. */
export const InvalidModelOutputError = define("Affiant.InvalidModelOutput");
/** A drafted sentence cites a chunk id that was not among the sources in its prompt. */
export const CitationOutsidePromptError = define("Affiant.CitationOutsidePrompt");
/** The worker process died without reporting a result. */
export const WorkerCrashedError = define("Affiant.WorkerCrashed");
/** A fallback provider answered with an error. */
export const ProviderError = define("Affiant.ProviderError");
/** Every provider in a stage's fallback chain failed or none is configured. */
export const NoProviderAvailableError = define("Affiant.NoProviderAvailable");
/** A placeholder survived re-injection or has no value in the vault. */
export const PlaceholderMismatchError = define("Affiant.PlaceholderMismatch");
/** The draft's placeholders are wrong (an unknown one among them) and no rewrite is left. */
export const PlaceholderCheckFailedError = define("Affiant.PlaceholderCheckFailed");
/** The model's recent failure rate is over its breaker threshold: skipped ahead of time. */
export const CircuitOpenError = define("Affiant.CircuitOpen");
/** An execution of that name exists (names keep starts idempotent). */
export const ExecutionAlreadyExistsError = define("Affiant.ExecutionAlreadyExists");
/** Not found: a case, an execution. */
export const NotFoundError = define("Affiant.NotFound");
/** A real PII value was about to leave the account. */
export const PrivacyViolationError = define("Affiant.PrivacyViolation");
/** An AWS document service (Textract, Comprehend, KMS) failed, throttled or refused; `provider` names it. */
export const AwsServiceError = define("Affiant.AwsServiceError");
/** The PII vault cannot be opened: tampered, sealed for another case, or the key refuses it. */
export const VaultUnreadableError = define("Affiant.VaultUnreadable");
/** No attorney decided within the review window; every output of the execution is kept. */
export const ReviewExpiredError = define("Affiant.ReviewExpired");
/** A review decision for an execution not waiting in AttorneyReview, or for a gate already decided; 409. */
export const NotWaitingForReviewError = define("Affiant.NotWaitingForReview");

/** A PDF over a limit (pages per document or case, page area, extraction memory or time); the message names the file and the limit. */
export const DocumentTooLargeError = define("Affiant.DocumentTooLarge");
/** More executions running than the server allows at once. */
export const TooManyExecutionsError = define("Affiant.TooManyExecutions");
/** The case already has a running execution (a start, or new documents, must wait for it). */
export const CaseBusyError = define("Affiant.CaseBusy");

/** A case whose manifest lists documents not uploaded yet (the API answers 409; the backfill waits for it). */
export class CaseIncompleteError extends InvalidInputError {
  constructor(message: string, fields: AffiantErrorFields = {}, options?: ErrorOptions) {
    super(message, fields, options);
    this.name = "Affiant.CaseIncomplete";
  }
}
/** A GPU stage's output could not be written where the next state reads it (the local engine's task). */
export const OutputWriteFailedError = define("Affiant.OutputWriteFailed");
/** The process running an execution ended before it did (the local engine, `affiant serve`): recorded as ABORTED. */
export const InterruptedError = define("Affiant.Interrupted");
/** The API: a Host header this server does not answer to (DNS rebinding); 403. */
export const ForbiddenHostError = define("Affiant.ForbiddenHost");
/** The API: a cross-origin browser request; 403. */
export const ForbiddenOriginError = define("Affiant.ForbiddenOrigin");
/** The API: a missing or wrong bearer token; 401. */
export const UnauthorizedError = define("Affiant.Unauthorized");
/** The API: a request body over its limit; 413. */
export const RequestTooLargeError = define("Affiant.RequestTooLarge");
/** The API: a body of a type the route does not take; 415. */
export const UnsupportedMediaTypeError = define("Affiant.UnsupportedMediaType");
/** The API: the declaration of an execution that has not SUCCEEDED; 409. */
export const DeclarationNotReadyError = define("Affiant.DeclarationNotReady");
/** The API: anything unexpected; 500, its detail only in the server log. */
export const InternalError = define("Affiant.InternalError");

/**
 * Errors in AWS's own names: the local Step Functions endpoint (`affiant serve`'s `/sfn`) and
 * its SigV4 check answer as the service would (`{__type, message}`), so SDK clients see what
 * they would see from AWS. Not Affiant's names: no state machine matches on them.
 */
export class AwsProtocolError extends Error {
  constructor(
    name: string,
    message: string,
    /** HTTP status of the answer. */
    readonly status = 400,
  ) {
    super(message);
    this.name = name;
  }
}

/** A request that is not signed, or not signed right, with Signature Version 4 (403). */
export class SigV4Error extends AwsProtocolError {
  constructor(name: "MissingAuthenticationToken" | "UnrecognizedClientException" | "InvalidSignatureException", message: string) {
    super(name, message, 403);
  }
}

/** More signed requests in the replay window than the cache holds: throttled, as AWS would. */
export class ReplayCacheFullError extends AwsProtocolError {
  constructor(message: string) {
    super("ThrottlingException", message, 400);
  }
}

/** A task token answer Step Functions would refuse (the local engine's task tokens). */
export class SfnServiceError extends AwsProtocolError {
  constructor(name: "InvalidToken" | "TaskDoesNotExist" | "TaskTimedOut" | "InvalidOutput", message: string) {
    super(name, message, 400);
  }
}

/** Names Step Functions itself raises; the local engine raises the same ones. */
export const StatesErrors = {
  Timeout: "States.Timeout",
  HeartbeatTimeout: "States.HeartbeatTimeout",
  TaskFailed: "States.TaskFailed",
  All: "States.ALL",
} as const;

/** A failure as the state machine sees it: `{Error, Cause}`, with `name` set for Catch. */
export class StatesError extends Error {
  constructor(name: string, readonly causeText: string) {
    super(causeText);
    this.name = name;
  }
}

/** Any thrown value to `{name, message}` without ever including stack traces in output. */
export function describeError(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: "Error", message: String(err) };
}

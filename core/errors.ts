/**
 * Every error Affiant raises on purpose, one class per condition. A class's `errorName` (its
 * instances' `name`) is what a Step Functions `Retry`/`Catch` matches (Lambda reports it as
 * the error type; the worker sends it with SendTaskFailure), so renaming one is a change to the
 * state machine's contract; code elsewhere takes the name from the class, never writes it out.
 * A class's `status` is the API's HTTP answer to it.
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
  /** The error's `name`: what a Retry or Catch matches, and what the API answers with. */
  static readonly errorName: string = "Affiant.Error";
  /** The API's HTTP status for it; 500 answers as an internal error, its message only in the server log. */
  static readonly status: number = 500;

  readonly state?: string;
  readonly file?: string;
  readonly page?: number;
  readonly model?: string;
  readonly provider?: string;

  constructor(message: string, fields: AffiantErrorFields = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.errorName;
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

/** Bad input given to Affiant itself: a case folder, a flag, a request body. */
export class InvalidInputError extends AffiantError {
  static override readonly errorName: string = "Affiant.InvalidInput";
  static override readonly status: number = 400;
}
/** A PDF that cannot be read: encrypted, corrupt, empty, or a page with no text at all. */
export class DocumentUnreadableError extends AffiantError {
  static override readonly errorName = "Affiant.DocumentUnreadable";
}
/** Prompt + output budget exceeds the model's trained context or the host's memory. */
export class ContextTooLargeError extends AffiantError {
  static override readonly errorName = "Affiant.ContextTooLarge";
}
/** The model file is missing, unreadable, or not in the registry. */
export class ModelUnavailableError extends AffiantError {
  static override readonly errorName = "Affiant.ModelUnavailable";
}
/** No token for longer than the stage's watchdog allows. */
export class GenerationStalledError extends AffiantError {
  static override readonly errorName = "Affiant.GenerationStalled";
}
/** No progress of any kind (binding, plan, load, prompt, tokens) for HeartbeatSeconds + grace: the worker killed itself. */
export class WorkerStalledError extends AffiantError {
  static override readonly errorName = "Affiant.WorkerStalled";
}
/** The state's absolute deadline (entered at + TimeoutSeconds) passed: the worker killed itself. */
export class DeadlineReachedError extends AffiantError {
  static override readonly errorName = "Affiant.DeadlineReached";
}
/** The model cannot have all its layers on the GPU with the VRAM free: refused, not offloaded to CPU. */
export class ModelDoesNotFitError extends AffiantError {
  static override readonly errorName = "Affiant.ModelDoesNotFit";
}
/** Every entry of a stage's fallback chain failed or was skipped; the execution ends, its outputs kept. */
export class FallbackFailedError extends AffiantError {
  static override readonly errorName = "Affiant.FallbackFailed";
}
/** Output that never ends: token cap reached or a repetition loop detected. */
export class GenerationRunawayError extends AffiantError {
  static override readonly errorName = "Affiant.GenerationRunaway";
}
/** Structured output that does not match its schema. */
export class InvalidModelOutputError extends AffiantError {
  static override readonly errorName = "Affiant.InvalidModelOutput";
}
/** A drafted sentence cites a chunk id that was not among the sources in its prompt. */
export class CitationOutsidePromptError extends AffiantError {
  static override readonly errorName = "Affiant.CitationOutsidePrompt";
}
/** The worker process died without reporting a result. */
export class WorkerCrashedError extends AffiantError {
  static override readonly errorName = "Affiant.WorkerCrashed";
}
/** A fallback provider answered with an error. */
export class ProviderError extends AffiantError {
  static override readonly errorName = "Affiant.ProviderError";
}
/** Every provider in a stage's fallback chain failed or none is configured. */
export class NoProviderAvailableError extends AffiantError {
  static override readonly errorName = "Affiant.NoProviderAvailable";
}
/** A placeholder survived re-injection or has no value in the vault. */
export class PlaceholderMismatchError extends AffiantError {
  static override readonly errorName = "Affiant.PlaceholderMismatch";
}
/** The draft's placeholders are wrong (an unknown one among them) and no rewrite is left. */
export class PlaceholderCheckFailedError extends AffiantError {
  static override readonly errorName = "Affiant.PlaceholderCheckFailed";
}
/** The model's recent failure rate is over its breaker threshold: skipped ahead of time. */
export class CircuitOpenError extends AffiantError {
  static override readonly errorName = "Affiant.CircuitOpen";
}
/** An execution of that name exists (names keep starts idempotent). */
export class ExecutionAlreadyExistsError extends AffiantError {
  static override readonly errorName = "Affiant.ExecutionAlreadyExists";
  static override readonly status = 409;
}
/** Not found: a case, an execution. */
export class NotFoundError extends AffiantError {
  static override readonly errorName = "Affiant.NotFound";
  static override readonly status = 404;
}
/** A real PII value was about to leave the account. */
export class PrivacyViolationError extends AffiantError {
  static override readonly errorName = "Affiant.PrivacyViolation";
}
/** An AWS document service (Textract, Comprehend, KMS) failed, throttled or refused; `provider` names it. */
export class AwsServiceError extends AffiantError {
  static override readonly errorName = "Affiant.AwsServiceError";
}
/** The PII vault cannot be opened: tampered, sealed for another case, or the key refuses it. */
export class VaultUnreadableError extends AffiantError {
  static override readonly errorName = "Affiant.VaultUnreadable";
}
/** No attorney decided within the review window; every output of the execution is kept. */
export class ReviewExpiredError extends AffiantError {
  static override readonly errorName = "Affiant.ReviewExpired";
}
/** A review decision for an execution not waiting in AttorneyReview, or for a gate already decided; 409. */
export class NotWaitingForReviewError extends AffiantError {
  static override readonly errorName = "Affiant.NotWaitingForReview";
  static override readonly status = 409;
}

/** A review decision that answers another round than the one open (the draft under review changed); 409. */
export class ReviewRoundMismatchError extends AffiantError {
  static override readonly errorName = "Affiant.ReviewRoundMismatch";
  static override readonly status = 409;
}
/**
 * What resumed AttorneyReview is not a decision the review API recorded for this execution,
 * round and draft (a forged or replayed callback), or names notes of another execution: the
 * round fails instead of going on.
 */
export class ReviewRejectedError extends AffiantError {
  static override readonly errorName = "Affiant.ReviewRejected";
  static override readonly status = 409;
}
/** The review audit log's hash chain does not hold: an entry was changed, removed or inserted. */
export class AuditChainBrokenError extends AffiantError {
  static override readonly errorName = "Affiant.AuditChainBroken";
}
/** A review note aimed at a paragraph the attorney locked as verified, or a round with every paragraph locked. */
export class ParagraphLockedError extends AffiantError {
  static override readonly errorName = "Affiant.ParagraphLocked";
  static override readonly status = 409;
}

/** A PDF over a limit (pages per document or case, page area, extraction memory or time); the message names the file and the limit. */
export class DocumentTooLargeError extends AffiantError {
  static override readonly errorName = "Affiant.DocumentTooLarge";
}
/** More executions running than the server allows at once. */
export class TooManyExecutionsError extends AffiantError {
  static override readonly errorName = "Affiant.TooManyExecutions";
  static override readonly status = 429;
}
/** The case already has a running execution (a start, or new documents, must wait for it). */
export class CaseBusyError extends AffiantError {
  static override readonly errorName = "Affiant.CaseBusy";
  static override readonly status = 409;
}

/** A case whose manifest lists documents not uploaded yet (the API answers 409; the backfill waits for it). */
export class CaseIncompleteError extends InvalidInputError {
  static override readonly errorName = "Affiant.CaseIncomplete";
  static override readonly status = 409;
}
/** A GPU stage's output could not be written where the next state reads it (the local engine's task). */
export class OutputWriteFailedError extends AffiantError {
  static override readonly errorName = "Affiant.OutputWriteFailed";
}
/** The process running an execution ended before it did (the local engine, `affiant serve`): recorded as ABORTED. */
export class InterruptedError extends AffiantError {
  static override readonly errorName = "Affiant.Interrupted";
}
/** ECS could not place a GPU worker (RunTask `failures[]`: no capacity, a quota of 0): the Acquire goes to the fallback at once. */
export class NoGpuCapacityError extends AffiantError {
  static override readonly errorName = "Affiant.NoGpuCapacity";
  static override readonly status = 503;
}
/** A case has used every attempt at one pipeline version; it must be fixed before it runs again. */
export class AttemptsExhaustedError extends InvalidInputError {
  static override readonly errorName = "Affiant.AttemptsExhausted";
  static override readonly status = 409;
}
/** The API: a Host header this server does not answer to (DNS rebinding); 403. */
export class ForbiddenHostError extends AffiantError {
  static override readonly errorName = "Affiant.ForbiddenHost";
  static override readonly status = 403;
}
/** The API: a cross-origin browser request; 403. */
export class ForbiddenOriginError extends AffiantError {
  static override readonly errorName = "Affiant.ForbiddenOrigin";
  static override readonly status = 403;
}
/** The API: a missing or wrong bearer token; 401. */
export class UnauthorizedError extends AffiantError {
  static override readonly errorName = "Affiant.Unauthorized";
  static override readonly status = 401;
}
/** The API: a request body over its limit; 413. */
export class RequestTooLargeError extends AffiantError {
  static override readonly errorName = "Affiant.RequestTooLarge";
  static override readonly status = 413;
}
/** The API: a body of a type the route does not take; 415. */
export class UnsupportedMediaTypeError extends AffiantError {
  static override readonly errorName = "Affiant.UnsupportedMediaType";
  static override readonly status = 415;
}
/** The API: the declaration of an execution that has not SUCCEEDED; 409. */
export class DeclarationNotReadyError extends AffiantError {
  static override readonly errorName = "Affiant.DeclarationNotReady";
  static override readonly status = 409;
}
/** The API: anything unexpected; 500, its detail only in the server log. */
export class InternalError extends AffiantError {
  static override readonly errorName = "Affiant.InternalError";
}

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
  constructor(
    name: string,
    readonly causeText: string,
  ) {
    super(causeText);
    this.name = name;
  }
}

/** Any thrown value to `{name, message}` without ever including stack traces in output. */
export function describeError(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: "Error", message: String(err) };
}

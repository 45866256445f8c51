/**
 * The Step Functions context object (`$$`) that aws-local-stepfunctions is given, built once
 * for the local engine and the rehearsal: the library keeps no per-state context of its own,
 * so `$$.State.EnteredTime` is read as a state's parameters are resolved, i.e. as it is entered.
 */
export interface ContextObjectOptions {
  executionArn: string;
  executionName: string;
  input: unknown;
  /** Present so `$$.Task.Token` resolves. */
  taskToken: string;
}

export function contextObject(o: ContextObjectOptions): Record<string, unknown> {
  return {
    Execution: { Id: o.executionArn, Name: o.executionName, Input: o.input, StartTime: new Date().toISOString() },
    Task: { Token: o.taskToken },
    State: {
      get EnteredTime() {
        return new Date().toISOString();
      },
    },
  };
}

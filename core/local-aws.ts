/**
 * The account, region and ARNs of local mode, in one place: the local engine, the `/sfn`
 * endpoint, its history and the definition's local resources all name the same state
 * machine, so the AWS CLI and the console-shaped viewer see one consistent world.
 */
export const localAccount = "000000000000";
export const localRegion = "us-east-1";
export const stateMachineName = "affiant";
export const stateMachineArn = `arn:aws:states:${localRegion}:${localAccount}:stateMachine:${stateMachineName}`;
export const executionArn = (name: string) => `arn:aws:states:${localRegion}:${localAccount}:execution:${stateMachineName}:${name}`;
export const localFunctionArn = (fn: string) => `arn:aws:lambda:${localRegion}:${localAccount}:function:affiant-${fn}`;
export const localRoleArn = `arn:aws:iam::${localAccount}:role/affiant-local`;

/**
 * Walking an ASL definition, once: every reader that needs the states nested in Parallel
 * branches (or a Map's iterator) goes through `allStates`, so a new nesting is taught here.
 */
export type AslState = Record<string, unknown> & { Type: string };
/** A definition, a Parallel branch or a Map iterator: anything with `States`. */
export interface AslStates {
  States: Record<string, AslState>;
}

/** The state machines nested in one state: a Parallel's branches, a Map's iterator. */
export function nestedMachines(state: AslState): AslStates[] {
  const branches = (state.Branches ?? []) as AslStates[];
  const iterator = (state.ItemProcessor ?? state.Iterator) as AslStates | undefined;
  return iterator ? [...branches, iterator] : branches;
}

/** Every state by name, depth first, nested ones after the state that holds them. */
export function allStates(def: AslStates): Array<[string, AslState]> {
  const out: Array<[string, AslState]> = [];
  for (const [name, state] of Object.entries(def.States)) {
    out.push([name, state]);
    for (const nested of nestedMachines(state)) out.push(...allStates(nested));
  }
  return out;
}

/** Every Task state (Lambda invokes and GPU tasks), nested ones included. */
export function collectTaskStates(def: AslStates): Array<[string, AslState]> {
  return allStates(def).filter(([, state]) => state.Type === "Task");
}

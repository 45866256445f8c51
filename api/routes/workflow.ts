/** `/workflow`: the state machine's definition, for the viewer's state graph. */
import { Hono } from "hono";
import { NotFoundError } from "../../core/errors.ts";
import type { AslDefinition } from "../../workflows/definition.ts";

export function workflowRoutes(definition: AslDefinition | undefined): Hono {
  const workflow = new Hono();
  workflow.get("/", (c) => {
    if (!definition) throw new NotFoundError("no definition is attached to this API");
    return c.json(definition);
  });
  return workflow;
}

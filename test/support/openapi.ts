// Checks a value against a schema of the published OpenAPI document itself (its $refs to components
// included), so tests compare examples and real answers with exactly what /openapi.json promises.
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

export type Where = 'request' | number;

export function documentValidator(document: object) {
  // strict off: the document also holds OpenAPI's own words (paths, example, x-roles), not only schemas.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: 'openapi.json' });
  const pointer = (...segments: string[]) => segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
  return (path: string, method: string, where: Where, value: unknown): string[] => {
    const at =
      where === 'request'
        ? pointer('paths', path, method, 'requestBody', 'content', 'application/json', 'schema')
        : pointer('paths', path, method, 'responses', String(where), 'content', 'application/json', 'schema');
    const validate = ajv.compile({ $ref: `openapi.json#/${at}` });
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
  };
}

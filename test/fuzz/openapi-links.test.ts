// The OpenAPI links that let a stateful client or fuzzer follow a started release into its page,
// its approval gate, its window override and its orders (api/routes/api-docs.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { API_LINKS, addLinks, operationRef } from '../../api/routes/api-docs.js';
import { createTestApp } from '../api/api-test-app.js';

interface Link {
  operationRef: string;
  parameters: Record<string, string>;
}
interface Document {
  paths: Record<string, Record<string, { responses: Record<string, { links?: Record<string, Link> }> }>>;
}

/** Resolves `#/paths/~1a~1{b}/get` the way a client does: a JSON pointer into the document. */
function resolveOperation(document: Document, ref: string): unknown {
  const [path, method] = ref
    .replace(/^#\/paths\//, '')
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  return document.paths[path ?? '']?.[method ?? ''];
}

describe('links in the served OpenAPI document', () => {
  let document: Document;

  beforeAll(async () => {
    const { app } = await createTestApp();
    const response = await app.request('/openapi.json');
    expect(response.status).toBe(200);
    document = (await response.json()) as Document;
  });

  it('lead from a started release to its page, its approvals, its window override, its orders and what its service runs', () => {
    const links = document.paths['/api/v1/releases']?.post?.responses['201']?.links ?? {};
    expect(Object.keys(links).sort()).toEqual([
      'AttachPostmortem',
      'ConfirmChecklistItem',
      'DecideApproval',
      'DecideFailure',
      'GetRelease',
      'OrderAbort',
      'OrderRollback',
      'OverrideWindow',
    ]);
    expect(links.GetRelease).toMatchObject({
      operationRef: '#/paths/~1api~1v1~1releases~1{id}/get',
      parameters: { id: '$response.body#/id' },
    });
    expect(links.DecideApproval?.operationRef).toBe('#/paths/~1api~1v1~1releases~1{id}~1approvals/post');
    expect(links.OverrideWindow?.operationRef).toBe(
      '#/paths/~1api~1v1~1releases~1{id}~1window-override/post',
    );
    expect(links.OrderRollback?.operationRef).toBe('#/paths/~1api~1v1~1releases~1{id}~1rollback/post');
    expect(links.OrderAbort?.operationRef).toBe('#/paths/~1api~1v1~1releases~1{id}~1abort/post');
    expect(links.DecideFailure?.operationRef).toBe('#/paths/~1api~1v1~1releases~1{id}~1decision/post');
    const fromRelease = document.paths['/api/v1/releases/{id}']?.get?.responses['200']?.links ?? {};
    expect(Object.keys(fromRelease).sort()).toEqual([
      'AttachPostmortem',
      'ConfirmChecklistItem',
      'DecideApproval',
      'DecideFailure',
      'GetServiceEnvironment',
      'OrderAbort',
      'OrderRollback',
      'OverrideWindow',
    ]);
    for (const order of ['rollback', 'abort', 'decision']) {
      const back = document.paths[`/api/v1/releases/{id}/${order}`]?.post?.responses['202']?.links ?? {};
      expect(back.GetRelease?.parameters, order).toEqual({ id: '$request.path.id' });
    }
  });

  it('point only at operations the document holds, with the parameters those operations take', () => {
    let count = 0;
    for (const operations of Object.values(document.paths)) {
      for (const operation of Object.values(operations)) {
        for (const response of Object.values(operation.responses)) {
          for (const link of Object.values(response.links ?? {})) {
            count += 1;
            const target = resolveOperation(document, link.operationRef) as
              | { parameters?: { name: string; in: string }[] }
              | undefined;
            expect(target, link.operationRef).toBeDefined();
            const pathParameters = (target?.parameters ?? []).filter((parameter) => parameter.in === 'path');
            expect(Object.keys(link.parameters).sort()).toEqual(pathParameters.map((p) => p.name).sort());
          }
        }
      }
    }
    expect(count).toBe(API_LINKS.length);
  });

  it('refuses a link whose operation is missing, so a renamed route cannot leave one dangling', () => {
    const generated = {
      paths: { '/a': { post: { responses: { '201': {} } } } },
    };
    const link = {
      from: { method: 'post', path: '/a', status: '201' },
      name: 'GetB',
      to: { method: 'get', path: '/b/{id}' },
      parameters: { id: '$response.body#/id' },
      description: 'b',
    } as const;
    expect(() => addLinks(structuredClone(generated), [link])).toThrow('no operation GET /b/{id}');
    expect(() =>
      addLinks(structuredClone(generated), [{ ...link, from: { ...link.from, status: '200' } }]),
    ).toThrow('no 200 response on POST /a');
    const withTarget = { paths: { ...generated.paths, '/b/{id}': { get: { responses: {} } } } };
    expect(addLinks(withTarget, [link]).paths['/a'].post.responses['201']).toEqual({
      links: {
        GetB: { operationRef: operationRef('get', '/b/{id}'), parameters: link.parameters, description: 'b' },
      },
    });
  });
});

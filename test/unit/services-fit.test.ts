/**
 * The services framework's offer fit (frameworks/services/fit.ts), pure: acceptedResourceRoles
 * picks reserved or unreserved resources of an offer, requirePorts takes exactly the defined
 * ports (or says which is missing), and otherwise the lowest free ports, across ranges.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateApp } from '../../frameworks/services/app.js';
import { fit } from '../../frameworks/services/fit.js';
import { parseResources, reservedRole } from '../../kernel/core/resources.js';

const app = (extra: Record<string, unknown>) => {
  const v = validateApp({ id: '/a', cmd: 'x', cpus: 0.5, mem: 32, ...extra });
  if (!v.ok) throw new Error(JSON.stringify(v.error));
  return v.app;
};
const offer = [...parseResources('cpus:1;mem:64;ports:[31000-31001,31005-31010];cpus(web):2;mem(web):128;ports(web):[32000-32002]')];

test('by default any role of the offer is used; [web] only reserved, [*] only unreserved', () => {
  const any = fit(app({ role: 'web', portDefinitions: [] }), offer);
  assert.ok(any.ok);
  const reserved = fit(app({ role: 'web', acceptedResourceRoles: ['web'] }), offer);
  assert.ok(reserved.ok);
  if (reserved.ok) {
    assert.ok(reserved.resources.every((r) => reservedRole(r) === 'web'), JSON.stringify(reserved.resources));
    assert.equal(reserved.ports, [32000]);
  }
  const unreserved = fit(app({ role: 'web', acceptedResourceRoles: ['*'], cpus: 1.5 }), offer);
  assert.not.ok(unreserved.ok);
  if (!unreserved.ok) assert.match(unreserved.reason, /^insufficient cpus of role \*: needs 1\.5, the offer has 1/);
});

test('requirePorts takes exactly the defined ports, and names the one not offered', () => {
  const f = fit(app({ requirePorts: true, portDefinitions: [{ port: 31007 }, { port: 31000 }] }), offer);
  assert.ok(f.ok);
  if (f.ok) assert.equal(f.ports, [31007, 31000]);
  const miss = fit(app({ requirePorts: true, portDefinitions: [{ port: 31003 }] }), offer);
  assert.not.ok(miss.ok);
  if (!miss.ok) assert.match(miss.reason, /port 31003 not offered \(requirePorts\)/);
});

test('without requirePorts: the lowest free ports, across ranges; the rest is left for the next instance', () => {
  const f = fit(app({ portDefinitions: [{ port: 0 }, { port: 0 }, { port: 80 }], acceptedResourceRoles: ['*'] }), offer);
  assert.ok(f.ok);
  if (!f.ok) return;
  assert.equal(f.ports, [31000, 31001, 31005]);
  const g = fit(app({ portDefinitions: [{ port: 0 }], acceptedResourceRoles: ['*'], cpus: 0.1, mem: 1 }), f.rest);
  assert.ok(g.ok);
  if (g.ok) assert.equal(g.ports, [31006]);
});

test.run();

/**
 * Roles: Mesos's hierarchical role names (`eng/backend/batch`), their validation and the tree
 * relations the allocator, reservations and quota need. Pure.
 */

/** The role everything unreserved belongs to, and the default role of a framework. */
export const DEFAULT_ROLE = '*';

/**
 * Mesos's role-name rules (master/validation, src/common/roles.cpp): "*", or '/'-separated
 * components that are not empty, ".", ".." or "*", do not start with '-', and hold no whitespace
 * or backspace. Returns the reason a role is invalid, or undefined.
 */
export function roleError(role: string): string | undefined {
  if (role === '*') return undefined;
  if (role === '') return 'role names cannot be the empty string';
  if (role.startsWith('/')) return `role '${role}' cannot start with a slash`;
  if (role.endsWith('/')) return `role '${role}' cannot end with a slash`;
  if (role.includes('//')) return `role '${role}' cannot contain two adjacent slashes`;
  for (const component of role.split('/')) {
    if (component === '.' || component === '..' || component === '*') {
      return `role '${role}' cannot include '${component}' as a component`;
    }
    if (component.startsWith('-')) return `role component '${component}' is invalid because it starts with a dash`;
    if (/[\s\b]/.test(component)) {
      return `role component '${component}' is invalid because it contains backspace or whitespace`;
    }
  }
  return undefined;
}

/** The parent of a role (`eng/backend` → `eng`); a top-level role's parent is the root (''). */
export function parentRole(role: string): string {
  const i = role.lastIndexOf('/');
  return i === -1 ? '' : role.slice(0, i);
}

/** Strict ancestors, nearest first (`a/b/c` → `a/b`, `a`). `*` has none. */
export function ancestors(role: string): string[] {
  const out: string[] = [];
  if (role === DEFAULT_ROLE) return out;
  for (let p = parentRole(role); p !== ''; p = parentRole(p)) out.push(p);
  return out;
}

/** `a` is `b` or one of its ancestors (`eng` for `eng/backend`). */
export function isAncestorOrSelf(a: string, b: string): boolean {
  return a === b || (a !== DEFAULT_ROLE && b.startsWith(`${a}/`));
}

/** Can resources reserved for `owner` ('*' = unreserved) be offered to a framework in `role`? */
export function allocatableTo(owner: string, role: string): boolean {
  return owner === DEFAULT_ROLE || isAncestorOrSelf(owner, role);
}

/** The top-level role of a role (`eng/backend` → `eng`). */
export function topLevel(role: string): string {
  const i = role.indexOf('/');
  return i === -1 ? role : role.slice(0, i);
}

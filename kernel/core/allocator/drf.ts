/**
 * Hierarchical weighted Dominant Resource Fairness, as Mesos's sorters: a tree of roles
 * (`eng/backend` under `eng`), each node keeping its children in a heap ordered by dominant share
 * — the largest fraction of any cluster resource the node's subtree holds (offered or used),
 * divided by the role's weight — lowest first; ties by the number of allocations, then by name. A
 * role's own frameworks are a child of the role node (Mesos's virtual leaf `role/.`), sharing the
 * role's weight, and are ordered among themselves by their own dominant share in that role.
 *
 * The allocator walks the tree in order by popping a node's children one at a time and pushing
 * them back, so it never re-sorts: an allocation updates the shares on the path from the framework
 * to the root in O(depth · log width), and a walk that stops at the first taker costs the same.
 */
import { DEFAULT_ROLE, parentRole } from '../roles.js';
import type { FrameworkState, State } from '../state.js';
import { addInto, cloneQ, type Quantities, QUANTITY_NAMES, zeroQ } from '../quantities.js';
import { type HeapItem, IndexedHeap } from './heap.js';

export interface FrameworkClient extends HeapItem {
  readonly kind: 'framework';
  readonly framework: FrameworkState;
  readonly role: string;
  readonly group: Group;
  readonly alloc: Quantities;
  share: number;
  allocations: number;
  readonly name: string;
}

/** A role's own frameworks. */
export interface Group extends HeapItem {
  readonly kind: 'group';
  readonly role: string;
  readonly node: RoleNode;
  readonly clients: IndexedHeap<FrameworkClient>;
  /** The role's own allocation (not its descendants'). */
  readonly alloc: Quantities;
  share: number;
  allocations: number;
  readonly name: string;
}

export interface RoleNode extends HeapItem {
  readonly kind: 'role';
  readonly name: string;
  readonly weight: number;
  readonly parent: RoleNode | null;
  readonly children: IndexedHeap<RoleNode | Group>;
  group: Group | null;
  /** The subtree's allocation. */
  readonly alloc: Quantities;
  share: number;
  allocations: number;
}

export type Child = RoleNode | Group;

/** max over resources of allocation / total, divided by the weight. */
export function dominantShare(alloc: Quantities, totals: Quantities, weight = 1): number {
  let share = 0;
  for (const r of QUANTITY_NAMES) {
    const t = totals[r];
    if (t > 0) {
      const s = alloc[r] / t;
      if (s > share) share = s;
    }
  }
  return share / weight;
}

interface Ordered {
  share: number;
  allocations: number;
  readonly name: string;
}
const before = (a: Ordered, b: Ordered): boolean =>
  a.share !== b.share ? a.share < b.share : a.allocations !== b.allocations ? a.allocations < b.allocations : a.name < b.name;

export class DrfTree {
  readonly root: RoleNode;
  readonly nodes = new Map<string, RoleNode>();
  readonly clients: FrameworkClient[] = [];
  /** Called for every role node whose share an allocation moved (after the move). */
  onShareChange: ((n: RoleNode) => void) | undefined;

  constructor(
    readonly totals: Quantities,
    private readonly weightOf: (role: string) => number,
  ) {
    this.root = this.newNode('', null);
  }

  private newNode(name: string, parent: RoleNode | null): RoleNode {
    const n: RoleNode = {
      kind: 'role',
      name,
      weight: name === '' ? 1 : this.weightOf(name),
      parent,
      children: new IndexedHeap<Child>(before),
      group: null,
      alloc: zeroQ(),
      share: 0,
      allocations: 0,
      heapIndex: -1,
    };
    this.nodes.set(name, n);
    return n;
  }

  /** The node of a role, with its ancestors (not yet in their parents' heaps: see `seal`). */
  node(role: string): RoleNode {
    const had = this.nodes.get(role);
    if (had !== undefined) return had;
    const p = role === DEFAULT_ROLE ? '' : parentRole(role);
    return this.newNode(role, p === '' ? this.root : this.node(p));
  }

  addClient(f: FrameworkState, role: string, alloc: Quantities | undefined, allocations = 0): FrameworkClient {
    const n = this.node(role);
    if (n.group === null) {
      n.group = {
        kind: 'group',
        role,
        node: n,
        clients: new IndexedHeap<FrameworkClient>(before),
        alloc: zeroQ(),
        share: 0,
        allocations: 0,
        name: `${role}/.`,
        heapIndex: -1,
      };
    }
    const c: FrameworkClient = {
      kind: 'framework',
      framework: f,
      role,
      group: n.group,
      alloc: alloc === undefined ? zeroQ() : cloneQ(alloc),
      share: 0,
      allocations,
      name: f.id,
      heapIndex: -1,
    };
    c.share = dominantShare(c.alloc, this.totals);
    this.clients.push(c);
    return c;
  }

  /**
   * Count the roles' allocations (each into its node and its ancestors' nodes that exist), then put
   * every node, group and client into its heap.
   */
  seal(roles: State['roles']): void {
    for (const [role, acc] of roles) {
      const own = this.nodes.get(role);
      if (own?.group != null) {
        addInto(own.group.alloc, acc.allocated);
        own.group.allocations += acc.offers;
      }
      for (let r = role; r !== ''; r = parentRole(r)) {
        const n = this.nodes.get(r);
        if (n !== undefined) {
          addInto(n.alloc, acc.allocated);
          n.allocations += acc.offers;
        }
      }
      addInto(this.root.alloc, acc.allocated);
    }
    for (const n of this.nodes.values()) {
      if (n === this.root) continue;
      n.share = dominantShare(n.alloc, this.totals, n.weight);
      n.parent!.children.push(n);
    }
    for (const n of this.nodes.values()) {
      const g = n.group;
      if (g === null) continue;
      g.share = dominantShare(g.alloc, this.totals, n.weight);
      n.children.push(g);
    }
    for (const c of this.clients) c.group.clients.push(c);
  }

  /** Record an allocation to a client: its share, its group's and its ancestors' shares move. */
  allocated(c: FrameworkClient, q: Quantities): void {
    addInto(c.alloc, q);
    c.allocations++;
    c.share = dominantShare(c.alloc, this.totals);
    c.group.clients.update(c);
    const g = c.group;
    addInto(g.alloc, q);
    g.allocations++;
    g.share = dominantShare(g.alloc, this.totals, g.node.weight);
    g.node.children.update(g);
    for (let n: RoleNode | null = g.node; n !== null; n = n.parent) {
      addInto(n.alloc, q);
      n.allocations++;
      if (n.parent !== null) {
        n.share = dominantShare(n.alloc, this.totals, n.weight);
        n.parent.children.update(n);
        this.onShareChange?.(n);
      }
    }
  }
}

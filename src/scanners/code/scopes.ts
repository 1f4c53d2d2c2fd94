import type { Node } from 'web-tree-sitter';

/**
 * What a name is bound to at one binding site:
 * - `import`: a module or an imported member, by qualified name (`import a.b as c` binds `c` to `a.b`);
 * - `value`: an assignment, whose right-hand side is resolved on demand in the scope it was made in;
 * - `parameter`: a parameter of `function` (a `def` or `lambda` node), which taint reads for web handlers;
 * - `function`: a `def`, whose return values taint follows;
 * - `derived`: a value computed from others without being one of them: a loop variable (from the iterable), an
 *   augmented assignment (from the old value and the right-hand side), an unpacked tuple element;
 * - `opaque`: anything else (a class, a caught exception): the name no longer means an import.
 * Only `import` and `value` bindings resolve to qualified names; the others shadow.
 */
export type Binding =
  | { readonly kind: 'import'; readonly position: number; readonly qualifiedName: string }
  | { readonly kind: 'value'; readonly position: number; readonly value: Node; readonly scope: Scope }
  | { readonly kind: 'parameter'; readonly position: number; readonly function: Node; readonly name: string }
  | { readonly kind: 'function'; readonly position: number; readonly node: Node; readonly body: Scope }
  | {
      readonly kind: 'derived';
      readonly position: number;
      readonly from: readonly Node[];
      readonly scope: Scope;
    }
  | { readonly kind: 'opaque'; readonly position: number };

export type ScopeKind = 'module' | 'function' | 'class';

/** A Python scope: the module, a function or lambda, or a class body. */
export class Scope {
  readonly kind: ScopeKind;
  readonly parent: Scope | undefined;
  private readonly bindings = new Map<string, Binding[]>();
  /** Names declared `global` here: they bind in the module scope, not this one. */
  private readonly globalNames = new Set<string>();
  /** Names declared `nonlocal` here: they bind in the enclosing scope. */
  private readonly nonlocalNames = new Set<string>();

  constructor(kind: ScopeKind, parent: Scope | undefined) {
    this.kind = kind;
    this.parent = parent;
  }

  declareGlobal(name: string): void {
    if (this.parent !== undefined) this.globalNames.add(name);
  }

  declareNonlocal(name: string): void {
    if (this.parent !== undefined) this.nonlocalNames.add(name);
  }

  /** The scope that assignments to `name` made here bind in. */
  private owner(name: string): Scope {
    if (this.globalNames.has(name)) return this.moduleScope();
    if (this.nonlocalNames.has(name) && this.parent !== undefined) return this.parent.owner(name);
    return this;
  }

  bind(name: string, binding: Binding): void {
    // `global x` and `nonlocal x` make assignments to x bind in an outer scope.
    const owner = this.owner(name);
    if (owner !== this) {
      owner.bind(name, binding);
      return;
    }
    const list = this.bindings.get(name);
    if (list === undefined) this.bindings.set(name, [binding]);
    else list.push(binding);
  }

  moduleScope(): Scope {
    return this.parent === undefined ? this : this.parent.moduleScope();
  }

  /**
   * The bindings a use of `name` at `position` may see, following Python's rules: the innermost scope that
   * binds the name, skipping class bodies for uses inside their methods. In the use's own scope, the last
   * binding before the use wins (straight-line approximation); an enclosing scope contributes all its bindings,
   * since the function may run at any time. `undefined` means the name is bound nowhere in the file (a builtin).
   */
  lookup(
    name: string,
    position: number,
    own = true,
  ): { bindings: readonly Binding[]; total: number } | undefined {
    const owner = this.owner(name);
    if (owner !== this) return owner.lookup(name, position, false);
    const list = own || this.kind !== 'class' ? this.bindings.get(name) : undefined;
    if (list !== undefined) {
      const before = own ? list.filter((binding) => binding.position <= position) : [];
      const last = before.at(-1);
      return { bindings: last === undefined ? list : [last], total: list.length };
    }
    return this.parent?.lookup(name, position, false);
  }
}

// Just enough typing of @babel/core for scripts/build.ts and scripts/dialect-gate.ts.
// @babel/core 7 ships no .d.ts and @types/babel__core is not installed (no new packages);
// the AST node types come from @babel/types, which does ship them.
declare module "@babel/core" {
  import type * as BabelTypes from "@babel/types";

  export const types: typeof BabelTypes;

  export interface Binding {
    path: NodePath;
    kind: string;
    constantViolations: NodePath[];
    referencePaths: NodePath[];
    scope: Scope;
  }
  export interface Scope {
    getBinding(name: string): Binding | undefined;
    getFunctionParent(): Scope | null;
    getProgramParent(): Scope;
  }
  export interface NodePath<T extends BabelTypes.Node = BabelTypes.Node> {
    node: T;
    parentPath: NodePath;
    scope: Scope;
    isFunction(): boolean;
    isVariableDeclarator(): this is NodePath<BabelTypes.VariableDeclarator>;
    isAssignmentExpression(): this is NodePath<BabelTypes.AssignmentExpression>;
    isUnaryExpression(opts?: Partial<BabelTypes.UnaryExpression>): boolean;
    isReferencedIdentifier(): boolean;
  }
  type VisitFn<T extends BabelTypes.Node> = (path: NodePath<T>) => void;
  export type Visitor = {
    [K in BabelTypes.Node["type"]]?: VisitFn<Extract<BabelTypes.Node, { type: K }>>;
  } & {
    Function?: VisitFn<BabelTypes.Function>;
    Class?: VisitFn<BabelTypes.Class>;
    [combined: string]: VisitFn<any> | undefined;
  };

  export interface TransformOptions {
    [key: string]: unknown;
  }
  export interface BabelFileResult {
    code?: string | null;
    map?: { version: number; sources: string[]; mappings: string; names?: string[]; sourceRoot?: string } | null;
  }
  export function transformSync(code: string, opts?: TransformOptions): BabelFileResult | null;
  export function parseSync(code: string, opts?: TransformOptions): BabelTypes.File | null;
  export function traverse(ast: BabelTypes.Node, visitor: Visitor): void;
}

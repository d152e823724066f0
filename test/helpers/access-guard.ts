import path from 'node:path';
import ts from 'typescript';

// Reads the code with the TypeScript compiler and lists every place where archive rows can be
// reached without saying whose access it is. Three rules:
//  1. an exported function of a *.repo.ts that reads the archive's own rows (items, their versions,
//     their files) takes a ScopedQuery or an AccessContext;
//  2. an exported function of a *.service.ts that touches archive rows (its own SQL names a guarded
//     table, or it calls a repo function that does, or a function that itself requires an access
//     context) takes an access context: a parameter, or a required `access` property of one;
//  3. systemContext(...) is called only where a system caller lives.
// Each exception is listed with its reason in ALLOWED below; a new one is a reviewed change.

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Tables whose rows are archive content, files, grants or the audit trail. */
const GUARDED_TABLES = [
  'archive_item',
  'archive_item_version',
  'item_file',
  'access_request',
  'access_request_item',
  'integrity_event',
];
/** The archive's own rows: a repo reading these takes the scope itself (rule 1). */
const SCOPED_TABLES = ['archive_item', 'archive_item_version', 'item_file'];

/** Types that carry who acts: the context, its two kinds, the scoped query, the signed-in principal. */
const ACCESS_TYPES = new Set([
  'AccessContext',
  'PrincipalContext',
  'SystemContext',
  'ScopedQuery',
  'Principal',
]);

/**
 * `file:function` exempt from rules 1 and 2, each with why. (A repo function keyed by an item id
 * works on an item its caller already found through a context, and is exempt from rule 1 as such;
 * the service calling it still needs the context under rule 2.)
 */
export const ALLOWED: Record<string, string> = {
  'catalog/item.repo.ts:insertItems': 'writes the rows being filed; fileItems checked each against the scope',
  'catalog/catalog.repo.ts:fondsHasItems': 'whether any item uses a fonds (scheme administration), no row',
  'catalog/catalog.repo.ts:categoryInUse': 'whether any item uses a category (scheme administration), no row',
  'catalog/sealing.repo.ts:hasSealedItemIdNumbers': 'start-up sealing of stored ID numbers, returns no row',
  'catalog/sealing.repo.ts:sealPlainItemIdNumbers': 'start-up sealing of stored ID numbers, returns no row',
  'catalog/sequence-numbers.repo.ts:sequenceNumbers': 'the numbers of a 档号 sequence (gaps), no content',
  'duplicates/duplicates.repo.ts:flagSameBusiness':
    'flags items just filed against all others; returns ids only',
  'duplicates/duplicates.repo.ts:flagSameSerial':
    'flags an item just pushed against all others; returns ids only',
  'access/grant.repo.ts:requestItems':
    'the 档号 of a request’s items, for the grant service acting for a principal',
  'catalog/item.queries.ts:comparableItems':
    'the duplicates check compares items just filed against all others; it returns ids only',
  'catalog/item.queries.ts:itemLabels':
    'labels of a request’s items, joined by the grant service acting for a principal',
  'storage/file.service.ts:attachStaged': 'attaches to an item its caller resolved (getItem/itemForChange)',
  'catalog/hold.repo.ts:heldItemsSql':
    'ids of the items under an active hold (冻结), for destruction and transfer to refuse them; no row',
};

/** Files that hold SQL: a module's repos, and the query fragments it exports to others (*.queries.ts). */
const QUERY_FILE = /[.](repo|queries)[.]ts$/;

const ITEM_KEYS = new Set(['itemId', 'itemIds', 'id', 'ids', 'item']);

/** Files that may name a system context: the system callers and the command line run on the server. */
export const SYSTEM_CALLERS = new Set([
  'src/modules/verify/verify.service.ts',
  'src/modules/search/indexer.ts',
  'src/modules/use/use.follower.ts',
  'src/modules/insured/views.follow.ts',
  'src/modules/lending/reminder.job.ts',
  'src/modules/disposition/expiry.job.ts',
  'src/cli/commands/integrity.ts',
  'src/cli/commands/user.ts',
  'src/modules/demo/demo.service.ts',
  'src/modules/check/check.service.ts',
  'src/modules/scan/ocr.service.ts',
  'src/cli/commands/ocr.ts',
  'src/modules/disposition/reapply.ts',
  'src/modules/disposition/destruction.carry.ts',
  'src/modules/transfer/package.ts',
]);

const callsSystemContext = (node: ts.Node): boolean =>
  (ts.isCallExpression(node) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'systemContext') ||
  (ts.forEachChild(node, callsSystemContext) ?? false);

const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');
const moduleKey = (file: string) => rel(file).replace(/^src\/modules\//, '');

function exportedFunctions(sf: ts.SourceFile): Array<{ name: string; node: ts.SignatureDeclaration }> {
  const found: Array<{ name: string; node: ts.SignatureDeclaration }> = [];
  for (const statement of sf.statements) {
    const exported = ts
      .getModifiers(statement as ts.HasModifiers)
      ?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword);
    if (!exported) continue;
    if (ts.isFunctionDeclaration(statement) && statement.name && statement.body)
      found.push({ name: statement.name.text, node: statement });
    if (ts.isVariableStatement(statement))
      for (const declaration of statement.declarationList.declarations) {
        const init = declaration.initializer;
        if (
          ts.isIdentifier(declaration.name) &&
          init &&
          (ts.isArrowFunction(init) || ts.isFunctionExpression(init))
        )
          found.push({ name: declaration.name.text, node: init });
      }
  }
  return found;
}

const namesTable = (text: string, tables: readonly string[]) =>
  tables.some((table) => new RegExp(`['\`\\s(]${table}( as \\w+)?['\`\\s)]`).test(text));

function typeNames(type: ts.Type): string[] {
  const names: string[] = [];
  const add = (one: ts.Type) => {
    const symbol = one.aliasSymbol ?? one.getSymbol();
    if (symbol) names.push(symbol.getName());
  };
  add(type);
  if (type.isUnion()) for (const member of type.types) add(member);
  return names;
}

function carriesAccess(checker: ts.TypeChecker, type: ts.Type): boolean {
  const nonNull = checker.getNonNullableType(type);
  if (nonNull !== type) return false; // an optional context is no context
  if (typeNames(type).some((name) => ACCESS_TYPES.has(name))) return true;
  for (const part of type.isIntersection() ? type.types : [type]) {
    const access = part.getProperty('access');
    if (!access || access.flags & ts.SymbolFlags.Optional) continue;
    const declaration = access.valueDeclaration ?? access.declarations?.[0];
    if (
      declaration &&
      typeNames(checker.getTypeOfSymbolAtLocation(access, declaration)).some((n) => ACCESS_TYPES.has(n))
    )
      return true;
  }
  return false;
}

function takesAccess(checker: ts.TypeChecker, node: ts.SignatureDeclaration): boolean {
  // A query fragment other modules compose may take the resolved scope itself (required, never all).
  const fragment = node.getSourceFile().fileName.endsWith('.queries.ts');
  return node.parameters.some(
    (parameter) =>
      !parameter.questionToken &&
      (carriesAccess(checker, checker.getTypeAtLocation(parameter)) ||
        (fragment && typeNames(checker.getTypeAtLocation(parameter)).includes('ItemScope'))),
  );
}

function calledDeclarations(checker: ts.TypeChecker, body: ts.Node): ts.SignatureDeclaration[] {
  const found: ts.SignatureDeclaration[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      let symbol = checker.getSymbolAtLocation(node.expression);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      for (const declaration of symbol?.declarations ?? []) {
        if (ts.isFunctionDeclaration(declaration)) found.push(declaration);
        else if (
          ts.isVariableDeclaration(declaration) &&
          declaration.initializer &&
          ts.isArrowFunction(declaration.initializer)
        )
          found.push(declaration.initializer);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(body);
  return found;
}

/** Every violation in the program, as `path:function: why` lines (empty when access holds by construction). */
export function accessViolations(program: ts.Program): string[] {
  const checker = program.getTypeChecker();
  const problems: string[] = [];
  const sources = program
    .getSourceFiles()
    .filter((sf) => rel(sf.fileName).startsWith('src/') && !sf.fileName.endsWith('.test.ts'));
  // A repo function touches archive rows if its SQL names a guarded table, or if it composes another
  // repo's function that does (a catalog fragment such as comparableItems hides the table's name).
  const touchingMemo = new Map<ts.SignatureDeclaration, boolean>();
  const touching = (declaration: ts.SignatureDeclaration): boolean => {
    const known = touchingMemo.get(declaration);
    if (known !== undefined) return known;
    touchingMemo.set(declaration, false); // a cycle adds nothing
    const file = declaration.getSourceFile().fileName;
    const name =
      declaration.name?.getText() ?? (declaration.parent as ts.VariableDeclaration).name?.getText();
    const result =
      QUERY_FILE.test(file) &&
      !ALLOWED[`${moduleKey(file)}:${name}`] &&
      (namesTable(declaration.getText(), GUARDED_TABLES) ||
        calledDeclarations(checker, declaration).some(
          (callee) => callee !== declaration && touching(callee),
        ));
    touchingMemo.set(declaration, result);
    return result;
  };
  for (const sf of sources) {
    const file = rel(sf.fileName);
    const isRepo = file.startsWith('src/modules/') && QUERY_FILE.test(file);
    const isService = file.startsWith('src/modules/') && file.endsWith('.service.ts');
    for (const { name, node } of isRepo || isService ? exportedFunctions(sf) : []) {
      const key = `${moduleKey(sf.fileName)}:${name}`;
      if (ALLOWED[key] || takesAccess(checker, node)) continue;
      // A system caller names its own context (rule 3 keeps that to the system callers).
      if (SYSTEM_CALLERS.has(file) && (callsSystemContext(node) || callsSystemContext(sf))) continue;
      const text = node.getText();
      const keyed = node.parameters.some((parameter) => ITEM_KEYS.has(parameter.name.getText()));
      if (isRepo && !keyed && namesTable(text, SCOPED_TABLES))
        problems.push(`${file}:${name}: reads archive rows without a ScopedQuery`);
      if (!isService) continue;
      const reason = namesTable(text, GUARDED_TABLES)
        ? 'queries a guarded table itself'
        : calledDeclarations(checker, node).some((callee) => touching(callee))
          ? 'calls a repo that touches archive rows'
          : calledDeclarations(checker, node).some((callee) => takesAccess(checker, callee))
            ? 'calls a service that needs an access context'
            : null;
      if (reason) problems.push(`${file}:${name}: ${reason} but takes no access context`);
    }
    // Rule 3: naming a system context is for the system callers only.
    const visit = (node: ts.Node) => {
      if (
        ts.isCallExpression(node) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'systemContext' &&
        !SYSTEM_CALLERS.has(file) &&
        file !== 'src/shared/access-context.ts'
      )
        problems.push(`${file}: names a system context but is not a system caller`);
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return problems;
}

/** The project's program (src and test, as tsconfig.json has it). */
export function projectProgram(overlay: Record<string, string> = {}, oldProgram?: ts.Program): ts.Program {
  const configFile = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  const host = ts.createCompilerHost(parsed.options);
  const extra = Object.keys(overlay).map((file) => path.join(ROOT, file));
  const read = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (
    (exists) => (file: string) =>
      file in overlayAbs || exists(file)
  )(host.fileExists.bind(host));
  const overlayAbs: Record<string, string> = Object.fromEntries(
    Object.entries(overlay).map(([file, text]) => [path.join(ROOT, file), text]),
  );
  host.readFile = (file) => overlayAbs[file] ?? read(file);
  host.getSourceFile = (file, language, onError, create) =>
    file in overlayAbs
      ? ts.createSourceFile(file, overlayAbs[file] as string, language, true)
      : getSourceFile(file, language, onError, create);
  const roots = parsed.fileNames.filter((file) => rel(file).startsWith('src/'));
  return ts.createProgram([...roots, ...extra], parsed.options, host, oldProgram);
}

// Dependency rules of Yidang (README: architecture). `npm run deps` checks them; `npm run check` and CI run it.
// Layers, bottom to top; a file may import its own module and modules of lower layers only:
//   L0 kernel  src/shared, src/config, src/db, src/version.ts, src/modules/integrity, src/modules/jobs
//   L1         src/modules/regions, src/modules/notices (the inbox: any higher module sends notices)
//   L2         src/modules/catalog, src/modules/storage, src/modules/watermark
//   L3         src/modules/access
//   L4         src/modules/{search,push,import,scan,check,duplicates,ledgers,audit,lending,fund}
//   L5         src/modules/{verify,backup,console,demo,vocabulary,use,insured,disposition,transfer,fhir,cases,kpi}
//   L6         src/http, src/system, src/cli (composition roots)
// Two files of src/system open the whole system (database, keys, stores) for the top modules that
// act on all of it (backup, restore): src/system/system.ts and server-file.ts stand between L3 and L4.
// src/db/schema.ts assembles every module's *.tables.ts (types only) into the database's type.
// Route files (*.routes.ts) are a module's HTTP adapter: they may use the HTTP kit (src/http without
// app.ts) and access, which every route needs to know its caller; nothing but src/http/app.ts imports them.
// Tests are not cruised: they may reach anywhere to set a scene.

const KERNEL = '^src/(shared|config|db)/|^src/version[.]ts$|^src/modules/(integrity|jobs)/';
const L1 = '^src/modules/(regions|notices)/';
const L2 = '^src/modules/(catalog|storage|watermark)/';
const L3 = '^src/modules/access/';
const L4 = '^src/modules/(search|push|import|scan|check|duplicates|ledgers|audit|lending|fund)/';
const L5 =
  '^src/modules/(verify|backup|console|demo|vocabulary|use|insured|disposition|transfer|fhir|cases|kpi|forecast)/';
const LAYERED =
  'integrity|jobs|regions|notices|catalog|storage|watermark|access|search|push|import|scan|check|duplicates|ledgers|audit|lending|fund|verify|backup|console|demo|vocabulary|use|insured|disposition|transfer|fhir|cases|kpi|forecast';
// The HTTP base (error answers, shared schemas, masking of logged text) imports only the kernel: any layer may use it.
const HTTP_BASE = '^src/http/(errors|schemas|mask-text)[.]ts$';
const TOP = '^src/(system|cli)/|^src/http/(?!(errors|schemas|mask-text)[.]ts$)';
const SYSTEM_OPEN = '^src/system/(system|server-file)[.]ts$';
const TOP_ABOVE_SYSTEM_OPEN =
  '^src/cli/|^src/http/(?!(errors|schemas|mask-text)[.]ts$)|^src/system/(?!(system|server-file)[.]ts$)';
const ROUTES = '[.]routes[.]ts$';
// What route files may use beyond the layers: the HTTP kit and access (the caller and its scope).
const HTTP_KIT = '^src/http/(?!app[.]ts$)';

/** A rule forbidding files of `from` (route files excepted) to import any of `above`. */
function layer(name, from, above, except = []) {
  return {
    name: `layer-${name}`,
    severity: 'error',
    comment: `${name} may import only its own module and lower layers (.dependency-cruiser.cjs)`,
    from: { path: from, pathNot: [ROUTES, ...except].join('|') },
    to: { path: above.join('|') },
  };
}

/** Route files may also use the HTTP kit and access, never a higher module or the app itself. */
function routesLayer(name, from, above) {
  return {
    name: `routes-${name}`,
    severity: 'error',
    comment: `route files of ${name} may import lower layers, access and the HTTP kit only`,
    from: { path: `(${from}).*${ROUTES}` },
    to: { path: above.join('|'), pathNot: `${HTTP_KIT}|${L3}` },
  };
}

const FILE_RULES = [
  {
    name: 'module-in-a-layer',
    severity: 'error',
    comment: 'every module stands in a layer: add a new src/modules/<name> to a layer above (and to LAYERED)',
    from: { path: `^src/modules/(?!(${LAYERED})/)[^/]+/` },
    to: {},
  },
  {
    name: 'no-circular',
    severity: 'error',
    comment: 'files import each other in a circle (type imports count); break it (move the shared part down)',
    from: {},
    to: { circular: true },
  },
  layer('kernel', KERNEL, [L1, L2, L3, L4, L5, TOP], ['^src/db/schema[.]ts$']),
  {
    name: 'schema-tables-only',
    severity: 'error',
    comment: 'src/db/schema.ts assembles the tables files, types only, and nothing else of the modules',
    from: { path: '^src/db/schema[.]ts$' },
    to: { path: '^src/modules/', pathNot: '[.]tables[.]ts$' },
  },
  {
    name: 'schema-types-only',
    severity: 'error',
    comment: 'src/db/schema.ts takes only types from the tables files',
    from: { path: '^src/db/schema[.]ts$' },
    to: { path: '^src/modules/', dependencyTypesNot: ['type-only'] },
  },
  layer('L1', L1, [L2, L3, L4, L5, TOP]),
  layer('L2', L2, [L3, L4, L5, TOP]),
  layer('L3', L3, [L4, L5, TOP]),
  layer('L4', L4, [L5, TOP]),
  layer('L5', L5, [TOP_ABOVE_SYSTEM_OPEN]),
  {
    name: 'layer-system-open',
    severity: 'error',
    comment: 'opening the system (src/system/system.ts, server-file.ts) uses the kernel and L1 to L3 only',
    from: { path: SYSTEM_OPEN },
    to: { path: [L4, L5, TOP_ABOVE_SYSTEM_OPEN].join('|') },
  },
  routesLayer('kernel', KERNEL, [L1, L2, L4, L5, TOP]),
  routesLayer('L1', L1, [L2, L4, L5, TOP]),
  routesLayer('L2', L2, [L4, L5, TOP]),
  routesLayer('L4', L4, [L5, TOP]),
  routesLayer('L5', L5, [TOP_ABOVE_SYSTEM_OPEN]),
  {
    name: 'http-kit-below-routes',
    severity: 'error',
    comment:
      'the HTTP kit (src/http without app.ts) serves every route file: it imports the kernel and access only',
    from: { path: HTTP_KIT },
    to: { path: `${L1}|${L2}|${L4}|${L5}|^src/(system|cli)/|^src/http/app[.]ts$` },
  },
  {
    name: 'http-base-kernel-only',
    severity: 'error',
    comment:
      'the HTTP base (errors, schemas, mask-text) is used by every layer, so it imports only the kernel',
    from: { path: HTTP_BASE },
    to: { path: '^src/', pathNot: `${KERNEL}|${HTTP_BASE}` },
  },
  {
    name: 'routes-only-from-app',
    severity: 'error',
    comment: 'a module registers its routes as a Fastify plugin that only src/http/app.ts imports',
    from: { pathNot: '^src/http/app[.]ts$' },
    to: { path: ROUTES },
  },
  {
    name: 'app-only-from-roots',
    severity: 'error',
    comment:
      'src/http/app.ts composes the server; only the composition roots (src/cli, src/system) import it',
    from: { pathNot: '^src/(cli|system)/' },
    to: { path: '^src/http/app[.]ts$' },
  },
  {
    name: 'migrations-kernel-only',
    severity: 'error',
    comment:
      'a migration carries its own data and uses only the kernel, so editing a module never changes it',
    from: { path: '^src/db/migrations/' },
    to: { path: '^src/', pathNot: KERNEL },
  },
  {
    name: 'no-foreign-repo',
    severity: 'error',
    comment: "a module's *.repo.ts is its own: other modules call its exported services or query fragments",
    from: { path: '^src/modules/([^/]+)/' },
    to: { path: '[.]repo[.]ts$', pathNot: '^src/modules/$1/' },
  },
  {
    name: 'no-foreign-repo-outside-modules',
    severity: 'error',
    comment: "outside the modules, nothing imports a module's *.repo.ts",
    from: { path: '^src/', pathNot: '^src/modules/' },
    to: { path: '^src/modules/.*[.]repo[.]ts$' },
  },
  {
    name: 'no-foreign-tables',
    severity: 'error',
    comment: "a module's *.tables.ts is its own (src/db/schema.ts assembles them all)",
    from: { path: '^src/modules/([^/]+)/' },
    to: { path: '[.]tables[.]ts$', pathNot: '^src/modules/$1/' },
  },
  {
    name: 'no-foreign-tables-outside-modules',
    severity: 'error',
    comment: "outside the modules, only src/db/schema.ts imports a module's *.tables.ts",
    from: { path: '^src/', pathNot: '^src/modules/|^src/db/schema[.]ts$' },
    to: { path: '^src/modules/.*[.]tables[.]ts$' },
  },
  {
    name: 'not-to-unresolvable',
    severity: 'error',
    comment: 'an import names a file that does not exist',
    from: {},
    // fastify's deep type paths resolve through its typesVersions, which only tsc reads; the FHIR
    // types package is declarations only (no entry point to resolve)
    to: { couldNotResolve: true, pathNot: '^fastify/types/|^@medplum/fhirtypes$' },
  },
];

// Modules (folders: each src/modules/<name>, src/shared, src/db, …) must not import each other in a
// circle either. Route files and src/http/app.ts are left out of this graph: a route file is its
// module's HTTP adapter, which needs the caller (access) and the HTTP kit, and nothing but app.ts
// imports it (rules above), so no circle can pass through one.
const MODULE_RULES = [
  {
    name: 'no-circular-modules',
    severity: 'error',
    scope: 'folder',
    comment: 'modules import each other in a circle; break it (move the shared part down or pass it in)',
    // The kernel's own folders (src/shared, src/config, src/db) are one layer and not modules here.
    from: { path: '^src/(modules/[^/]+|http|system|cli)$' },
    to: { circular: true, path: '^src/(modules/[^/]+|http|system|cli)$' },
  },
];

// `npm run deps` cruises three times: the files (default), the modules, and src/db/schema.ts alone.
// src/db/schema.ts assembles every module's table types: by design it sees all modules, so it would
// close a (type-only) circle through src/db with each of them; it is checked on its own pass.
const PASS = process.env.DEPS_PASS ?? 'files';
const EXCLUDE = {
  files: '[.]test[.]ts$|^src/db/schema[.]ts$',
  modules: '[.]test[.]ts$|^src/db/schema[.]ts$|[.]routes[.]ts$|^src/http/app[.]ts$',
  schema: '[.]test[.]ts$',
}[PASS];

module.exports = {
  forbidden: PASS === 'modules' ? MODULE_RULES : FILE_RULES,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: EXCLUDE },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};

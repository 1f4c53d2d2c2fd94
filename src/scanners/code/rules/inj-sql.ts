import type { Node } from 'web-tree-sitter';
import { defineRule } from '../../../core/rule.js';
import { type Argument, argumentOf, type CallSite, type CodeRule } from '../call-site.js';
import { isFixedText, looksLikeSql, templateText } from './inj-text.js';

/** SQL injection: the query text itself carries outside data to the database. */
const SQL_INJECTION = {
  verdict: 'suspicious',
  cwe: ['CWE-89'],
  owasp: [],
} as const;

export const PY_INJ_001 = defineRule({
  id: 'PY-INJ-001',
  domain: 'code',
  title: 'SQL query built by string formatting',
  description:
    'A query built with `%`, `.format()`, an f-string or `+` and passed to `execute`, `executemany`, ' +
    '`executescript` (sqlite3, psycopg, pymysql, SQLAlchemy connections and sessions), `pandas.read_sql`, ' +
    '`sqlalchemy.text()`, Django `objects.raw()`, asyncpg `fetch` or Spark/DuckDB `sql()` lets any value spliced into it rewrite the statement: a ' +
    'quote in a user name, a dataset label or an LLM answer becomes `OR 1=1`, a `UNION SELECT` or a `DROP TABLE`.',
  fix: 'Keep the SQL text fixed and pass the values as parameters: `cursor.execute("SELECT * FROM runs WHERE id = ?", (run_id,))`, `conn.execute(text("... WHERE id = :id"), {"id": run_id})`, `pd.read_sql(query, con, params=(run_id,))`. Table or column names cannot be parameters: check them against a fixed allow-list, or use `sqlalchemy.table()`/`column()` objects.',
  severity: 'high',
  confidence: 'medium',
  bandit: ['B608'],
  ruff: ['S608'],
  ...SQL_INJECTION,
});

const EXECUTE_METHODS = ['execute', 'executemany', 'executescript'];

/** A method on any receiver: unknown, resolved, or imported relatively (`from .models import Run`). */
const onAnyObject = (method: string): string[] => [
  `?.${method}`,
  `*.${method}`,
  `.*.${method}`,
  `..*.${method}`,
];

/**
 * Methods that run SQL in asyncpg (`fetch`, `fetchrow`, `fetchval`), encode/databases (`fetch_all`, ...),
 * Spark and DuckDB (`sql`, `query`). Their names also mean search or retrieval elsewhere (`query_engine.query`),
 * so only SQL text built by formatting is reported on them, not any outside text.
 */
const QUERY_METHODS = [
  'fetch',
  'fetchrow',
  'fetchval',
  'fetch_all',
  'fetch_one',
  'fetch_val',
  'sql',
  'query',
];

/**
 * Calls that run their first argument as SQL. `execute` and friends on any object, resolved or not: the check
 * demands SQL text built at the call, so the method name alone does not raise a finding.
 */
const SQL_RUNNERS = [
  ...EXECUTE_METHODS.flatMap(onAnyObject),
  ...onAnyObject('objects.raw'),
  ...['read_sql', 'read_sql_query'].flatMap((name) => [`pandas.${name}`, `pandas.io.sql.${name}`]),
  'sqlalchemy.text',
  'sqlalchemy.sql.text',
  'sqlalchemy.sql.expression.text',
  'psycopg2.sql.SQL',
  'psycopg.sql.SQL',
];
const QUERY_RUNNERS = QUERY_METHODS.flatMap(onAnyObject);

const isQueryMethod = (name: string): boolean =>
  QUERY_METHODS.includes(name.slice(name.lastIndexOf('.') + 1));

/** Where each kind of call takes its SQL: the first argument, under the keyword its library gives it. */
function sqlArgument(call: CallSite): Argument | undefined {
  return (
    call.positional[0] ??
    call.keywords.get('sql') ??
    call.keywords.get('statement') ??
    call.keywords.get('operation') ??
    call.keywords.get('query') ??
    call.keywords.get('raw_query')
  );
}

/** SQL text written at the call or bound to the name it passes, and not fixed by the author. */
function isFormattedSql(node: Node, call: CallSite): boolean {
  return looksLikeSql(templateText(node, call.scope)) && !isFixedText(node, call.scope);
}

export const formattedSqlCheck: CodeRule = {
  rule: PY_INJ_001,
  calls: [...SQL_RUNNERS, ...QUERY_RUNNERS],
  sink: { arguments: (call) => [sqlArgument(call)] },
  check(call) {
    const sql = sqlArgument(call);
    if (sql === undefined) return undefined;
    if (isFormattedSql(sql.node, call))
      return { message: `${call.name} runs SQL built by string formatting; pass the values as parameters` };
    // A query taken whole from outside is injection too, however it was built.
    if (!isQueryMethod(call.name) && sql.constant === undefined && call.taint(sql.node) !== undefined)
      return { message: `${call.name} runs SQL text that comes from outside the program` };
    return undefined;
  },
};

export const PY_INJ_002 = defineRule({
  id: 'PY-INJ-002',
  domain: 'code',
  title: 'Django extra() or RawSQL with SQL that is not a literal',
  description:
    '`QuerySet.extra(select=..., where=..., tables=...)` and `RawSQL(sql, params)` put their strings into the ' +
    'query as written. When one of them is built with formatting or comes from a variable, a value spliced into ' +
    'it can change the statement, bypassing the escaping the ORM does everywhere else.',
  fix: 'Use the ORM (`filter()`, `annotate()` with `F()`, `Func()`, `Case()`), or keep the SQL of `extra()`/`RawSQL` a literal and pass values through `params=[...]` / `select_params=[...]`, which the driver quotes.',
  severity: 'medium',
  confidence: 'medium',
  bandit: ['B610', 'B611'],
  ruff: ['S610', 'S611'],
  ...SQL_INJECTION,
});

/** `extra()`'s parameters in order: positional arguments map to these. */
const EXTRA_PARAMETERS = ['select', 'where', 'params', 'tables', 'order_by', 'select_params'];
/** The parameters whose strings become SQL (`params` and `select_params` are quoted by the driver). */
const EXTRA_SQL_PARAMETERS = ['select', 'where', 'tables'];

/** A string the author wrote: a literal, or a name every assignment of which is one (bandit flags the name). */
const isLiteralString = (node: Node, call: CallSite): boolean =>
  isFixedText(node, call.scope) &&
  (node.type === 'string' || node.type === 'concatenated_string' || node.type === 'identifier');

/** `where=[...]`/`tables=[...]` must be a list of literal strings, `select={...}` a dict of them. */
function isLiteralSqlArgument(parameter: string, node: Node, call: CallSite): boolean {
  const expected = parameter === 'select' ? 'dictionary' : 'list';
  if (node.type !== expected) return false;
  for (const item of node.namedChildren) {
    if (item === null || item.type === 'comment') continue;
    const parts =
      item.type === 'pair' ? [item.childForFieldName('key'), item.childForFieldName('value')] : [item];
    if (!parts.every((part) => part !== null && isLiteralString(part, call))) return false;
  }
  return true;
}

/** A receiver that is a Django manager or queryset: `Model.objects...extra()`. */
const isQuerySet = (name: string): boolean => name.includes('.objects.') || name.includes('QuerySet');

/** The arguments of `extra()` whose strings become SQL, by parameter name, passed by position or keyword. */
function extraSqlArguments(call: CallSite): Map<string, Argument> {
  const found = new Map<string, Argument>();
  call.positional.forEach((argument, index) => {
    const parameter = EXTRA_PARAMETERS[index];
    if (parameter !== undefined && EXTRA_SQL_PARAMETERS.includes(parameter)) found.set(parameter, argument);
  });
  for (const parameter of EXTRA_SQL_PARAMETERS) {
    const argument = call.keywords.get(parameter);
    if (argument !== undefined) found.set(parameter, argument);
  }
  return found;
}

const isRawSql = (call: CallSite): boolean => call.name.endsWith('RawSQL');

export const djangoRawSqlCheck: CodeRule = {
  rule: PY_INJ_002,
  calls: [...onAnyObject('extra'), 'django.db.models.RawSQL', 'django.db.models.expressions.RawSQL'],
  sink: {
    arguments: (call) =>
      isRawSql(call) ? [argumentOf(call, 'sql', 0)] : [...extraSqlArguments(call).values()],
  },
  check(call) {
    if (isRawSql(call)) {
      const sql = argumentOf(call, 'sql', 0);
      if (sql === undefined || isLiteralString(sql.node, call)) return undefined;
      return { message: 'RawSQL with SQL that is not a literal string: pass values through params' };
    }
    // On an object of unknown type, only extra()'s own keywords say it is a queryset (as bandit reads it).
    if (!isQuerySet(call.name) && EXTRA_SQL_PARAMETERS.every((parameter) => !call.keywords.has(parameter)))
      return undefined;
    const unsafe = [...extraSqlArguments(call)].find(
      ([parameter, argument]) => !isLiteralSqlArgument(parameter, argument.node, call),
    );
    if (unsafe === undefined) return undefined;
    return { message: `QuerySet.extra() with ${unsafe[0]}= SQL that is not literal strings` };
  },
};

export const PY_INJ_007 = defineRule({
  id: 'PY-INJ-007',
  domain: 'code',
  title: 'NoSQL injection in a MongoDB query',
  description:
    'A pymongo or motor query whose filter is taken from a request, the command line or an LLM answer lets the ' +
    'sender add operators: `{"password": {"$ne": ""}}` matches every user, `$regex` scans the collection. A ' +
    '`$where`, `$function` or `$accumulator` clause runs JavaScript on the database server, so a value spliced ' +
    'into it is code injection.',
  fix: 'Build the filter yourself from checked scalar values: `users.find_one({"name": str(name)})`, reject dict or list values from JSON bodies (validate with pydantic), and replace `$where` with query operators (`$expr`, `$gt`, `$regex` with `re.escape`).',
  severity: 'medium',
  confidence: 'medium',
  verdict: 'suspicious',
  cwe: ['CWE-943'],
  owasp: [],
});

/** Collection methods whose first argument is a filter or a pipeline; `find` is also a `str` method. */
const MONGO_METHODS = [
  'find',
  'find_one',
  'find_one_and_delete',
  'find_one_and_replace',
  'find_one_and_update',
  'count_documents',
  'delete_one',
  'delete_many',
  'update_one',
  'update_many',
  'replace_one',
  'aggregate',
  'distinct',
];
const MONGO_CLIENTS = ['pymongo.MongoClient()', 'motor.motor_asyncio.AsyncIOMotorClient()'];
/** Operators whose value is JavaScript the server runs. */
const JAVASCRIPT_OPERATORS = new Set(['$where', '$function', '$accumulator']);

/** The first JavaScript operator key (`"$where"`) of a dict literal, searched through nested dicts and lists. */
function javascriptOperator(node: Node, depth = 0): Node | undefined {
  if (depth > 8) return undefined;
  for (const child of node.namedChildren) {
    if (child === null) continue;
    if (child.type === 'pair') {
      const key = child.childForFieldName('key');
      if (key?.type === 'string' && JAVASCRIPT_OPERATORS.has(key.text.slice(1, -1))) return key;
    }
    if (['pair', 'dictionary', 'list'].includes(child.type)) {
      const found = javascriptOperator(child, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Conversions whose result is a scalar, which cannot smuggle an operator (`{"$ne": ""}`) into a filter. */
const SCALAR_CONVERSIONS = new Set(['str', 'int', 'float', 'bool']);

/** Whether a filter literal holds an untrusted value that is not converted to a scalar first. */
function operatorCarrier(node: Node, call: CallSite, depth = 0): boolean {
  if (depth > 8) return false;
  return node.namedChildren.some((child) => {
    if (child === null || child.type === 'comment') return false;
    const value = child.type === 'pair' ? child.childForFieldName('value') : child;
    if (value === null) return false;
    if (value.type === 'dictionary' || value.type === 'list') return operatorCarrier(value, call, depth + 1);
    if (value.type === 'call' && SCALAR_CONVERSIONS.has(value.childForFieldName('function')?.text ?? ''))
      return false;
    return call.taint(value) !== undefined;
  });
}

const filterOf = (call: CallSite): Argument | undefined =>
  call.positional[0] ?? call.keywords.get('filter') ?? call.keywords.get('pipeline');

export const mongoInjectionCheck: CodeRule = {
  rule: PY_INJ_007,
  calls: MONGO_METHODS.flatMap((method) => [
    `?.${method}`,
    ...MONGO_CLIENTS.map((client) => `${client}.*.${method}`),
  ]),
  sink: { arguments: (call) => [filterOf(call)] },
  check(call) {
    const filter = filterOf(call);
    if (filter === undefined) return undefined;
    const literal = filter.node.type === 'dictionary' || filter.node.type === 'list';
    const javascript = literal ? javascriptOperator(filter.node) : undefined;
    if (javascript !== undefined)
      return {
        message: `${call.name} with a ${javascript.text} clause runs JavaScript on the server`,
      };
    // `str.find` shares the name: a bare value is a MongoDB filter only on a resolved client or a distinctive method.
    const method = call.name.slice(call.name.lastIndexOf('.') + 1);
    if (!literal && method === 'find' && call.name.startsWith('?.')) return undefined;
    const tainted = literal ? operatorCarrier(filter.node, call) : call.taint(filter.node) !== undefined;
    if (!tainted) return undefined;
    return {
      message: `${call.name} with a filter from outside the program, which may carry query operators`,
    };
  },
};

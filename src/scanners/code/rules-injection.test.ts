import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeFindings, analyseSource } from './test-support.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/code/inj');
const fixture = (name: string): Promise<string> => readFile(join(FIXTURES, name), 'utf8');

/** `rule@line` of the findings of one rule only. */
async function findingsOf(rule: string, source: string): Promise<string[]> {
  return (await activeFindings(source)).filter((finding) => finding.startsWith(`${rule}@`));
}

/** The confidence each finding of `rule` is reported at, in line order. */
async function confidencesOf(rule: string, source: string): Promise<(string | undefined)[]> {
  return (await analyseSource(source)).filter((f) => f.ruleId === rule).map((f) => f.confidence);
}

describe('injection rules on realistic code', () => {
  it.each([
    ['experiment_store_sqlite.py', ['PY-INJ-001@15', 'PY-INJ-001@24', 'PY-INJ-001@31', 'PY-INJ-001@36']],
    ['django_leaderboard_views.py', ['PY-INJ-002@12', 'PY-INJ-002@21', 'PY-INJ-005@27']],
    [
      'eval_report_server.py',
      ['PY-INJ-003@10', 'PY-INJ-004@11', 'PY-INJ-006@24', 'PY-INJ-005@30', 'PY-INJ-006@34', 'PY-INJ-003@34'],
    ],
    ['prompt_playground_api.py', ['PY-INJ-006@19', 'PY-INJ-008@20', 'PY-INJ-009@27']],
    ['feedback_store.py', ['PY-INJ-007@12', 'PY-INJ-007@18', 'PY-INJ-007@23']],
    ['hub_sync.py', ['PY-INJ-010@13', 'PY-INJ-010@18']],
  ])('reports %s', async (name, expected) => {
    const findings = await activeFindings(await fixture(name));
    expect(findings.filter((finding) => finding.startsWith('PY-INJ-'))).toEqual(expected);
  });

  it.each([
    'experiment_store_params.py',
    'django_leaderboard_views_safe.py',
    'eval_report_server_safe.py',
    'prompt_playground_api_safe.py',
    'feedback_store_safe.py',
    'hub_sync_safe.py',
  ])('does not report %s', async (name) => {
    const findings = await activeFindings(await fixture(name));
    expect(findings.filter((finding) => finding.startsWith('PY-INJ-'))).toEqual([]);
  });
});

describe('PY-INJ-001 SQL built by string formatting', () => {
  it('reports %, format, f-strings and + reaching execute, read_sql and text, through aliases', async () => {
    expect(
      await findingsOf(
        'PY-INJ-001',
        'import sqlite3 as db\nimport pandas as pd\nfrom sqlalchemy import text as sql_text\n' +
          'def f(cur, name, con):\n' +
          '    cur.execute("SELECT * FROM runs WHERE name = \'%s\'" % name)\n' +
          '    db.connect("x.db").executemany("INSERT INTO t VALUES ({})".format(name), rows)\n' +
          '    query = "DELETE FROM runs "\n    query += f"WHERE name = \'{name}\'"\n    cur.execute(query)\n' +
          '    pd.read_sql("UPDATE t SET a = " + name, con)\n    sql_text(f"SELECT {name} FROM t")\n',
      ),
    ).toEqual(['PY-INJ-001@5', 'PY-INJ-001@6', 'PY-INJ-001@9', 'PY-INJ-001@10', 'PY-INJ-001@11']);
  });

  it('ignores parameterised queries, placeholder lists, literal-only SQL and non-SQL formatting, not a repeated value', async () => {
    expect(
      await findingsOf(
        'PY-INJ-001',
        'import sqlite3\nQUERY = "SELECT * FROM runs WHERE name = ?"\ndef f(cur, name):\n' +
          '    cur.execute(QUERY, (name,))\n    cur.execute("SELECT * FROM foo WHERE id = \'%s\'", name)\n' +
          '    for column in ("a", "b"):\n        cur.execute(f"SELECT {column} FROM t")\n' +
          '    cur.execute(f"PRAGMA table_info({name})")\n    print("select %s from the list" % name)\n' +
          '    marks = ",".join("?" * len(ids))\n    cur.execute(f"SELECT * FROM t WHERE id IN ({marks})", ids)\n' +
          '    cur.execute("DELETE FROM t WHERE id IN (%s)" % ", ".join("?" for _ in ids), ids)\n' +
          '    cur.execute("SELECT * FROM t WHERE a = " + name * 2)\n',
      ),
    ).toEqual(['PY-INJ-001@13']);
  });

  it('is high confidence when a handler parameter reaches the query and medium otherwise', async () => {
    const source =
      'import sqlite3\nfrom flask import Flask\napp = Flask(__name__)\n@app.route("/r/<name>")\ndef r(name):\n' +
      '    sqlite3.connect("x").execute(f"SELECT * FROM t WHERE n = \'{name}\'")\n' +
      'def audit(name):\n    sqlite3.connect("x").execute(f"SELECT * FROM t WHERE n = \'{name}\'")\n';
    expect(await confidencesOf('PY-INJ-001', source)).toEqual(['high', undefined]);
  });

  it('reports SQL text taken whole from a request', async () => {
    expect(
      await findingsOf(
        'PY-INJ-001',
        'from flask import request\ndef q(cur):\n    cur.execute(request.args["sql"])\n',
      ),
    ).toEqual(['PY-INJ-001@3']);
  });
  it('reports formatted SQL in Spark, DuckDB, asyncpg and psycopg2.sql, but not outside text sent to a query engine', async () => {
    expect(
      await findingsOf(
        'PY-INJ-001',
        'import duckdb\nfrom psycopg2 import sql\nfrom flask import request\n' +
          'async def f(spark, conn, table, query_engine):\n    spark.sql(f"SELECT * FROM {table}")\n' +
          '    duckdb.sql("SELECT * FROM \'%s\'" % table)\n    await conn.fetch("DELETE FROM t WHERE a = " + table)\n' +
          '    sql.SQL(f"UPDATE {table} SET a = 1")\n    query_engine.query(request.args["q"])\n',
      ),
    ).toEqual(['PY-INJ-001@5', 'PY-INJ-001@6', 'PY-INJ-001@7', 'PY-INJ-001@8']);
  });
});

describe('PY-INJ-002 Django extra() and RawSQL', () => {
  it('reports formatted or variable SQL by keyword and position, and RawSQL by alias', async () => {
    expect(
      await findingsOf(
        'PY-INJ-002',
        'from django.db.models.expressions import RawSQL as Raw\nfrom app.models import Run\n' +
          'def v(request, where_list):\n    Run.objects.filter(a=1).extra(where=["x = %s" % request.GET["x"]])\n' +
          '    Run.objects.all().extra(None, where_list)\n    Run.objects.annotate(v=Raw(f"{request.GET}", []))\n' +
          '    qs.extra(tables=[request.GET["t"]])\n',
      ),
    ).toEqual(['PY-INJ-002@4', 'PY-INJ-002@5', 'PY-INJ-002@6', 'PY-INJ-002@7']);
  });

  it('ignores literal SQL, parameters, extra() without its keywords on unknown objects and a shadowed RawSQL', async () => {
    expect(
      await findingsOf(
        'PY-INJ-002',
        'from django.db.models.expressions import RawSQL\nfrom app.models import Run\nWHERE = "archived = false"\n' +
          'Run.objects.extra(select={"n": "count(*)"}, where=[WHERE], params=[x])\n' +
          'Run.objects.annotate(v=RawSQL("a->>%s", [key]))\nparser.extra(options)\n' +
          'def f(RawSQL):\n    return RawSQL(sql_text)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-INJ-003 Jinja2 autoescape', () => {
  it('grades False, missing and unknown autoescape', async () => {
    const findings = (
      await analyseSource(
        'import jinja2\nfrom jinja2 import Environment as Env, Template\n' +
          'Env(autoescape=False)\njinja2.Environment(loader=l)\nTemplate("x")\nEnv(autoescape=settings.escape)\n',
      )
    ).filter((f) => f.ruleId === 'PY-INJ-003');
    expect(findings.map((f) => [f.line, f.severity, f.confidence])).toEqual([
      [3, undefined, undefined],
      [4, 'medium', undefined],
      [5, 'low', undefined],
      [6, 'medium', 'low'],
    ]);
  });

  it('ignores autoescape=True, select_autoescape and a shadowing parameter', async () => {
    expect(
      await findingsOf(
        'PY-INJ-003',
        'import jinja2\nfrom jinja2 import select_autoescape\njinja2.Environment(autoescape=True)\n' +
          'jinja2.Environment(autoescape=select_autoescape())\njinja2.Environment(autoescape=jinja2.select_autoescape(["html"]))\n' +
          'def f(jinja2):\n    return jinja2.Environment()\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-INJ-004 Mako', () => {
  it('reports Template and TemplateLookup by any spelling, unless they escape by default', async () => {
    expect(
      await findingsOf(
        'PY-INJ-004',
        'import mako.template\nfrom mako.lookup import TemplateLookup as Lookup\nmako.template.Template("x")\n' +
          'Lookup(directories=["t"])\nLookup(directories=["t"], default_filters=["h"])\n' +
          'def f(mako):\n    mako.template.Template("x")\n',
      ),
    ).toEqual(['PY-INJ-004@3', 'PY-INJ-004@4']);
  });
});

describe('PY-INJ-005 text marked safe', () => {
  it('reports variables, parameters and formatting of them, by alias, at high confidence with request data', async () => {
    const source =
      'from django.utils.safestring import mark_safe as safe\nfrom django.utils.html import format_html\n' +
      'import markupsafe\nfrom flask import request\ndef f(bio):\n    safe(bio)\n' +
      '    format_html(f"<b>{bio}</b>")\n    markupsafe.Markup("<i>%s</i>" % request.args["q"])\n';
    expect(await findingsOf('PY-INJ-005', source)).toEqual(['PY-INJ-005@6', 'PY-INJ-005@7', 'PY-INJ-005@8']);
    expect(await confidencesOf('PY-INJ-005', source)).toEqual([undefined, undefined, 'high']);
  });

  it('ignores literals, names every assignment of which is fixed, escaping helpers and a shadowed name', async () => {
    expect(
      await findingsOf(
        'PY-INJ-005',
        'from django.utils.safestring import mark_safe\nfrom django.utils.html import escape, format_html\n' +
          'def f(flag, text):\n    if flag:\n        s = "<b>a</b>"\n    else:\n        s = "<i>{}</i>".format("b")\n' +
          '    mark_safe(s)\n    mark_safe(escape(text))\n    format_html("<b>{}</b>", text)\n' +
          'def g(mark_safe, text):\n    return mark_safe(text)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-INJ-006 server-side template injection', () => {
  it('reports templates from outside at high confidence and other non-literal templates at low', async () => {
    const source =
      'import sys\nfrom jinja2 import Template, Environment\nfrom flask import render_template_string as rts\n' +
      'from langchain.prompts import PromptTemplate\nTemplate(sys.argv[1], autoescape=True)\n' +
      'def f(text):\n    Environment(autoescape=True).from_string(text)\n    rts(text)\n' +
      '    PromptTemplate(template=text, input_variables=[], template_format="jinja2")\n';
    expect(await findingsOf('PY-INJ-006', source)).toEqual([
      'PY-INJ-006@5',
      'PY-INJ-006@7',
      'PY-INJ-006@8',
      'PY-INJ-006@9',
    ]);
    expect(await confidencesOf('PY-INJ-006', source)).toEqual(['high', undefined, undefined, undefined]);
  });

  it('ignores literal templates, f-string prompt templates, the sandbox and a shadowed name', async () => {
    expect(
      await findingsOf(
        'PY-INJ-006',
        'import jinja2\nfrom jinja2.sandbox import SandboxedEnvironment\nfrom langchain_core.prompts import PromptTemplate\n' +
          'jinja2.Template("Hello {{ name }}", autoescape=True)\nSandboxedEnvironment().from_string(user_text)\n' +
          'PromptTemplate.from_template(user_text)\ndef f(jinja2, text):\n    return jinja2.Template(text)\n',
      ),
    ).toEqual([]);
  });
});

describe('PY-INJ-007 NoSQL injection', () => {
  it('reports $where clauses and filters from requests, but not str.find', async () => {
    expect(
      await findingsOf(
        'PY-INJ-007',
        'from flask import request\nimport pymongo as pm\ndb = pm.MongoClient().app\n' +
          'db.users.find({"$where": "this.a > 1"})\ndb.users.find_one(request.get_json())\n' +
          'def f(coll):\n    coll.aggregate([{"$match": {"user": request.json["user"]}}])\n' +
          '    request.args["q"].find(request.args["x"])\n    coll.find_one({"user": str(request.args["u"])})\n',
      ),
    ).toEqual(['PY-INJ-007@4', 'PY-INJ-007@5', 'PY-INJ-007@7']);
  });
});

describe('PY-INJ-008 ReDoS', () => {
  it('reports only patterns from outside, not escaped ones or literals', async () => {
    expect(
      await findingsOf(
        'PY-INJ-008',
        'import re\nimport regex as rx\nimport sys\nre.search(sys.argv[1], text)\nrx.compile(input())\n' +
          're.compile(re.escape(sys.argv[1]))\nre.match(r"\\d+", sys.argv[1])\ndef f(p):\n    re.compile(p)\n',
      ),
    ).toEqual(['PY-INJ-008@4', 'PY-INJ-008@5']);
  });
});

describe('PY-INJ-009 format string from outside', () => {
  it('reports format strings from outside with arguments, not literals or LangChain templates', async () => {
    expect(
      await findingsOf(
        'PY-INJ-009',
        'import os\nimport sys\nfrom langchain.prompts import PromptTemplate\nt = os.getenv("GREETING")\n' +
          't.format(user=user)\nsys.argv[1].format_map(vars(config))\n"Hello {}".format(sys.argv[1])\n' +
          'PromptTemplate.from_template(sys.argv[1]).format(q=1)\nsys.argv[1].format()\n',
      ),
    ).toEqual(['PY-INJ-009@5', 'PY-INJ-009@6']);
  });
});

describe('PY-INJ-010 secrets in logs', () => {
  it('reports secret names in arguments, f-strings, formatting and dict keys', async () => {
    expect(
      await findingsOf(
        'PY-INJ-010',
        'import logging\nfrom loguru import logger as log\nlogger = logging.getLogger(__name__)\n' +
          'logger.info("key: %s", api_key)\nlogging.warning(f"login {user} / {settings.db_password}")\n' +
          'log.debug("token=" + hfToken)\nlogger.error("cfg %s", {"client_secret": s})\n' +
          'logger.info("{}".format(OPENAI_API_KEY))\n',
      ),
    ).toEqual(['PY-INJ-010@4', 'PY-INJ-010@5', 'PY-INJ-010@6', 'PY-INJ-010@7', 'PY-INJ-010@8']);
  });

  it('ignores tokenizer tokens, descriptions of secrets, masked values and other loggers', async () => {
    expect(
      await findingsOf(
        'PY-INJ-010',
        'import logging\nlogger = logging.getLogger(__name__)\n' +
          'logger.info("%s %s %s", tokenizer.eos_token, num_tokens, token)\n' +
          'logger.info("%s %s", password_hash, api_key_env)\nlogger.info("%s", hf_token[:4])\n' +
          'logger.info("%s", bool(api_key))\nprint(api_key)\nself.logger.info(api_key)\n',
      ),
    ).toEqual([]);
  });
});

/**
 * A comparable snapshot of everything a schema contains, read from the system
 * catalogs: tables and their columns, composite types, views, sequences,
 * constraints, indexes, functions, triggers, row-level security and policies.
 * The schema's own name is replaced by `SCHEMA` so that snapshots of different
 * schemas (or databases) can be compared with `deepEqual`.
 */
import type { Queryable } from "../../../src/driver/driver.js";

export interface CatalogSnapshot {
  relations: Record<string, unknown>;
  columns: Record<string, unknown[]>;
  sequences: Record<string, unknown>;
  constraints: Record<string, unknown>;
  indexes: Record<string, unknown>;
  functions: Record<string, unknown>;
  triggers: Record<string, unknown>;
  policies: Record<string, unknown>;
  types: Record<string, unknown>;
}

/** Options for `snapshotCatalog`. */
export interface SnapshotOptions {
  /** Leave function bodies out (default true: bodies are written independently). */
  omitFunctionBodies?: boolean;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export async function snapshotCatalog(db: Queryable, schema: string, options: SnapshotOptions = {}): Promise<CatalogSnapshot> {
  const pattern = new RegExp(`("${escapeRegExp(schema)}"|\\b${escapeRegExp(schema)}\\b)(?=\\.)`, "g");
  const normalise = (value: unknown): unknown => {
    if (typeof value === "string") return value.replace(pattern, "SCHEMA");
    if (Array.isArray(value)) return value.map(normalise);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
    }
    return value;
  };
  const rows = async (text: string): Promise<Record<string, unknown>[]> =>
    (await db.query<Record<string, unknown>>(text, [schema])).rows.map((row) => normalise(row) as Record<string, unknown>);
  const keyed = (list: Record<string, unknown>[], key: (row: Record<string, unknown>) => string) => {
    const out: Record<string, unknown> = {};
    for (const row of list) out[key(row)] = row;
    return out;
  };

  const relations = await rows(`
    select c.relname, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity, c.relpersistence::text,
           case when c.relkind = 'v' then pg_get_viewdef(c.oid) end as viewdef
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = $1 and c.relkind in ('r', 'v', 'm', 'p', 'c', 'f')
    order by c.relname`);

  const columnRows = await rows(`
    select c.relname,
           row_number() over (partition by c.oid order by a.attnum)::int as position,
           a.attname, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull,
           pg_get_expr(d.adbin, d.adrelid) as default_expr,
           a.attgenerated::text, a.attidentity::text, coalesce(col.collname, '') as collation
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    left join pg_collation col on col.oid = a.attcollation and a.attcollation <> 100
    where n.nspname = $1 and c.relkind in ('r', 'v', 'm', 'p', 'c', 'f') and a.attnum > 0 and not a.attisdropped
    order by c.relname, a.attnum`);
  const columns: Record<string, unknown[]> = {};
  for (const row of columnRows) {
    const { relname, ...rest } = row;
    (columns[relname as string] ??= []).push(rest);
  }

  const sequences = keyed(
    await rows(`
      select c.relname, format_type(s.seqtypid, null) as type, s.seqstart::text, s.seqincrement::text,
             s.seqmin::text, s.seqmax::text, s.seqcycle,
             (select t.relname || '.' || a.attname || ':' || d.deptype::text
                from pg_depend d
                join pg_class t on t.oid = d.refobjid
                join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
                where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.refclassid = 'pg_class'::regclass
                limit 1) as owned_by
      from pg_sequence s join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 order by c.relname`),
    (row) => String(row.relname),
  );

  const constraints = keyed(
    await rows(`
      select coalesce(t.relname, ty.typname) as owner, co.conname, co.contype::text, pg_get_constraintdef(co.oid) as definition,
             co.condeferrable, co.condeferred, co.convalidated
      from pg_constraint co
      join pg_namespace n on n.oid = co.connamespace
      left join pg_class t on t.oid = co.conrelid
      left join pg_type ty on ty.oid = co.contypid
      where n.nspname = $1 order by 1, 2`),
    (row) => `${row.owner}.${row.conname}`,
  );

  const indexes = keyed(
    await rows(`
      select t.relname as table_name, i.relname as index_name, pg_get_indexdef(i.oid) as definition,
             x.indisprimary, x.indisunique, x.indisvalid
      from pg_index x
      join pg_class i on i.oid = x.indexrelid
      join pg_class t on t.oid = x.indrelid
      join pg_namespace n on n.oid = i.relnamespace
      where n.nspname = $1 order by 2`),
    (row) => String(row.index_name),
  );

  const functionRows = await rows(`
    select p.proname, pg_get_function_identity_arguments(p.oid) as identity_arguments,
           pg_get_function_arguments(p.oid) as arguments, pg_get_function_result(p.oid) as result,
           p.prokind::text, l.lanname, p.provolatile::text, p.proisstrict, p.prosecdef, p.proleakproof,
           p.proparallel::text, p.procost::text, p.prorows::text, p.proretset, p.proconfig,
           p.prosrc
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
    where n.nspname = $1 order by 1, 2`);
  const functions = keyed(
    functionRows.map((row) => {
      if (options.omitFunctionBodies ?? true) {
        const { prosrc: _omitted, ...rest } = row;
        return rest;
      }
      return row;
    }),
    (row) => `${row.proname}(${row.identity_arguments})`,
  );

  const triggers = keyed(
    await rows(`
      select c.relname as table_name, tg.tgname, pg_get_triggerdef(tg.oid) as definition, tg.tgenabled::text
      from pg_trigger tg join pg_class c on c.oid = tg.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and not tg.tgisinternal order by 1, 2`),
    (row) => `${row.table_name}.${row.tgname}`,
  );

  const policies = keyed(
    await rows(`
      select tablename, policyname, permissive, roles::text[] as roles, cmd, qual, with_check
      from pg_policies where schemaname = $1 order by 1, 2`),
    (row) => `${row.tablename}.${row.policyname}`,
  );

  const types = keyed(
    await rows(`
      select t.typname, t.typtype::text, format_type(t.typelem, null) as element_type
      from pg_type t join pg_namespace n on n.oid = t.typnamespace
      where n.nspname = $1
      order by 1`),
    (row) => String(row.typname),
  );

  return {
    relations: keyed(relations, (row) => String(row.relname)),
    columns,
    sequences,
    constraints,
    indexes,
    functions,
    triggers,
    policies,
    types,
  };
}

/** Remove the named objects (our documented additions) from a snapshot, in place. */
export function withoutObjects(
  snapshot: CatalogSnapshot,
  names: {
    relations?: string[];
    sequences?: string[];
    functions?: string[];
    types?: string[];
    indexes?: string[];
    constraintOwners?: string[];
  },
): CatalogSnapshot {
  const copy: CatalogSnapshot = structuredClone(snapshot);
  for (const name of names.relations ?? []) {
    delete copy.relations[name];
    delete copy.columns[name];
  }
  for (const key of Object.keys(copy.triggers)) {
    if ((names.relations ?? []).includes(key.split(".")[0]!)) delete copy.triggers[key];
  }
  for (const name of names.sequences ?? []) delete copy.sequences[name];
  for (const name of names.types ?? []) delete copy.types[name];
  for (const name of names.indexes ?? []) delete copy.indexes[name];
  for (const key of Object.keys(copy.constraints)) {
    if ((names.constraintOwners ?? []).includes(key.split(".")[0]!)) delete copy.constraints[key];
  }
  for (const key of Object.keys(copy.functions)) {
    if ((names.functions ?? []).includes(key.slice(0, key.indexOf("(")))) delete copy.functions[key];
  }
  return copy;
}

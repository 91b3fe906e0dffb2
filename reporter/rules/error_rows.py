"""Error rows: unread data is never a pass.

After every rule has run (rows in ``rule_results``), this turns the rows whose data was not read
into ``error`` rows, and adds error rows where the rule could not even see what to judge. The
sources, all read from the inventory:

1. **Coverage errors** (``coverage.status = 'error'``). ``tables`` names what the error left unread
   (an error naming no table leaves every table unread). A rule is affected when those tables meet
   its ``reads`` (derived tables count as their sources: ``role_facts`` and ``role_permissions`` are
   read from ``roles`` and ``policy_documents``).

   - Unit-wide (``resource_arn`` null): every row of the rule in that account and region becomes an
     error; in every region of the account when the unit is global (IAM: region ``"global"``) or
     the rule ``spans: account``. If the rule returned no row there (e.g. the function list itself
     failed), one row is added: resource_type ``unit``, resource_id ``<account>/<region>``
     (``<account>/global`` for a global unit; for an account-scope rule, any row of the account
     counts as "there").
   - One resource (``resource_arn`` set): for function-scope rules, the functions it concerns
     become errors, and are added if the rule did not return them (its tags or policy were unread,
     so applicability is unknown). A resource concerns a function when it is the function, its
     execution role, a managed policy or boundary attached to that role (in the account where the
     read failed: AWS-managed ARNs are the same in every account), or one of its subnets
     (a route table not readable from the function's account); a function ARN missing
     from the inventory is added from the ARN itself. For other scopes, rows with that
     resource_arn become errors.

2. **IAM analysis gaps**, for function-scope rules that read the IAM tables:

   - the function's execution role is not in ``roles`` (deleted, or in an account that was not
     read): its rows become errors, added where missing, since even whether a rule applies (say,
     "the role has a boundary") is unknown;
   - the role is in ``roles`` but has no ``role_facts`` row, or its ``role_facts.analysis_error``
     is set: the rows the rule returned become errors naming the problem (``roles`` was read, so
     applicability is known and no row is added).

A rule's ``context`` tables (``-- context:``) are left out of its reads here: it uses them only to
word its reason (LG-IAM-01 decides from ``roles`` whether an admin policy is attached, and reads
``role_facts`` to say whether a boundary narrows it), and says itself when they are missing.

Coverage rows with status ``skipped`` (a suspended account, a region not enabled) are no errors:
nothing was there to read, and account-region rules judge only units that ran (view crawled_units).

When several problems hit one row, the widest wins (unit, then resource, then analysis gap) and
its messages are joined, sorted, so the output is deterministic. Error rows keep no remediation.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from reporter.inventory import DERIVED_TABLES, TABLES

ROLE_TABLES = ("roles", "role_facts", "role_permissions")
FACT_TABLES = ("role_facts", "role_permissions")


def expanded_reads(reads: Iterable[str]) -> set[str]:
    """The tables a rule depends on, with the sources of the derived ones."""
    out = set(reads)
    for table in list(out):
        out.update(DERIVED_TABLES.get(table, ()))
    return out


def _list(names: Iterable[str]) -> str:
    return "[" + ", ".join(f"'{n}'" for n in names) + "]"


_STEPS = (
    # Coverage errors with the tables they leave unread.
    f"""create temp table cov_err as
        select account_id, coalesce(region, 'global') as region, resource_arn,
               coalesce(collector, 'collector') as collector,
               case when tables is null or len(tables) = 0 then {_list(TABLES)} else tables end as tables,
               coalesce(error_code, 'error') || coalesce(': ' || message, '') as detail
        from coverage where status = 'error'""",
    # Problems narrower than a unit, as the functions they concern. priority: 1 = a resource's
    # coverage error, 2 = an IAM analysis gap. message null = built per rule from the coverage row.
    f"""create temp table fn_issues as
        with res as (select * from cov_err where resource_arn is not null)
        select f.account_id, f.region, f.function_arn, f.name, e.tables, e.collector, e.detail,
               e.resource_arn as source_arn, 1 as priority, null::varchar as message, true as adds
        from res e join functions f on f.function_arn = e.resource_arn
        union all
        select f.account_id, f.region, f.function_arn, f.name, e.tables, e.collector, e.detail,
               e.resource_arn, 1, null, true
        from res e join functions f on f.role_arn = e.resource_arn
        union all
        select f.account_id, f.region, f.function_arn, f.name, e.tables, e.collector, e.detail,
               e.resource_arn, 1, null, true
        from res e
        -- an AWS-managed policy has the same ARN in every account: a read that failed in one
        -- account says nothing about the others (issue 12)
        join roles r on r.account_id = e.account_id
                    and (list_contains(r.attached_policy_arns, e.resource_arn)
                         or r.permissions_boundary_arn = e.resource_arn)
        join functions f on f.role_arn = r.role_arn
        union all
        select f.account_id, f.region, f.function_arn, f.name, e.tables, e.collector, e.detail,
               e.resource_arn, 1, null, true
        from res e join functions f
          on f.account_id = e.account_id and f.region = e.region
         and e.resource_arn like 'arn:%:ec2:%:subnet/%'
         and list_contains(f.subnet_ids, split_part(e.resource_arn, 'subnet/', 2))
        union all
        select e.account_id, e.region, e.resource_arn, split_part(e.resource_arn, ':', 7), e.tables,
               e.collector, e.detail, e.resource_arn, 1, null, true
        from res e
        where e.resource_arn like 'arn:%:lambda:%:function:%'
          and not exists (select 1 from functions f where f.function_arn = e.resource_arn)
        union all
        select f.account_id, f.region, f.function_arn, f.name, {_list(ROLE_TABLES)}, null, null,
               f.role_arn, 2,
               'not judged: execution role ' || f.role_arn || ' of ' || f.name
               || ' is not in the IAM inventory (deleted, or its account was not read)', true
        from functions f
        where f.role_arn is not null and not exists (select 1 from roles r where r.role_arn = f.role_arn)
        union all
        select f.account_id, f.region, f.function_arn, f.name, {_list(FACT_TABLES)}, null, null,
               f.role_arn, 2,
               'not judged: execution role ' || f.role_arn || ' of ' || f.name || ' was not analysed', false
        from functions f join roles r on r.role_arn = f.role_arn
        where not exists (select 1 from role_facts rf where rf.role_arn = f.role_arn)
        union all
        select f.account_id, f.region, f.function_arn, f.name, {_list(FACT_TABLES)}, null, null,
               f.role_arn, 2,
               'not judged: the IAM analysis of execution role ' || f.role_arn || ' failed: '
               || rf.analysis_error, false
        from functions f join role_facts rf on rf.role_arn = f.role_arn
        where rf.analysis_error is not null""",
    # The (rule, problem) pairs: a problem touches a rule when its tables meet the rule's reads.
    """create temp table unit_hits as
       select m.rule_id, m.scope, m.spans_account, e.account_id, e.region,
              'not judged: ' || array_to_string(list_sort(list_intersect(m.reads, e.tables)), ', ')
              || ' not read in ' || e.account_id || '/' || e.region
              || ' (' || e.collector || ': ' || e.detail || ')' as message
       from cov_err e join rule_meta m on list_has_any(m.reads, e.tables)
       where e.resource_arn is null""",
    """create temp table fn_hits as
       select m.rule_id, i.account_id, i.region, i.function_arn, i.name, i.priority, i.adds,
              coalesce(i.message,
                  'not judged: ' || array_to_string(list_sort(list_intersect(m.reads, i.tables)), ', ')
                  || ' not read for ' || i.source_arn || ' (' || i.collector || ': ' || i.detail || ')')
                  as message
       from fn_issues i join rule_meta m on m.scope = 'function' and list_has_any(m.reads, i.tables)""",
    """create temp table arn_hits as
       select m.rule_id, e.resource_arn,
              'not judged: ' || array_to_string(list_sort(list_intersect(m.reads, e.tables)), ', ')
              || ' not read for ' || e.resource_arn || ' (' || e.collector || ': ' || e.detail || ')'
              as message
       from cov_err e join rule_meta m on m.scope <> 'function' and list_has_any(m.reads, e.tables)
       where e.resource_arn is not null""",
    # The rows any problem could touch, picked from the million-row results with semi-joins on
    # the small problem tables, so nothing below joins against the whole results.
    """create temp table candidates as
       select rule_id, account_id, region, resource_id, resource_arn
       from rule_results r
       where (rule_id, account_id) in (select rule_id, account_id from unit_hits)
          or (rule_id, resource_arn) in (select rule_id, function_arn from fn_hits)
          or (rule_id, resource_arn) in (select rule_id, resource_arn from arn_hits)""",
    # Rows the rules did not return: functions a resource problem concerns, then whole units.
    """create temp table added as
       select distinct h.rule_id, h.account_id, h.region, 'function' as resource_type,
              h.name as resource_id, h.function_arn as resource_arn
       from fn_hits h
       where h.adds and not exists (select 1 from candidates r
                                    where r.rule_id = h.rule_id and r.resource_arn = h.function_arn)""",
    """insert into added
       select distinct u.rule_id, u.account_id, u.region, 'unit', u.account_id || '/' || u.region, null
       from unit_hits u
       where not exists (
           select 1 from (select rule_id, account_id, region from candidates
                          union all select rule_id, account_id, region from added) r
           where r.rule_id = u.rule_id and r.account_id = u.account_id
             and (u.region = 'global' or u.scope = 'account' or r.region = u.region))""",
    # Which rows each problem hits, by key (rule_id, account_id, region, resource_id: unique per
    # rule, checked by the engine); the widest problem decides the reason.
    """create temp table hits as
       with targets as (
           select rule_id, account_id, region, resource_id, resource_arn from candidates
           union all
           select rule_id, account_id, region, resource_id, resource_arn from added)
       select t.rule_id, t.account_id, t.region, t.resource_id, 0 as priority, u.message
       from unit_hits u
       join targets t on t.rule_id = u.rule_id and t.account_id = u.account_id
       where u.region = 'global' or t.region = u.region or u.spans_account or u.scope = 'account'
       union all
       select t.rule_id, t.account_id, t.region, t.resource_id, h.priority, h.message
       from fn_hits h join targets t on t.rule_id = h.rule_id and t.resource_arn = h.function_arn
       union all
       select t.rule_id, t.account_id, t.region, t.resource_id, 1, h.message
       from arn_hits h join targets t on t.rule_id = h.rule_id and t.resource_arn = h.resource_arn""",
    """create temp table verdicts as
       select rule_id, account_id, region, resource_id,
              string_agg(distinct message, '; ' order by message) as reason
       from (select *, min(priority) over (partition by rule_id, account_id, region, resource_id) as widest
             from hits)
       where priority = widest
       group by rule_id, account_id, region, resource_id""",
)


def apply_errors(con: duckdb.DuckDBPyConnection) -> None:
    """Compute, on ``con``, the tables ``added`` (rows to add: rule_id, account_id, region,
    resource_type, resource_id, resource_arn) and ``verdicts`` (rule_id, account_id, region,
    resource_id → the error reason of every row, returned or added, that becomes an error).

    Needs: the inventory tables, ``rule_meta`` (rule_id, scope, spans_account, reads expanded
    with :func:`expanded_reads`) and ``rule_results`` (every row the rules returned).
    """
    for step in _STEPS:
        con.execute(step)

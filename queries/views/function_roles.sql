-- view: function_roles
-- reads: functions, roles

-- Every function with its execution role's IAM record. The role columns are null when the role is
-- not in the inventory; the engine turns such rows into errors (reporter/rules/error_rows.py), so a
-- rule may treat null role data as "nothing found" without ever producing an unjudged pass.
select
    f.account_id,
    f.region,
    f.function_arn,
    f.name,
    f.role_arn,
    coalesce(r.role_name, regexp_extract(f.role_arn, '[^/]+$')) as role_name,
    r.permissions_boundary_arn as boundary_arn,
    r.attached_policy_arns,
    split_part(f.role_arn, ':', 2) as arn_partition
from functions as f
left join roles as r on r.role_arn = f.role_arn

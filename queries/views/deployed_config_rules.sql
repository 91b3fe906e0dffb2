-- view: deployed_config_rules
-- reads: config_rules

-- AWS-managed Config rules that are in force: a rule being deleted no longer evaluates anything.
select *
from config_rules
where source_owner = 'AWS' and coalesce(state, 'ACTIVE') not in ('DELETING', 'DELETING_RESULTS')

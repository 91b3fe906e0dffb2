-- view: function_role_facts
-- reads: functions, roles, role_facts

-- function_roles plus the derived IAM facts of the role (reporter.iam). Null facts mean the role
-- was not analysed (analysed = false); the engine reports those rows as errors, as it does rows of
-- roles whose analysis_error is set, unless the rule reads role_facts only as context.
select
    fr.*,
    rf.admin_policy_arns,
    rf.admin_like,
    rf.wildcard_actions,
    rf.write_on_star,
    rf.privilege_escalation,
    rf.boundary_allows_iam,
    rf.dead_grants,
    rf.non_lambda_trust,
    rf.role_arn is not null as analysed,
    rf.analysis_error
from function_roles as fr
left join role_facts as rf on rf.role_arn = fr.role_arn

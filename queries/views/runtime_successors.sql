-- view: runtime_successors
-- reads: runtimes

-- The runtime each family should move to: the one supported longest (ties: the highest identifier,
-- e.g. python3.14 over python3.13), so the suggestion is deterministic.
select family, first(runtime order by deprecated desc, runtime desc) as successor
from runtimes
group by family
